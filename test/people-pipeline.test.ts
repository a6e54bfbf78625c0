// cluster, assign and umap on the real fixture faces (9 photos: obama x8
// files, biden x2, two_people.jpg = obama left + biden right) through the
// real engine, ONNX models, Parquet and catalog; human decisions go through
// the Persons API between runs.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline, type RunOptions, type RunSummary } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';
import { tempDir } from './helpers.ts';

const skip = skipUnless(facesFixtures);
const yaml = fixturePeopleYaml(facesFixtures);
// Made at the top level so that it lasts until the file ends (a tempDir made in a test goes with that test).
const cachesDir = skip ? '' : tempDir('mnemo-people-caches-');

interface FaceRow {
  name: string;
  face_id: string;
  cluster_id: number;
  person_id: number | null;
  method: string | null;
  stranger: boolean;
}

interface Workspace {
  store: Store;
  run(overrides?: string[], options?: RunOptions): Promise<RunSummary>;
  /** Faces of a run by file name, left to right. */
  faces(runId: number): Promise<Map<string, FaceRow[]>>;
}

let warmCaches: Promise<string> | undefined;

/**
 * The data folder's caches (per-photo face analyses, kNN graphs) after one
 * full run, made once per file: each workspace starts with a copy, so its own
 * runs are complete and independent but decode no photo again.
 */
function sharedCaches(): Promise<string> {
  warmCaches ??= (async () => {
    const { store, run } = workspaceIn(cachesDir);
    await run();
    return join(store.dataDir, 'cache');
  })();
  return warmCaches;
}

/** A fresh data folder for one test (no runs, no persons), seeded with the shared caches. */
async function workspace(): Promise<Workspace> {
  const caches = await sharedCaches();
  const dir = tempDir('mnemo-people-');
  const workspace = workspaceIn(dir);
  cpSync(caches, join(workspace.store.dataDir, 'cache'), { recursive: true });
  return workspace;
}

function workspaceIn(dir: string): Workspace {
  const store = new Store(join(dir, 'data'));
  return {
    store,
    async run(overrides = [], options = {}) {
      const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES, { overrides }), NODE_TYPES, store, options);
      assert.equal(summary.status, 'succeeded', summary.message ?? '');
      return summary;
    },
    async faces(runId) {
      const { rows } = await readOnlyQuery(store, `SELECT fi.name, f.face_id, c.cluster_id, a.person_id, a.method, a.stranger
        FROM run${runId}.faces f JOIN run${runId}.files fi USING (file_id) JOIN run${runId}.clusters c USING (face_id) JOIN run${runId}.person_assignment a USING (face_id)
        ORDER BY fi.name, f.x1`);
      const byName = new Map<string, FaceRow[]>();
      for (const row of rows as unknown as FaceRow[]) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
      return byName;
    },
  };
}

const OBAMA = ['obama.jpg', 'obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama-1080p.jpg', 'obama_small.jpg', 'obama2.jpg'];
/** The obama faces (two_people.jpg's left one included) and the biden faces. */
function people(byName: Map<string, FaceRow[]>): { obama: FaceRow[]; biden: FaceRow[] } {
  const [left, right] = byName.get('two_people.jpg')!;
  return { obama: [...OBAMA.map((name) => byName.get(name)![0]!), left!], biden: [byName.get('biden.jpg')![0]!, right!] };
}
const node = (summary: RunSummary, name: string) => summary.nodes.find((n) => n.node === name)!;

/**
 * A first run, then person 'Obama' put on the obama.jpg face, then a second
 * run: the state after one manual label.
 */
async function labelOneObamaFace(ws: Workspace): Promise<{ persons: Persons; obamaId: number; first: RunSummary; labelled: RunSummary }> {
  const first = await ws.run();
  const persons = await Persons.open(ws.store, { author: 'test' });
  const obamaId = (await persons.create('Obama')).personId;
  await persons.assign([people(await ws.faces(first.runId)).obama[0]!.face_id], String(obamaId));
  return { persons, obamaId, first, labelled: await ws.run() };
}

test('obama faces form one cluster, biden faces another; the two faces of two_people.jpg never share one', { skip }, async () => {
  const ws = await workspace();
  const summary = await ws.run();
  const byName = await ws.faces(summary.runId);
  assert.equal([...byName.values()].flat().length, 10);
  const { obama, biden } = people(byName);
  assert.deepEqual(new Set(obama.map((f) => f.cluster_id)).size, 1);
  assert.deepEqual(new Set(biden.map((f) => f.cluster_id)).size, 1);
  assert.ok(obama[0]!.cluster_id >= 0 && biden[0]!.cluster_id >= 0 && obama[0]!.cluster_id !== biden[0]!.cluster_id);
  // No human decision yet: nobody has a person, and nobody is alone.
  assert.ok([...byName.values()].flat().every((f) => f.person_id === null && !f.stranger));
  assert.deepEqual(node(summary, 'assign').metadata, { faces: 10, assigned: 0, byMethod: { manual: 0, cluster: 0, knn: 0 }, unassigned: 10, strangers: 0, strangersShare: 0, photoConflicts: 0 });
  assert.equal(node(summary, 'cluster').metadata.clusters, 2);
  const umap = await readOnlyQuery(ws.store, `SELECT count(*) AS n, count(DISTINCT face_id) AS ids FROM run${summary.runId}.umap WHERE isfinite(x) AND isfinite(y)`);
  assert.deepEqual(umap.rows, [{ n: 10, ids: 10 }]);
});

test('one manual label propagates to the other obama faces on the next run; biden stays without a person', { skip }, async () => {
  const ws = await workspace();
  const { obamaId, labelled: summary } = await labelOneObamaFace(ws);
  assert.equal(node(summary, 'images').status, 'reused');
  assert.equal(node(summary, 'umap').status, 'reused', 'labels never move the map');
  assert.equal(node(summary, 'cluster').status, 'done', 'a new decision changes the constraints');
  assert.equal(node(summary, 'cluster').metadata.graph, 'reused', 'the kNN graph comes from the cache');
  const { obama, biden } = people(await ws.faces(summary.runId));
  assert.deepEqual(obama.map((f) => f.person_id), obama.map(() => obamaId));
  assert.equal(obama[0]!.method, 'manual');
  assert.ok(obama.slice(1).every((f) => f.method === 'cluster' || f.method === 'knn'));
  assert.deepEqual(biden.map((f) => f.person_id), [null, null]);
  assert.equal(node(summary, 'assign').metadata.assigned, 8);

  // Nothing changed: everything is reused.
  const again = await ws.run();
  assert.ok(again.nodes.every((n) => n.status === 'reused'));
});

test("'not:<person>' keeps a face out of that person and its cluster; undo lets it back in", { skip }, async () => {
  const ws = await workspace();
  const { persons, obamaId, labelled } = await labelOneObamaFace(ws);
  const before = people(await ws.faces(labelled.runId));
  const obama2 = before.obama[OBAMA.indexOf('obama2.jpg')]!;
  const { batchId } = await persons.assign([obama2.face_id], `not:${obamaId}`);
  const blocked = people(await ws.faces((await ws.run()).runId));
  const face = blocked.obama[OBAMA.indexOf('obama2.jpg')]!;
  assert.notEqual(face.person_id, obamaId);
  assert.ok(face.cluster_id === -1 || face.cluster_id !== blocked.obama[0]!.cluster_id);

  await persons.undo(batchId);
  const summary = await ws.run();
  const restored = people(await ws.faces(summary.runId));
  assert.equal(restored.obama[OBAMA.indexOf('obama2.jpg')]!.person_id, obamaId);
  assert.ok(summary.nodes.filter((n) => n.node !== 'assign' && n.node !== 'cluster').every((n) => n.status === 'reused'));
  assert.equal(node(summary, 'cluster').status, 'reused', 'the journal state is the same as two runs ago');
});

test('a wrong merge of biden into obama still never puts both faces of two_people.jpg on one person; undo separates them', { skip }, async () => {
  const ws = await workspace();
  const { persons, obamaId, first } = await labelOneObamaFace(ws);
  const bidenId = (await persons.create('Biden')).personId;
  const start = people(await ws.faces(first.runId));
  await persons.assign([start.biden[0]!.face_id], String(bidenId));
  const labelled = people(await ws.faces((await ws.run()).runId));
  assert.deepEqual(labelled.biden.map((f) => f.person_id), [bidenId, bidenId]);

  const merge = await persons.merge(bidenId, obamaId);
  const merged = await ws.faces((await ws.run()).runId);
  const [left, right] = merged.get('two_people.jpg')!;
  assert.equal(people(merged).biden[0]!.person_id, obamaId, 'the merge moved the biden label');
  assert.notEqual(left!.cluster_id, right!.cluster_id);
  assert.ok(left!.person_id === null || left!.person_id !== right!.person_id);

  await persons.undo(merge.batchId);
  const separated = people(await ws.faces((await ws.run()).runId));
  assert.deepEqual(separated.biden.map((f) => f.person_id), [bidenId, bidenId]);
  assert.ok(separated.obama.every((f) => f.person_id === obamaId));
});

test('UMAP: the same seed gives the same map, another seed a different one', { skip }, async () => {
  const ws = await workspace();
  const layout = async (runId: number) => (await readOnlyQuery(ws.store, `SELECT face_id, x, y FROM run${runId}.umap ORDER BY face_id`)).rows;
  const first = await ws.run([], { from: 'umap' });
  assert.equal(node(first, 'umap').status, 'done');
  const second = await ws.run([], { from: 'umap' });
  assert.equal(node(second, 'umap').status, 'done');
  assert.deepEqual(await layout(second.runId), await layout(first.runId));
  const other = await ws.run(['umap.seed=7']);
  assert.equal(node(other, 'umap').status, 'done');
  assert.notDeepEqual(await layout(other.runId), await layout(first.runId));
});
