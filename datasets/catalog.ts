// The DuckDB catalog file: durable tables plus views over every run's Parquet.
//
// Ownership: DuckDB lets one process at a time open a file for writing. mnemo
// never holds the catalog open for long: each command opens it, does one short
// unit of work (usually one transaction) and closes it, so a long run does not
// lock out `mnemo sql` or the workbench for more than moments. A process that
// finds the file locked waits briefly, then fails with a message naming the
// holder; it never crashes or leaves a corrupt file.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { withCatalogLock } from './catalog-lock.ts';
import { MIGRATIONS } from './migrations.ts';
import { plainRows } from './schema.ts';

export class CatalogBusyError extends Error {
  override name = 'CatalogBusyError';
}

export interface OpenOptions {
  readOnly?: boolean;
  /** How long to wait for another process to release the file. */
  lockTimeoutMs?: number;
}

const LOCK_PATTERN = /Could not set lock on file|Conflicting lock/i;

export class Catalog {
  private constructor(readonly path: string, readonly connection: DuckDBConnection, private readonly instance: DuckDBInstance) {}

  /**
   * Opens the catalog, creating and migrating it when writable. Close it with
   * `close()`. Prefer `with`, which also keeps this process's opens in turn.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Catalog> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !existsSync(path)) throw new Error(`no mnemo catalog at ${path}: run \`mnemo run\` first`);
    if (!readOnly) mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + (options.lockTimeoutMs ?? 15_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const instance = await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
        const catalog = new Catalog(path, await instance.connect(), instance);
        if (!readOnly) await catalog.migrate();
        return catalog;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!LOCK_PATTERN.test(message)) throw error;
        if (Date.now() >= deadline) {
          const holder = /PID (\d+)/.exec(message)?.[1];
          throw new CatalogBusyError(
            `the catalog ${path} is being written by another process${holder ? ` (PID ${holder})` : ''}; ` +
              'only one process may write it at a time. Wait for it to finish and try again.',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500)));
      }
    }
  }

  /** Opens, runs `work`, and always closes. */
  static with<T>(path: string, options: OpenOptions, work: (catalog: Catalog) => Promise<T>): Promise<T> {
    return withCatalogLock(path, async () => {
      const catalog = await Catalog.open(path, options);
      try {
        return await work(catalog);
      } finally {
        catalog.close();
      }
    });
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** Runs `work` in one transaction: all of it lands, or none of it. */
  async transaction<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await work(this.connection);
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  async rows<T = Record<string, unknown>>(sql: string, values?: Record<string, unknown> | unknown[]): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, values as never);
    return plainRows<T>(reader.getRowObjectsJS() as Record<string, unknown>[]);
  }

  private async migrate(): Promise<void> {
    await this.connection.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)');
    const applied = new Set((await this.rows<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await this.transaction(async (connection) => {
        await connection.run(migration.sql);
        await connection.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.description]);
      });
    }
  }
}
