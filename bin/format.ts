// Printing query results for people (aligned table) and programs (JSON, CSV).
import { once, type EventEmitter } from 'node:events';

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return String(value);
}

/** An aligned table; `total` > rows.length says that only the first rows are shown. */
export function formatTable(columns: string[], rows: Record<string, unknown>[], total = rows.length): string {
  const cells = rows.map((row) => columns.map((column) => formatValue(row[column]).replace(/\n/g, ' ')));
  // A loop, not Math.max(...cells): spreading 150,000 values overflows the stack.
  const widths = columns.map((column) => column.length);
  for (const row of cells) row.forEach((cell, index) => (widths[index] = Math.max(widths[index]!, cell.length)));
  for (let index = 0; index < widths.length; index++) widths[index] = Math.min(60, widths[index]!);
  const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const lines = [columns.map((column, index) => clip(column, widths[index]!)).join('  '), widths.map((width) => '-'.repeat(width)).join('  ')];
  for (const row of cells) lines.push(row.map((cell, index) => clip(cell, widths[index]!)).join('  ').trimEnd());
  lines.push(`(${total.toLocaleString('en-US')} row${total === 1 ? '' : 's'})`);
  if (total > rows.length) lines.push(`... ${(total - rows.length).toLocaleString('en-US')} more rows not shown; use --csv, --jsonl or --out FILE`);
  return lines.join('\n');
}

const jsonValue = (_: string, value: unknown) => (typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value);

export function toJson(rows: Record<string, unknown>[]): string {
  return JSON.stringify(rows, jsonValue, 2);
}

const csvLine = (values: string[]) => values.map((text) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)).join(',');

export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return [csvLine(columns), ...rows.map((row) => csvLine(columns.map((column) => formatValue(row[column]))))].join('\n');
}

// Streaming: rows arrive in batches (a query result read chunk by chunk) and
// leave as text at once, so no output needs the whole result in memory.

export interface RowBatches {
  columns: string[];
  batches: AsyncIterable<{ size: number; rows(): Record<string, unknown>[] }>;
}

/** Writes text to a stream, waiting whenever the stream asks to (a slow pipe or disk). */
export function writerTo(stream: NodeJS.WritableStream): (text: string) => Promise<void> {
  return async (text) => {
    if (!stream.write(text)) await once(stream as EventEmitter, 'drain');
  };
}

/** Writes rows as they come: CSV, JSON lines, or one JSON array. Returns how many rows. */
export async function writeRows(format: 'csv' | 'jsonl' | 'json', { columns, batches }: RowBatches, write: (text: string) => Promise<void>): Promise<number> {
  let count = 0;
  if (format === 'csv') await write(`${csvLine(columns)}\n`);
  if (format === 'json') await write('[');
  for await (const batch of batches) {
    let text = '';
    for (const row of batch.rows()) {
      if (format === 'csv') text += `${csvLine(columns.map((column) => formatValue(row[column])))}\n`;
      else if (format === 'jsonl') text += `${JSON.stringify(row, jsonValue)}\n`;
      else text += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(row, jsonValue)}`;
      count++;
    }
    await write(text);
  }
  if (format === 'json') await write(count > 0 ? '\n]\n' : ']\n');
  return count;
}

/** The first `limit` rows as a table; the rest are only counted. */
export async function formatTableOf({ columns, batches }: RowBatches, limit = 1000): Promise<string> {
  const shown: Record<string, unknown>[] = [];
  let total = 0;
  for await (const batch of batches) {
    if (shown.length < limit) for (const row of batch.rows().slice(0, limit - shown.length)) shown.push(row);
    total += batch.size;
  }
  return formatTable(columns, shown, total);
}

/** A sweep's settings side by side, the best one and how to apply it. */
export function formatSweep(result: import('../app/sweeps.ts').SweepResult): string {
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  const table = formatTable(
    ['setting', 'run', 'clusters', 'strangers', 'f1', 'ari', 'person_f1'],
    result.rows.map((row) => ({
      setting: row.setting, run: row.status === 'succeeded' ? row.runId : `${row.runId} failed: ${row.message}`, clusters: row.clusters,
      strangers: fixed(row.strangersShare), f1: fixed(row.f1), ari: fixed(row.ari), person_f1: fixed(row.personF1),
    })),
  );
  const best = result.best
    ? `best: ${result.best.setting} (run ${result.best.runId}, F1 ${fixed(result.best.f1)}, strangers ${fixed(result.best.strangersShare)}); apply with: mnemo run ${result.best.setting.split(' ').map((s) => `--set ${s}`).join(' ')}`
    : 'best: - (no setting could be scored)';
  return [
    `sweep ${result.sweepId}: nodes ${result.nodes.join(', ')}; f1 / ari = clusters ${result.reference}; person_f1 = person assignment`,
    table,
    best,
    'latest.* still points at the last full run; query a setting as run<ID>.clusters',
  ].join('\n');
}
