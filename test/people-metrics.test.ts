// Gold import, run metrics and parameter sweeps on the real fixture faces,
// plus the CLI wiring of the people commands.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { importFacesGold, importPetsGold } from '../datasets/gold.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { runMetrics } from '../reports/metrics.ts';
import { bestSetting, parseSweepAxis, runSweep, sweepSettings, type SweepRow } from '../app/sweeps.ts';
import { formatSweep } from '../bin/format.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';
import { runCli, tempDir } from './helpers.ts';

const skip = skipUnless(facesFixtures);
const dir = skip ? '' : tempDir('mnemo-metrics-');
const store = new Store(join(dir, 'data'));
const yaml = fixturePeopleYaml(facesFixtures);
const spec = (overrides: string[] = []) => parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES, { overrides });
const close = (actual: number | null | undefined, expected: number) => assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

/** face_id by file name (two_people.jpg: left = obama, right = biden). */
const ids: Record<string, string> = {};
let labelledRun = 0;

test('sweep arguments: inclusive float-safe ranges, lists, single values; every combination', () => {
  assert.deepEqual(parseSweepAxis('cluster.eps=0.35:0.65:0.05'), { key: 'cluster.eps', values: [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65] });
  assert.deepEqual(parseSweepAxis('cluster.eps=0.1:0.3:0.1').values, [0.1, 0.2, 0.3]); // 0.1 + 0.2 is not 0.30000000000000004 here
  assert.deepEqual(parseSweepAxis('cluster.minPts=2,3'), { key: 'cluster.minPts', values: [2, 3] });
  assert.deepEqual(parseSweepAxis('cluster.method=average'), { key: 'cluster.method', values: ['average'] });
  assert.throws(() => parseSweepAxis('eps=0.3'), /node.param/);
  assert.throws(() => parseSweepAxis('cluster.eps=0.5:0.3:0.1'), /from <= to/);
  assert.deepEqual(sweepSettings([parseSweepAxis('cluster.eps=0.3,0.5'), parseSweepAxis('cluster.minPts=2,3')]), [
    ['cluster.eps=0.3', 'cluster.minPts=2'], ['cluster.eps=0.3', 'cluster.minPts=3'], ['cluster.eps=0.5', 'cluster.minPts=2'], ['cluster.eps=0.5', 'cluster.minPts=3'],
  ]);
  const row = (setting: string, f1: number | null, strangersShare: number): SweepRow => ({ setting, runId: 1, status: 'succeeded', clusters: 1, strangersShare, f1, ari: null, personF1: null, message: null });
  assert.equal(bestSetting([row('a', 0.9, 0.1), row('b', 0.95, 0.3), row('c', 0.95, 0.2), row('d', null, 0)])!.setting, 'c');
});

test('metrics fall back to the manual labels, and say so', { skip }, async () => {
  const first = await runPipeline(spec(), NODE_TYPES, store);
  const { rows } = await readOnlyQuery(store, `SELECT fi.name, f.face_id FROM run${first.runId}.faces f JOIN run${first.runId}.files fi USING (file_id) ORDER BY fi.name, f.x1`);
  for (const row of rows as { name: string; face_id: string }[]) ids[ids[row.name] ? `${row.name}:right` : row.name] = row.face_id;
  const persons = await Persons.open(store);
  const obama = (await persons.create('Obama')).personId;
  const biden = (await persons.create('Biden')).personId;
  await persons.assign([ids['obama.jpg']!], String(obama));
  await persons.assign([ids['biden.jpg']!], String(biden));
  labelledRun = (await runPipeline(spec(), NODE_TYPES, store)).runId;

  const m = await runMetrics(store, labelledRun);
  assert.equal(m.reference, 'manual');
  assert.match(m.note, /no gold: against 2 manual labels/);
  assert.deepEqual([m.faces, m.evaluated, m.clusterCount, m.strangersShare], [10, 2, 2, 0]);
  assert.deepEqual([m.assignment!.predictedPairs, m.assignment!.truePairs, m.assignment!.f1], [0, 0, 1]);
});

test('gold import and metrics: 1.0 with the right labels, exact lower values with wrong ones', { skip }, async () => {
  const csv = (name: string, lines: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const obamaFiles = ['obama.jpg', 'obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama-1080p.jpg', 'obama_small.jpg', 'obama2.jpg', 'two_people.jpg'];
  const right = csv('gold.csv', ['face_id,person_name,is_face', ...obamaFiles.map((f) => `${ids[f]},Barack Obama,true`), `${ids['biden.jpg']},Joe Biden,yes`, `${ids['two_people.jpg:right']},Joe Biden,`]);
  assert.deepEqual(await importFacesGold(store, right), { rows: 10, total: 10 });
  let m = await runMetrics(store, labelledRun);
  assert.equal(m.reference, 'gold');
  assert.equal(m.evaluated, 10);
  for (const scores of [m.assignment!, m.clusters!]) assert.deepEqual([scores.precision, scores.recall, scores.f1, scores.ari], [1, 1, 1, 1]);
  assert.deepEqual(m.detection, { precision: 1, recall: 1, truePositives: 10, falsePositives: 0, falseNegatives: 0 });

  // Wrong gold: obama2.jpg said to be biden, obama-240p.jpg said not to be a face, plus a face id this run does not have.
  const wrong = csv('wrong.csv', ['face_id,person_name,is_face,verified_at', `${ids['obama2.jpg']},Joe Biden,true,2024-05-01 10:00:00`, `${ids['obama-240p.jpg']},,false,`, 'ffffffffffffffff,Nobody,true,']);
  assert.deepEqual(await importFacesGold(store, wrong), { rows: 3, total: 3 });
  m = await runMetrics(store, labelledRun);
  // 9 real faces evaluated. Truth: obama 6, biden 3 (obama2 included) -> 15 + 3 = 18 true pairs.
  // Predicted: Obama 7 (obama2 included), Biden 2 -> 21 + 1 = 22 pairs; right: 15 (obama x obama) + 1 (biden x biden) = 16.
  // precision 16/22, recall 16/18, F1 = 2PR/(P+R) = 0.8; ARI = (16 - 22*18/36) / ((22+18)/2 - 22*18/36) = 5/9.
  assert.equal(m.evaluated, 9);
  assert.equal(m.missing, 1);
  for (const scores of [m.assignment!, m.clusters!]) {
    assert.deepEqual([scores.predictedPairs, scores.truePairs, scores.correctPairs], [22, 18, 16]);
    close(scores.precision, 16 / 22);
    close(scores.recall, 16 / 18);
    close(scores.f1, 0.8);
    close(scores.ari, 5 / 9);
  }
  // Detection: the not-a-face is accepted (a false positive): 9 / 10; nothing real was rejected.
  assert.deepEqual(m.detection, { precision: 0.9, recall: 1, truePositives: 9, falsePositives: 1, falseNegatives: 0 });
  const stored = await readOnlyQuery(store, `SELECT person_name, is_face, strftime(verified_at, '%Y-%m-%d') AS day FROM main.faces_gold WHERE face_id = '${ids['obama2.jpg']}'`);
  assert.deepEqual(stored.rows, [{ person_name: 'Joe Biden', is_face: true, day: '2024-05-01' }]);

  // A bad row rejects the whole file, naming the line; pets gold imports the same way.
  await assert.rejects(importFacesGold(store, csv('bad.csv', ['face_id,is_face', 'aaaa,true', 'bbbb,maybe'])), /bad\.csv: line 3: needs a face_id and is_face/);
  await assert.rejects(importFacesGold(store, csv('odd.csv', ['face,person_name', 'aaaa,x'])), /missing column face_id/);
  assert.equal((await readOnlyQuery(store, "SELECT count(*) AS n FROM main.faces_gold WHERE face_id = 'aaaa'")).rows[0]!.n, 0);
  assert.deepEqual(await importPetsGold(store, csv('pets.csv', ['pet_id,correct,label', 'p1,true,Cat', 'p2,no,', 'p1,false,dog'])), { rows: 2, total: 3 });
  const pets = await readOnlyQuery(store, 'SELECT pet_id, correct, label FROM main.pets_gold ORDER BY pet_id');
  assert.deepEqual(pets.rows, [{ pet_id: 'p1', correct: false, label: 'dog' }, { pet_id: 'p2', correct: false, label: null }]);
});

test('a sweep runs cluster + assign once per setting, tagged, reusing images, and picks the best setting', { skip }, async () => {
  const latestBefore = await store.read((catalog) => catalog.rows<{ value: string }>("SELECT value FROM meta WHERE key = 'latest_run'"));
  const result = await runSweep({ loadSpec: spec, registry: NODE_TYPES, store, axes: [parseSweepAxis('cluster.eps=0.3,0.5')] });
  assert.deepEqual(result.nodes, ['scan', 'hash', 'images', 'cluster', 'assign']);
  assert.deepEqual(result.rows.map((row) => [row.setting, row.status, row.clusters]), [['cluster.eps=0.3', 'succeeded', 2], ['cluster.eps=0.5', 'succeeded', 2]]);
  // Both settings find the two people, so both score the wrong gold alike; the tie goes to the first.
  for (const row of result.rows) {
    close(row.f1, 0.8);
    close(row.ari, 5 / 9);
    assert.equal(row.strangersShare, 0);
  }
  assert.equal(result.best!.setting, 'cluster.eps=0.3');
  const runs = await store.read((catalog) => catalog.rows<{ run_id: number; setting: string }>(`SELECT run_id, tags->>'setting' AS setting FROM runs WHERE tags->>'sweep' = $1 ORDER BY run_id`, [result.sweepId]));
  assert.deepEqual(runs.map((r) => r.setting), ['cluster.eps=0.3', 'cluster.eps=0.5']);
  const nodes = await store.read((catalog) => catalog.rows<{ node: string; status: string }>(`SELECT node, status FROM run_nodes WHERE run_id IN (${runs.map((r) => r.run_id).join(', ')}) ORDER BY run_id, node`));
  assert.ok(nodes.filter((n) => n.node === 'images').every((n) => n.status === 'reused'), 'images is reused');
  assert.ok(!nodes.some((n) => n.node === 'umap'), 'umap is left out of sweeps');
  const latestAfter = await store.read((catalog) => catalog.rows<{ value: string }>("SELECT value FROM meta WHERE key = 'latest_run'"));
  assert.deepEqual(latestAfter, latestBefore, 'a sweep leaves latest.* on the last full run');
  const text = formatSweep(result);
  assert.match(text, /^setting\s+run\s+clusters\s+strangers\s+f1\s+ari\s+person_f1$/m);
  assert.match(text, /^best: cluster\.eps=0\.3 \(run \d+, F1 0\.800, strangers 0\.000\); apply with: mnemo run --set cluster\.eps=0\.3$/m);
});

test('CLI: person, gold and metrics commands', { skip }, async () => {
  const data = join(dir, 'data');
  const list = runCli(['person', 'list', '--data', data], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /Obama/);
  assert.match(list.stdout, /Biden/);
  const bad = runCli(['person', 'assign', ids['obama.jpg']!, 'someone', '--data', data], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^mnemo person: unknown target 'someone'/);
  const metrics = runCli(['metrics', String(labelledRun), '--json', '--data', data], dir);
  assert.equal(metrics.code, 0, metrics.stderr);
  const [parsed] = JSON.parse(metrics.stdout) as { reference: string; evaluated: number }[];
  assert.deepEqual([parsed!.reference, parsed!.evaluated], ['gold', 9]);
});
