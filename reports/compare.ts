// The report models: one run's statistics, and two runs compared (counts and
// their change, node time and reuse, the parameters that differ, cluster
// correspondence and agreement, faces that changed person, accuracy against
// gold with intervals and a paired test, distributions). The caller (app/)
// has checked that the runs exist, succeeded and are of one archive.
import { canonicalJson } from '../datasets/canonical-json.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import type { Store } from '../datasets/store.ts';
import { accuracyOf } from './accuracy.ts';
import { correspondenceOf } from './correspondence.ts';
import { distributionsOf } from './distributions.ts';
import { readGold, runGoldView } from './gold-view.ts';
import { COMPARE_REPORT_FORMAT, RUN_REPORT_FORMAT, type ClusterComparison, type CompareReport, type CountChange, type NodeChange, type ParamChange, type PersonComparison, type RunReport } from './report-schema.ts';
import { runCounts } from './run-counts.ts';
import { flattenParams, type RunFacts } from './run-facts.ts';
import { agreementOf, type BootstrapOptions, type ContingencyCell } from './statistics.ts';

export interface ReportOptions {
  bootstrap?: BootstrapOptions;
}

export async function runReport(store: Store, run: RunFacts, options: ReportOptions = {}): Promise<RunReport> {
  const gold = await readGold(store);
  const accuracy = accuracyOf(gold, [await runGoldView(run.tables, gold)], options.bootstrap);
  return {
    format: RUN_REPORT_FORMAT,
    run: run.info,
    nodes: run.nodes,
    counts: await runCounts(run),
    distributions: await distributionsOf([{ runId: run.info.runId, tables: run.tables }]),
    accuracy,
    missing: [...missingTables(run), ...accuracy.missing],
  };
}

export async function compareRuns(store: Store, a: RunFacts, b: RunFacts, options: ReportOptions = {}): Promise<CompareReport> {
  const gold = await readGold(store);
  // Independent queries on the scratch DuckDB, side by side (one connection each).
  const [viewA, viewB, countsA, countsB, clusters, persons, distributions] = await Promise.all([
    runGoldView(a.tables, gold),
    runGoldView(b.tables, gold),
    runCounts(a),
    runCounts(b),
    compareClusters(a, b),
    comparePersons(store, a, b),
    distributionsOf([{ runId: a.info.runId, tables: a.tables }, { runId: b.info.runId, tables: b.tables }]),
  ]);
  const accuracy = accuracyOf(gold, [viewA, viewB], options.bootstrap);
  const missing = [...missingTables(a).map((line) => `A: ${line}`), ...missingTables(b).map((line) => `B: ${line}`)];
  if (!clusters) missing.push('cluster correspondence and agreement: a run has no clusters table');
  if (!persons) missing.push('faces that changed person: a run has no person_assignment table');
  return {
    format: COMPARE_REPORT_FORMAT,
    a: a.info,
    b: b.info,
    counts: countChanges(countsA, countsB),
    nodes: nodeChanges(a, b),
    params: paramChanges(a.params, b.params),
    clusters,
    persons,
    distributions,
    accuracy,
    missing: [...missing, ...accuracy.missing],
  };
}

const REPORTED_TABLES = ['files', 'faces', 'clusters', 'person_assignment'];

function missingTables(run: RunFacts): string[] {
  const absent = REPORTED_TABLES.filter((table) => !run.tables[table]);
  return absent.length ? [`run ${run.info.runId} has no ${absent.join(', ')} table${absent.length > 1 ? 's' : ''}: those counts are null`] : [];
}

export function countChanges(a: { key: string; node: string | null; title: string; value: number | null }[], b: typeof a): CountChange[] {
  const inB = new Map(b.map((count) => [count.key, count]));
  const keys = [...a.map((count) => count.key), ...b.filter((count) => !a.some((x) => x.key === count.key)).map((count) => count.key)];
  return keys.map((key) => {
    const x = a.find((count) => count.key === key);
    const y = inB.get(key);
    const valueA = x ? x.value : absentKind(a, key);
    const valueB = y ? y.value : absentKind(b, key);
    return { key, node: x?.node ?? y?.node ?? null, title: (x ?? y)!.title, a: valueA, b: valueB, change: valueA === null || valueB === null ? null : valueB - valueA };
  });
}

/** A pet kind one run never saw is 0 there when that run has pets at all; anything else missing is null. */
function absentKind(counts: { key: string; value: number | null }[], key: string): number | null {
  return key.startsWith('pets.') && counts.some((count) => count.key.startsWith('pets.') && count.value !== null) ? 0 : null;
}

function nodeChanges(a: RunFacts, b: RunFacts): NodeChange[] {
  const names = [...new Set([...a.nodes.map((n) => n.node), ...b.nodes.map((n) => n.node)])];
  return names.map((node) => ({ node, a: a.nodes.find((n) => n.node === node) ?? null, b: b.nodes.find((n) => n.node === node) ?? null }));
}

/** Only the parameters whose values differ; null = not in that run (a node in one run only is one line). */
export function paramChanges(a: Record<string, unknown>, b: Record<string, unknown>): ParamChange[] {
  const changes: ParamChange[] = [];
  for (const node of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
    if (!(node in a) || !(node in b)) {
      changes.push({ key: node, a: a[node] ?? null, b: b[node] ?? null });
      continue;
    }
    const flatA = flattenParams({ [node]: a[node] });
    const flatB = flattenParams({ [node]: b[node] });
    for (const key of [...new Set([...flatA.keys(), ...flatB.keys()])]) {
      if (canonicalJson(flatA.get(key) ?? null) !== canonicalJson(flatB.get(key) ?? null)) changes.push({ key, a: flatA.get(key) ?? null, b: flatB.get(key) ?? null });
    }
  }
  return changes;
}

async function compareClusters(a: RunFacts, b: RunFacts): Promise<ClusterComparison | null> {
  if (!a.tables.clusters || !b.tables.clusters) return null;
  const rows = await queryRows<{ a: number; b: number; in_a: boolean; in_b: boolean; count: number }>(`
    SELECT coalesce(x.cluster_id, -1) AS a, coalesce(y.cluster_id, -1) AS b, x.face_id IS NOT NULL AS in_a, y.face_id IS NOT NULL AS in_b, count(*) AS count
    FROM ${parquetSource(a.tables.clusters.path)} x FULL JOIN ${parquetSource(b.tables.clusters.path)} y ON x.face_id = y.face_id
    GROUP BY ALL`);
  const cells: ContingencyCell[] = rows.filter((row) => row.in_a && row.in_b).map((row) => ({ a: Math.max(-1, row.a), b: Math.max(-1, row.b), count: Number(row.count) }));
  const agreement = agreementOf(cells);
  const sum = (keep: (row: (typeof rows)[number]) => boolean) => rows.filter(keep).reduce((total, row) => total + Number(row.count), 0);
  return {
    sharedFaces: agreement.items,
    onlyInA: sum((row) => row.in_a && !row.in_b),
    onlyInB: sum((row) => !row.in_a && row.in_b),
    ari: Number.isFinite(agreement.ari) ? agreement.ari : null,
    nmi: Number.isFinite(agreement.nmi) ? agreement.nmi : null,
    correspondence: correspondenceOf(cells),
  };
}

async function comparePersons(store: Store, a: RunFacts, b: RunFacts): Promise<PersonComparison | null> {
  if (!a.tables.person_assignment || !b.tables.person_assignment) return null;
  const joined = `${parquetSource(a.tables.person_assignment.path)} x JOIN ${parquetSource(b.tables.person_assignment.path)} y ON x.face_id = y.face_id`;
  const [{ shared, moved }] = (await queryRows<{ shared: number; moved: number }>(
    `SELECT count(*) AS shared, count(*) FILTER (WHERE x.person_id IS DISTINCT FROM y.person_id) AS moved FROM ${joined}`,
  )) as [{ shared: number; moved: number }];
  const moves = await queryRows<{ from: number | null; to: number | null; faces: number }>(
    `SELECT x.person_id AS "from", y.person_id AS "to", count(*) AS faces FROM ${joined} WHERE x.person_id IS DISTINCT FROM y.person_id
     GROUP BY ALL ORDER BY faces DESC, "from" NULLS FIRST, "to" NULLS FIRST LIMIT 50`,
  );
  const sample = await queryRows<{ face_id: string }>(`SELECT x.face_id FROM ${joined} WHERE x.person_id IS DISTINCT FROM y.person_id ORDER BY x.face_id LIMIT 200`);
  const names = await store.read(async (catalog) => new Map((await catalog.rows<{ person_id: number; name: string }>('SELECT person_id, name FROM persons')).map((p) => [p.person_id, p.name])));
  const nameOf = (id: number | null) => (id === null ? null : names.get(id) ?? null);
  return {
    sharedFaces: Number(shared),
    moved: Number(moved),
    moves: moves.map((move) => ({ from: move.from, fromName: nameOf(move.from), to: move.to, toName: nameOf(move.to), faces: Number(move.faces) })),
    sampleFaceIds: sample.map((row) => row.face_id),
  };
}
