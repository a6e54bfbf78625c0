// `mnemo report` over two real runs of the face fixtures with different
// clustering (eps 0.5, then 0.2 after one face was labelled): every number in
// the report is checked against the same quantity computed by direct SQL over
// the run<ID>.* views, and the CLI writes Markdown, JSON and HTML.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { compareReportOf, renderReport, runReportOf } from '../app/reports.ts';
import { Workspace } from '../app/workspace.ts';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { importFacesGold } from '../datasets/gold.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import type { CompareReport } from '../reports/report-schema.ts';
import { adjustedRandIndex } from '../vectors/cluster-metrics.ts';
import { facesFixtures, repoRoot, skipUnless } from './fixtures.ts';
import { runCli, tempDir } from './helpers.ts';
import { browserSkip, launchChromium, screenshots } from './support/browser.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';

const skip = skipUnless(facesFixtures);
const dir = skip ? '' : tempDir('mnemo-report-');
const dataDir = join(dir, 'data');

/** Two runs: A with the defaults; B with cluster.eps=0.2 after the obama.jpg face was put on person 'Obama'. Gold: every fixture face by file name. */
async function twoRuns(): Promise<{ store: Store; workspace: Workspace; a: number; b: number }> {
  const yaml = fixturePeopleYaml(facesFixtures);
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, yaml);
  const store = new Store(dataDir);
  const run = async (overrides: string[]) => {
    const summary = await runPipeline(parseSpec(yaml, config, NODE_TYPES, { overrides }), NODE_TYPES, store, {});
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary.runId;
  };
  const a = await run([]);
  const { rows } = await readOnlyQuery(store, `SELECT f.face_id, fi.name, f.x1 FROM run${a}.faces f JOIN run${a}.files fi USING (file_id) ORDER BY fi.name, f.x1`);
  const faces = rows as { face_id: string; name: string }[];
  const persons = await Persons.open(store, { author: 'test' });
  const obama = (await persons.create('Obama')).personId;
  await persons.assign([faces.find((f) => f.name === 'obama.jpg')!.face_id], String(obama));
  const b = await run(['cluster.eps=0.2']);
  const twoPeople = faces.filter((f) => f.name === 'two_people.jpg');
  const gold = faces.map((f) => `${f.face_id},${f.name.startsWith('biden') || f === twoPeople[1] ? 'biden' : 'obama'},true`);
  writeFileSync(join(dir, 'gold.csv'), ['face_id,person_name,is_face', ...gold, 'not-a-face-0001,,false'].join('\n'));
  await importFacesGold(store, join(dir, 'gold.csv'));
  return { store, workspace: await Workspace.open({ data: dataDir }), a, b };
}

let made: ReturnType<typeof twoRuns> | undefined;
const setup = () => (made ??= twoRuns());

const sql = async (store: Store, query: string) => (await readOnlyQuery(store, query)).rows as Record<string, unknown>[];
const one = async (store: Store, query: string) => (await sql(store, query))[0]!;
const close = (actual: number | null | undefined, expected: number, what: string) => assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`);

test('every count, time and parameter of the comparison equals direct SQL over the run tables', { skip }, async () => {
  const { store, workspace, a, b } = await setup();
  const report = await compareReportOf(workspace, String(a), String(b));
  const count = (key: string) => report.counts.find((c) => c.key === key)!;
  for (const [run, side] of [[a, 'a'], [b, 'b']] as const) {
    const expected: Record<string, unknown> = {
      ...(await one(store, `SELECT count(*) FILTER (WHERE status IS DISTINCT FROM 'deleted') AS files, count(*) FILTER (WHERE status = 'deleted') AS deleted_files FROM run${run}.files`)),
      ...(await one(store, `SELECT count(*) AS faces, count(*) FILTER (WHERE rejected) AS rejected_faces FROM run${run}.faces`)),
      ...(await one(store, `SELECT count(DISTINCT cluster_id) FILTER (WHERE cluster_id >= 0) AS clusters, count(*) FILTER (WHERE cluster_id = -1) AS noise_faces FROM run${run}.clusters`)),
      ...(await one(store, `SELECT count(DISTINCT person_id) AS persons, avg(CASE WHEN stranger THEN 1 ELSE 0 END) AS strangers_share, count(*) FILTER (WHERE person_id IS NULL) AS unassigned_faces FROM run${run}.person_assignment`)),
    };
    for (const [key, value] of Object.entries(expected)) close(count(key)[side], Number(value), `${key} of run ${run}`);
    for (const node of ['scan', 'hash', 'images', 'cluster', 'assign', 'umap']) {
      const { errors } = await one(store, `SELECT count(*) AS errors FROM run${run}.errors WHERE node = '${node}'`);
      close(count(`errors.${node}`)[side], Number(errors), `errors of ${node} in run ${run}`);
      const row = await one(store, `SELECT status, reused_from, duration_ms / 1000 AS seconds FROM run_nodes WHERE run_id = ${run} AND node = '${node}'`);
      const timing = report.nodes.find((n) => n.node === node)![side]!;
      assert.equal(timing.status, row.status);
      assert.equal(timing.reusedFrom, row.reused_from);
      assert.ok(Math.abs(timing.seconds! - Number(row.seconds)) < 0.006, `${node} seconds`);
    }
  }
  // Pets are off (an empty pets table: 0 of each kind); there is no near_duplicates node: null, not 0.
  const pets = await one(store, `SELECT count(*) FILTER (WHERE label = 'cat') AS cats, count(*) FILTER (WHERE label = 'dog') AS dogs FROM run${b}.pets`);
  assert.deepEqual([count('pets.cat').b, count('pets.dog').b], [Number(pets.cats), Number(pets.dogs)]);
  assert.equal(count('near_duplicate_groups').a, null);
  assert.equal(count('near_duplicate_groups').change, null);
  assert.equal(count('noise_faces').change, count('noise_faces').b! - count('noise_faces').a!);
  assert.deepEqual(report.params, [{ key: 'cluster.eps', a: 0.5, b: 0.2 }]);
  assert.equal(report.nodes.find((n) => n.node === 'images')!.b!.status, 'reused');
});

test('cluster agreement, correspondence and person moves equal direct SQL over the run tables', { skip }, async () => {
  const { store, workspace, a, b } = await setup();
  const report = await compareReportOf(workspace, String(a), String(b));
  const rows = (await sql(store, `SELECT x.cluster_id AS a, y.cluster_id AS b FROM run${a}.clusters x JOIN run${b}.clusters y USING (face_id) ORDER BY face_id`)) as { a: number; b: number }[];
  const clusters = report.clusters!;
  assert.equal(clusters.sharedFaces, rows.length);
  assert.deepEqual([clusters.onlyInA, clusters.onlyInB], [0, 0]);
  // Noise faces are each a cluster of their own, on both sides.
  const alone = (labels: number[]) => labels.map((label, i) => (label < 0 ? 1000 + i : label));
  close(clusters.ari, adjustedRandIndex(alone(rows.map((r) => r.a)), alone(rows.map((r) => r.b))), 'ARI');
  close(clusters.nmi, nmi(alone(rows.map((r) => r.a)), alone(rows.map((r) => r.b))), 'NMI');
  const noise = await one(store, `SELECT count(*) FILTER (WHERE x.cluster_id >= 0 AND y.cluster_id < 0) AS to_noise FROM run${a}.clusters x JOIN run${b}.clusters y USING (face_id)`);
  assert.equal(clusters.correspondence.facesToNoise, Number(noise.to_noise));
  assert.equal(clusters.correspondence.clustersA, report.counts.find((c) => c.key === 'clusters')!.a);

  const moved = await sql(store, `SELECT x.person_id AS "from", y.person_id AS "to", count(*) AS faces FROM run${a}.person_assignment x JOIN run${b}.person_assignment y USING (face_id)
    WHERE x.person_id IS DISTINCT FROM y.person_id GROUP BY ALL ORDER BY faces DESC`);
  assert.ok(moved.length > 0, 'labelling a face before run B moves faces to Obama');
  assert.equal(report.persons!.moved, moved.reduce((sum, m) => sum + Number(m.faces), 0));
  assert.deepEqual(report.persons!.moves.map((m) => [m.from, m.to, m.faces]), moved.map((m) => [m.from, m.to, Number(m.faces)]));
  assert.equal(report.persons!.moves[0]!.toName, 'Obama');
});

test('accuracy against gold equals pair counts and detection counts by direct SQL', { skip }, async () => {
  const { store, workspace, a, b } = await setup();
  const report = await compareReportOf(workspace, String(a), String(b));
  const section = (key: string) => report.accuracy.sections.find((s) => s.key === key)!;
  for (const [index, run] of [a, b].entries()) {
    // Pairs of real gold faces: put together (same cluster / person, not noise or none), truly together (same gold person), both.
    for (const [key, table, column] of [['faces.clusters', 'clusters', 'cluster_id'], ['faces.persons', 'person_assignment', 'person_id']] as const) {
      const pairs = await one(store, `WITH g AS (SELECT g.face_id, g.person_name, t.${column} AS grp FROM faces_gold g JOIN run${run}.${table} t USING (face_id) WHERE g.is_face)
        SELECT count(*) FILTER (WHERE x.grp = y.grp AND x.grp >= 0) AS predicted, count(*) FILTER (WHERE x.person_name = y.person_name) AS truth,
          count(*) FILTER (WHERE x.grp = y.grp AND x.grp >= 0 AND x.person_name = y.person_name) AS correct
        FROM g x JOIN g y ON x.face_id < y.face_id`);
      const [precision, recall, f1] = section(key).metrics.map((m) => m.runs[index]!.value);
      const p = Number(pairs.predicted) ? Number(pairs.correct) / Number(pairs.predicted) : 1;
      const r = Number(pairs.correct) / Number(pairs.truth);
      close(precision, p, `${key} precision of run ${run}`);
      close(recall, r, `${key} recall of run ${run}`);
      close(f1, p + r ? (2 * p * r) / (p + r) : 0, `${key} F1 of run ${run}`);
    }
    const detection = await one(store, `SELECT count(*) FILTER (WHERE g.is_face AND f.face_id IS NOT NULL AND NOT f.rejected) AS tp,
        count(*) FILTER (WHERE NOT g.is_face AND f.face_id IS NOT NULL AND NOT f.rejected) AS fp, count(*) FILTER (WHERE g.is_face AND (f.face_id IS NULL OR f.rejected)) AS fn
      FROM faces_gold g LEFT JOIN run${run}.faces f USING (face_id)`);
    const [dp, dr] = section('faces.detection').metrics.map((m) => m.runs[index]!.value);
    close(dp, Number(detection.tp) / (Number(detection.tp) + Number(detection.fp)), 'detection precision');
    close(dr, Number(detection.tp) / (Number(detection.tp) + Number(detection.fn)), 'detection recall');
  }
  // Each estimate sits inside its interval; the difference is B - A.
  for (const metric of section('faces.clusters').metrics) {
    for (const estimate of metric.runs) assert.ok(estimate.low! <= estimate.value! + 1e-12 && estimate.value! <= estimate.high! + 1e-12, `${metric.name}: ${JSON.stringify(estimate)}`);
    close(metric.difference!.value, metric.runs[1]!.value! - metric.runs[0]!.value!, `${metric.name} difference`);
  }
  const test = section('faces.clusters').test!;
  assert.equal(test.onlyA + test.onlyB + test.bothRight + test.bothWrong, 10);
  assert.equal(section('faces.detection').items, 11);
  assert.ok(report.accuracy.missing.some((line) => /no pet gold/.test(line)));
  // Seeded: the same report twice is the same JSON.
  assert.equal(JSON.stringify(await compareReportOf(workspace, String(a), String(b))), JSON.stringify(report));
});

test('distributions and the one-run report equal direct SQL', { skip }, async () => {
  const { store, workspace, a, b } = await setup();
  const report = await compareReportOf(workspace, String(a), String(b));
  const quality = report.distributions.find((d) => d.key === 'face_quality')!;
  for (const [index, run] of [a, b].entries()) {
    const stats = await one(store, `SELECT count(*) AS n, avg(quality) AS mean, median(quality) AS median FROM run${run}.faces`);
    assert.equal(quality.runs[index]!.n, Number(stats.n));
    close(quality.runs[index]!.mean, Number(stats.mean), 'mean quality');
    close(quality.runs[index]!.median, Number(stats.median), 'median quality');
    assert.equal(quality.runs[index]!.counts.reduce((x, y) => x + y, 0), Number(stats.n));
    const sizes = report.distributions.find((d) => d.key === 'cluster_sizes')!.runs[index]!;
    const clusters = await sql(store, `SELECT count(*) AS size FROM run${run}.clusters WHERE cluster_id >= 0 GROUP BY cluster_id`);
    assert.equal(sizes.n, clusters.length);
    close(sizes.max, Math.max(...clusters.map((c) => Number(c.size))), 'largest cluster');
  }
  const perPhoto = report.distributions.find((d) => d.key === 'faces_per_photo')!;
  assert.equal(perPhoto.runs[0]!.n, 9);
  assert.equal(perPhoto.runs[0]!.max, 2);
  assert.equal(report.distributions.some((d) => d.key === 'pet_scores'), false);

  const single = await runReportOf(workspace, String(b));
  assert.equal(single.format, 'mnemo.report.run/1');
  assert.deepEqual(single.counts.map((c) => [c.key, c.value]), report.counts.map((c) => [c.key, c.b]));
  assert.equal(single.accuracy.sections.every((s) => s.test === null && s.metrics.every((m) => m.difference === null)), true);
});

test('the CLI writes the comparison as Markdown, JSON (as the schema says) and HTML; latest and previous name runs', { skip }, async () => {
  const { a, b } = await setup();
  const md = runCli(['report', 'compare', String(a), String(b), '--data', dataDir], dir);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, new RegExp(`^# Report: run ${a} compared with run ${b}`));
  assert.match(md.stdout, /\| cluster\.eps +\| 0\.5 +\| 0\.2 +\|/);
  assert.match(md.stdout, /Paired test \(exact McNemar on 10 gold items/);
  const json = runCli(['report', 'compare', 'previous', 'latest', '--data', dataDir, '--out', join(dir, 'report.json')], dir);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CompareReport;
  assert.deepEqual([report.a.runId, report.b.runId], [a, b]);
  const schema = JSON.parse(readFileSync(join(repoRoot, 'docs', 'report.schema.json'), 'utf8')) as { $defs: Record<string, { required: string[]; properties: Record<string, unknown> }> };
  assert.deepEqual(Object.keys(report).sort(), [...schema.$defs.compareReport!.required].sort());
  // Ajv comes with fastify: the whole report is valid against the documented schema.
  const { Ajv2020 } = (await import('ajv/dist/2020.js')) as unknown as { Ajv2020: new (options: object) => { validate(schema: object, data: unknown): boolean; errorsText(): string } };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  assert.ok(ajv.validate(schema, report), ajv.errorsText());
  const html = runCli(['report', 'run', 'latest', '--data', dataDir, '--out', join(dir, 'run.html')], dir);
  assert.equal(html.code, 0, html.stderr);
  assert.match(readFileSync(join(dir, 'run.html'), 'utf8'), /^<!doctype html>[\s\S]*<svg[\s\S]*<\/html>\n$/);
});

test('the HTML report opens from disk in headless Chromium and shows its charts', { skip: browserSkip }, async () => {
  const { workspace, a, b } = await setup();
  const path = join(dir, 'compare.html');
  writeFileSync(path, await renderReport(await compareReportOf(workspace, String(a), String(b)), 'html'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(path).href);
    // One figure per distribution (no pets here), each an SVG with bars of both runs that have a size on screen.
    const charts = await page.locator('figure.chart').evaluateAll((figures) => figures.map((figure) => {
      const bars = [...figure.querySelectorAll('svg rect')].map((rect) => rect.getBoundingClientRect()).filter((box) => box.width > 0 && box.height > 0);
      const fills = new Set([...figure.querySelectorAll('svg g[aria-label="rect"] rect, svg rect')].map((rect) => rect.getAttribute('fill')).filter(Boolean));
      return { key: (figure as HTMLElement).dataset.distribution, bars: bars.length, fills: fills.size, width: Math.max(...[...figure.querySelectorAll('svg')].map((svg) => svg.getBoundingClientRect().width)) };
    }));
    assert.deepEqual(charts.map((c) => c.key), ['faces_per_photo', 'cluster_sizes', 'face_quality', 'detection_scores']);
    for (const chart of charts) assert.ok(chart.bars > 0 && chart.width > 300, JSON.stringify(chart));
    assert.ok(charts.some((chart) => chart.fills >= 2), 'bars in two run colours');
    // A picture of the first chart, for a person to look at.
    const shot = await page.locator('figure.chart').first().screenshot({ path: join(screenshots, 'report-compare-chart.png') });
    assert.ok(shot.length > 1000);
    assert.deepEqual(requests.filter((url) => !url.startsWith('file:')), [], 'no network');
  } finally {
    await browser.close();
  }
});

/** NMI (arithmetic mean) straight from the definition, for checking. */
function nmi(a: number[], b: number[]): number {
  const n = a.length;
  const count = <T>(values: T[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<T, number>());
  const entropy = (values: number[]) => -[...count(values).values()].reduce((sum, c) => sum + (c / n) * Math.log(c / n), 0);
  const ca = count(a), cb = count(b);
  let mutual = 0;
  for (const [key, c] of count(a.map((x, i) => `${x}|${b[i]}`))) {
    const [x, y] = key.split('|').map(Number) as [number, number];
    mutual += (c / n) * Math.log((n * c) / (ca.get(x)! * cb.get(y)!));
  }
  const mean = (entropy(a) + entropy(b)) / 2;
  return mean === 0 ? 1 : mutual / mean;
}
