// The review queue's API (workbench/server/routes/review.ts over
// app/suggestions.ts) on a real store: the face fixtures run through the
// people pipeline once, then decisions through the real routes. Suggestions
// come in order of confidence, "not this person" keeps the person off the
// face, decided faces leave the queue at once (before any re-match), groups
// gather a cluster's faces, and bad query values get a 400 naming the field.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterSuggestion, ReviewItem, ReviewQueue } from '../app/api-types.ts';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { bestPersons } from '../app/suggestions.ts';
import { Workspace } from '../app/workspace.ts';
import { buildServer } from '../workbench/server/server.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';
import { generateSyntheticEmbeddings } from './support/synthetic-embeddings.ts';

const skip = skipUnless(facesFixtures);
const PORT = 7707;
const HOST = `127.0.0.1:${PORT}`;
const root = skip ? '' : tempDir('mnemo-review-');
type App = Awaited<ReturnType<typeof buildServer>>['app'];

let shared: Promise<{ app: App; config: string }> | undefined;

/** One store and one server for the file; no re-match (the queue must be right without one). */
function server(): Promise<{ app: App; config: string }> {
  shared ??= (async () => {
    const config = join(root, 'mnemo.yaml');
    writeFileSync(config, fixturePeopleYaml(facesFixtures));
    assert.equal((await runToEnd(await Workspace.open({ config }))).status, 'succeeded');
    const { app } = await buildServer(await Workspace.open({ config }), { port: PORT, logger: false, rematchDebounceMs: 600_000, staticDir: join(root, 'no-web-app') });
    return { app, config };
  })();
  return shared;
}

const get = async (url: string) => (await server()).app.inject({ method: 'GET', url, headers: { host: HOST } });
const post = async (url: string, payload: unknown) =>
  (await server()).app.inject({ method: 'POST', url, headers: { host: HOST, 'x-mnemo': '1', 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

async function queue(search = ''): Promise<ReviewQueue> {
  const response = await get(`/api/review/next${search}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as ReviewQueue;
}

/** Face ids by photo name, left to right. */
async function facesIn(name: string): Promise<string[]> {
  const { config } = await server();
  const rows = (await query(await Workspace.open({ config }), `SELECT DISTINCT face_id, x1 FROM latest.faces JOIN latest.files USING (file_id) WHERE name = '${name}' AND NOT rejected ORDER BY x1`)).rows as { face_id: string }[];
  assert.ok(rows.length > 0, `a face in ${name}`);
  return rows.map((row) => row.face_id);
}

const facesOfQueue = (q: ReviewQueue) => q.items.flatMap((item) => item.faceIds);
const isSorted = (values: number[]) => values.every((v, i) => i === 0 || values[i - 1]! >= v);

test('best persons: the HNSW path agrees with the exact one, and a ruled-out person is never among them', async () => {
  const data = generateSyntheticEmbeddings({ n: 2500, seed: 3 });
  // References: up to 3 faces of each person seen 4 times or more; open: their other faces.
  const seen = new Map<number, number>();
  const referenceRows: number[] = [];
  const open: number[] = [];
  const facesOf = new Map<number, number>();
  for (let i = 0; i < data.n; i++) facesOf.set(data.labels[i]!, (facesOf.get(data.labels[i]!) ?? 0) + 1);
  for (let i = 0; i < data.n; i++) {
    const person = data.labels[i]!;
    if (facesOf.get(person)! < 4) continue;
    const count = seen.get(person) ?? 0;
    seen.set(person, count + 1);
    (count < 3 ? referenceRows : open).push(i);
  }
  const references = { vectors: new Float32Array(referenceRows.length * data.dim), persons: Int32Array.from(referenceRows, (row) => data.labels[row]!) };
  referenceRows.forEach((row, r) => references.vectors.set(data.vectors.subarray(row * data.dim, (row + 1) * data.dim), r * data.dim));
  const rows = Int32Array.from(open);
  const blocked = (row: number) => (row % 10 === 0 ? [data.labels[row]!] : undefined); // every tenth face: "not this person"
  let started = performance.now();
  const exact = await bestPersons(data, rows, references, blocked, { exactWork: Infinity });
  const exactMs = performance.now() - started;
  started = performance.now();
  const approximate = await bestPersons(data, rows, references, blocked, { exactWork: 0 });
  console.log(`# best persons of ${rows.length} faces against ${referenceRows.length} references: exact ${exactMs.toFixed(0)} ms, HNSW ${(performance.now() - started).toFixed(0)} ms`);
  const KEPT = exact.persons.length / rows.length;
  let agree = 0;
  let right = 0;
  for (let o = 0; o < rows.length; o++) {
    const row = rows[o]!;
    if (exact.persons[o * KEPT] === approximate.persons[o * KEPT]) {
      agree++;
      assert.ok(Math.abs(exact.scores[o * KEPT]! - approximate.scores[o * KEPT]!) < 1e-4);
    }
    if (exact.persons[o * KEPT] === data.labels[row]) right++;
    for (const best of [exact, approximate]) {
      const persons = [...best.persons.subarray(o * KEPT, (o + 1) * KEPT)];
      if (row % 10 === 0) assert.ok(!persons.includes(data.labels[row]!), 'ruled out');
      const scores = [...best.scores.subarray(o * KEPT, (o + 1) * KEPT)].filter((_, k) => persons[k]! >= 0);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
      assert.equal(new Set(persons.filter((p) => p >= 0)).size, persons.filter((p) => p >= 0).length, 'one entry per person');
    }
  }
  assert.ok(agree / rows.length >= 0.97, `HNSW agrees on the best person for ${agree} of ${rows.length}`);
  const allowed = rows.filter((row) => row % 10 !== 0).length;
  assert.ok(right / allowed >= 0.8, `exact: the true person first for ${right} of ${allowed} faces not ruled out`);
});

let obamaId = 0;
let bidenId = 0;

test('before anyone is named the queue is empty', { skip }, async () => {
  const q = await queue();
  assert.ok(q.runId !== null && q.runId >= 1);
  assert.deepEqual([q.total, q.faces, q.items], [0, 0, []]);
  assert.deepEqual((await get('/api/review/clusters')).json(), { clusters: [] });
});

test('one named face: the other obama faces are suggested, by confidence, and the biden faces are not', { skip }, async () => {
  const [obama] = await facesIn('obama.jpg');
  const biden = await facesIn('biden.jpg');
  const created = await post('/api/people', { name: 'Obama' });
  obamaId = created.json().personId;
  assert.equal((await post('/api/assignments', { faceIds: [obama], target: String(obamaId) })).statusCode, 200);

  const started = performance.now();
  const q = await queue('?groups=false&limit=50');
  const firstMs = performance.now() - started;
  const again = performance.now();
  await queue('?groups=false&limit=50');
  console.log(`# review/next: first ${firstMs.toFixed(0)} ms (vectors read), then ${(performance.now() - again).toFixed(1)} ms`);

  assert.ok(q.items.length >= 5, `obama is in most photos (${q.items.length} suggestions)`);
  assert.ok(q.items.every((item) => item.kind === 'face' && item.faceIds.length === 1 && item.personId === obamaId && item.personName === 'Obama'));
  assert.ok(isSorted(q.items.map((item) => item.confidence)), 'best first');
  assert.ok(q.items.every((item) => item.confidence >= 0.6), 'obama faces are at least 0.687 alike');
  assert.ok(!facesOfQueue(q).includes(obama!), 'the named face is not suggested');
  assert.ok(!facesOfQueue(q).some((id) => biden.includes(id)), 'biden is not obama');
  assert.deepEqual(q.items[0]!.personFaceIds, [obama], 'the person\'s face to compare with');
  assert.equal(q.total, q.items.length);
  assert.equal(q.faces, q.items.length);
});

test('groups: the faces of a cluster that all point to one person come as one item', { skip }, async () => {
  const faces = await queue('?groups=false&limit=50');
  const grouped = await queue('?limit=50');
  const groups = grouped.items.filter((item) => item.kind === 'group');
  assert.ok(groups.length >= 1, 'the obama cluster is a group');
  const group = groups[0]!;
  assert.ok(group.clusterId !== null && group.faceIds.length >= 2 && group.faceIds.length <= 12);
  assert.equal(group.confidence, Math.min(...group.confidences));
  assert.deepEqual(facesOfQueue(grouped).sort(), facesOfQueue(faces).sort(), 'every face in exactly one item');
  assert.equal(grouped.faces, faces.faces);
  const clusters = (await get('/api/review/clusters')).json().clusters as ClusterSuggestion[];
  const cluster = clusters.find((c) => c.clusterId === group.clusterId);
  assert.ok(cluster && cluster.personId === obamaId && cluster.faceIds.length >= group.faceIds.length);
});

test('a second person: each face gets the person it is most like', { skip }, async () => {
  const [biden] = await facesIn('biden.jpg');
  const [left, right] = await facesIn('two_people.jpg');
  const created = await post('/api/people/split', { faceIds: [biden], name: 'Biden' });
  assert.equal(created.statusCode, 201, created.body);
  bidenId = created.json().personId;
  const q = await queue('?groups=false&limit=50');
  const personOf = new Map(q.items.map((item) => [item.faceIds[0], item.personId]));
  assert.equal(personOf.get(left!), obamaId);
  assert.equal(personOf.get(right!), bidenId);
  assert.ok(!personOf.has(biden!));
});

test('not this person: the face is never suggested as that person again', { skip }, async () => {
  const before = await queue('?groups=false&limit=50');
  const top = before.items.find((item) => item.personId === obamaId)!;
  assert.equal((await post('/api/assignments', { faceIds: top.faceIds, target: `not:${obamaId}` })).statusCode, 200);
  const after = await queue('?groups=false&limit=50');
  const again = after.items.filter((item: ReviewItem) => item.faceIds.includes(top.faceIds[0]!));
  assert.ok(again.every((item) => item.personId !== obamaId), 'obama is ruled out for it');
  assert.equal(after.faces, before.faces - 1, 'nobody else is like it: it leaves the queue');
  const grouped = await queue('?limit=50');
  assert.ok(!facesOfQueue(grouped).includes(top.faceIds[0]!), 'nor in a group');
});

test('decided faces leave the queue at once, an undo brings them back, skip leaves faces out', { skip }, async () => {
  const before = await queue('?groups=false&limit=50');
  const [first, second] = before.items;
  const accepted = await post('/api/assignments', { faceIds: first!.faceIds, target: String(first!.personId) });
  assert.equal(accepted.statusCode, 200);
  const stranger = await post('/api/assignments', { faceIds: second!.faceIds, target: 'stranger' });
  assert.equal(stranger.statusCode, 200);
  const after = await queue('?groups=false&limit=50');
  assert.ok(!facesOfQueue(after).includes(first!.faceIds[0]!), 'accepted: gone');
  assert.ok(!facesOfQueue(after).includes(second!.faceIds[0]!), 'marked a stranger: gone');
  assert.equal(after.faces, before.faces - 2);

  assert.equal((await post('/api/undo', { batchId: stranger.json().batchId })).statusCode, 200);
  const undone = await queue('?groups=false&limit=50');
  assert.ok(facesOfQueue(undone).includes(second!.faceIds[0]!), 'the undone stranger is back');

  const skipped = undone.items.slice(0, 2).flatMap((item) => item.faceIds);
  const rest = await queue(`?groups=false&limit=50&skip=${skipped.join(',')}`);
  assert.ok(!facesOfQueue(rest).some((id) => skipped.includes(id)));
  assert.equal(rest.faces, undone.faces - skipped.length);
  assert.equal((await queue('?groups=false&limit=1')).items.length, 1);
});

test('bad query values get a 400 naming the field', { skip }, async () => {
  const cases: [string, RegExp][] = [
    ['/api/review/next?limit=0', /limit must be from 1 to 50/],
    ['/api/review/next?limit=51', /limit must be from 1 to 50/],
    ['/api/review/next?limit=ten', /limit must be a whole number/],
    ['/api/review/next?groups=yes', /groups must be true or false/],
    ['/api/review/next?skip=abc,../x', /skip must be face ids/],
    [`/api/review/next?skip=${Array.from({ length: 501 }, (_, i) => `f${i}`).join(',')}`, /skip may list at most 500/],
    ['/api/review/next?colour=red', /unknown field 'querystring.colour'/],
    ['/api/review/clusters?limit=3', /unknown field 'querystring.limit'/],
  ];
  for (const [url, message] of cases) {
    const response = await get(url);
    assert.equal(response.statusCode, 400, url);
    assert.equal(response.json().error.kind, 'invalid', url);
    assert.match(response.json().error.message, message, url);
  }
  await (await server()).app.close();
});
