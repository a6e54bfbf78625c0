// SQL over the catalog and every run's tables that cannot write anything:
// the catalog opens read-only, only SELECT-like statements are accepted, and
// file access is limited to the data folder (the Parquet files of the runs).
import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { withCatalogLock } from './catalog-lock.ts';
import { plainRows, quoteString } from './schema.ts';
import type { Store } from './store.ts';

export class ReadOnlySqlError extends Error {
  override name = 'ReadOnlySqlError';
}

const ALLOWED = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export function readOnlyQuery(store: Store, sql: string, options: { maxRows?: number } = {}): Promise<SqlResult> {
  if (!existsSync(store.catalogPath)) throw new ReadOnlySqlError(`no mnemo catalog at ${store.catalogPath}: run \`mnemo run\` first`);
  return withCatalogLock(store.catalogPath, () => query(store, sql, options));
}

async function query(store: Store, sql: string, options: { maxRows?: number }): Promise<SqlResult> {
  const instance = await openReadOnly(store.catalogPath);
  const connection = await instance.connect();
  try {
    await connection.run(`SET allowed_directories = [${quoteString(store.dataDir + '/')}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
    const statements = await connection.extractStatements(sql);
    if (statements.count === 0) throw new ReadOnlySqlError('empty query');
    let result: SqlResult = { columns: [], rows: [] };
    for (let index = 0; index < statements.count; index++) {
      const prepared = await statements.prepare(index).catch((error: Error) => {
        // Binding fails first for statements that would touch files outside the data folder.
        throw /Permission Error/.test(error.message) ? new ReadOnlySqlError(`read-only: ${error.message.replace(/^Permission Error: /, '')}`) : error;
      });
      if (!ALLOWED.has(prepared.statementType)) {
        throw new ReadOnlySqlError(`read-only: only SELECT queries are allowed here (statement ${index + 1} is ${StatementType[prepared.statementType] ?? 'not a query'})`);
      }
      const reader = options.maxRows ? await prepared.runAndReadUntil(options.maxRows) : await prepared.runAndReadAll();
      result = { columns: reader.columnNames(), rows: plainRows(reader.getRowObjectsJS() as Record<string, unknown>[]) };
    }
    return result;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function openReadOnly(path: string): Promise<DuckDBInstance> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    } catch (error) {
      if (attempt >= 30 || !/lock/i.test(String((error as Error).message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100)); // a run is committing a node: moments
    }
  }
}
