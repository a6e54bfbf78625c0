// The durable (source, path, size, mtime) -> SHA-256 cache in the catalog,
// shared by hash and import: a file whose size and mtime did not change is
// never read again.
// It has no code version and hash/import declare no cacheKeys for it, on
// purpose: SHA-256 of the bytes never changes, so no upgrade can make an entry
// stale; only the file can, and size + mtime are its key.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Catalog } from './catalog.ts';
import { quoteString } from './schema.ts';

export interface CachedHash {
  source: string;
  path: string;
  size: number;
  mtime_ms: number;
  sha256: string;
}

/** Cache rows by `${source}\0${path}`, for all sources or the ones named. */
export async function readHashCache(catalog: Catalog, sources?: string[]): Promise<Map<string, CachedHash>> {
  const where = sources ? `WHERE source IN (${sources.length ? sources.map(quoteString).join(', ') : 'NULL'})` : '';
  const rows = await catalog.rows<CachedHash>(`SELECT source, path, size, mtime_ms, sha256 FROM hash_cache ${where}`);
  return new Map(rows.map((row) => [`${row.source}\0${row.path}`, { ...row, size: Number(row.size) }]));
}

/** Upserts fresh hashes inside the caller's transaction (staged in a temp table: one statement). */
export async function upsertHashCache(connection: DuckDBConnection, rows: readonly CachedHash[]): Promise<void> {
  if (rows.length === 0) return;
  await connection.run('CREATE TEMP TABLE fresh_hashes (source VARCHAR, path VARCHAR, size BIGINT, mtime_ms DOUBLE, sha256 VARCHAR)');
  const appender = await connection.createAppender('fresh_hashes', 'main', 'temp');
  for (const row of rows) {
    appender.appendVarchar(row.source);
    appender.appendVarchar(row.path);
    appender.appendBigInt(BigInt(row.size));
    appender.appendDouble(row.mtime_ms);
    appender.appendVarchar(row.sha256);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run('INSERT OR REPLACE INTO hash_cache SELECT * FROM temp.fresh_hashes');
  await connection.run('DROP TABLE temp.fresh_hashes');
}
