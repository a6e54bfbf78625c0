// Reports for the CLI and the workbench: one run's statistics, or two runs
// compared, as a model (JSON) or rendered as Markdown or a self-contained
// HTML page. Runs are named as the user types them: a number, 'latest',
// 'previous' (the full run of the same archive before latest) or a sweep setting such as
// 'cluster.eps=0.4'. Only succeeded runs of one archive are compared.
import { isAlive } from '../datasets/run-lock.ts';
import { latestRunId, runById } from '../datasets/run-registry.ts';
import { compareRuns, runReport, type ReportOptions } from '../reports/compare.ts';
import type { CompareReport, RunReport } from '../reports/report-schema.ts';
import { readRunFacts, type RunFacts } from '../reports/run-facts.ts';
import { conflict, invalid, notFound, translated } from './errors.ts';
import { listRuns } from './runs.ts';
import type { Workspace } from './workspace.ts';

export type ReportFormat = 'md' | 'html' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'json'];

const RUN_FORMS = "a run number, 'latest', 'previous' or a sweep setting such as cluster.eps=0.4";

/** The run id a report reference names. */
export async function resolveReportRun(workspace: Workspace, text: string): Promise<number> {
  if (!workspace.store.exists()) throw notFound(`no mnemo catalog at ${workspace.store.catalogPath}: run \`mnemo run\` first`);
  if (/^\d+$/.test(text)) return Number(text);
  if (text === 'latest') {
    const latest = await workspace.store.read(latestRunId);
    if (latest === null) throw notFound('no successful full run yet: `mnemo run` makes one');
    return latest;
  }
  const runs = await listRuns(workspace);
  if (text === 'previous') {
    const latest = await workspace.store.read(latestRunId);
    if (latest === null) throw notFound("no successful full run yet, so no 'previous' either");
    const candidates = runs.filter((run) => run.status === 'succeeded' && run.run_id < latest && !tagsOf(run.tags).sweep).reverse();
    const latestSpec = await storedSpec(workspace, latest);
    for (const run of candidates) {
      const spec = await storedSpec(workspace, run.run_id);
      if (run.computed + run.reused >= (spec.nodes?.length ?? Infinity) && sameArchive(spec, latestSpec)) return run.run_id;
    }
    throw notFound(`no successful full run of the same archive before latest (run ${latest})`);
  }
  if (text.includes('=')) {
    const setting = text.trim().split(/\s+/).join(' ');
    const match = runs.filter((run) => run.status === 'succeeded' && tagsOf(run.tags).setting === setting).at(-1);
    if (!match) throw notFound(`no succeeded sweep run with the setting '${setting}' (\`mnemo runs\` lists the runs and their settings)`);
    return match.run_id;
  }
  throw invalid(`'${text}' is not a run: give ${RUN_FORMS}`);
}

const tagsOf = (tags: string | null) => JSON.parse(tags ?? '{}') as { sweep?: string; setting?: string };

interface StoredSpec {
  sources?: { name: string; path: string }[];
  nodes?: unknown[];
}

async function storedSpec(workspace: Workspace, runId: number): Promise<StoredSpec> {
  const run = await workspace.store.read((catalog) => runById(catalog, runId));
  return JSON.parse(run?.spec ?? '{}') as StoredSpec;
}

/** One archive: the same sources (name and folder). */
const archiveKey = (sources: Record<string, string>) => JSON.stringify(Object.entries(sources).sort());
const sameArchive = (a: StoredSpec, b: StoredSpec) =>
  archiveKey(Object.fromEntries((a.sources ?? []).map((s) => [s.name, s.path]))) === archiveKey(Object.fromEntries((b.sources ?? []).map((s) => [s.name, s.path])));

/** The facts of a run a report can be made of: it exists and succeeded. */
async function reportableRun(workspace: Workspace, text: string): Promise<RunFacts> {
  const runId = await resolveReportRun(workspace, text);
  const facts = await translated(() => readRunFacts(workspace.store, runId));
  if (!facts) throw notFound(`no run ${runId} (\`mnemo runs\` lists the runs)`);
  const { status } = facts.info;
  if (status === 'succeeded') return facts;
  if (status === 'running') {
    const row = await workspace.store.read((catalog) => runById(catalog, runId));
    if (row?.pid && isAlive(row.pid)) throw conflict(`run ${runId} is still running (PID ${row.pid}): report on it when it has finished`);
    throw conflict(`run ${runId} was interrupted before it finished: \`mnemo run --resume ${runId}\` finishes it`);
  }
  const message = (await workspace.store.read((catalog) => runById(catalog, runId)))?.message;
  throw conflict(`run ${runId} ${status}${message ? ` (${message})` : ''}: a report needs a succeeded run; \`mnemo run --resume ${runId}\` finishes it`);
}

export async function runReportOf(workspace: Workspace, ref: string, options: ReportOptions = {}): Promise<RunReport> {
  const run = await reportableRun(workspace, ref);
  return translated(() => runReport(workspace.store, run, options));
}

export async function compareReportOf(workspace: Workspace, refA: string, refB: string, options: ReportOptions = {}): Promise<CompareReport> {
  const a = await reportableRun(workspace, refA);
  const b = await reportableRun(workspace, refB);
  if (archiveKey(a.info.sources) !== archiveKey(b.info.sources)) {
    const list = (run: RunFacts) => Object.entries(run.info.sources).map(([name, path]) => `${name}=${path}`).join(', ') || 'no sources';
    throw conflict(`runs ${a.info.runId} and ${b.info.runId} are of different archives (run ${a.info.runId}: ${list(a)}; run ${b.info.runId}: ${list(b)}): their photos and faces cannot be compared`);
  }
  return translated(() => compareRuns(workspace.store, a, b, options));
}

/** Starts loading the renderer of `format` (for HTML: Plot and a DOM, a second or more) while the model is being computed. */
export function preloadRenderer(format: ReportFormat): void {
  if (format === 'html') import('../reports/render-html.ts').catch(() => undefined); // a real failure shows in renderReport
}

/** A report as text in the format asked for. */
export async function renderReport(report: RunReport | CompareReport, format: ReportFormat): Promise<string> {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'md') return (await import('../reports/render-markdown.ts')).renderMarkdown(report);
  return (await import('../reports/render-html.ts')).renderHtml(report);
}

export function parseReportFormat(text: string | undefined, fallback: ReportFormat = 'md'): ReportFormat {
  if (text === undefined) return fallback;
  if ((REPORT_FORMATS as string[]).includes(text)) return text as ReportFormat;
  throw invalid(`--format must be one of ${REPORT_FORMATS.join(', ')} (got '${text}')`);
}
