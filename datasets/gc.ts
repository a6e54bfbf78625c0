// `mnemo gc`: purges files deleted longer ago than a given age. Their rows go
// from the durable tables (file_registry, hash_cache; a 'purged' event stays
// in file_events) and from every per-run Parquet table with a file_id column,
// plus rows keyed by the faces found only in those files (face_id tables).
// Manual decisions are archived, not lost: rows of the `assignments` journal
// for those faces move to `assignments_archive` (both made by migrations).
//
// Rewriting per-run Parquet is the one deliberate exception to "per-run
// tables are immutable once their run succeeds": a purge must not leave the
// photo's traces in old runs. Each file is rewritten to a temporary name and
// renamed; the catalog changes come last, in one transaction, so a gc killed
// midway is finished by running it again.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { withTemporaryPath } from './atomic-file.ts';
import { scratchConnection, parquetSource, queryRows } from './parquet.ts';
import { acquireRunLock } from './run-lock.ts';
import { quoteString } from './schema.ts';
import type { Store } from './store.ts';

export interface PurgedFile {
  file_id: string;
  source: string;
  path: string;
  deleted_at: string;
}

export interface GcPlan {
  /** Files deleted before this instant are purged. */
  cutoff: Date;
  files: PurgedFile[];
  /** Faces that occur only in purged files. */
  faceIds: string[];
  /** Per-run Parquet files (relative to the data folder) and how many rows each loses. */
  tables: { path: string; rows: number }[];
  /** Rows of the catalog `assignments` table that move to `assignments_archive`. */
  assignments: number;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** '30d', '12h', '2w', '90m', '0s' -> milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!match) throw new Error(`--older-than: expected a number and a unit (s, m, h, d, w), e.g. 30d (got '${text}')`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

export async function planGc(store: Store, olderThanMs: number, now = Date.now()): Promise<GcPlan> {
  const cutoff = new Date(now - olderThanMs);
  const empty: GcPlan = { cutoff, files: [], faceIds: [], tables: [], assignments: 0 };
  if (!store.exists()) return empty;
  const files = await store.read((catalog) =>
    catalog.rows<PurgedFile>(
      `SELECT file_id, source, path, strftime(deleted_at, '%Y-%m-%d %H:%M:%S') AS deleted_at FROM file_registry
       WHERE status = 'deleted' AND deleted_at < make_timestamp($1::BIGINT * 1000) ORDER BY source, path`,
      [cutoff.getTime()],
    ),
  );
  if (files.length === 0) return empty;

  const purged = await stageIds(`gc_files_${process.pid}`, files.map((file) => file.file_id));
  const parquet = perRunParquet(store.dataDir).map((path) => ({ path, columns: new Set<string>() }));
  for (const table of parquet) {
    const columns = await queryRows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${parquetSource(table.path)}`);
    for (const column of columns) table.columns.add(column.column_name);
  }
  // A face seen in a purged file and in a kept one (the same photo elsewhere) is kept.
  const faceTables = parquet.filter((table) => table.columns.has('face_id') && table.columns.has('file_id')).map((table) => parquetSource(table.path));
  const faceIds = faceTables.length === 0 ? [] : (await queryRows<{ face_id: string }>(
    `SELECT face_id FROM (${faceTables.map((source) => `SELECT face_id, file_id FROM ${source}`).join(' UNION ALL ')})
     WHERE face_id IS NOT NULL GROUP BY face_id HAVING bool_and(coalesce(file_id IN (SELECT id FROM ${purged.table}), false)) ORDER BY face_id`,
  )).map((row) => row.face_id);
  const faces = await stageIds(`gc_faces_${process.pid}`, faceIds);

  const tables: GcPlan['tables'] = [];
  for (const table of parquet) {
    const where = dropCondition(table.columns, purged.table, faces.table);
    if (!where) continue;
    const [{ n }] = (await queryRows<{ n: number }>(`SELECT count(*) AS n FROM ${parquetSource(table.path)} WHERE ${where}`)) as [{ n: number }];
    if (n > 0) tables.push({ path: relative(store.dataDir, table.path), rows: n });
  }
  await purged.drop();
  await faces.drop();
  const assignments = faceIds.length === 0 ? 0 : await store.read(async (catalog) => {
    const [row] = await catalog.rows<{ n: number }>(`SELECT count(*) AS n FROM assignments WHERE face_id IN ${sqlList(faceIds)}`);
    return row?.n ?? 0;
  });
  return { cutoff, files, faceIds, tables, assignments };
}

/** Purges what `planGc` lists. Holds the run lock so no run reads a table while it is rewritten. */
export async function runGc(store: Store, olderThanMs: number, options: { now?: number; reason?: string } = {}): Promise<GcPlan> {
  if (!store.exists()) return planGc(store, olderThanMs, options.now); // nothing to purge; do not create the data folder
  const lock = acquireRunLock(store.dataDir, 'mnemo gc');
  try {
    const plan = await planGc(store, olderThanMs, options.now);
    if (plan.files.length === 0) return plan;
    const files = await stageIds(`gc_files_${process.pid}`, plan.files.map((file) => file.file_id));
    const faces = await stageIds(`gc_faces_${process.pid}`, plan.faceIds);
    const connection = await scratchConnection();
    try {
      for (const table of plan.tables) {
        const path = store.absolute(table.path);
        const columns = new Set((await queryRows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${parquetSource(path)}`)).map((c) => c.column_name));
        await withTemporaryPath(path, (temporary) =>
          connection.run(`COPY (SELECT * FROM ${parquetSource(path)} WHERE NOT (${dropCondition(columns, files.table, faces.table)})) TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`),
        );
      }
    } finally {
      await files.drop();
      await faces.drop();
    }
    await store.write((catalog) =>
      catalog.transaction(async (tx) => {
        const at = `make_timestamp(${Math.round(options.now ?? Date.now())}::BIGINT * 1000)`;
        if (plan.faceIds.length > 0) {
          const faces = sqlList(plan.faceIds);
          await tx.run(`INSERT INTO assignments_archive BY NAME SELECT *, ${at} AS archived_at, 'photo purged by mnemo gc' AS archived_reason FROM assignments WHERE face_id IN ${faces}`);
          await tx.run(`DELETE FROM assignments WHERE face_id IN ${faces}`);
        }
        const ids = sqlList(plan.files.map((file) => file.file_id));
        await tx.run(
          `INSERT INTO file_events SELECT file_id, 'purged', NULL, ${at}, source, path, $1 FROM file_registry WHERE file_id IN ${ids}`,
          [options.reason ?? `purged by mnemo gc: deleted before ${plan.cutoff.toISOString()}`],
        );
        await tx.run(`DELETE FROM hash_cache USING file_registry r WHERE r.file_id IN ${ids} AND hash_cache.source = r.source AND hash_cache.path = r.path`);
        await tx.run(`DELETE FROM file_registry WHERE file_id IN ${ids}`);
      }),
    );
    return plan;
  } finally {
    lock.release();
  }
}

/** Every per-run table on disk, including those of interrupted runs that the catalog does not list. */
function perRunParquet(dataDir: string): string[] {
  const root = join(dataDir, 'runs');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[]).filter((path) => path.endsWith('.parquet')).sort().map((path) => join(root, path));
}

/** The rows to drop: those of purged files, and those keyed only by a purged face (never a row with a null key). */
function dropCondition(columns: Set<string>, filesTable: string, facesTable: string): string | null {
  if (columns.has('file_id')) return `coalesce(file_id IN (SELECT id FROM ${filesTable}), false)`;
  if (columns.has('face_id')) return `coalesce(face_id IN (SELECT id FROM ${facesTable}), false)`;
  return null;
}

/** `('a', 'b')` for SQL text; ids are hex, quoted anyway. */
function sqlList(ids: string[]): string {
  return `(${ids.map(quoteString).join(', ')})`;
}

/** A table of ids on the scratch DuckDB, for joins against Parquet files. */
async function stageIds(name: string, ids: string[]): Promise<{ table: string; drop(): Promise<void> }> {
  const connection = await scratchConnection();
  await connection.run(`CREATE OR REPLACE TABLE ${name} (id VARCHAR)`);
  const appender = await connection.createAppender(name);
  for (const id of ids) {
    appender.appendVarchar(id);
    appender.endRow();
  }
  appender.closeSync();
  return { table: name, drop: () => connection.run(`DROP TABLE IF EXISTS ${name}`).then(() => undefined) };
}
