// Working with the store as data: read-only SQL, exporting a run's table,
// importing gold labels, and purging long-deleted files (gc).
import { isAbsolute, relative, resolve } from 'node:path';
import type { GcPlan } from '../datasets/gc.ts';
import type { RowBatch, SqlResult } from '../datasets/read-only-sql.ts';
import { quoteString } from '../datasets/schema.ts';
import { invalid, notFound, translated } from './errors.ts';
import { runTables, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';

export interface QueryOptions {
  /** Stop the query after this many milliseconds (0: no limit; default 60 s). */
  timeoutMs?: number;
}

/** Read-only SQL over the catalog and every run's tables; at most `maxRows` rows when given. */
export async function query(workspace: Workspace, sql: string, options: QueryOptions & { maxRows?: number } = {}): Promise<SqlResult> {
  if (!sql.trim()) throw invalid('give a query, e.g. SELECT count(*) FROM latest.files');
  const { readOnlyQuery } = await import('../datasets/read-only-sql.ts');
  return translated(() => readOnlyQuery(workspace.store, sql, options));
}

export interface RowStream {
  columns: string[];
  batches: AsyncIterable<RowBatch>;
}

/** The same, streamed: `consume` reads the rows batch by batch, so any number of rows fits in memory. */
export async function streamQuery<T>(workspace: Workspace, sql: string, options: QueryOptions, consume: (stream: RowStream) => Promise<T>): Promise<T> {
  if (!sql.trim()) throw invalid('give a query, e.g. SELECT count(*) FROM latest.files');
  const { rowBatches, streamReadOnlyQuery } = await import('../datasets/read-only-sql.ts');
  return translated(() => streamReadOnlyQuery(workspace.store, sql, options, (result) => consume({ columns: result.deduplicatedColumnNames(), batches: rowBatches(result) })));
}

export type QueryFileFormat = 'parquet' | 'csv' | 'jsonl';

/** Where `--out` may write a query's result: a .parquet, .csv or .jsonl file outside the data folder. */
export function queryOutput(workspace: Workspace, out: string): { path: string; format: QueryFileFormat } {
  const path = resolve(out);
  const format = /\.(parquet|csv|jsonl)$/i.exec(path)?.[1]?.toLowerCase() as QueryFileFormat | undefined;
  if (!format) throw invalid(`--out ${out}: name a .parquet, .csv or .jsonl file`);
  const inside = relative(workspace.store.dataDir, path);
  if (!inside.startsWith('..') && !isAbsolute(inside)) throw invalid(`--out ${out}: write results outside the data folder ${workspace.store.dataDir}`);
  return { path, format };
}

/**
 * Writes a query's result to the file `queryOutput` chose (temporary name,
 * then renamed): Parquet here; CSV and JSON lines through `writeText`, the
 * caller's formatting. mnemo writes the file, never the user's SQL (COPY TO is
 * refused). Returns the row count.
 */
export async function exportQuery(
  workspace: Workspace, sql: string, output: { path: string; format: QueryFileFormat }, options: QueryOptions,
  writeText: (stream: RowStream, file: NodeJS.WritableStream) => Promise<number>,
): Promise<number> {
  if (!sql.trim()) throw invalid('give a query, e.g. SELECT count(*) FROM latest.files');
  const { withTemporaryPath } = await import('../datasets/atomic-file.ts');
  if (output.format === 'parquet') {
    const { streamReadOnlyQuery, writeResultAsParquet } = await import('../datasets/read-only-sql.ts');
    return translated(() => streamReadOnlyQuery(workspace.store, sql, options, (result) => withTemporaryPath(output.path, (temporary) => writeResultAsParquet(result, temporary))));
  }
  const { createWriteStream } = await import('node:fs');
  const { finished } = await import('node:stream/promises');
  return withTemporaryPath(output.path, async (temporary) => {
    const file = createWriteStream(temporary);
    try {
      return await streamQuery(workspace, sql, options, (stream) => writeText(stream, file));
    } finally {
      file.end();
      await finished(file);
    }
  });
}

/** Copies one table of a run to a Parquet file (written to a temporary name, then renamed). */
export async function exportTable(workspace: Workspace, ref: RunRef, table: string, out: string): Promise<{ runId: number; path: string }> {
  const { runId, tables } = await runTables(workspace, ref);
  const source = tables[table];
  if (!source) throw notFound(`run ${runId} has no table '${table}' (tables: ${Object.keys(tables).sort().join(', ') || 'none'})`);
  const target = resolve(out);
  const { scratchConnection } = await import('../datasets/parquet.ts');
  const { withTemporaryPath } = await import('../datasets/atomic-file.ts');
  const connection = await scratchConnection();
  try {
    await withTemporaryPath(target, (temporary) => connection.run(`COPY (SELECT * FROM read_parquet(${quoteString(source)})) TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`));
  } finally {
    connection.closeSync();
  }
  return { runId, path: target };
}

/** Imports verified labels from a CSV file. */
export async function importGold(workspace: Workspace, kind: 'faces' | 'pets', file: string): Promise<{ rows: number; total: number }> {
  const { importFacesGold, importPetsGold } = await import('../datasets/gold.ts');
  return translated(() => (kind === 'faces' ? importFacesGold(workspace.store, file) : importPetsGold(workspace.store, file)));
}

/** Purges files deleted longer ago than `olderThan` ('30d', '12h', ...); a dry run only plans. */
export async function collectGarbage(workspace: Workspace, olderThan: string, options: { dryRun?: boolean } = {}): Promise<GcPlan> {
  const { parseAge, planGc, runGc } = await import('../datasets/gc.ts');
  let age: number;
  try {
    age = parseAge(olderThan);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  return translated(() => (options.dryRun ? planGc(workspace.store, age) : runGc(workspace.store, age)));
}
