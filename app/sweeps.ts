// Parameter sweeps: one pipeline run per setting of cluster / assign
// parameters, each measured against gold (or manual labels), to choose
// defaults. Sweep runs never move `latest`.
import { parseScalar, type NodeRegistry, type PipelineSpec } from '../dag/spec.ts';
import type { RunEventSink } from '../dag/progress.ts';
import type { Store } from '../datasets/store.ts';
import { runMetrics } from '../reports/metrics.ts';
import { invalid, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export interface SweepAxis {
  /** node.param (nested keys allowed, as --set). */
  key: string;
  values: unknown[];
}

/** `node.param=a:b:step` (inclusive, float-safe), `node.param=a,b,c`, or `node.param=value`. */
export function parseSweepAxis(text: string): SweepAxis {
  const match = /^([^.=\s]+\.[^=\s]+)=(.+)$/.exec(text);
  if (!match) throw invalid(`'${text}': expected node.param=a:b:step, node.param=a,b or node.param=value`);
  const [, key, spec] = match as unknown as [string, string, string];
  const range = /^(-?[\d.]+):(-?[\d.]+):([\d.]+)$/.exec(spec);
  if (range) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![from, to, step].every(Number.isFinite) || step <= 0 || to < from) throw invalid(`'${text}': a range needs from <= to and a step above 0`);
    // Decimal places of the inputs, so 0.35 + 3 * 0.05 prints as 0.5, not 0.5000000000000001.
    const decimals = Math.max(...range.slice(1, 4).map((part) => (part!.split('.')[1] ?? '').length));
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > 1000) throw invalid(`'${text}': ${count} values is too many`);
    return { key, values: Array.from({ length: count }, (_, i) => Number((from + i * step).toFixed(decimals))) };
  }
  return { key, values: spec.split(',').map((part) => parseScalar(part.trim())) };
}

/** Every combination of the axes' values, as --set overrides (first axis varies slowest). */
export function sweepSettings(axes: SweepAxis[]): string[][] {
  let settings: string[][] = [[]];
  for (const axis of axes) settings = settings.flatMap((prefix) => axis.values.map((value) => [...prefix, `${axis.key}=${typeof value === 'string' ? value : JSON.stringify(value)}`]));
  return settings;
}

export interface SweepRow {
  setting: string;
  runId: number;
  status: 'succeeded' | 'failed';
  clusters: number | null;
  strangersShare: number | null;
  f1: number | null;
  ari: number | null;
  personF1: number | null;
  message: string | null;
}

export interface SweepResult {
  sweepId: string;
  reference: string;
  nodes: string[];
  rows: SweepRow[];
  best: SweepRow | null;
}

/** The nodes a sweep runs: `assign` (or `cluster`) and everything upstream of it; umap and other side branches stay out. */
export function sweepNodes(spec: PipelineSpec, registry: NodeRegistry): string[] {
  const byName = new Map(spec.nodes.map((node) => [node.name, node]));
  const target = spec.nodes.find((node) => registry.get(node.type)?.name === 'assign') ?? spec.nodes.find((node) => registry.get(node.type)?.name === 'cluster');
  if (!target) throw invalid('the pipeline has no assign or cluster node to sweep');
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name)) return;
    keep.add(name);
    for (const upstream of byName.get(name)?.needs ?? []) visit(upstream);
  };
  visit(target.name);
  return spec.nodes.filter((node) => keep.has(node.name)).map((node) => node.name);
}

export interface SweepOptions {
  loadSpec: (overrides: string[]) => PipelineSpec | Promise<PipelineSpec>;
  registry: NodeRegistry;
  store: Store;
  axes: SweepAxis[];
  onEvent?: RunEventSink;
  onSetting?: (index: number, total: number, setting: string, row: SweepRow) => void;
}

/**
 * One pipeline run per setting (tagged with the sweep id and the setting),
 * each measured with runMetrics. Unchanged upstream nodes are reused, and the
 * kNN graph comes from the on-disk cache, so a setting costs its clustering.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { runPipeline } = await import('../dag/executor.ts');
  const settings = sweepSettings(options.axes);
  if (settings.length > 200) throw invalid(`${settings.length} settings is too many for one sweep (at most 200)`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const sweepId = `sweep-${stamp}-${process.pid}`;
  // Every setting is validated before the first run starts.
  const specs = await translated(() => Promise.all(settings.map((overrides) => options.loadSpec(overrides))));
  const nodes = sweepNodes(specs[0]!, options.registry);
  const rows: SweepRow[] = [];
  let reference = 'none';
  for (const [index, overrides] of settings.entries()) {
    const spec = specs[index]!;
    const setting = overrides.join(' ');
    const summary = await runPipeline({ ...spec, nodes: spec.nodes.filter((node) => nodes.includes(node.name)) }, options.registry, options.store, {
      tags: { sweep: sweepId, setting },
      updateLatest: false, // a sweep explores; latest stays the configured pipeline's run
      onEvent: options.onEvent,
      command: `mnemo sweep ${setting}`,
    });
    let row: SweepRow = { setting, runId: summary.runId, status: summary.status, clusters: null, strangersShare: null, f1: null, ari: null, personF1: null, message: summary.message };
    if (summary.status === 'succeeded') {
      const m = await runMetrics(options.store, summary.runId);
      reference = m.note;
      row = { ...row, clusters: m.clusterCount, strangersShare: m.strangersShare, f1: m.clusters?.f1 ?? null, ari: m.clusters?.ari ?? null, personF1: m.assignment?.f1 ?? null };
    }
    rows.push(row);
    options.onSetting?.(index, settings.length, setting, row);
  }
  return { sweepId, reference, nodes, rows, best: bestSetting(rows) };
}

/** A sweep over a workspace's pipeline. */
export async function sweepWorkspace(workspace: Workspace, axes: SweepAxis[], options: Pick<SweepOptions, 'onEvent' | 'onSetting'> = {}): Promise<SweepResult> {
  await workspace.spec(); // the spec itself is valid before any setting is tried
  return runSweep({ loadSpec: (overrides) => workspace.spec(overrides), registry: await workspace.registry(), store: workspace.store, axes, ...options });
}

/** Highest cluster F1; ties go to the fewer strangers, then to the earlier setting. */
export function bestSetting(rows: SweepRow[]): SweepRow | null {
  let best: SweepRow | null = null;
  for (const row of rows) {
    if (row.status !== 'succeeded' || row.f1 === null) continue;
    if (!best || row.f1 > best.f1! + 1e-12 || (Math.abs(row.f1 - best.f1!) <= 1e-12 && (row.strangersShare ?? 1) < (best.strangersShare ?? 1))) best = row;
  }
  return best;
}
