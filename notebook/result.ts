// What a notebook run sends and keeps, independent of how it travels (NDJSON
// to the page, events in the CLI): the columns of a cell, its rows as arrays
// of JSON values, and the fold of the run's events into one result per cell.
// Pure: the browser uses it too.

export interface ResultColumn {
  name: string;
  /** DuckDB's type name (INTEGER, VARCHAR, TIMESTAMP, ...). */
  type: string;
}

export interface CellResult {
  cell: number;
  name: string;
  status: 'running' | 'done' | 'error';
  columns: ResultColumn[];
  rows: unknown[][];
  rowCount: number;
  ms: number | null;
  limit: { kind: 'rows' | 'time'; message: string } | null;
  error: { message: string; line: number; column: number | null } | null;
}

/** The events of notebook/run.ts, as they travel (one JSON object per line). */
export type WireEvent =
  | { type: 'start'; cells: number[]; problems: { line: number; message: string }[] }
  | { type: 'cell'; cell: number; name: string }
  | { type: 'columns'; cell: number; columns: ResultColumn[] }
  | { type: 'rows'; cell: number; rows: unknown[][] }
  | { type: 'cell-done'; cell: number; rows: number; ms: number; limit: CellResult['limit'] }
  | { type: 'cell-error'; cell: number; message: string; line: number; column: number | null }
  | { type: 'done'; ms: number };

/** Folds one event into the results by cell index (keeping at most `keepRows` rows per cell). */
export function applyEvent(results: Map<number, CellResult>, event: WireEvent, keepRows = Infinity): void {
  if (event.type === 'start' || event.type === 'done') return;
  if (event.type === 'cell') {
    results.set(event.cell, { cell: event.cell, name: event.name, status: 'running', columns: [], rows: [], rowCount: 0, ms: null, limit: null, error: null });
    return;
  }
  const result = results.get(event.cell);
  if (!result) return;
  switch (event.type) {
    case 'columns':
      result.columns = event.columns;
      break;
    case 'rows':
      for (const row of event.rows) if (result.rows.length < keepRows) result.rows.push(row);
      result.rowCount += event.rows.length;
      break;
    case 'cell-done':
      Object.assign(result, { status: 'done', ms: event.ms, limit: event.limit, rowCount: event.rows });
      break;
    case 'cell-error':
      Object.assign(result, { status: 'error', error: { message: event.message, line: event.line, column: event.column } });
      break;
  }
}

const TEMPORAL = /^(DATE|TIMESTAMP)/;

/** Rows as objects keyed by column, dates and timestamps as Date (what Plot draws as time). */
export function rowObjects(columns: readonly ResultColumn[], rows: readonly unknown[][]): Record<string, unknown>[] {
  const temporal = columns.map((column) => TEMPORAL.test(column.type));
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    columns.forEach((column, i) => (object[column.name] = temporal[i] && typeof row[i] === 'string' ? new Date(row[i] as string) : row[i]));
    return object;
  });
}

/**
 * Where in `sql` DuckDB's message points: its "LINE n: <text>" and the caret
 * under it (the text may be cut with "..." around a long line). 1-based.
 */
export function errorPosition(message: string, sql: string): { line: number; column: number } | null {
  const match = /\nLINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!match) return null;
  const line = Number(match[1]);
  const caret = match[3]!.length - `LINE ${match[1]}: `.length;
  let shown = match[2]!;
  let cut = 0;
  if (shown.startsWith('...')) {
    shown = shown.slice(3);
    cut = 3;
  }
  if (shown.endsWith('...')) shown = shown.slice(0, -3);
  const source = (sql.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  const at = shown ? source.indexOf(shown) : 0;
  return { line, column: Math.max(0, at < 0 ? caret : at + caret - cut) + 1 };
}
