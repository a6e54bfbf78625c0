// Reads of the run registry (runs, run_nodes, errors): every query about runs
// lives here, so "latest", a run's tables and a run's nodes mean one thing
// for the engine, the CLI, the reports and the server.
//
// latest = the newest successful full run: the run `latest.*` points at
// (meta 'latest_run'). Partial runs (--only) and sweep runs never move it.
import type { Catalog } from './catalog.ts';
import { isAlive } from './run-lock.ts';

/** A run that cannot be resumed (none, succeeded, or still running): the user asked for something the state does not allow. */
export class NotResumableError extends Error {
  override name = 'NotResumableError';
}

export const LATEST_RUN_SQL = "SELECT value::INTEGER AS run_id FROM meta WHERE key = 'latest_run'";

export const LIST_RUNS_SQL = `
  SELECT r.run_id, r.status, strftime(r.started_at, '%Y-%m-%d %H:%M:%S') AS started,
    round(epoch(r.finished_at - r.started_at), 1) AS seconds,
    count(n.node) FILTER (WHERE n.status = 'done') AS computed,
    count(n.node) FILTER (WHERE n.status = 'reused') AS reused,
    (SELECT count(*) FROM errors e WHERE e.run_id = r.run_id) AS errors,
    r.message, r.tags, r.pid
  FROM runs r LEFT JOIN run_nodes n USING (run_id)
  GROUP BY ALL ORDER BY r.run_id`;

export const RUN_SQL = 'SELECT run_id, status, started_at, finished_at, message, config_path, pid, tags, spec FROM runs WHERE run_id = $1';

export const RUN_NODES_SQL = `
  SELECT node, type, version, status, reused_from, fingerprint, started_at, finished_at,
    round(duration_ms / 1000, 2) AS seconds, rows_written AS rows, error_count AS errors, outputs, metadata, message
  FROM run_nodes WHERE run_id = $1 ORDER BY started_at, node`;

export const RUN_ERRORS_SQL = 'SELECT node, item, message FROM errors WHERE run_id = $1 ORDER BY node, item LIMIT $2';

export const RUN_ERROR_COUNTS_SQL = 'SELECT node, count(*) AS errors FROM errors WHERE run_id = $1 GROUP BY node ORDER BY node';

/** The completed outputs of a run: one row per node, outputs as JSON (table -> path in the data folder). */
export const RUN_OUTPUTS_SQL = "SELECT node, outputs FROM run_nodes WHERE run_id = $1 AND status IN ('done', 'reused') ORDER BY node";

export const NEWEST_RUN_SQL = 'SELECT run_id, status, spec, pid FROM runs ORDER BY run_id DESC LIMIT 1';

export const RUN_TO_RESUME_SQL = 'SELECT run_id, status, spec, pid FROM runs WHERE run_id = $1';

/**
 * Runs left 'running' by a process that is gone (killed, crashed, a full
 * disk) become 'interrupted', saying how far they got. Only called by a
 * process that holds the run lock, so no other 'running' run can be alive.
 */
export const MARK_ABANDONED_RUNS_SQL = `
  UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, now()),
    message = 'interrupted: its process (PID ' || coalesce(pid::VARCHAR, '?') || ') ended before the run finished; '
      || (SELECT count(*) FROM run_nodes n WHERE n.run_id = runs.run_id AND n.status IN ('done', 'reused')) || ' of '
      || coalesce(json_array_length(spec->'nodes'), 0) || ' nodes done; \`mnemo run --resume ' || run_id || '\` finishes it'
  WHERE status = 'running' AND run_id <> $1`;

export const COMPLETED_NODES_SQL = `
  SELECT node, fingerprint, outputs, status, reused_from, rows_written, metadata
  FROM run_nodes WHERE run_id = $1 AND status IN ('done', 'reused')`;

export interface RunListRow {
  run_id: number;
  status: string;
  started: string;
  seconds: number | null;
  computed: number;
  reused: number;
  errors: number;
  message: string | null;
  tags: string | null;
  pid: number | null;
}

export interface RunRow {
  run_id: number;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  message: string | null;
  config_path: string | null;
  pid: number | null;
  tags: string | null;
  spec: string;
}

export interface RunNodeRow {
  node: string;
  type: string;
  version: string;
  status: string;
  reused_from: number | null;
  fingerprint: string;
  started_at: Date | null;
  finished_at: Date | null;
  seconds: number | null;
  rows: number | null;
  errors: number | null;
  outputs: string | null;
  metadata: string | null;
  message: string | null;
}

/** Whether a run's schema (`latest`, `run<ID>`) has every one of these table views (a run may lack nodes). */
export async function hasRunViews(catalog: Catalog, schema: string, views: readonly string[]): Promise<boolean> {
  const rows = await catalog.rows<{ view_name: string }>('SELECT DISTINCT view_name FROM duckdb_views() WHERE schema_name = $1', [schema]);
  const names = new Set(rows.map((row) => row.view_name));
  return views.every((view) => names.has(view));
}

export async function latestRunId(catalog: Catalog): Promise<number | null> {
  const [row] = await catalog.rows<{ run_id: number | null }>(LATEST_RUN_SQL);
  return row?.run_id ?? null;
}

export function listRuns(catalog: Catalog): Promise<RunListRow[]> {
  return catalog.rows<RunListRow>(LIST_RUNS_SQL);
}

export async function runById(catalog: Catalog, runId: number): Promise<RunRow | null> {
  return (await catalog.rows<RunRow>(RUN_SQL, [runId]))[0] ?? null;
}

export function runNodes(catalog: Catalog, runId: number): Promise<RunNodeRow[]> {
  return catalog.rows<RunNodeRow>(RUN_NODES_SQL, [runId]);
}

export function runErrors(catalog: Catalog, runId: number, limit = 200): Promise<{ node: string; item: string | null; message: string }[]> {
  return catalog.rows(RUN_ERRORS_SQL, [runId, limit]);
}

/** Item errors of a run per node (every error, not the first 200). */
export function runErrorCounts(catalog: Catalog, runId: number): Promise<{ node: string; errors: number }[]> {
  return catalog.rows(RUN_ERROR_COUNTS_SQL, [runId]);
}

/** Table name -> Parquet path (relative to the data folder) of every completed node of a run. */
export async function runOutputs(catalog: Catalog, runId: number): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  for (const row of await catalog.rows<{ outputs: string | null }>(RUN_OUTPUTS_SQL, [runId])) Object.assign(tables, JSON.parse(row.outputs ?? '{}'));
  return tables;
}

export interface CompletedNode {
  fingerprint: string;
  outputs: Record<string, string>;
  status: 'done' | 'reused';
  reusedFrom: number | null;
  rows: number;
  metadata: Record<string, unknown>;
}

/**
 * A run that can be resumed (`runId`, default the newest): its resolved spec
 * and the nodes it finished. Interrupted and failed runs can be resumed.
 */
export async function resumableRun(catalog: Catalog, runId?: number): Promise<{ runId: number; spec: unknown; completed: Map<string, CompletedNode> }> {
  const [run] = await catalog.rows<{ run_id: number; status: string; spec: string; pid: number | null }>(runId === undefined ? NEWEST_RUN_SQL : RUN_TO_RESUME_SQL, runId === undefined ? [] : [runId]);
  if (!run) throw new NotResumableError(runId === undefined ? 'nothing to resume: no run has started yet' : `nothing to resume: there is no run ${runId}`);
  if (run.status === 'succeeded') throw new NotResumableError(`nothing to resume: ${runId === undefined ? 'the newest run' : 'run'} (${run.run_id}) succeeded`);
  if (run.status === 'running' && run.pid && run.pid !== process.pid && isAlive(run.pid)) throw new NotResumableError(`run ${run.run_id} is still running (PID ${run.pid})`);
  const nodes = await catalog.rows<{ node: string; fingerprint: string; outputs: string; status: 'done' | 'reused'; reused_from: number | null; rows_written: number | bigint; metadata: string }>(COMPLETED_NODES_SQL, [run.run_id]);
  const completed = new Map(nodes.map((node) => [node.node, {
    fingerprint: node.fingerprint, outputs: JSON.parse(node.outputs), status: node.status, reusedFrom: node.reused_from,
    rows: Number(node.rows_written ?? 0), metadata: JSON.parse(node.metadata ?? '{}'),
  }]));
  return { runId: run.run_id, spec: JSON.parse(run.spec), completed };
}
