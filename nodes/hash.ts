import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { sha256OfFile } from '../files/sha256.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { activeFilesWhere } from '../files/lifecycle.ts';
import { readHashCache, upsertHashCache } from '../datasets/hash-cache.ts';
import { describe } from '../files/walk.ts';
import { filePath } from '../files/file-path.ts';

interface FileRow {
  file_id: string;
  source: string;
  path: string;
  size: number | bigint;
  mtime_ms: number;
  path_bytes: Buffer | null;
}

export const hash = defineNode({
  name: 'hash',
  version: '1',
  description: 'Streaming SHA-256 of every file, with a (path, size, mtime) cache so unchanged files are never re-read; exact-duplicate groups.',
  params: z.object({
    /** Files hashed at once: overlaps disk reads with hashing. */
    concurrency: z.number().int().min(1).max(64).default(4),
  }).strict(),
  inputs: ['files'],
  outputs: {
    hashes: {
      description: 'SHA-256 of each file (null when it could not be read; the reason is in errors).',
      columns: { file_id: 'VARCHAR', sha256: 'VARCHAR', size: 'BIGINT', from_cache: 'BOOLEAN' },
    },
    duplicates: {
      description: 'Exact duplicates: files with the same SHA-256, one group per content.',
      columns: { group_id: 'INTEGER', sha256: 'VARCHAR', file_id: 'VARCHAR', copies: 'INTEGER' },
    },
  },
  async run(ctx) {
    // Deleted files keep their rows in `files` but are not read (nor are they in hashes, so later nodes skip them too).
    const files = await queryRows<FileRow>(`SELECT file_id, source, path, size, epoch_ms(mtime)::DOUBLE AS mtime_ms, path_bytes FROM ${parquetSource(ctx.inputs.files!)} WHERE ${activeFilesWhere()} ORDER BY source, path`);
    const cached = await ctx.readCatalog((catalog) => readHashCache(catalog));
    const roots = new Map(ctx.sources.map((source) => [source.name, source.path]));
    ctx.progress.total(files.length);

    const results: { file_id: string; sha256: string | null; size: number; from_cache: boolean }[] = new Array(files.length);
    const fresh: { source: string; path: string; size: number; mtime_ms: number; sha256: string }[] = [];
    let bytesRead = 0;
    let next = 0;
    const worker = async () => {
      const buffer = Buffer.allocUnsafe(1 << 20);
      while (next < files.length) {
        ctx.signal.throwIfAborted();
        const index = next++;
        const file = files[index]!;
        const size = Number(file.size);
        const hit = cached.get(`${file.source}\0${file.path}`);
        if (hit && Number(hit.size) === size && hit.mtime_ms === file.mtime_ms) {
          results[index] = { file_id: file.file_id, sha256: hit.sha256, size, from_cache: true };
        } else if (size === 0) {
          ctx.itemError(`${file.source}:${file.path}`, 'empty file (0 bytes): nothing to hash');
          results[index] = { file_id: file.file_id, sha256: null, size, from_cache: false };
        } else {
          try {
            const sha256 = await sha256OfFile(filePath(roots.get(file.source) ?? '', file.path, file.path_bytes), buffer);
            bytesRead += size;
            results[index] = { file_id: file.file_id, sha256, size, from_cache: false };
            fresh.push({ source: file.source, path: file.path, size, mtime_ms: file.mtime_ms, sha256 });
          } catch (error) {
            ctx.itemError(`${file.source}:${file.path}`, `cannot read: ${describe(error)}`);
            results[index] = { file_id: file.file_id, sha256: null, size, from_cache: false };
          }
        }
        ctx.progress.advance();
      }
    };
    await Promise.all(Array.from({ length: ctx.params.concurrency }, worker));

    await ctx.writeTable('hashes', results);
    await ctx.writeTable('duplicates', duplicateGroups(results));
    ctx.onCommit((connection) => upsertHashCache(connection, fresh));
    return { files: files.length, hashed: fresh.length, fromCache: files.length - fresh.length - results.filter((r) => r.sha256 === null).length, bytesRead };
  },
});

function duplicateGroups(results: { file_id: string; sha256: string | null }[]) {
  const bySha = new Map<string, string[]>();
  for (const row of results) {
    if (!row.sha256) continue;
    const group = bySha.get(row.sha256);
    if (group) group.push(row.file_id);
    else bySha.set(row.sha256, [row.file_id]);
  }
  const groups = [...bySha.entries()].filter(([, ids]) => ids.length > 1).sort(([a], [b]) => (a < b ? -1 : 1));
  return groups.flatMap(([sha256, ids], index) => ids.sort().map((file_id) => ({ group_id: index + 1, sha256, file_id, copies: ids.length })));
}
