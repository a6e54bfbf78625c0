// Running a notebook: its cells in order in one locked-down in-memory DuckDB
// (datasets/read-only-sql.ts), each cell exactly one query, its parameters
// bound by name ($name, never pasted into the SQL), its result kept as a
// temporary table named after the cell so later cells can use it, and
// streamed out chunk by chunk as it is read. Each cell stops at the row limit
// or the time limit and says which. A failing cell reports its line and
// column in the file; the cells after it still run.
import { BIGINT, BOOLEAN, DOUBLE, DuckDBTypeId, JSDuckDBValueConverter, VARCHAR, type DuckDBConnection, type DuckDBDataChunk, type DuckDBPreparedStatement, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import { openReadOnlySession, withoutLeadingComments, type ReadOnlySession } from '../datasets/read-only-sql.ts';
import { quoteIdent, quoteString } from '../datasets/schema.ts';
import type { Store } from '../datasets/store.ts';
import { cellName, sqlCells, type Limits, type Notebook, type ParamValue, type Problem, type SqlBlock } from './parse.ts';
import { errorPosition, type ResultColumn } from './result.ts';

export interface RunNotebookOptions {
  /** Every param's value: run params as run numbers (the app layer resolves `latest`). */
  values: Record<string, ParamValue>;
  /** Indexes (among the SQL cells) to run; the cells they use run first. Default: all. */
  cells?: number[];
  /** Default: the notebook's own. */
  limits?: Limits;
  /** Stops between chunks when aborted (the page went away). */
  signal?: AbortSignal;
  /** After the cells ran: hands this cell's kept result (it needs an id) to `write`. */
  exportCell?: { cell: number; write(result: DuckDBResult): Promise<void> };
}

export type CellLimit = { kind: 'rows' | 'time'; message: string };

/** What a run reports, in order: start, then per cell cell/columns/rows.../cell-done or cell-error, then done. */
export type NotebookEvent =
  | { type: 'start'; cells: number[]; problems: Problem[] }
  | { type: 'cell'; cell: number; name: string }
  | { type: 'columns'; cell: number; columns: ResultColumn[] }
  | { type: 'rows'; cell: number; rows: unknown[][] }
  | { type: 'cell-done'; cell: number; rows: number; ms: number; limit: CellLimit | null }
  | { type: 'cell-error'; cell: number; message: string; line: number; column: number | null }
  | { type: 'done'; ms: number };

const words = (text: string) => new Set((text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((word) => word.toLowerCase()));

/** The cells to run for `wanted`: those, and every earlier cell they name, transitively, in file order. */
export function cellsToRun(notebook: Notebook, wanted?: number[]): number[] {
  const cells = sqlCells(notebook);
  if (!wanted) return cells.map((_, index) => index);
  const chosen = new Set<number>();
  const visit = (index: number) => {
    if (chosen.has(index) || !cells[index]) return;
    chosen.add(index);
    const named = words(cells[index]!.body);
    cells.forEach((cell, earlier) => {
      if (earlier < index && cell.id && named.has(cell.id.toLowerCase())) visit(earlier);
    });
  };
  for (const index of wanted) visit(index);
  return [...chosen].sort((a, b) => a - b);
}

export async function* runNotebook(store: Store, notebook: Notebook, options: RunNotebookOptions): AsyncGenerator<NotebookEvent> {
  const started = performance.now();
  const cells = sqlCells(notebook);
  const chosen = cellsToRun(notebook, options.cells);
  const limits = options.limits ?? notebook.limits;
  const runParams = notebook.params.filter((param) => param.type === 'run').map((param) => ({ name: param.name, runId: Number(options.values[param.name]) }));
  yield { type: 'start', cells: chosen, problems: notebook.problems };
  if (chosen.length > 0) {
    const referenced = [...chosen.map((index) => cells[index]!.body), ...runParams.map((param) => `run${param.runId}`)].join('\n');
    const session = await openReadOnlySession(store, referenced);
    try {
      for (const param of runParams) await aliasRun(session.connection, param.name, param.runId);
      const failed = new Map<string, number>();
      for (const index of chosen) {
        if (options.signal?.aborted) break;
        yield* runCell(session, notebook, cells[index]!, index, options.values, limits, failed, options.signal);
      }
      const exported = options.exportCell && cells[options.exportCell.cell];
      if (exported?.id && !failed.has(exported.id.toLowerCase())) {
        await options.exportCell!.write(await session.connection.stream(`SELECT * FROM memory.main.${quoteIdent(exported.id)}`));
      }
    } finally {
      session.close();
    }
  }
  yield { type: 'done', ms: Math.round(performance.now() - started) };
}

/** Schema NAME with a view per table of run RUN, so `FROM run.faces` follows the run param. */
async function aliasRun(connection: DuckDBConnection, name: string, runId: number): Promise<void> {
  const views = (await connection.runAndReadAll(`SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = ${quoteString(`run${runId}`)}`)).getRowObjectsJS() as { view_name: string }[];
  await connection.run(`CREATE SCHEMA ${quoteIdent(name)}`);
  for (const { view_name: view } of views) await connection.run(`CREATE VIEW ${quoteIdent(name)}.${quoteIdent(view)} AS SELECT * FROM ${quoteIdent(`run${runId}`)}.${quoteIdent(view)}`);
}

async function* runCell(
  session: ReadOnlySession, notebook: Notebook, cell: SqlBlock, index: number, values: Record<string, ParamValue>, limits: Limits, failed: Map<string, number>, signal: AbortSignal | undefined,
): AsyncGenerator<NotebookEvent> {
  const started = performance.now();
  const name = cellName(notebook, cell);
  yield { type: 'cell', cell: index, name };
  const fail = (error: unknown): NotebookEvent => {
    if (cell.id) failed.set(cell.id.toLowerCase(), cell.line);
    return { type: 'cell-error', cell: index, ...cellError(notebook, cell, error, session, failed) };
  };
  if (!cell.body.trim()) {
    yield fail(new NotebookSqlError('this cell is empty: write one SELECT'));
    return;
  }
  const start = withoutLeadingComments(cell.body);
  if (start && !QUERY_START.test(start)) {
    yield fail(new NotebookSqlError(`read-only: a cell is one query (SELECT, WITH, FROM, VALUES, DESCRIBE, SUMMARIZE, EXPLAIN SELECT); this is ${start.split(/[\s(;]/)[0]!.toUpperCase()}`));
    return;
  }
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await session.prepare(cell.body);
    bindParams(prepared, values);
  } catch (error) {
    yield fail(error);
    return;
  }
  const connection = session.connection;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, limits.seconds * 1000);
  let writer: DuckDBConnection | null = null;
  let appender: Awaited<ReturnType<DuckDBConnection['createAppender']>> | null = null;
  let rows = 0;
  let limit: CellLimit | null = null;
  try {
    const result = await prepared.stream();
    const names = result.deduplicatedColumnNames();
    const columnTypes = result.columnTypes();
    const types = columnTypes.map((type) => type.toString());
    const plain = columnTypes.map((type) => PLAIN_TYPES.has(type.typeId));
    yield { type: 'columns', cell: index, columns: names.map((column, i) => ({ name: column, type: types[i]! })) };
    if (cell.id) {
      // The result under the cell's name, for the cells below. Written through a
      // second connection: anything run on the reading one would end its stream.
      writer = await session.connect();
      try {
        await writer.run(`CREATE TABLE memory.main.${quoteIdent(cell.id)} (${names.map((column, i) => `${quoteIdent(column)} ${types[i]}`).join(', ')})`);
      } catch (error) {
        throw /already exists/.test(String(error)) ? new NotebookSqlError(`cell id '${cell.id}' is the name of a catalog table: choose another`) : error;
      }
      appender = await writer.createAppender(cell.id, 'main', 'memory');
    }
    for await (const chunk of result) {
      if (chunk.rowCount === 0) continue;
      if (rows + chunk.rowCount > limits.rows) {
        chunk.rowCount = limits.rows - rows;
        limit = { kind: 'rows', message: `stopped at the row limit: the first ${limits.rows.toLocaleString('en')} rows (raise limits.rows in the front matter, or aggregate)` };
      }
      if (chunk.rowCount > 0) {
        appender?.appendDataChunk(chunk);
        rows += chunk.rowCount;
        yield { type: 'rows', cell: index, rows: chunkRows(chunk, plain) };
      }
      if (limit || signal?.aborted) break;
    }
    // An interrupt while rows stream ends the stream quietly, not with an error.
    if (timedOut && !limit) limit = timeLimit(limits, rows);
  } catch (error) {
    if (!timedOut) {
      // A failed cell leaves no half table behind for the cells below.
      appender?.closeSync();
      appender = null;
      if (cell.id) await writer?.run(`DROP TABLE IF EXISTS memory.main.${quoteIdent(cell.id)}`);
      yield fail(error);
      return;
    }
    limit = timeLimit(limits, rows);
  } finally {
    clearTimeout(timer);
    appender?.closeSync();
  }
  yield { type: 'cell-done', cell: index, rows, ms: Math.round(performance.now() - started), limit };
}

const timeLimit = (limits: Limits, rows: number): CellLimit => ({
  kind: 'time',
  message: `stopped at the time limit of ${limits.seconds} s after ${rows.toLocaleString('en')} rows (raise limits.seconds in the front matter, or make the query cheaper)`,
});

/** A cell is one query: say so before DuckDB tries a write (COPY would first complain about the file). */
const QUERY_START = /^(SELECT|WITH|FROM|VALUES|TABLE|DESCRIBE|SUMMARIZE|SHOW|EXPLAIN|PIVOT|UNPIVOT|\()/i;

/** Binds the params the statement uses, each typed; one it uses that the front matter lacks is a mistake. */
function bindParams(prepared: DuckDBPreparedStatement, values: Record<string, ParamValue>): void {
  const bound: Record<string, ParamValue> = {};
  const types: Record<string, DuckDBType | undefined> = {};
  for (let i = 1; i <= prepared.parameterCount; i++) {
    const name = prepared.parameterName(i);
    if (/^\d+$/.test(name)) throw new NotebookSqlError(`use named parameters ($name) from the front matter, not $${name} or ?`);
    const key = Object.keys(values).find((param) => param.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new NotebookSqlError(`$${name} is not a parameter of this notebook (${Object.keys(values).map((param) => `$${param}`).join(', ') || 'it has none: add params to the front matter'})`);
    const value = values[key]!;
    bound[name] = value;
    types[name] = value === null ? VARCHAR : typeof value === 'boolean' ? BOOLEAN : typeof value === 'string' ? VARCHAR : Number.isInteger(value) ? BIGINT : DOUBLE;
  }
  prepared.bind(bound as never, types);
}

export class NotebookSqlError extends Error {
  override name = 'NotebookSqlError';
}

/** An error of a cell as one line, with where it is in the file when DuckDB says where. */
function cellError(notebook: Notebook, cell: SqlBlock, error: unknown, session: ReadOnlySession, failed: Map<string, number>): { message: string; line: number; column: number | null } {
  const raw = error instanceof Error ? error.message : String(error);
  const known = error instanceof NotebookSqlError ? error : session.userError(error);
  let message = known ? known.message : raw.split('\n')[0]!;
  // A missing table that is a cell of this notebook: say why it is missing.
  const missing = /^Catalog Error: Table with name (\w+) does not exist/.exec(message)?.[1]?.toLowerCase();
  if (missing) {
    const later = sqlCells(notebook).find((other) => other.id?.toLowerCase() === missing);
    if (failed.has(missing)) message = `cell '${missing}' (line ${failed.get(missing)}) failed, so this cell cannot use its result`;
    else if (later && later.line > cell.line) message = `cell '${later.id}' is defined below (line ${later.line}): a cell can use only the cells above it`;
    else message = `${message.replace(/!$/, '')}: no table, view or cell above has that name`;
  }
  const position = errorPosition(raw, cell.body);
  const line = cell.bodyLine + (position ? position.line - 1 : 0);
  return { message: position ? `${message} (line ${line}, column ${position.column})` : `${message} (cell at line ${cell.line})`, line, column: position?.column ?? null };
}

/** Types whose raw values are already numbers, text, booleans or bigints: read without a converter (six times faster). */
const PLAIN_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN, DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.VARCHAR,
]);

/** A chunk as rows of JSON values, column by column. */
function chunkRows(chunk: DuckDBDataChunk, plain: boolean[]): unknown[][] {
  const rows: unknown[][] = Array.from({ length: chunk.rowCount }, () => new Array(plain.length));
  for (let c = 0; c < plain.length; c++) {
    const values = plain[c] ? chunk.getColumnValues(c) : chunk.convertColumnValues(c, JSDuckDBValueConverter);
    for (let r = 0; r < rows.length; r++) rows[r]![c] = toWire(values[r]);
  }
  return rows;
}

/** A DuckDB value as JSON can carry it: numbers, text, booleans, null, lists and objects. */
function toWire(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toWire(inner)]));
  return value;
}
