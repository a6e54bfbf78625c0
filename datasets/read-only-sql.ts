// SQL over the catalog and every run's tables that can change nothing, and
// that never holds the catalog against a writer.
//
// How: each query gets its own in-memory DuckDB. The catalog is attached
// READ_ONLY only while the durable tables the query names are copied in and
// the run<ID>.* / latest.* views it names are built from the run registry, then
// detached (milliseconds; DuckDB lets a file be open by one writer or by
// readers, never both, so a long query must not keep it). Then the database is
// locked down (files readable only under <data>/runs/, no other file access,
// no ATTACH/INSTALL/LOAD, settings frozen), the views are created over the
// runs' Parquet files, and the user's SQL must be exactly one query: a SELECT
// (FROM, WITH, VALUES, DESCRIBE, SUMMARIZE, SHOW are SELECTs to DuckDB), or an
// EXPLAIN [ANALYZE] of one (EXPLAIN ANALYZE runs the statement it explains:
// `EXPLAIN ANALYZE COPY ... TO` once overwrote the catalog). Writes that slip
// through would land in the throwaway in-memory copy; COPY TO is what the
// statement check must stop, as the runs folder is readable and so writable.
//
// Only what a query names is copied: a catalog with thousands of runs has tens
// of thousands of views, and recreating one reads its Parquet footer.
import { DuckDBInstance, JSDuckDBValueConverter, StatementType, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBResult } from '@duckdb/node-api';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogBusyError, closeKeptCatalog, isCatalogLockError, NoCatalogError } from './catalog.ts';
import { withCatalogLock } from './catalog-lock.ts';
import { runIdOfSchema, storedRunsViewDefinitions, type ViewDefinition } from './run-views.ts';
import { plainRows, quoteIdent, quoteString } from './schema.ts';
import type { Store } from './store.ts';

export class ReadOnlySqlError extends Error {
  override name = 'ReadOnlySqlError';
}

/** How long a query may run unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface QueryOptions {
  /** Stop the query after this many milliseconds; 0: no limit. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** How long to wait for a writer to release the catalog before the snapshot gives up. */
  lockTimeoutMs?: number;
}

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Runs a query and returns its rows (at most `maxRows` when given). */
export function readOnlyQuery(store: Store, sql: string, options: QueryOptions & { maxRows?: number } = {}): Promise<SqlResult> {
  return streamReadOnlyQuery(store, sql, options, async (result) => {
    const rows: Record<string, unknown>[] = [];
    for await (const batch of rowBatches(result)) {
      for (const row of batch.rows()) rows.push(row);
      if (options.maxRows !== undefined && rows.length >= options.maxRows) {
        rows.length = options.maxRows;
        break;
      }
    }
    return { columns: result.deduplicatedColumnNames(), rows };
  });
}

export interface RowBatch {
  size: number;
  /** The batch as plain row objects (converted when asked: counting needs no conversion). */
  rows(): Record<string, unknown>[];
}

/** A streaming result, one DuckDB chunk (about 2,000 rows) at a time. */
export async function* rowBatches(result: DuckDBResult): AsyncGenerator<RowBatch> {
  const columns = result.deduplicatedColumnNames();
  for await (const chunk of result) {
    if (chunk.rowCount === 0) continue;
    yield {
      size: chunk.rowCount,
      rows: () => plainRows(chunk.convertRows(JSDuckDBValueConverter).map((values) => Object.fromEntries(columns.map((column, index) => [column, values[index]])))),
    };
  }
}

/**
 * Runs a query and hands its streaming result to `consume`, which reads it
 * chunk by chunk (memory stays flat however many rows there are). The time
 * limit covers `consume` too: reading stops when it is reached.
 */
export async function streamReadOnlyQuery<T>(store: Store, sql: string, options: QueryOptions, consume: (result: DuckDBResult) => Promise<T>): Promise<T> {
  if (!existsSync(store.catalogPath)) throw new NoCatalogError(`no mnemo catalog at ${store.catalogPath}: run \`mnemo run\` first`);
  if (!sql.trim()) throw new ReadOnlySqlError('empty query');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const runsDir = join(store.dataDir, 'runs');
  const spill = mkdtempSync(join(tmpdir(), 'mnemo-sql-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    const names = wordsOf(sql);
    const views = await snapshot(store, connection, names, options.lockTimeoutMs ?? 15_000);
    await lockDown(connection, runsDir, spill);
    await createViews(connection, views);
    const prepared = await prepareQuery(connection, sql);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, timeoutMs);
    }
    const consumed = await consume(await prepared.stream());
    // An interrupt while rows stream ends the stream quietly: a cut result must not pass for a whole one.
    if (timedOut) throw new ReadOnlySqlError('interrupted');
    return consumed;
  } catch (error) {
    if (timedOut) throw new ReadOnlySqlError(`query stopped after ${formatLimit(timeoutMs)} (the limit; raise it with --timeout)`);
    throw userError(error, runsDir) ?? error;
  } finally {
    clearTimeout(timer);
    connection.closeSync();
    instance.closeSync();
    rmSync(spill, { recursive: true, force: true });
  }
}

/**
 * A locked-down database for several queries in turn (a notebook's cells,
 * which may use each other's results): prepared exactly as for one query,
 * over what `referencedText` names (every cell's SQL, and any run<ID> schema
 * the caller needs). The caller closes it.
 */
export interface ReadOnlySession {
  connection: DuckDBConnection;
  /** Another connection to the same database (as locked down): it may write while `connection` streams. */
  connect(): Promise<DuckDBConnection>;
  /** The statement, when it is exactly one query; else a ReadOnlySqlError. */
  prepare(sql: string): Promise<DuckDBPreparedStatement>;
  /** A DuckDB error a person fixes by changing the query, as one clear line; null for anything else. */
  userError(error: unknown): ReadOnlySqlError | null;
  close(): void;
}

export async function openReadOnlySession(store: Store, referencedText: string, options: Pick<QueryOptions, 'lockTimeoutMs'> = {}): Promise<ReadOnlySession> {
  if (!existsSync(store.catalogPath)) throw new NoCatalogError(`no mnemo catalog at ${store.catalogPath}: run \`mnemo run\` first`);
  const runsDir = join(store.dataDir, 'runs');
  const spill = mkdtempSync(join(tmpdir(), 'mnemo-sql-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
    rmSync(spill, { recursive: true, force: true });
  };
  try {
    const views = await snapshot(store, connection, wordsOf(referencedText), options.lockTimeoutMs ?? 15_000);
    await lockDown(connection, runsDir, spill);
    await createViews(connection, views);
  } catch (error) {
    close();
    throw userError(error, runsDir) ?? error;
  }
  const others: DuckDBConnection[] = [];
  const connect = async () => {
    const other = await instance.connect();
    others.push(other);
    return other;
  };
  const closeAll = () => {
    for (const other of others) other.closeSync();
    close();
  };
  return { connection, connect, prepare: (sql) => prepareQuery(connection, sql), userError: (error) => userError(error, runsDir), close: closeAll };
}

/** Lower-cased identifiers in a text: what a query (or a view) may refer to. */
function wordsOf(text: string): Set<string> {
  return new Set((text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((word) => word.toLowerCase()));
}

/**
 * Copies what the query names out of the catalog: the view definitions of the
 * schemas it names (latest and run<ID> built from the run registry,
 * run-views.ts) and the durable tables it or those views name. The catalog
 * file is attached only for this.
 */
async function snapshot(store: Store, connection: DuckDBConnection, names: Set<string>, lockTimeoutMs: number): Promise<ViewDefinition[]> {
  const catalogPath = store.catalogPath;
  // Within a process, opens of one catalog file take turns (catalog-lock.ts).
  return withCatalogLock(catalogPath, async () => {
    closeKeptCatalog(catalogPath); // an instance of this process kept open would not exclude this one
    await attachReadOnly(connection, catalogPath, lockTimeoutMs);
    try {
      const runIds = [...names].map(runIdOfSchema).filter((id): id is number => id !== null);
      // Built from the run registry with this data folder's paths (stored latest.* views keep the folder's
      // old place until a run or the workbench moves them; a catalog not yet migrated still stores run<ID> views).
      const built = (name: string) => name === 'latest' || runIdOfSchema(name) !== null;
      const schemas = [...names].filter((name) => !built(name)).map(quoteString).join(', ') || "''";
      const views = [
        ...(await rowsOf<ViewDefinition>(
          connection,
          `SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = 'snapshot' AND NOT internal AND lower(schema_name) IN (${schemas})`,
        )),
        ...(await storedRunsViewDefinitions(connection, 'snapshot', runIds, store.dataDir, { latest: names.has('latest') })),
      ];
      const needed = new Set(names);
      for (const view of views) for (const word of wordsOf(view.sql)) needed.add(word);
      const tables = await rowsOf<{ schema_name: string; table_name: string }>(connection, "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'snapshot'");
      for (const { schema_name: schema, table_name: table } of tables) {
        if (!needed.has(table.toLowerCase())) continue;
        await connection.run(`CREATE SCHEMA IF NOT EXISTS memory.${quoteIdent(schema)}`);
        await connection.run(`CREATE TABLE memory.${quoteIdent(schema)}.${quoteIdent(table)} AS SELECT * FROM snapshot.${quoteIdent(schema)}.${quoteIdent(table)}`);
      }
      return views;
    } finally {
      await connection.run('DETACH snapshot');
    }
  });
}

async function attachReadOnly(connection: DuckDBConnection, catalogPath: string, lockTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + lockTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await connection.run(`ATTACH ${quoteString(catalogPath)} AS snapshot (READ_ONLY)`);
      return;
    } catch (error) {
      const message = (error as Error).message;
      if (!isCatalogLockError(message)) throw error;
      if (Date.now() >= deadline) throw catalogBusyError(catalogPath, message);
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500))); // a run is committing a node: moments
    }
  }
}

/** From here on the database can read the runs' Parquet and nothing else, and no setting can change. */
async function lockDown(connection: DuckDBConnection, runsDir: string, spill: string): Promise<void> {
  await connection.run(`SET temp_directory = ${quoteString(spill)}`); // large sorts and joins spill here, not into the working folder
  await connection.run('SET autoinstall_known_extensions = false');
  await connection.run(`SET allowed_directories = [${quoteString(runsDir + '/')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

/** Recreates the views; one whose Parquet cannot be read fails with a clear message when queried. */
async function createViews(connection: DuckDBConnection, views: ViewDefinition[]): Promise<void> {
  for (const view of views) {
    const name = `${quoteIdent(view.schema_name)}.${quoteIdent(view.view_name)}`;
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(view.schema_name)}`);
    try {
      if (!/^CREATE VIEW /i.test(view.sql)) throw new Error('not a view definition');
      await connection.run(view.sql);
    } catch (error) {
      const reason = firstLine((error as Error).message);
      await connection.run(`CREATE OR REPLACE VIEW ${name} AS SELECT error(${quoteString(`${view.schema_name}.${view.view_name} cannot be read: ${reason}`)})`);
    }
  }
}

/** Exactly one statement, and one that only reads. */
async function prepareQuery(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const statements = await connection.extractStatements(sql).catch((error: Error) => {
    // The bindings fail this way when the text holds no statement at all (only comments or ';').
    throw error.message === 'Error in native callback' ? new ReadOnlySqlError('empty query: no statement in it') : error;
  });
  if (statements.count === 0) throw new ReadOnlySqlError('empty query: no statement in it');
  if (statements.count > 1) throw new ReadOnlySqlError(`one statement at a time, please (this text has ${statements.count})`);
  const prepared = await statements.prepare(0);
  const type = prepared.statementType;
  if (type === StatementType.SELECT) return prepared;
  if (type === StatementType.EXPLAIN) {
    // EXPLAIN ANALYZE executes the statement it explains, so that statement
    // must be a query too; plain EXPLAIN of a write is refused as well (one
    // rule, and nothing is lost).
    const inner = explainedStatement(sql);
    if (inner !== null && (await isOneSelect(connection, inner))) return prepared;
    throw new ReadOnlySqlError('read-only: EXPLAIN is allowed only of a query (EXPLAIN SELECT ...)');
  }
  throw new ReadOnlySqlError(
    `read-only: only queries are allowed here (SELECT, FROM, WITH, VALUES, DESCRIBE, SUMMARIZE, EXPLAIN SELECT); this is ${StatementType[type] ?? 'another statement'}`,
  );
}

/**
 * The text after `EXPLAIN`, `EXPLAIN ANALYZE` or `EXPLAIN (options)`, or null
 * for a form not recognised. Errs on the side of refusing: whatever it leaves
 * must itself parse as one SELECT.
 */
function explainedStatement(sql: string): string | null {
  const text = withoutLeadingComments(sql);
  const match = /^EXPLAIN(?:\s+ANALY[SZ]E\b|\s*\([^()]*\))?\s+/i.exec(text);
  return match ? text.slice(match[0].length) : null;
}

/** The SQL from its first word on: leading white space, line comments and block comments dropped. */
export function withoutLeadingComments(sql: string): string {
  let text = sql;
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/^\s+/, '').replace(/^--[^\n]*(\n|$)/, '').replace(/^\/\*[\s\S]*?\*\//, '');
  }
  return text;
}

async function isOneSelect(connection: DuckDBConnection, sql: string): Promise<boolean> {
  try {
    const statements = await connection.extractStatements(sql);
    if (statements.count !== 1) return false;
    const prepared = await statements.prepare(0);
    return prepared.statementType === StatementType.SELECT;
  } catch {
    return false;
  }
}

const firstLine = (message: string) => message.replace(/^Failed to extract statements: /, '').split('\n')[0]!.trim();

/** DuckDB errors a person fixes by changing the query become one clear line. */
function userError(error: unknown, runsDir: string): ReadOnlySqlError | null {
  if (error instanceof ReadOnlySqlError) return error;
  if (!(error instanceof Error) || error.name === 'CatalogBusyError') return null;
  const line = firstLine(error.message);
  if (/^Permission Error: /.test(line)) return new ReadOnlySqlError(`read-only: files can be read only under ${runsDir} (${line})`);
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Out of Range|Not implemented|IO|Invalid) Error: /.test(line)) return new ReadOnlySqlError(line);
  return null;
}

function formatLimit(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

async function rowsOf<T>(connection: DuckDBConnection, sql: string): Promise<T[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
}

/**
 * Writes a query's result to a Parquet file without holding it in memory:
 * chunks go through an appender into a table of a scratch database file, then
 * mnemo's own COPY (never the user's SQL) writes `path` (Parquet, or CSV for
 * a notebook cell's export). Returns the row count.
 */
export async function writeResultAsParquet(result: DuckDBResult, path: string, format: 'parquet' | 'csv' = 'parquet'): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'mnemo-export-'));
  const instance = await DuckDBInstance.create(join(scratch, 'export.duckdb'), { memory_limit: '256MB', temp_directory: join(scratch, 'spill') });
  const connection = await instance.connect();
  try {
    const names = result.deduplicatedColumnNames();
    const columns = names.map((name, index) => `${quoteIdent(name)} ${result.columnType(index).toString()}`);
    await connection.run(`CREATE TABLE result (${columns.join(', ')})`);
    const appender = await connection.createAppender('result');
    let rows = 0;
    for await (const chunk of result) {
      appender.appendDataChunk(chunk);
      rows += chunk.rowCount;
    }
    appender.closeSync();
    await connection.run(`COPY result TO ${quoteString(path)} ${format === 'csv' ? '(FORMAT csv, HEADER)' : '(FORMAT parquet, COMPRESSION zstd)'}`);
    return rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
}
