// The store: one data folder holding the DuckDB catalog and every run's
// Parquet tables at runs/<run_id>/<node>/<table>.parquet. Per-run tables are
// immutable once written; durable tables live in the catalog.
import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Catalog, type OpenOptions } from './catalog.ts';
import { latestRunId, MARK_ABANDONED_RUNS_SQL } from './run-registry.ts';
import { quoteIdent, quoteString } from './schema.ts';

export interface NodeOutcome {
  node: string;
  type: string;
  version: string;
  status: 'done' | 'reused' | 'failed' | 'skipped';
  fingerprint: string;
  reusedFrom: number | null;
  startedAt: number;
  finishedAt: number;
  rowsWritten: number;
  /** table name -> Parquet path relative to the data dir */
  outputs: Record<string, string>;
  metadata: Record<string, unknown>;
  message: string | null;
}

export interface ItemError {
  item: string | null;
  message: string;
}

export interface RunRecord {
  run_id: number;
  started_at: Date | string;
  finished_at: Date | string | null;
  status: string;
  spec: string;
  config_path: string | null;
  pid: number | null;
  message: string | null;
  tags: string | null;
}

export class Store {
  readonly dataDir: string;
  readonly catalogPath: string;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    this.catalogPath = join(this.dataDir, 'catalog.duckdb');
  }

  tablePath(runId: number, node: string, table: string): string {
    return join(this.dataDir, 'runs', String(runId), node, `${table}.parquet`);
  }

  cacheDir(name: string): string {
    return join(this.dataDir, 'cache', name);
  }

  absolute(pathInDataDir: string): string {
    return isAbsolute(pathInDataDir) ? pathInDataDir : join(this.dataDir, pathInDataDir);
  }

  relative(path: string): string {
    return relative(this.dataDir, path);
  }

  /** One short unit of work on the catalog (opened and closed around it). */
  write<T>(work: (catalog: Catalog) => Promise<T>, options: OpenOptions = {}): Promise<T> {
    return Catalog.with(this.catalogPath, { ...options, readOnly: false }, work);
  }

  read<T>(work: (catalog: Catalog) => Promise<T>, options: OpenOptions = {}): Promise<T> {
    return Catalog.with(this.catalogPath, { ...options, readOnly: true }, work);
  }

  exists(): boolean {
    return existsSync(this.catalogPath);
  }

  /**
   * A cheap fingerprint of the catalog's files: every write (a decision, a
   * run's progress) changes the size or mtime of the database file or its
   * WAL. Readers keep what they read under it instead of opening the catalog
   * (about 33 ms) to find nothing changed.
   */
  stamp(): string {
    const part = (path: string) => {
      try {
        const stat = statSync(path, { bigint: true });
        return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
      } catch {
        return '-';
      }
    };
    return `${part(this.catalogPath)}|${part(`${this.catalogPath}.wal`)}`;
  }

  /** Registers a new run (abandoned 'running' runs become 'interrupted' first). Call with the run lock held. */
  async startRun(spec: unknown, configPath: string | null, tags: Record<string, unknown> = {}): Promise<number> {
    return this.write((catalog) =>
      catalog.transaction(async (connection) => {
        await this.refreshViewsIfMoved(catalog);
        const [{ next }] = await catalog.rows<{ next: number }>('SELECT coalesce(max(run_id), 0) + 1 AS next FROM runs');
        await connection.run(MARK_ABANDONED_RUNS_SQL, [next!]);
        await connection.run(
          "INSERT INTO runs (run_id, started_at, status, spec, config_path, pid, tags) VALUES ($1, now(), 'running', $2, $3, $4, $5)",
          [next!, JSON.stringify(spec), configPath, process.pid, JSON.stringify(tags)],
        );
        return next!;
      }),
      { purpose: 'registering a new run' },
    );
  }

  /**
   * Points the stored `latest.*` views at this data folder if it was moved
   * since they were made (a run does this as it starts; the workbench as it
   * starts, since its pages read `latest.*` over the catalog). A no-op otherwise.
   */
  async followMovedDataFolder(): Promise<void> {
    await this.write((catalog) => catalog.transaction(() => this.refreshViewsIfMoved(catalog)), { purpose: 'pointing latest.* at the moved data folder' });
  }

  /** Marks an interrupted run as running again under this process (for --resume); other abandoned runs become 'interrupted'. */
  async reopenRun(runId: number): Promise<void> {
    await this.write((catalog) =>
      catalog.transaction(async (connection) => {
        await connection.run(MARK_ABANDONED_RUNS_SQL, [runId]);
        await connection.run("UPDATE runs SET status = 'running', pid = $1, finished_at = NULL, message = NULL WHERE run_id = $2", [process.pid, runId]);
      }),
    );
  }

  /**
   * Records a finished node in one transaction: its row (with its tables, which
   * `run<ID>.*` in SQL reads: run-views.ts), its item errors and the node's own
   * durable updates (`commit`). A run killed before this point has simply not
   * completed the node.
   */
  async completeNode(runId: number, outcome: NodeOutcome, errors: ItemError[], commit?: (connection: DuckDBConnection) => Promise<void>): Promise<void> {
    await this.write((catalog) =>
      catalog.transaction(async (connection) => {
        await connection.run('DELETE FROM run_nodes WHERE run_id = $1 AND node = $2', [runId, outcome.node]);
        await connection.run('DELETE FROM errors WHERE run_id = $1 AND node = $2', [runId, outcome.node]);
        await connection.run(
          `INSERT INTO run_nodes VALUES ($1, $2, $3, $4, $5, $6, $7, make_timestamp($8::BIGINT * 1000), make_timestamp($9::BIGINT * 1000), $10, $11, $12, $13, $14, $15)`,
          [
            runId, outcome.node, outcome.type, outcome.version, outcome.status, outcome.fingerprint, outcome.reusedFrom,
            outcome.startedAt, outcome.finishedAt, outcome.finishedAt - outcome.startedAt, outcome.rowsWritten, errors.length,
            JSON.stringify(outcome.outputs), JSON.stringify(outcome.metadata), outcome.message,
          ],
        );
        if (errors.length > 0) {
          const appender = await connection.createAppender('errors');
          const now = BigInt(Date.now()) * 1000n;
          for (const error of errors) {
            appender.appendInteger(runId);
            appender.appendVarchar(outcome.node);
            if (error.item === null) appender.appendNull();
            else appender.appendVarchar(error.item);
            appender.appendVarchar(error.message);
            appender.appendTimestamp(timestampValue(now));
            appender.endRow();
          }
          appender.closeSync();
        }
        if (commit) await commit(connection);
      }),
      { purpose: `committing node ${outcome.node} of run ${runId}` },
    );
  }

  async failNode(runId: number, outcome: NodeOutcome, errors: ItemError[]): Promise<void> {
    await this.completeNode(runId, { ...outcome, outputs: {} }, errors);
  }

  async finishRun(runId: number, status: 'succeeded' | 'failed', message: string | null, updateLatest = true): Promise<void> {
    await this.write((catalog) =>
      catalog.transaction(async (connection) => {
        await connection.run('UPDATE runs SET status = $1, finished_at = now(), message = $2 WHERE run_id = $3', [status, message, runId]);
        if (status === 'succeeded' && updateLatest) await this.pointLatestAt(connection, runId);
      }),
      { purpose: `finishing run ${runId}` },
    );
  }

  /** A completed output with this fingerprint whose Parquet files still exist, newest first. */
  async findReusable(catalog: Catalog, fingerprint: string): Promise<{ runId: number; outputs: Record<string, string>; rowsWritten: number; metadata: Record<string, unknown> } | null> {
    const rows = await catalog.rows<{ run_id: number; outputs: string; rows_written: bigint | number; metadata: string }>(
      "SELECT run_id, outputs, rows_written, metadata FROM run_nodes WHERE fingerprint = $1 AND status IN ('done', 'reused') ORDER BY run_id DESC",
      [fingerprint],
    );
    for (const row of rows) {
      const outputs = JSON.parse(row.outputs) as Record<string, string>;
      if (Object.values(outputs).every((path) => existsSync(this.absolute(path)))) {
        return { runId: row.run_id, outputs, rowsWritten: Number(row.rows_written ?? 0), metadata: JSON.parse(row.metadata ?? '{}') };
      }
    }
    return null;
  }

  private async createLatestViews(connection: DuckDBConnection, outputs: Record<string, string>): Promise<void> {
    for (const [table, path] of Object.entries(outputs)) {
      await connection.run(`CREATE OR REPLACE VIEW latest.${quoteIdent(table)} AS SELECT * FROM read_parquet(${quoteString(this.absolute(path))})`);
    }
  }

  /** `latest.<table>` = the newest successful run's tables. */
  private async pointLatestAt(connection: DuckDBConnection, runId: number): Promise<void> {
    await connection.run('DROP SCHEMA IF EXISTS latest CASCADE');
    await connection.run('CREATE SCHEMA latest');
    const reader = await connection.runAndReadAll('SELECT outputs FROM run_nodes WHERE run_id = $1', [runId]);
    for (const row of reader.getRowObjectsJS() as { outputs: string }[]) {
      await this.createLatestViews(connection, JSON.parse(row.outputs));
    }
    await connection.run(`CREATE VIEW latest.errors AS SELECT * FROM main.errors WHERE run_id = ${runId}`);
    await connection.run("INSERT OR REPLACE INTO meta VALUES ('latest_run', $1)", [String(runId)]);
  }

  /** `latest.*` views hold absolute paths: if the data folder was moved, point them at the new place. */
  private async refreshViewsIfMoved(catalog: Catalog): Promise<void> {
    const [row] = await catalog.rows<{ value: string }>("SELECT value FROM meta WHERE key = 'data_dir'");
    if (row?.value === this.dataDir) return;
    const latest = await latestRunId(catalog);
    if (latest !== null) await this.pointLatestAt(catalog.connection, latest);
    await catalog.connection.run("INSERT OR REPLACE INTO meta VALUES ('data_dir', $1)", [this.dataDir]);
  }
}
