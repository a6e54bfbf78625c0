// Printing query results for people (aligned table) and programs (JSON, CSV).

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return String(value);
}

export function formatTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cells = rows.map((row) => columns.map((column) => formatValue(row[column]).replace(/\n/g, ' ')));
  const widths = columns.map((column, index) => Math.min(60, Math.max(column.length, ...cells.map((row) => row[index]!.length))));
  const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const lines = [columns.map((column, index) => clip(column, widths[index]!)).join('  '), widths.map((width) => '-'.repeat(width)).join('  ')];
  for (const row of cells) lines.push(row.map((cell, index) => clip(cell, widths[index]!)).join('  ').trimEnd());
  lines.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}

export function toJson(rows: Record<string, unknown>[]): string {
  return JSON.stringify(rows, (_, value) => (typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value), 2);
}

export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const escape = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return [columns.map(escape).join(','), ...rows.map((row) => columns.map((column) => escape(formatValue(row[column]))).join(','))].join('\n');
}
