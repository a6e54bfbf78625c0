// Column schemas for per-run tables. A node declares its output tables with
// these; the store writes them to Parquet with exactly these DuckDB types.

export type ScalarColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'FLOAT' | 'BOOLEAN' | 'TIMESTAMP' | 'BLOB';
export type ListColumnType = 'VARCHAR[]' | 'DOUBLE[]' | 'FLOAT[]' | 'INTEGER[]';
/** Fixed-size float arrays (embeddings), e.g. FLOAT[512]. */
export type ArrayColumnType = `FLOAT[${number}]`;
export type ColumnType = ScalarColumnType | ListColumnType | ArrayColumnType;

export interface TableSchema {
  description: string;
  columns: Record<string, ColumnType>;
}

/** A row as nodes produce it: TIMESTAMP as epoch milliseconds, BIGINT as number or bigint. */
export type Row = Record<string, unknown>;

export function columnList(schema: TableSchema): string {
  return Object.entries(schema.columns).map(([name, type]) => `${quoteIdent(name)} ${type}`).join(', ');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The fixed length of an ARRAY column type, or null for other types. */
export function fixedArrayLength(type: ColumnType): number | null {
  const match = /^FLOAT\[(\d+)\]$/.exec(type);
  return match ? Number(match[1]) : null;
}

/** DuckDB returns BIGINT (count(*), sums) as bigint; numbers are what callers want when exact. */
export function plainRows<T>(rows: Record<string, unknown>[]): T[] {
  for (const row of rows) {
    for (const key in row) {
      const value = row[key];
      if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) row[key] = Number(value);
    }
  }
  return rows as T[];
}
