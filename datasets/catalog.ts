// The DuckDB catalog file: durable tables plus views over every run's Parquet.
//
// Ownership: DuckDB lets one process at a time open a file for writing. mnemo
// never holds the catalog open for long: work on it comes in short units
// (usually one transaction), each opening and closing the file, so a long run
// does not lock out `mnemo sql` or the workbench for more than moments. Only
// where a caller allows it (keepCatalogsOpen) does the file stay open between
// units, until KEEP_OPEN_IDLE_MS pass without one. A process that finds the
// file locked waits briefly, then fails with a message naming the holder
// (catalog.holder.json beside it says who writes and why); it never crashes or
// leaves a corrupt file.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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

/**
 * How long an idle catalog stays open for the next unit of work, where that is
 * allowed. Opening it costs about 40 ms here (more as runs accumulate: DuckDB
 * loads every run's views) and closing it (a checkpoint) 13-28 ms, and a run
 * makes 25 units of work even when it reuses every node: opening and closing
 * around each one was half of such a run's 3.2 s.
 */
export const KEEP_OPEN_IDLE_MS = 200;

/**
 * Whether Catalog.with may keep the file open between units (off by default).
 * A timer closes an idle catalog, and no timer fires while JavaScript runs, so
 * only a caller that knows no long synchronous work (clustering, a report)
 * runs meanwhile may allow it: the executor, for `mnemo run`, between the
 * nodes it computes. Turning it off closes what is kept.
 */
let keepOpenAllowed = false;

export function keepCatalogsOpen(allowed: boolean): void {
  keepOpenAllowed = allowed;
  if (!allowed) closeKeptCatalogs();
}

let opens = 0;

/** How many times this process has opened a catalog file (for benchmarks and tests). */
export function catalogOpens(): number {
  return opens;
}

/** Closes every catalog this process keeps open. */
export function closeKeptCatalogs(): void {
  for (const path of [...keptOpen.keys()]) closeKeptCatalog(path);
}

/** The catalog this process keeps open between units of work, by resolved path (see Catalog.with). */
interface KeptCatalog {
  catalog: Catalog;
  /** The file it opened: a catalog deleted or replaced meanwhile (a test's temporary folder) is not reused. */
  identity: string;
  timer: NodeJS.Timeout;
}
const keptOpen = new Map<string, KeptCatalog>();

function fileIdentity(path: string): string | null {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/** Closes the catalog this process keeps open at path, if any (before another kind of open of the same file). */
export function closeKeptCatalog(path: string): void {
  const key = resolve(path);
  const kept = keptOpen.get(key);
  if (!kept) return;
  keptOpen.delete(key);
  clearTimeout(kept.timer);
  closeQuietly(kept.catalog);
}

function closeQuietly(catalog: Catalog): void {
  try {
    catalog.close();
  } catch {
    // Its folder may be gone (a test's temporary data folder); committed work is already in the WAL.
  }
}

let closesAtExit = false;

export class Catalog {
  private constructor(readonly path: string, readonly connection: DuckDBConnection, private readonly instance: DuckDBInstance, private readonly writable: boolean) {}

  /**
   * Opens the catalog, creating and migrating it when writable. Close it with
   * `close()`. Prefer `with`, which also keeps this process's opens in turn
   * and keeps the file open between units of work.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Catalog> {
    closeKeptCatalog(path); // two instances of one process on one file do not exclude each other
    return Catalog.#open(path, options);
  }

  static async #open(path: string, options: OpenOptions): Promise<Catalog> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !existsSync(path)) throw new NoCatalogError(`no mnemo catalog at ${path}: run \`mnemo run\` first`);
    if (!readOnly) mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + (options.lockTimeoutMs ?? 15_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const instance = await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
        opens++;
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

  /**
   * Runs `work` on the open catalog, in turn with this process's other units
   * of work, and closes it; or, while keepCatalogsOpen allows it, keeps it open
   * for the next unit until KEEP_OPEN_IDLE_MS pass without one (closed at once
   * when `work` fails), so a burst of units pays for one open and one
   * checkpoint. A kept writable instance also serves read-only work.
   */
  static with<T>(path: string, options: OpenOptions, work: (catalog: Catalog) => Promise<T>): Promise<T> {
    return withCatalogLock(path, async () => {
      const catalog = await Catalog.#acquire(path, options);
      let failed = true;
      try {
        const result = await work(catalog);
        failed = false;
        return result;
      } finally {
        if (failed) closeQuietly(catalog); // the error from `work` is the one to report
        else if (keepOpenAllowed) Catalog.#keep(catalog);
        else catalog.close();
      }
    });
  }

  static async #acquire(path: string, options: OpenOptions): Promise<Catalog> {
    const key = resolve(path);
    const kept = keptOpen.get(key);
    if (kept) {
      keptOpen.delete(key);
      clearTimeout(kept.timer);
      if ((kept.catalog.writable || options.readOnly) && fileIdentity(path) === kept.identity) {
        if (kept.catalog.writable) writeHolder(path, options.purpose);
        return kept.catalog;
      }
      closeQuietly(kept.catalog);
    }
    return Catalog.#open(path, options);
  }

  static #keep(catalog: Catalog): void {
    const identity = fileIdentity(catalog.path);
    if (identity === null) return closeQuietly(catalog);
    const key = resolve(catalog.path);
    const timer = setTimeout(() => {
      if (keptOpen.get(key)?.catalog !== catalog) return;
      keptOpen.delete(key);
      closeQuietly(catalog);
    }, KEEP_OPEN_IDLE_MS);
    timer.unref(); // an idle catalog never keeps the process alive; the exit hook closes it
    keptOpen.set(key, { catalog, identity, timer });
    if (!closesAtExit) {
      closesAtExit = true;
      process.once('exit', closeKeptCatalogs);
    }
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
        if (migration.sql.trim()) await connection.run(migration.sql);
        await migration.apply?.(connection);
        await connection.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.description]);
      });
    }
  }
}
