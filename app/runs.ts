// Runs: the list, one run with its nodes, reuse, timings, rows, errors and
// parameters, and a run's tables. "latest" is the newest successful full run
// (datasets/run-registry.ts), here as everywhere.
import { latestRunId, listRuns as listRunRows, runById, runErrors, runNodes, runOutputs, type RunListRow } from '../datasets/run-registry.ts';
import { invalid, notFound } from './errors.ts';
import type { Workspace } from './workspace.ts';

/** A run as the user names it: a number, or 'latest'. */
export type RunRef = number | 'latest';

export interface RunNode {
  node: string;
  type: string;
  version: string;
  status: string;
  reusedFrom: number | null;
  seconds: number | null;
  rows: number;
  errors: number;
  metadata: Record<string, unknown>;
  message: string | null;
  /** Table name -> Parquet path inside the data folder. */
  outputs: Record<string, string>;
}

export interface RunDetail {
  runId: number;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  message: string | null;
  configPath: string | null;
  tags: Record<string, unknown>;
  /** Each node's resolved parameters, from the spec the run used. */
  params: Record<string, unknown>;
  nodes: RunNode[];
  /** The first 200 item errors (node, item, message). */
  errors: { node: string; item: string | null; message: string }[];
}

/** Parses what a user typed for a run: a number or 'latest' (default). */
export function parseRunRef(text: string | undefined): RunRef {
  if (text === undefined || text === 'latest') return 'latest';
  if (/^\d+$/.test(text)) return Number(text);
  throw invalid(`RUN must be a run number or 'latest' (got '${text}')`);
}

function requireCatalog(workspace: Workspace): void {
  if (!workspace.store.exists()) throw notFound(`no mnemo catalog at ${workspace.store.catalogPath}: run \`mnemo run\` first`);
}

/** Every run, oldest first; a 'running' run whose process is gone shows as 'interrupted'. */
export async function listRuns(workspace: Workspace): Promise<RunListRow[]> {
  requireCatalog(workspace);
  const { isAlive } = await import('../datasets/run-lock.ts');
  const rows = await workspace.store.read(listRunRows);
  return rows.map((row) => (row.status === 'running' && row.pid !== null && row.pid !== process.pid && !isAlive(row.pid) ? { ...row, status: 'interrupted' } : row));
}

/** `latest` as last read, per catalog, with the catalog's stamp then: a page's many requests open the catalog once. */
const latestByCatalog = new Map<string, { stamp: string; runId: number }>();

/** The run id a reference names; not_found when there is no such run. */
export async function resolveRun(workspace: Workspace, ref: RunRef): Promise<number> {
  requireCatalog(workspace);
  const stamp = workspace.store.stamp();
  const known = latestByCatalog.get(workspace.store.catalogPath);
  if (ref === 'latest' && known?.stamp === stamp) return known.runId;
  return workspace.store.read(async (catalog) => {
    if (ref === 'latest') {
      const latest = await latestRunId(catalog);
      if (latest === null) throw notFound('no successful full run yet: `mnemo run` makes one');
      latestByCatalog.set(workspace.store.catalogPath, { stamp, runId: latest });
      return latest;
    }
    if (!(await runById(catalog, ref))) throw notFound(`no run ${ref}`);
    return ref;
  });
}

export async function getRun(workspace: Workspace, ref: RunRef): Promise<RunDetail> {
  const runId = await resolveRun(workspace, ref);
  return workspace.store.read(async (catalog) => {
    const run = (await runById(catalog, runId))!;
    const spec = JSON.parse(run.spec) as { nodes?: { name: string; params: unknown }[] };
    return {
      runId,
      status: run.status,
      startedAt: run.started_at,
      finishedAt: run.finished_at,
      message: run.message,
      configPath: run.config_path,
      tags: JSON.parse(run.tags ?? '{}'),
      params: Object.fromEntries((spec.nodes ?? []).map((node) => [node.name, node.params])),
      nodes: (await runNodes(catalog, runId)).map((node) => ({
        node: node.node, type: node.type, version: node.version, status: node.status, reusedFrom: node.reused_from, seconds: node.seconds,
        rows: Number(node.rows ?? 0), errors: Number(node.errors ?? 0), metadata: JSON.parse(node.metadata ?? '{}'), message: node.message,
        outputs: JSON.parse(node.outputs ?? '{}'),
      })),
      errors: await runErrors(catalog, runId),
    };
  });
}

/** Table name -> absolute Parquet path, for every table a run completed. */
export async function runTables(workspace: Workspace, ref: RunRef): Promise<{ runId: number; tables: Record<string, string> }> {
  const runId = await resolveRun(workspace, ref);
  const outputs = await workspace.store.read((catalog) => runOutputs(catalog, runId));
  return { runId, tables: Object.fromEntries(Object.entries(outputs).map(([table, path]) => [table, workspace.store.absolute(path)])) };
}
