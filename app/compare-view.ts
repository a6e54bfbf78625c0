// The Compare view's use cases: two runs compared (the report of `mnemo
// report compare`, plus its cluster correspondence as flow links to draw),
// the sweeps `mnemo sweep` recorded (runs tagged with a sweep id and a
// setting) with each setting's F1 and strangers share, and adopting a
// sweep's setting into mnemo.yaml.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { runMetrics } from '../reports/metrics.ts';
import { clusterFlowOf } from '../reports/cluster-flow.ts';
import { readRunFacts } from '../reports/run-facts.ts';
import { adoptSetting, currentValue, parseSetting } from './adopt-setting.ts';
import type { AdoptResult, CompareView, SweepDetail, SweepSettingRow, SweepSummary } from './compare-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import { compareReportOf, resolveReportRun } from './reports.ts';
import { listRuns } from './runs.ts';
import { bestSetting } from './sweeps.ts';
import type { Workspace } from './workspace.ts';

export type { AdoptResult, CompareView, SweepDetail, SweepSummary };

/** At most this many flow links: a sankey with more is unreadable. */
export const FLOW_LINKS = 40;

/**
 * The last `limit` values computed per key, each kept while the catalog is
 * unchanged (Store.stamp(): a run's tables never change, but gold, person
 * names and a new `latest` do, and each of those is a catalog write). A
 * computation in progress is shared; a failed one is not kept.
 */
class KeptWhileUnchanged<T> {
  private readonly kept = new Map<string, { stamp: string; value: Promise<T> }>();
  constructor(private readonly limit: number) {}

  get(workspace: Workspace, key: string, compute: () => Promise<T>, stamp = workspace.store.stamp()): Promise<T> {
    const fullKey = `${workspace.store.catalogPath}\0${key}`;
    const known = this.kept.get(fullKey);
    if (known?.stamp === stamp) return known.value;
    const value = compute();
    this.kept.delete(fullKey);
    this.kept.set(fullKey, { stamp, value });
    value.catch(() => this.kept.delete(fullKey));
    while (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value!);
    return value;
  }
}

/** The last comparisons made: a report of two large runs takes seconds. */
const comparisons = new KeptWhileUnchanged<CompareView>(8);

/** Two runs compared, each named as `mnemo report` takes them (a number, latest, previous, a sweep setting). */
export async function compareView(workspace: Workspace, refA: string, refB: string, options: { links?: number } = {}): Promise<CompareView> {
  const stamp = workspace.store.stamp(); // before resolving `latest`: a run finishing meanwhile makes the next call recompute
  const [a, b] = [await resolveReportRun(workspace, refA), await resolveReportRun(workspace, refB)];
  const links = options.links ?? FLOW_LINKS;
  return comparisons.get(workspace, `${a}\0${b}\0${links}`, () => computeView(workspace, String(a), String(b), links), stamp);
}

async function computeView(workspace: Workspace, refA: string, refB: string, links: number): Promise<CompareView> {
  const report = await compareReportOf(workspace, refA, refB);
  if (!report.clusters) return { report, flow: null };
  const [a, b] = await Promise.all([readRunFacts(workspace.store, report.a.runId), readRunFacts(workspace.store, report.b.runId)]);
  const flow = await translated(() => clusterFlowOf(a!, b!, report.clusters!.correspondence.matches, links));
  return { report, flow };
}

interface SweepRun {
  runId: number;
  status: string;
  started: string;
  message: string | null;
  sweep: string;
  setting: string;
}

async function sweepRuns(workspace: Workspace): Promise<SweepRun[]> {
  if (!workspace.store.exists()) return [];
  const runs = await listRuns(workspace);
  return runs.flatMap((run) => {
    const tags = JSON.parse(run.tags ?? '{}') as { sweep?: unknown; setting?: unknown };
    return typeof tags.sweep === 'string' && typeof tags.setting === 'string'
      ? [{ runId: run.run_id, status: run.status, started: run.started, message: run.message, sweep: tags.sweep, setting: tags.setting }]
      : [];
  });
}

/** node.param of each part of a setting, in order. */
const keysOf = (setting: string) => setting.trim().split(/\s+/).map((part) => part.slice(0, part.indexOf('=')));

function summaryOf(sweepId: string, runs: SweepRun[]): SweepSummary {
  return {
    sweepId,
    startedAt: runs[0]!.started,
    keys: [...new Set(runs.flatMap((run) => keysOf(run.setting)))],
    settings: runs.length,
    succeeded: runs.filter((run) => run.status === 'succeeded').length,
  };
}

/** Every sweep, newest first. */
export async function listSweeps(workspace: Workspace): Promise<SweepSummary[]> {
  const bySweep = new Map<string, SweepRun[]>();
  for (const run of await sweepRuns(workspace)) bySweep.set(run.sweep, [...(bySweep.get(run.sweep) ?? []), run]);
  return [...bySweep].map(([id, runs]) => summaryOf(id, runs)).reverse();
}

/** Runs' scores (gold or decisions change them). */
const runScores = new KeptWhileUnchanged<{ row: Pick<SweepSettingRow, 'clusters' | 'strangersShare' | 'f1' | 'ari' | 'personF1'>; reference: string }>(1024);

function scoresOf(workspace: Workspace, runId: number) {
  return runScores.get(workspace, String(runId), async () => {
    const m = await translated(() => runMetrics(workspace.store, runId));
    return { reference: m.note, row: { clusters: m.clusterCount, strangersShare: m.strangersShare, f1: m.clusters?.f1 ?? null, ari: m.clusters?.ari ?? null, personF1: m.assignment?.f1 ?? null } };
  });
}

/** One sweep: each setting's run and scores (as `mnemo sweep` printed them), the best, and what mnemo.yaml has now. */
export async function sweepDetail(workspace: Workspace, sweepId: string): Promise<SweepDetail> {
  const runs = (await sweepRuns(workspace)).filter((run) => run.sweep === sweepId);
  if (runs.length === 0) throw notFound(`no sweep ${sweepId} (GET /api/sweeps lists them; \`mnemo sweep\` makes one)`);
  let reference = 'none';
  const rows: SweepSettingRow[] = [];
  for (const run of runs) {
    const settings = await parseSetting(run.setting);
    const values = Object.fromEntries(settings.map((s) => [[s.node, ...s.path].join('.'), s.value]));
    const base = { runId: run.runId, setting: run.setting, values, message: run.message };
    if (run.status !== 'succeeded') {
      rows.push({ ...base, status: 'failed', clusters: null, strangersShare: null, f1: null, ari: null, personF1: null });
      continue;
    }
    const scores = await scoresOf(workspace, run.runId);
    reference = scores.reference;
    rows.push({ ...base, status: 'succeeded', ...scores.row });
  }
  const best = bestSetting(rows) as SweepSettingRow | null; // one of rows: bestSetting returns the row it picked
  const summary = summaryOf(sweepId, runs);
  return { ...summary, reference, rows, best, configPath: workspace.configPath, current: currentValues(workspace, summary.keys) };
}

function currentValues(workspace: Workspace, keys: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(workspace.configPath, 'utf8');
  } catch {
    return Object.fromEntries(keys.map((key) => [key, null]));
  }
  const document = parseDocument(text);
  return Object.fromEntries(keys.map((key) => {
    const [node, ...path] = key.split('.');
    return [key, currentValue(document, { node: node!, path })];
  }));
}

/** Writes a sweep setting (the best one unless `runId` names another of the sweep's runs) into mnemo.yaml. */
export async function adoptSweepSetting(workspace: Workspace, sweepId: string, runId?: number): Promise<AdoptResult> {
  const detail = await sweepDetail(workspace, sweepId);
  const row = runId === undefined ? detail.best : detail.rows.find((r) => r.runId === runId);
  if (!row) throw runId === undefined ? invalid(`sweep ${sweepId} has no best setting (no setting could be scored: import gold with \`mnemo gold import\`), so name one with runId`) : notFound(`run ${runId} is not a setting of sweep ${sweepId}`);
  if (row.status !== 'succeeded') throw invalid(`the setting ${row.setting} (run ${row.runId}) failed: adopt a setting whose run succeeded`);
  return adoptSetting(workspace, row.setting);
}
