// What the catalog knows about one run, read in one short catalog open: its
// status and archive, its resolved parameters, each node's timing and reuse,
// item errors per node, and the Parquet table each completed node wrote.
import { runById, runErrorCounts, runNodes } from '../datasets/run-registry.ts';
import type { Store } from '../datasets/store.ts';
import type { NodeTiming, RunInfo } from './report-schema.ts';

export interface RunTable {
  node: string;
  /** Absolute Parquet path. */
  path: string;
}

export interface RunFacts {
  info: RunInfo;
  /** Node name -> its resolved params. */
  params: Record<string, unknown>;
  nodes: NodeTiming[];
  /** Table name -> the node that wrote it and where. */
  tables: Record<string, RunTable>;
}

interface StoredSpec {
  sources?: { name: string; path: string }[];
  nodes?: { name: string; params?: unknown }[];
}

/** The facts of a run; null when there is no such run. */
export async function readRunFacts(store: Store, runId: number): Promise<RunFacts | null> {
  return store.read(async (catalog) => {
    const run = await runById(catalog, runId);
    if (!run) return null;
    const errors = new Map((await runErrorCounts(catalog, runId)).map((row) => [row.node, Number(row.errors)]));
    const nodeRows = await runNodes(catalog, runId);
    const spec = JSON.parse(run.spec) as StoredSpec;
    const tables: Record<string, RunTable> = {};
    for (const node of nodeRows) {
      if (node.status !== 'done' && node.status !== 'reused') continue;
      for (const [table, path] of Object.entries(JSON.parse(node.outputs ?? '{}') as Record<string, string>)) tables[table] = { node: node.node, path: store.absolute(path) };
    }
    return {
      info: {
        runId,
        status: run.status,
        startedAt: run.started_at.toISOString(),
        finishedAt: run.finished_at?.toISOString() ?? null,
        tags: JSON.parse(run.tags ?? '{}'),
        sources: Object.fromEntries((spec.sources ?? []).map((source) => [source.name, source.path])),
      },
      params: Object.fromEntries((spec.nodes ?? []).map((node) => [node.name, node.params ?? {}])),
      nodes: nodeRows.map((node) => ({
        node: node.node, type: node.type, status: node.status, reusedFrom: node.reused_from, seconds: node.seconds === null ? null : Number(node.seconds),
        rows: Number(node.rows ?? 0), errors: errors.get(node.node) ?? 0,
      })),
      tables,
    };
  });
}

/** node.param -> value, nested objects flattened with dots (arrays stay whole). */
export function flattenParams(params: Record<string, unknown>): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  const visit = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [key, inner] of Object.entries(value)) visit(`${prefix}.${key}`, inner);
    } else flat.set(prefix, value);
  };
  for (const [node, value] of Object.entries(params)) visit(node, value);
  return flat;
}
