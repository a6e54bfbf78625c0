// CLI commands for people: the person directory and assignment journal
// (`mnemo person ...`), gold labels (`mnemo gold import ...`), run metrics
// (`mnemo metrics`) and parameter sweeps (`mnemo sweep`). bin/cli.ts spreads
// `peopleCommands` into its command table.
import { runPipeline } from '../dag/executor.ts';
import { silentReporter, type Reporter } from '../dag/progress.ts';
import { loadSpecFile, parseScalar, type NodeRegistry, type PipelineSpec } from '../dag/spec.ts';
import { GoldError, importFacesGold, importPetsGold } from '../datasets/gold.ts';
import { Persons, PersonsError } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { formatMetrics, runMetrics } from '../reports/metrics.ts';
import { common, out, storeFor, UsageError, type Command } from './command.ts';
import { formatTable, toJson } from './format.ts';

/** Mistakes a user can fix print as one line (exit 2), like the other commands. */
function friendly(command: Command, name: string): Command {
  return {
    ...command,
    async run(values, positionals) {
      try {
        return await command.run(values, positionals);
      } catch (error) {
        if (error instanceof PersonsError || error instanceof GoldError) {
          process.stderr.write(`mnemo ${name}: ${error.message}\n`);
          return 2;
        }
        throw error;
      }
    },
  };
}

function positiveInt(text: string | undefined, what: string): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`${what} must be a number (got '${text ?? ''}')`);
  return Number(text);
}

const PERSON_USAGE = `mnemo person list [--all] [--json]
mnemo person create NAME [--notes TEXT]
mnemo person rename ID NAME
mnemo person hide ID | unhide ID
mnemo person merge FROM INTO
mnemo person assign FACE_ID [FACE_ID ...] TARGET   (TARGET: person id, stranger, not_a_face, not:<person id>)
mnemo person undo [BATCH]   (default: the newest batch not undone; undoing an undo batch redoes it)
mnemo person show ID [--json]
mnemo person history [--json]
  [--config FILE | --data DIR] [--author NAME]`;

const person: Command = {
  summary: 'the person directory and the assignment journal (create, rename, hide, merge, assign, undo, show)',
  usage: PERSON_USAGE,
  options: { ...common, json: { type: 'boolean' }, all: { type: 'boolean' }, notes: { type: 'string' }, author: { type: 'string' } },
  async run(values, [action, ...args]) {
    const store = storeFor(values);
    const persons = await Persons.open(store, { author: typeof values.author === 'string' ? values.author : undefined });
    const batch = (result: { batchId: number; assignments: number; events: number }) => `batch ${result.batchId}: ${result.assignments} assignment row${result.assignments === 1 ? '' : 's'}, ${result.events} person event${result.events === 1 ? '' : 's'}`;
    switch (action) {
      case 'list': {
        const rows = await persons.list({ includeHidden: Boolean(values.all) });
        out(values.json ? toJson(rows as never) : formatTable(['person_id', 'name', 'manual_faces', 'hidden', 'merged_into', 'notes'], rows as never));
        return 0;
      }
      case 'create': {
        const result = await persons.create(args.join(' '), { notes: values.notes as string | undefined });
        out(`person ${result.personId} '${args.join(' ').trim()}' (${batch(result)})`);
        return 0;
      }
      case 'rename':
        out(`renamed (${batch(await persons.rename(positiveInt(args[0], 'ID'), args.slice(1).join(' ')))})`);
        return 0;
      case 'hide':
        out(`hidden (${batch(await persons.hide(positiveInt(args[0], 'ID')))})`);
        return 0;
      case 'unhide':
        out(`shown (${batch(await persons.unhide(positiveInt(args[0], 'ID')))})`);
        return 0;
      case 'merge':
        out(`merged ${args[0]} into ${args[1]} (${batch(await persons.merge(positiveInt(args[0], 'FROM'), positiveInt(args[1], 'INTO')))}); undo with: mnemo person undo`);
        return 0;
      case 'assign': {
        if (args.length < 2) throw new UsageError('usage: mnemo person assign FACE_ID [FACE_ID ...] TARGET');
        out(`assigned (${batch(await persons.assign(args.slice(0, -1), args[args.length - 1]!))})`);
        return 0;
      }
      case 'undo': {
        const result = await persons.undo(args[0] === undefined ? undefined : positiveInt(args[0], 'BATCH'));
        out(`undid batch ${result.undid} (${batch(result)})`);
        return 0;
      }
      case 'show': {
        const id = positiveInt(args[0], 'ID');
        const shown = await persons.show(id);
        const latest = await readOnlyQuery(store, `SELECT method, count(*) AS faces FROM latest.person_assignment WHERE person_id = ${id} GROUP BY method ORDER BY method`).catch(() => null);
        if (values.json) {
          out(toJson([{ ...shown.person, faces: shown.faces, not_faces: shown.notFaces, events: shown.events, latest_run: latest?.rows ?? null }] as never));
          return 0;
        }
        const p = shown.person;
        out(`person ${p.person_id}: ${p.name}${p.hidden ? ' (hidden)' : ''}${p.merged_into !== null ? ` (merged into ${p.merged_into})` : ''}${p.notes ? `\nnotes: ${p.notes}` : ''}`);
        out(`manually assigned faces (${shown.faces.length}): ${shown.faces.join(' ') || '-'}`);
        if (shown.notFaces.length) out(`faces marked not this person (${shown.notFaces.length}): ${shown.notFaces.join(' ')}`);
        if (latest) out(`\nlatest run:\n${formatTable(latest.columns, latest.rows)}`);
        out(`\nhistory:\n${formatTable(['event_id', 'batch_id', 'event', 'old_value', 'new_value', 'other_person_id', 'undoes', 'author', 'created_at'], shown.events)}`);
        return 0;
      }
      case 'history': {
        const rows = await persons.history(100);
        out(values.json ? toJson(rows as never) : formatTable(['batch_id', 'action', 'summary', 'author', 'created_at', 'undone'], rows as never));
        return 0;
      }
      default:
        throw new UsageError(`${action ? `unknown action '${action}'` : 'give an action'}\n${PERSON_USAGE}`);
    }
  },
};

const gold: Command = {
  summary: 'import verified labels: mnemo gold import faces|pets FILE.csv',
  usage: `mnemo gold import faces FILE.csv   (columns face_id, person_name, is_face, verified_at)
mnemo gold import pets FILE.csv    (columns pet_id, correct, label, verified_at)
  [--config FILE | --data DIR]`,
  options: { ...common },
  async run(values, [action, kind, file]) {
    if (action !== 'import' || (kind !== 'faces' && kind !== 'pets') || !file) throw new UsageError('usage: mnemo gold import faces|pets FILE.csv');
    const store = storeFor(values);
    const result = kind === 'faces' ? await importFacesGold(store, file) : await importPetsGold(store, file);
    out(`imported ${result.rows} ${kind} gold label${result.rows === 1 ? '' : 's'} from ${result.total} CSV row${result.total === 1 ? '' : 's'}`);
    return 0;
  },
};

const metrics: Command = {
  summary: 'how good a run is against gold (or manual labels): person and cluster F1 / ARI, strangers, detection',
  usage: 'mnemo metrics [RUN] [--json] [--config FILE | --data DIR]   (RUN: a run number; default the newest successful run)',
  options: { ...common, json: { type: 'boolean' } },
  async run(values, [runArg]) {
    const store = storeFor(values);
    let runId: number;
    if (runArg && runArg !== 'latest') runId = positiveInt(runArg, 'RUN');
    else {
      const [row] = await store.read((catalog) => catalog.rows<{ run_id: number | null }>("SELECT max(run_id) AS run_id FROM runs WHERE status = 'succeeded'"));
      if (!row?.run_id) throw new UsageError('no successful run yet');
      runId = row.run_id;
    }
    const result = await runMetrics(store, runId);
    out(values.json ? toJson([result] as never) : formatMetrics(result));
    return 0;
  },
};

// ---- sweeps -------------------------------------------------------------

export interface SweepAxis {
  /** node.param (nested keys allowed, as --set). */
  key: string;
  values: unknown[];
}

/** `node.param=a:b:step` (inclusive, float-safe), `node.param=a,b,c`, or `node.param=value`. */
export function parseSweepAxis(text: string): SweepAxis {
  const match = /^([^.=\s]+\.[^=\s]+)=(.+)$/.exec(text);
  if (!match) throw new UsageError(`'${text}': expected node.param=a:b:step, node.param=a,b or node.param=value`);
  const [, key, spec] = match as unknown as [string, string, string];
  const range = /^(-?[\d.]+):(-?[\d.]+):([\d.]+)$/.exec(spec);
  if (range) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![from, to, step].every(Number.isFinite) || step <= 0 || to < from) throw new UsageError(`'${text}': a range needs from <= to and a step above 0`);
    // Decimal places of the inputs, so 0.35 + 3 * 0.05 prints as 0.5, not 0.5000000000000001.
    const decimals = Math.max(...range.slice(1, 4).map((part) => (part!.split('.')[1] ?? '').length));
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > 1000) throw new UsageError(`'${text}': ${count} values is too many`);
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
  if (!target) throw new UsageError('the pipeline has no assign or cluster node to sweep');
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name)) return;
    keep.add(name);
    for (const upstream of byName.get(name)?.needs ?? []) visit(upstream);
  };
  visit(target.name);
  return spec.nodes.filter((node) => keep.has(node.name)).map((node) => node.name);
}

/**
 * One pipeline run per setting (tagged with the sweep id and the setting),
 * each measured with runMetrics. Unchanged upstream nodes are reused, and the
 * kNN graph comes from the on-disk cache, so a setting costs its clustering.
 */
export async function runSweep(options: {
  loadSpec: (overrides: string[]) => PipelineSpec;
  registry: NodeRegistry;
  store: Store;
  axes: SweepAxis[];
  reporter?: Reporter;
  onSetting?: (index: number, total: number, setting: string, row: SweepRow) => void;
}): Promise<SweepResult> {
  const settings = sweepSettings(options.axes);
  if (settings.length > 200) throw new UsageError(`${settings.length} settings is too many for one sweep (at most 200)`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const sweepId = `sweep-${stamp}-${process.pid}`;
  // Every setting is validated before the first run starts.
  const specs = settings.map((overrides) => options.loadSpec(overrides));
  const nodes = sweepNodes(specs[0]!, options.registry);
  const rows: SweepRow[] = [];
  let reference = 'none';
  for (const [index, overrides] of settings.entries()) {
    const spec = specs[index]!;
    const setting = overrides.join(' ');
    const summary = await runPipeline({ ...spec, nodes: spec.nodes.filter((node) => nodes.includes(node.name)) }, options.registry, options.store, {
      tags: { sweep: sweepId, setting },
      updateLatest: false, // a sweep explores; latest stays the configured pipeline's run
      reporter: options.reporter ?? silentReporter,
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

/** Highest cluster F1; ties go to the fewer strangers, then to the earlier setting. */
export function bestSetting(rows: SweepRow[]): SweepRow | null {
  let best: SweepRow | null = null;
  for (const row of rows) {
    if (row.status !== 'succeeded' || row.f1 === null) continue;
    if (!best || row.f1 > best.f1! + 1e-12 || (Math.abs(row.f1 - best.f1!) <= 1e-12 && (row.strangersShare ?? 1) < (best.strangersShare ?? 1))) best = row;
  }
  return best;
}

export function formatSweep(result: SweepResult): string {
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  const table = formatTable(
    ['setting', 'run', 'clusters', 'strangers', 'f1', 'ari', 'person_f1'],
    result.rows.map((row) => ({
      setting: row.setting, run: row.status === 'succeeded' ? row.runId : `${row.runId} failed: ${row.message}`, clusters: row.clusters,
      strangers: fixed(row.strangersShare), f1: fixed(row.f1), ari: fixed(row.ari), person_f1: fixed(row.personF1),
    })),
  );
  const best = result.best
    ? `best: ${result.best.setting} (run ${result.best.runId}, F1 ${fixed(result.best.f1)}, strangers ${fixed(result.best.strangersShare)}); apply with: mnemo run ${result.best.setting.split(' ').map((s) => `--set ${s}`).join(' ')}`
    : 'best: - (no setting could be scored)';
  return [
    `sweep ${result.sweepId}: nodes ${result.nodes.join(', ')}; f1 / ari = clusters ${result.reference}; person_f1 = person assignment`,
    table,
    best,
    'latest.* still points at the last full run; query a setting as run<ID>.clusters',
  ].join('\n');
}

const sweep: Command = {
  summary: 'run cluster + assign once per parameter setting and compare them (F1, ARI, strangers)',
  usage: `mnemo sweep node.param=A:B:STEP node.param=A,B ... [--config FILE] [--json]
  e.g. mnemo sweep cluster.eps=0.35:0.65:0.05 cluster.minPts=2,3`,
  options: { ...common, json: { type: 'boolean' } },
  async run(values, args) {
    if (args.length === 0) throw new UsageError('give at least one node.param=values, e.g. cluster.eps=0.35:0.65:0.05');
    const axes = args.map(parseSweepAxis);
    const config = String(values.config);
    const loadSpec = (overrides: string[]) => loadSpecFile(config, NODE_TYPES, { overrides });
    const base = loadSpec([]);
    const store = new Store(typeof values.data === 'string' ? values.data : base.dataDir);
    const result = await runSweep({
      loadSpec, registry: NODE_TYPES, store, axes,
      onSetting: (index, total, setting, row) => {
        if (!values.json) process.stderr.write(`[${index + 1}/${total}] ${setting}: run ${row.runId} ${row.status}\n`);
      },
    });
    out(values.json ? JSON.stringify(result, null, 2) : formatSweep(result));
    return result.rows.every((row) => row.status === 'succeeded') ? 0 : 1;
  },
};

export const peopleCommands: Record<string, Command> = Object.fromEntries(
  Object.entries({ person, gold, metrics, sweep }).map(([name, command]) => [name, friendly(command, name)]),
);
