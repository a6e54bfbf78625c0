// Writes per-run tables as Parquet through an in-memory DuckDB: rows go in
// with an appender (bulk, typed), COPY writes a temporary file, and a rename
// makes it visible (atomic-file.ts), so a killed process never leaves a
// half-written table.
import { blobValue, DuckDBDataChunk, DuckDBInstance, listValue, timestampValue, type DuckDBAppender, type DuckDBArrayType, type DuckDBConnection, type DuckDBListType, type DuckDBValue } from '@duckdb/node-api';
import duckdbBindings from '@duckdb/node-bindings';
import { withTemporaryPath } from './atomic-file.ts';
import { columnList, fixedArrayLength, plainRows, quoteIdent, quoteString, type ColumnType, type Row, type TableSchema } from './schema.ts';

let scratch: Promise<DuckDBInstance> | undefined;

/**
 * A new connection to the process-wide in-memory DuckDB (staging rows,
 * reading Parquet; never the catalog file). One per operation: nodes run side
 * by side, and one connection must not run two queries at once. Close it.
 */
export async function scratchConnection(): Promise<DuckDBConnection> {
  scratch ??= DuckDBInstance.create(':memory:');
  return (await scratch).connect();
}

async function withScratch<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const connection = await scratchConnection();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
  }
}

let tableCounter = 0;

/** Writes rows to `path` atomically (temporary name in the same folder, then rename). Returns the row count. */
export function writeParquet(path: string, schema: TableSchema, rows: Iterable<Row>): Promise<number> {
  return withScratch((connection) => writeRows(connection, path, schema, rows));
}

async function writeRows(connection: DuckDBConnection, path: string, schema: TableSchema, rows: Iterable<Row>): Promise<number> {
  const staging = `staging_${process.pid}_${++tableCounter}`;
  await connection.run(`CREATE TABLE ${staging} (${columnList(schema)})`);
  try {
    const appender = await connection.createAppender(staging);
    const columns = Object.entries(schema.columns);
    let count = 0;
    for (const row of rows) {
      columns.forEach(([name, type], index) => appendValue(appender, index, type, row[name], name));
      appender.endRow();
      count++;
    }
    appender.closeSync();
    await withTemporaryPath(path, (temporary) => connection.run(`COPY ${staging} TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`));
    return count;
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${staging}`);
  }
}

function appendValue(appender: DuckDBAppender, index: number, type: ColumnType, value: unknown, column: string): void {
  if (value === null || value === undefined) return appender.appendNull();
  switch (type) {
    case 'VARCHAR': return appender.appendVarchar(String(value));
    case 'BIGINT': return appender.appendBigInt(typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))));
    case 'INTEGER': return appender.appendInteger(Number(value));
    case 'DOUBLE': return appender.appendDouble(Number(value));
    case 'FLOAT': return appender.appendFloat(Number(value));
    case 'BOOLEAN': return appender.appendBoolean(Boolean(value));
    case 'TIMESTAMP': return appender.appendTimestamp(timestampValue(BigInt(Math.round(Number(value) * 1000))));
    case 'BLOB': return appender.appendBlob(value as Uint8Array);
    default: {
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new TypeError(`column ${column}: expected a list for ${type}`);
      const items = Array.from(value as ArrayLike<unknown>) as (string | number)[];
      const length = fixedArrayLength(type);
      if (length !== null) {
        if (items.length !== length) throw new TypeError(`column ${column}: expected ${length} values, got ${items.length}`);
        return appender.appendArray(items, appender.columnType(index) as DuckDBArrayType);
      }
      return appender.appendList(items, appender.columnType(index) as DuckDBListType);
    }
  }
}

export { quoteIdent };

/** Runs a query on the scratch DuckDB (use read_parquet on input paths); small and medium results. */
export function queryRows<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]> {
  return withScratch(async (connection) => {
    const reader = await connection.runAndReadAll(sql, values as never);
    return plainRows<T>(reader.getRowObjectsJS() as Record<string, unknown>[]);
  });
}

/** `read_parquet('<path>')` for SQL text. */
export function parquetSource(path: string): string {
  return `read_parquet(${quoteString(path)})`;
}

/**
 * Column-oriented rows: scalar and list columns as arrays of values, FLOAT[n]
 * columns as one packed Float32Array of rowCount * n values.
 */
export type Columns = Record<string, readonly unknown[] | Float32Array>;

const CHUNK_ROWS = 2048; // DuckDB's vector size

/**
 * Bulk write through DuckDB data chunks: embeddings are copied into the array
 * vectors' child data in one memcpy per chunk, about 50x faster than
 * appending FLOAT[512] values row by row.
 */
export function writeParquetColumns(path: string, schema: TableSchema, columns: Columns, rowCount: number): Promise<number> {
  return withScratch((connection) => writeColumns(connection, path, schema, columns, rowCount));
}

async function writeColumns(connection: DuckDBConnection, path: string, schema: TableSchema, columns: Columns, rowCount: number): Promise<number> {
  const staging = `staging_${process.pid}_${++tableCounter}`;
  await connection.run(`CREATE TABLE ${staging} (${columnList(schema)})`);
  try {
    const appender = await connection.createAppender(staging);
    const entries = Object.entries(schema.columns);
    const types = entries.map((_, index) => appender.columnType(index));
    for (const [name, type] of entries) {
      const column = columns[name];
      const width = fixedArrayLength(type);
      if (!column) throw new TypeError(`column ${name} is missing`);
      const expected = width === null ? rowCount : rowCount * width;
      if (column.length !== expected) throw new TypeError(`column ${name}: expected ${expected} values, got ${column.length}`);
    }
    for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
      const size = Math.min(CHUNK_ROWS, rowCount - start);
      const chunk = DuckDBDataChunk.create(types, size);
      entries.forEach(([name, type], index) => {
        const column = columns[name]!;
        const width = fixedArrayLength(type);
        if (width !== null) {
          const floats = column instanceof Float32Array ? column : Float32Array.from(column as number[]);
          const child = duckdbBindings.array_vector_get_child(duckdbBindings.data_chunk_get_vector(chunk.chunk, index));
          duckdbBindings.copy_data_to_vector(child, 0, floats.buffer as ArrayBuffer, floats.byteOffset + start * width * 4, size * width * 4);
        } else {
          const values: DuckDBValue[] = new Array(size);
          for (let row = 0; row < size; row++) values[row] = toDuckValue(type, (column as readonly unknown[])[start + row]);
          chunk.setColumnValues(index, values);
        }
      });
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    await withTemporaryPath(path, (temporary) => connection.run(`COPY ${staging} TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`));
    return rowCount;
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${staging}`);
  }
}

function toDuckValue(type: ColumnType, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'VARCHAR': return String(value);
    case 'BIGINT': return typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
    case 'INTEGER': case 'DOUBLE': case 'FLOAT': return Number(value);
    case 'BOOLEAN': return Boolean(value);
    case 'TIMESTAMP': return timestampValue(BigInt(Math.round(Number(value) * 1000)));
    case 'BLOB': return blobValue(value as Uint8Array);
    default: return listValue(Array.from(value as ArrayLike<string | number>));
  }
}

/**
 * COPY (query) to Parquet atomically, casting to the declared schema so the
 * table's columns and types are exactly what the node declares.
 */
export function copyQueryToParquet(path: string, schema: TableSchema, sql: string): Promise<number> {
  return withScratch((connection) => copyQuery(connection, path, schema, sql));
}

async function copyQuery(connection: DuckDBConnection, path: string, schema: TableSchema, sql: string): Promise<number> {
  const select = Object.entries(schema.columns).map(([name, type]) => `CAST(${quoteIdent(name)} AS ${type}) AS ${quoteIdent(name)}`).join(', ');
  const reader = await withTemporaryPath(path, (temporary) =>
    connection.runAndReadAll(`COPY (SELECT ${select} FROM (${sql})) TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`),
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
