// The application layer (app/) on the real fixture photos: typed run events,
// "latest", cancel and resume, the person directory and its decisions, and
// the one error type with its kinds. Each test has a data folder of its own,
// seeded with per-photo caches made once per file (no photo decoded twice).
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError, asAppError } from '../app/errors.ts';
import { People } from '../app/people.ts';
import { runToEnd, startRun } from '../app/pipeline.ts';
import { getRun, listRuns, parseRunRef, resolveRun, runTables } from '../app/runs.ts';
import { exportTable, query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import type { RunEvent } from '../dag/progress.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';

const skip = skipUnless(facesFixtures);
const cachesDir = skip ? '' : tempDir('mnemo-app-caches-');
let warmCaches: Promise<string> | undefined;

async function workspaceIn(dir: string): Promise<Workspace> {
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, fixturePeopleYaml(facesFixtures));
  return Workspace.open({ config });
}

/** A fresh workspace (no runs, no persons) whose per-photo caches are already warm. */
async function workspace(): Promise<Workspace> {
  warmCaches ??= (async () => {
    const warm = await workspaceIn(cachesDir);
    await runToEnd(warm);
    return join(warm.store.dataDir, 'cache');
  })();
  const caches = await warmCaches;
  const ws = await workspaceIn(tempDir('mnemo-app-'));
  cpSync(caches, join(ws.store.dataDir, 'cache'), { recursive: true });
  return ws;
}

async function rejectsWith(promise: Promise<unknown>, kind: AppError['kind'], pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof AppError && error.kind === kind && pattern.test(error.message));
}

test('a run reports typed events in order; the next run reports every node reused', { skip }, async () => {
  const ws = await workspace();
  const events: RunEvent[] = [];
  const first = await runToEnd(ws, { onEvent: (event) => events.push(event) });
  assert.equal(first.status, 'succeeded');
  assert.deepEqual(events[0], { type: 'run-started', runId: first.runId, nodes: ['scan', 'hash', 'images', 'cluster', 'assign', 'umap'], resumed: false, alreadyDone: 0 });
  assert.deepEqual(events.at(-1), { type: 'run-finished', runId: first.runId, status: 'succeeded', message: null });
  for (const node of ['scan', 'hash', 'images', 'cluster', 'assign', 'umap']) {
    const started = events.findIndex((e) => e.type === 'node-started' && e.node === node);
    const finished = events.findIndex((e) => e.type === 'node-finished' && e.node === node);
    assert.ok(started >= 0 && finished > started, `${node}: started before finished`);
    const done = events[finished] as Extract<RunEvent, { type: 'node-finished' }>;
    assert.equal(done.status, 'done');
    assert.equal(done.rows, first.nodes.find((n) => n.node === node)!.rowsWritten);
  }
  // hash counts its files: progress reaches the total it announced, never beyond.
  const hashProgress = events.filter((e): e is Extract<RunEvent, { type: 'node-progress' }> => e.type === 'node-progress' && e.node === 'hash');
  assert.ok(hashProgress.length >= 2, 'hash reported progress');
  assert.equal(hashProgress.at(-1)!.done, hashProgress.at(-1)!.total);
  assert.equal(hashProgress.at(-1)!.total, 9, 'nine fixture photos');
  assert.ok(hashProgress.every((e) => e.done <= e.total && e.perSecond >= 0));

  const again: RunEvent[] = [];
  const second = await runToEnd(ws, { onEvent: (event) => again.push(event) });
  const finished = again.filter((e): e is Extract<RunEvent, { type: 'node-finished' }> => e.type === 'node-finished');
  assert.equal(finished.length, 6);
  assert.ok(finished.every((e) => e.status === 'reused' && e.reusedFrom === first.runId), JSON.stringify(finished));
  assert.equal(second.runId, first.runId + 1);
});

test('latest is the newest successful full run, everywhere', { skip }, async () => {
  const ws = await workspace();
  await rejectsWith(listRuns(ws), 'not_found', /no mnemo catalog/);
  const full = await runToEnd(ws);
  const partial = await runToEnd(ws, { only: 'cluster', from: 'cluster' });
  assert.equal(partial.status, 'succeeded');
  assert.equal(await resolveRun(ws, 'latest'), full.runId, 'a partial run does not move latest');
  assert.equal((await getRun(ws, 'latest')).runId, full.runId);
  const [{ n }] = (await query(ws, `SELECT count(*) AS n FROM latest.clusters`)).rows as [{ n: number }];
  const [{ m }] = (await query(ws, `SELECT count(*) AS m FROM run${full.runId}.clusters`)).rows as [{ m: number }];
  assert.equal(n, m);
  assert.deepEqual((await listRuns(ws)).map((run) => [run.run_id, run.status]), [[full.runId, 'succeeded'], [partial.runId, 'succeeded']]);

  const detail = await getRun(ws, partial.runId);
  assert.deepEqual(detail.nodes.map((node) => [node.node, node.status]).sort(), [['cluster', 'done'], ['hash', 'reused'], ['images', 'reused'], ['scan', 'reused'], ['umap', 'reused']], 'assign, below cluster, is left out');
  assert.equal((detail.params.cluster as { method: string }).method, 'average', 'a run carries its resolved parameters');
  const { tables } = await runTables(ws, full.runId);
  assert.deepEqual(Object.keys(tables).sort(), ['clusters', 'duplicates', 'faces', 'files', 'hashes', 'images', 'perceptual_hashes', 'person_assignment', 'pets', 'thumbnails', 'umap']);

  await rejectsWith(resolveRun(ws, 99), 'not_found', /^no run 99$/);
  assert.throws(() => parseRunRef('yesterday'), (error: unknown) => error instanceof AppError && error.kind === 'invalid');
  await rejectsWith(exportTable(ws, 'latest', 'nope', join(ws.store.dataDir, 'x.parquet')), 'not_found', /has no table 'nope' \(tables: clusters, /);
  await rejectsWith(startRun(ws, { set: ['cluster.epz=0.3'] }), 'invalid', /unknown parameter 'epz' \(did you mean 'eps'\?\)/);
  await rejectsWith(runToEnd(ws, { resume: true }), 'conflict', /nothing to resume/);
});

test('a cancelled run keeps its finished nodes and resume finishes it', { skip }, async () => {
  const ws = await workspace();
  const run = await startRun(ws, {
    onEvent: (event) => {
      if (event.type === 'node-started' && event.node === 'cluster') run.cancel();
    },
  });
  const cancelled = await run.done;
  assert.equal(await run.runId, cancelled.runId);
  assert.equal(cancelled.status, 'failed');
  assert.match(cancelled.message ?? '', /interrupted/);
  assert.ok(cancelled.nodes.some((node) => node.node === 'images' && node.status === 'done'));

  const events: RunEvent[] = [];
  const resumed = await runToEnd(ws, { resume: true, onEvent: (event) => events.push(event) });
  assert.equal(resumed.status, 'succeeded');
  assert.equal(resumed.runId, cancelled.runId);
  const start = events[0] as Extract<RunEvent, { type: 'run-started' }>;
  assert.equal(start.resumed, true);
  assert.ok(start.alreadyDone >= 3, `scan, hash and images were kept (${start.alreadyDone})`);
  const again = events.filter((e) => e.type === 'node-finished' && e.alreadyDone).map((e) => (e as { node: string }).node);
  assert.ok(again.includes('images'), 'images is not redone');
  assert.equal(await resolveRun(ws, 'latest'), resumed.runId);
});

test('people: directory with counts and covers, pages of faces, clusters, split, not-this-person and undo', { skip }, async () => {
  const ws = await workspace();
  await runToEnd(ws);
  const people = await People.open(ws, { author: 'test' });
  const [{ face_id: obamaFace }] = (await query(ws, "SELECT face_id FROM latest.faces JOIN latest.files USING (file_id) WHERE name = 'obama.jpg'")).rows as [{ face_id: string }];
  const { personId: obama } = await people.create('Obama');
  await people.assign([obamaFace], String(obama));
  const { personId: nobody } = await people.create('Nobody yet');
  await runToEnd(ws);

  const directory = await people.directory();
  assert.deepEqual(directory.map((entry) => entry.name), ['Obama', 'Nobody yet'], 'most faces first');
  const entry = directory[0]!;
  assert.ok(entry.faces >= 2, `the cluster joined the manual face (${entry.faces})`);
  assert.equal(entry.manualFaces, 1);
  assert.equal(entry.coverFaceId, obamaFace, 'the manual face is the cover');
  assert.deepEqual({ ...directory[1], personId: 0 }, { personId: 0, name: 'Nobody yet', notes: null, hidden: false, mergedInto: null, faces: 0, manualFaces: 0, coverFaceId: null });

  const all = await people.personFaces(obama, { limit: 1000 });
  assert.equal(all.total, entry.faces);
  assert.equal(all.items[0]!.faceId, obamaFace, 'manual faces first');
  assert.ok(all.items.every((face) => face.personId === obama && face.path.endsWith('.jpg') && face.box[2] > face.box[0]));
  const pageOne = await people.personFaces(obama, { offset: 0, limit: 1 });
  const pageTwo = await people.personFaces(obama, { offset: 1, limit: 1 });
  assert.equal(pageOne.total, all.total);
  assert.deepEqual([pageOne.items[0]!.faceId, pageTwo.items[0]!.faceId], [all.items[0]!.faceId, all.items[1]!.faceId]);
  const photos = await people.personPhotos(obama);
  assert.ok(photos.total >= 2 && photos.items.every((photo) => photo.faces >= 1));

  const clusters = await people.clusters();
  const obamaCluster = clusters.find((cluster) => cluster.personId === obama);
  assert.ok(obamaCluster, 'the cluster of the manual face is named Obama');
  assert.deepEqual(clusters.map((cluster) => cluster.faces), [...clusters.map((cluster) => cluster.faces)].sort((a, b) => b - a), 'largest first');
  const members = await people.clusterFaces('latest', obamaCluster.clusterId, { limit: 1000 });
  assert.equal(members.total, obamaCluster.faces);
  assert.ok(members.items.every((face) => face.clusterId === obamaCluster.clusterId));
  assert.ok((await people.clusters('latest', { unnamed: true })).every((cluster) => cluster.personId === null));

  // Split two faces off into a new person: one batch, and one undo restores them.
  const moved = all.items.slice(-2).map((face) => face.faceId);
  const split = await people.split(moved, 'Lookalike');
  const show = await people.show(split.personId);
  assert.deepEqual(show.faces, [...moved].sort());
  assert.equal((await people.history(1))[0]!.action, 'split');
  await people.notThisPerson([moved[0]!], obama);
  assert.deepEqual((await people.show(obama)).notFaces, [moved[0]]);
  await people.undo(); // the not-this-person
  const undone = await people.undo(); // the split
  assert.equal(undone.undid, split.batchId);
  assert.deepEqual((await people.show(split.personId)).faces, []);
  assert.equal((await people.person(split.personId)).hidden, true, 'an undone create hides the person');

  await rejectsWith(people.personFaces(999), 'not_found', /^no person 999$/);
  await rejectsWith(people.personFaces(obama, { limit: 0 }), 'invalid', /limit must be a whole number from 1 to 1000/);
  await rejectsWith(people.assign([obamaFace], String(nobody + 50)), 'not_found', /^no person /);
  await rejectsWith(people.assign(['feedfacefeedface'], String(obama)), 'invalid', /unknown face id feedfacefeedface/);
  await rejectsWith(people.clusterFaces('latest', 9999), 'not_found', /has no cluster 9999/);
});

test('errors of the lower layers become AppErrors with a kind; bugs stay bugs', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });
  assert.equal(asAppError(named('SpecError', 'mnemo.yaml:3: bad'))?.kind, 'invalid');
  assert.equal(asAppError(named('CatalogBusyError', 'busy'))?.kind, 'busy');
  assert.equal(asAppError(named('RunLockedError', 'locked'))?.kind, 'busy');
  assert.equal(asAppError(named('PersonNotFoundError', 'no person 4'))?.kind, 'not_found');
  assert.equal(asAppError(named('NoCatalogError', 'no mnemo catalog at /x'))?.kind, 'not_found');
  assert.equal(asAppError(named('NotResumableError', 'nothing to resume'))?.kind, 'conflict');
  assert.equal(asAppError(named('RunOptionsError', "no node named 'x'"))?.kind, 'invalid');
  assert.equal(asAppError(new Error('nothing to resume')), null, 'kinds come from error types, not from message text');
  assert.equal(asAppError(named('PersonsError', 'a person needs a name'))?.kind, 'invalid');
  // Yandex's refusals and outages say where they come from.
  const refused = asAppError(named('YandexApiError', 'DiskNotFoundError: not found (404)'));
  assert.deepEqual([refused?.kind, refused?.message], ['invalid', 'Yandex: DiskNotFoundError: not found (404)']);
  const unreachable = asAppError(named('YandexNetworkError', 'listing: ECONNREFUSED'));
  assert.deepEqual([unreachable?.kind, unreachable?.message], ['busy', 'Yandex cannot be reached: listing: ECONNREFUSED']);
  assert.equal(asAppError(named('LoginNeededError', 'run mnemo auth yandex'))?.message, 'run mnemo auth yandex');
  assert.equal(asAppError(new TypeError('x is undefined')), null);
  assert.equal(asAppError('a string'), null);
});
