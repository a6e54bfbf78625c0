// The DuckDB catalog file: durable tables plus views over every run's Parquet.
//
// Ownership: DuckDB lets one process at a time open a file for writing. mnemo
// never holds the catalog open for long: each command opens it, does one short
// unit of work (usually one transaction) and closes it, so a long run does not
// lock out `mnemo sql` or the workbench for more than moments. A process that
// finds the file locked waits briefly, then fails with a message naming the
// holder (catalog.holder.json beside it says who writes and why); it never
// crashes or leaves a corrupt file.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { withCatalogLock } from './catalog-lock.ts';
import { MIGRATIONS } from './migrations.ts';
import { plainRows } from './schema.ts';

/** The data folder has no catalog yet (nothing has run there). */
export class NoCatalogError extends Error {
  override name = 'NoCatalogError';
}

export class CatalogBusyError extends Error {
  override name = 'CatalogBusyError';
}

export interface OpenOptions {
  readOnly?: boolean;
  /** How long to wait for another process to release the file. */
  lockTimeoutMs?: number;
  /** What a writer is doing, for the busy message others get (default: the command line). */
  purpose?: string;
}

const LOCK_PATTERN = /Could not set lock on file|Conflicting lock/i;

export const isCatalogLockError = (message: string) => LOCK_PATTERN.test(message);

/**
 * Who writes the catalog: a small file beside it, written by the process that
 * holds it writable and removed when it closes it. DuckDB's lock error names
 * only a PID; this says what that process is and what it is doing.
 */
interface HolderRecord {
  pid: number;
  command: string;
  purpose: string;
  since: string;
}

export const holderPath = (catalogPath: string) => join(dirname(catalogPath), 'catalog.holder.json');

function commandLine(): string {
  const [, script = '', ...args] = process.argv;
  const name = !script ? basename(process.execPath) : basename(script) === 'mnemo.js' ? 'mnemo' : basename(script);
  return [name, ...args].join(' ');
}

function writeHolder(catalogPath: string, purpose: string | undefined): void {
  const record: HolderRecord = { pid: process.pid, command: commandLine(), purpose: purpose ?? '', since: new Date().toISOString() };
  try {
    writeFileSync(holderPath(catalogPath), JSON.stringify(record));
  } catch {
    // Only a nicer busy message for others depends on it.
  }
}

function removeHolder(catalogPath: string): void {
  try {
    const record = JSON.parse(readFileSync(holderPath(catalogPath), 'utf8')) as HolderRecord;
    if (record.pid === process.pid) rmSync(holderPath(catalogPath), { force: true });
  } catch {
    // absent or unreadable: nothing of ours to remove
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live writer's record, if the holder file names a running process (a dead one's file is stale). */
function readHolder(catalogPath: string): HolderRecord | null {
  try {
    const record = JSON.parse(readFileSync(holderPath(catalogPath), 'utf8')) as HolderRecord;
    return typeof record.pid === 'number' && alive(record.pid) ? record : null;
  } catch {
    return null;
  }
}

/** The error for a catalog another process holds, from DuckDB's lock message and the holder record. */
export function catalogBusyError(catalogPath: string, lockMessage: string): CatalogBusyError {
  const pid = Number(/PID (\d+)/.exec(lockMessage)?.[1]) || null;
  const holder = readHolder(catalogPath);
  let who: string;
  if (holder && (pid === null || holder.pid === pid)) {
    const since = new Date(holder.since).toTimeString().slice(0, 8);
    who = `in use by PID ${holder.pid} (\`${holder.command}\`${holder.purpose ? `, ${holder.purpose}` : ''}, since ${since})`;
  } else {
    // No record: a reader (mnemo show, runs, a SQL snapshot) or an older mnemo.
    who = `open in another process${pid ? ` (PID ${pid})` : ''}`;
  }
  return new CatalogBusyError(`the catalog ${catalogPath} is ${who}; only one process may write it at a time. Wait for it to finish and try again.`);
}

export class Catalog {
  private constructor(readonly path: string, readonly connection: DuckDBConnection, private readonly instance: DuckDBInstance, private readonly writable: boolean) {}

  /**
   * Opens the catalog, creating and migrating it when writable. Close it with
   * `close()`. Prefer `with`, which also keeps this process's opens in turn.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Catalog> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !existsSync(path)) throw new NoCatalogError(`no mnemo catalog at ${path}: run \`mnemo run\` first`);
    if (!readOnly) mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + (options.lockTimeoutMs ?? 15_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const instance = await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
        const catalog = new Catalog(path, await instance.connect(), instance, !readOnly);
        if (!readOnly) {
          writeHolder(path, options.purpose);
          await catalog.migrate().catch((error) => {
            catalog.close();
            throw error;
          });
        }
        return catalog;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!LOCK_PATTERN.test(message)) throw error;
        if (Date.now() >= deadline) throw catalogBusyError(path, message);
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
    if (this.writable) removeHolder(this.path);
  }

  /** Runs `work` in one transaction: all of it lands, or none of it. */
  async transaction<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await work(this.connection);
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      // DuckDB aborts a transaction itself on an I/O error (a full disk), and
      // then ROLLBACK fails with "no transaction is active": that must never
      // replace the error that caused it.
      await this.connection.run('ROLLBACK').catch(() => undefined);
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
