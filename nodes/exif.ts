// EXIF facts per file: capture time, place, camera, orientation, size. Read
// once per content (SHA-256) into a cache that survives runs, so a re-run or
// an archive with ten new photos reads ten files. Broken metadata is a
// warning in the table, not an error: only a file that cannot be read at all
// is an item error (and is not cached, so a later run tries again).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import type { TableSchema } from '../datasets/schema.ts';
import { AnalysisCache } from '../datasets/analysis-cache.ts';
import { readExif } from '../files/exif.ts';
import { CHANGED_SINCE_HASHED, sha256OfBytes } from '../files/sha256.ts';
import { activeFilesWhere } from '../files/lifecycle.ts';
import { describe } from '../files/walk.ts';
import { filePath } from '../files/file-path.ts';

/** Bump when readExif's output for the same file changes: it keys the cache (and so the fingerprint). */
export const EXIF_CODE_VERSION = '1';

const FACT_COLUMNS = {
  taken_at: 'VARCHAR', tz_offset: 'VARCHAR', taken_at_utc: 'TIMESTAMP', lat: 'DOUBLE', lon: 'DOUBLE', make: 'VARCHAR', model: 'VARCHAR',
  orientation: 'INTEGER', width: 'INTEGER', height: 'INTEGER', format: 'VARCHAR', warning: 'VARCHAR',
} as const;
const CACHE_SCHEMA: TableSchema = { description: 'EXIF facts per content', columns: { sha256: 'VARCHAR', ...FACT_COLUMNS } };

/** Parts are flushed at least this often, so a killed run loses little. */
const FLUSH_EVERY_MS = 10_000;

interface PhotoFile {
  file_id: string;
  source: string;
  path: string;
  path_bytes: Buffer | null;
  sha256: string;
}

export const exif = defineNode({
  name: 'exif',
  version: '1',
  description: 'EXIF capture time (as written, with zone when recorded), GPS, camera, orientation and pixel size per file, cached by content.',
  params: z.object({
    /** Files read at once: the work is mostly waiting on the disk. */
    concurrency: z.number().int().min(1).max(32).default(4),
  }).strict(),
  executionParams: ['concurrency'],
  // The cache's key, and so part of the fingerprint: a new EXIF_CODE_VERSION re-reads and recomputes.
  cacheKeys: () => ({ exif: { node: 'exif', version: EXIF_CODE_VERSION } }),
  inputs: ['files', 'hashes'],
  outputs: {
    exif: {
      description: 'EXIF facts per file; taken_at is the local wall-clock time as written, taken_at_utc only when the zone was recorded; warning says why a value is missing.',
      columns: { file_id: 'VARCHAR', ...FACT_COLUMNS },
    },
  },
  async run(ctx) {
    const cache = new AnalysisCache(ctx.cacheDir, 'exif', ctx.cacheKeys.exif, CACHE_SCHEMA);
    // Deleted files have no hash (hash skips them); unreadable ones have a null hash.
    const filesSql = `SELECT f.file_id, f.source, f.path, f.path_bytes, h.sha256 FROM ${parquetSource(ctx.inputs.files!)} f
      JOIN ${parquetSource(ctx.inputs.hashes!)} h USING (file_id) WHERE ${activeFilesWhere('f')} AND h.sha256 IS NOT NULL`;
    const files = await queryRows<PhotoFile>(`${filesSql} ORDER BY f.source, f.path`);
    const done = await cache.done();
    const roots = new Map(ctx.sources.map((source) => [source.name, source.path]));

    // One read per content not yet cached; its other copies are tried if the first cannot be read.
    const todo = new Map<string, PhotoFile[]>();
    for (const file of files) if (!done.has(file.sha256)) todo.set(file.sha256, [...(todo.get(file.sha256) ?? []), file]);
    ctx.progress.total(todo.size);

    let computed = 0;
    let unreadable = 0;
    let lastFlush = Date.now();
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => (flushing = flushing.then(() => cache.flush())); // one part at a time on the shared scratch DuckDB
    const queue = [...todo.entries()];
    const worker = async () => {
      while (queue.length > 0) {
        ctx.signal.throwIfAborted();
        const [sha256, copies] = queue.shift()!;
        const bytes = await readAnyCopy(copies, roots, sha256);
        if ('error' in bytes) {
          unreadable++;
          for (const file of copies) ctx.itemError(`${file.source}:${file.path}`, `cannot read for EXIF: ${bytes.error}`);
        } else {
          const facts = await readExif(bytes.data);
          const full = cache.add(sha256, {
            taken_at: [facts.takenAt], tz_offset: [facts.tzOffset], taken_at_utc: [facts.takenAtUtc], lat: [facts.lat], lon: [facts.lon],
            make: [facts.make], model: [facts.model], orientation: [facts.orientation], width: [facts.width], height: [facts.height],
            format: [facts.format], warning: [facts.warning],
          }, 1);
          computed++;
          if (full || Date.now() - lastFlush > FLUSH_EVERY_MS) {
            lastFlush = Date.now();
            await flush();
          }
        }
        ctx.progress.advance();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(ctx.params.concurrency, Math.max(queue.length, 1)) }, worker));
    } finally {
      await flush(); // what was read survives an interruption too
    }

    const columns = Object.keys(FACT_COLUMNS).map((column) => `c.${column}`).join(', ');
    const rows = await ctx.writeTableFromQuery('exif', `SELECT f.file_id, ${columns} FROM (${filesSql}) f JOIN ${cache.source()} c USING (sha256) ORDER BY f.file_id`);
    const [withWarning] = await queryRows<{ n: number }>(`SELECT count(*) AS n FROM (${filesSql}) f JOIN ${cache.source()} c USING (sha256) WHERE c.warning IS NOT NULL`);
    const fromCache = files.filter((file) => done.has(file.sha256)).length;
    return { files: files.length, rows, computed, fromCache, unreadable, warnings: withWarning?.n ?? 0 };
  },
});

/** The bytes of the first copy that still has this content (results are keyed by it). */
async function readAnyCopy(copies: PhotoFile[], roots: Map<string, string>, sha256: string): Promise<{ data: Buffer } | { error: string }> {
  let error = '';
  for (const file of copies) {
    try {
      const data = await readFile(filePath(roots.get(file.source) ?? '', file.path, file.path_bytes));
      if (sha256OfBytes(data) === sha256) return { data };
      error = CHANGED_SINCE_HASHED;
    } catch (failure) {
      error = describe(failure);
    }
  }
  return { error };
}
