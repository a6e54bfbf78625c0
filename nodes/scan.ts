import { createHash } from 'node:crypto';
import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import type { Catalog } from '../datasets/catalog.ts';
import { quoteString } from '../datasets/schema.ts';
import { bytesFromReadable } from '../files/file-path.ts';
import { planLifecycle, type FileEvent, type LifecyclePlan, type RegistryEntry } from '../files/lifecycle.ts';
import { walkSources, type WalkResult } from '../files/walk.ts';
import { syncYandexDiskSources, type YandexDiskSync } from '../cloud/yandex-disk/sources.ts';

/**
 * Stable across runs: the same (source, path) always gets the same id. It
 * hashes the path's real bytes: the UTF-8 text for a valid name (as always),
 * pathBytes for one that is not valid UTF-8, so its readable form can never
 * give it the id of another file (files/file-path.ts).
 */
export function fileIdFor(source: string, path: string, pathBytes?: Uint8Array | null): string {
  return createHash('sha256').update(`${source}\0`).update(pathBytes ?? path).digest('hex').slice(0, 16);
}

export const scan = defineNode({
  name: 'scan',
  // 3: the files table has path_bytes (a reused version-2 table would lack it).
  version: '3',
  description: 'Walks the sources and lists every file their include/exclude rules select (no contents read), with deleted files kept as status deleted.',
  params: z.object({}).strict(),
  inputs: [],
  // Read for ordering only: an import node in the same pipeline copies first, so this scan sees its photos.
  optionalInputs: ['imports'],
  outputs: {
    files: {
      description: "The files this run saw, plus deleted files (status 'deleted') until mnemo gc purges them; file_id is stable across runs and every later table joins on it.",
      columns: { file_id: 'VARCHAR', source: 'VARCHAR', path: 'VARCHAR', name: 'VARCHAR', extension: 'VARCHAR', size: 'BIGINT', mtime: 'TIMESTAMP', tags: 'VARCHAR[]', status: 'VARCHAR', deleted_at: 'TIMESTAMP', path_bytes: 'BLOB' },
    },
  },
  // The walk and the file registry are the input: they decide whether the earlier scan can be reused.
  async inputFingerprint(ctx) {
    // Yandex.Disk sources first bring their local views up to date (listing, verified downloads); then they walk like folders.
    const yandexDisk = await syncYandexDiskSources(ctx.sources, ctx.signal, ctx.log);
    const walk = walkSources(ctx.sources, () => ctx.progress.advance());
    const names = ctx.sources.map((source) => source.name);
    const { registry, eventCount } = await ctx.readCatalog((catalog) => readRegistry(catalog, names));
    const scanned = names.filter((name) => !walk.unavailableSources.includes(name));
    const now = Date.now(); // deleted_at of files found gone now, and the time of this run's events
    const lifecycle = planLifecycle({ walked: walk.files, registry, sources: names, scanned, now, fileId: fileIdFor });
    const hash = createHash('sha256');
    hash.update(JSON.stringify(ctx.sources));
    for (const file of walk.files) hash.update(`${file.source}\0${file.path}\0${file.pathBytes?.toString('hex') ?? ''}\0${file.size}\0${file.mtimeMs}\n`);
    for (const problem of walk.problems) hash.update(`${problem.item}\0${problem.message}\n`);
    for (const file of lifecycle.files) if (file.status === 'deleted') hash.update(`deleted\0${file.file_id}\0${file.deletedAtMs}\n`);
    // Events only grow: a run that changes the registry never matches an earlier fingerprint, and
    // an unchanged one matches the run that last changed it, so a reused scan never skips an update.
    hash.update(`events\0${eventCount + lifecycle.events.length}`);
    // A sync problem (no login, a failed download) is reported on every run it happens, so this scan is then not reused.
    if (yandexDisk.problems.length) hash.update(`yandex-disk problems\0${now}`);
    return { fingerprint: hash.digest('hex'), prepared: { walk, lifecycle, now, yandexDisk } };
  },
  async run(ctx) {
    const { walk, lifecycle, now, yandexDisk } = ctx.prepared as { walk: WalkResult; lifecycle: LifecyclePlan; now: number; yandexDisk: YandexDiskSync };
    for (const problem of [...yandexDisk.problems, ...walk.problems]) ctx.itemError(problem.item, problem.message);
    const tagsBySource = new Map(ctx.sources.map((source) => [source.name, source.tags]));
    ctx.progress.total(lifecycle.files.length);
    const rows = lifecycle.files.map((file) => {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      const dot = name.lastIndexOf('.');
      return {
        file_id: file.file_id,
        source: file.source,
        path: file.path,
        name,
        extension: dot > 0 ? name.slice(dot + 1).toLowerCase() : '',
        size: file.size,
        mtime: file.mtimeMs,
        tags: tagsBySource.get(file.source) ?? [],
        status: file.status,
        deleted_at: file.deletedAtMs,
        path_bytes: file.pathBytes, // the real name when it is not valid UTF-8: open files with files/file-path.ts filePath
      };
    });
    await ctx.writeTable('files', rows);
    // The durable file registry takes each row's state (first/last seen, active/deleted) and the events that changed it.
    ctx.onCommit(async (connection, outputs) => {
      const files = `read_parquet(${quoteString(outputs.files!)})`;
      await connection.run(
        `INSERT INTO file_registry SELECT file_id, source, path, size, mtime, status, $1, $1, deleted_at FROM ${files}
         ON CONFLICT (file_id) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, status = excluded.status, deleted_at = excluded.deleted_at,
           last_seen_run = CASE WHEN excluded.status = 'active' THEN excluded.last_seen_run ELSE file_registry.last_seen_run END`,
        [ctx.runId],
      );
      await appendEvents(connection, lifecycle.events, ctx.runId, now);
    });
    const count = (event: string) => lifecycle.events.filter((e) => e.event === event).length;
    return {
      files: rows.length,
      active: rows.filter((row) => row.status === 'active').length,
      deleted: rows.filter((row) => row.status === 'deleted').length,
      added: count('added'),
      newlyDeleted: count('deleted'),
      restored: count('restored'),
      inDeleteFolders: lifecycle.deleteFolderCopies,
      unmatchedInDeleteFolders: lifecycle.unmatchedCopies.slice(0, 20),
      problems: walk.problems.length,
      unavailableSources: walk.unavailableSources,
      ...(Object.keys(yandexDisk.sources).length ? { yandexDisk: yandexDisk.sources } : {}),
    };
  },
});

async function readRegistry(catalog: Catalog, sources: string[]): Promise<{ registry: RegistryEntry[]; eventCount: number }> {
  if (sources.length === 0) return { registry: [], eventCount: 0 };
  const list = sources.map(quoteString).join(', ');
  const rows = await catalog.rows<RegistryEntry>(
    `SELECT file_id, source, path, size, epoch_ms(mtime) AS mtime_ms, status, epoch_ms(deleted_at) AS deleted_at_ms FROM file_registry WHERE source IN (${list})`,
  );
  const registry = rows.map((entry) => ({ ...entry, pathBytes: registryPathBytes(entry) }));
  const [events] = await catalog.rows<{ n: number }>(`SELECT count(*) AS n FROM file_events WHERE source IN (${list})`);
  return { registry, eventCount: events?.n ?? 0 };
}

/**
 * The registry keeps the readable path only. Its file_id tells a name that is
 * not valid UTF-8 (the id hashes the real bytes), and the bytes come back from
 * the readable form, which is reversible for such names.
 */
function registryPathBytes(entry: RegistryEntry): Buffer | null {
  if (fileIdFor(entry.source, entry.path) === entry.file_id) return null;
  const bytes = bytesFromReadable(entry.path);
  return fileIdFor(entry.source, entry.path, bytes) === entry.file_id ? bytes : null;
}

async function appendEvents(connection: DuckDBConnection, events: FileEvent[], runId: number, at: number): Promise<void> {
  if (events.length === 0) return;
  const appender = await connection.createAppender('file_events');
  for (const event of events) {
    appender.appendVarchar(event.file_id);
    appender.appendVarchar(event.event);
    appender.appendInteger(runId);
    appender.appendTimestamp(timestampValue(BigInt(at) * 1000n));
    appender.appendVarchar(event.source);
    appender.appendVarchar(event.path);
    if (event.detail === null) appender.appendNull();
    else appender.appendVarchar(event.detail);
    appender.endRow();
  }
  appender.closeSync();
}
