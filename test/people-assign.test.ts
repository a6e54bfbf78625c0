// The pieces under the people nodes, on small hand-made data: reading faces
// from Parquet (dedupe, rejected), the on-disk kNN graph cache, constraints
// from the journal, and the assignment rules.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeParquetColumns } from '../datasets/parquet.ts';
import { foldJournal, type JournalRow } from '../datasets/persons.ts';
import type { TableSchema } from '../datasets/schema.ts';
import { assignPersons, VoteCache, type AssignParams } from '../nodes/assign.ts';
import { clusterWithConstraints, faceConstraints } from '../nodes/cluster.ts';
import { cachedKnnGraph, knnGraphKey, photoGroups, readFaceVectors, withoutPoints, type FaceVectors } from '../vectors/face-vectors.ts';
import { bruteForceKnnGraph } from '../vectors/knn-graph.ts';
import { tempDir } from './helpers.ts';

const FACES: TableSchema = {
  description: 'faces as the images node writes them (4-d embeddings here)',
  columns: { face_id: 'VARCHAR', file_id: 'VARCHAR', rejected: 'BOOLEAN', embedding: 'FLOAT[4]' },
};

/** Unit vectors in the plane at these angles (degrees), padded to 4-d: cosine = cos(angle difference). */
function atAngles(angles: number[], dim = 4): Float32Array {
  const vectors = new Float32Array(angles.length * dim);
  angles.forEach((a, i) => {
    vectors[i * dim] = Math.cos((a * Math.PI) / 180);
    vectors[i * dim + 1] = Math.sin((a * Math.PI) / 180);
  });
  return vectors;
}

function journal(entries: [string, string][]): ReturnType<typeof foldJournal> {
  return foldJournal(entries.map(([face_id, target], i): JournalRow => ({ assignment_id: i + 1, face_id, target, undoes: null })));
}

test('readFaceVectors: accepted faces only, one row per face_id in id order; photo groups from file_id', async () => {
  const path = join(tempDir(), 'faces.parquet');
  // b and a in photo p1; a again in p2 (a byte-identical copy); c rejected; d alone in p3.
  const vectors = atAngles([90, 0, 0, 45, 180]);
  await writeParquetColumns(path, FACES, {
    face_id: ['b', 'a', 'a', 'c', 'd'],
    file_id: ['p1', 'p1', 'p2', 'p3', 'p3'],
    rejected: [false, false, false, true, false],
    embedding: vectors,
  }, 5);
  const faces = await readFaceVectors(path);
  assert.deepEqual([faces.n, faces.dim, faces.ids], [3, 4, ['a', 'b', 'd']]);
  assert.deepEqual(Array.from(faces.vectors.subarray(0, 2)).map((x) => Math.round(x * 1e6) / 1e6), [1, 0]);
  assert.deepEqual(Array.from(faces.vectors.subarray(4, 6)).map((x) => Math.round(x * 1e6) / 1e6), [0, 1]);
  assert.deepEqual(photoGroups(faces), [[0, 1]]); // p1 = {a, b}; p3's c is rejected
  assert.equal((await readFaceVectors(path)).contentHash, faces.contentHash);
});

test('the kNN graph is cached on disk by face content and graph parameters', async () => {
  const dir = tempDir();
  const faces: FaceVectors = { n: 5, dim: 4, ids: ['a', 'b', 'c', 'd', 'e'], vectors: atAngles([0, 10, 20, 90, 100]), contentHash: 'abc' };
  const params = knnGraphKey({ k: 3, M: 16, efConstruction: 200, ef: 100 });
  const first = await cachedKnnGraph(dir, faces, params);
  assert.equal(first.reused, false);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.knn')).length, 1);
  const second = await cachedKnnGraph(dir, faces, params);
  assert.equal(second.reused, true);
  assert.deepEqual([Array.from(second.graph.indices), Array.from(second.graph.distances)], [Array.from(first.graph.indices), Array.from(first.graph.distances)]);
  assert.deepEqual(Array.from(first.graph.indices.subarray(0, 3)), [1, 2, 3]);
  assert.equal((await cachedKnnGraph(dir, faces, { ...params, k: 2 })).reused, false);
  assert.equal((await cachedKnnGraph(dir, { ...faces, contentHash: 'other' }, params)).reused, false);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.knn')).length, 3);
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')));

  // Dropping a point removes its row and every edge to it; rows stay sorted with gaps at the end.
  const dropped = withoutPoints(first.graph, Uint8Array.from([0, 1, 0, 0, 0]));
  assert.deepEqual(Array.from(dropped.indices.subarray(0, 3)), [2, 3, -1]); // 4 was never among 0's three nearest
  assert.deepEqual(Array.from(dropped.indices.subarray(3, 6)), [-1, -1, -1]);
});

test('constraints: one photo and different persons never share a cluster, one person always does, not_a_face is noise', () => {
  // Two tight groups; a (0) and x (2) are in one photo; the humans say b is person 1 like a, e is person 2,
  // d is not person 1, and c (far away) is person 1 too; n is not a face.
  const ids = ['a', 'b', 'c', 'd', 'e', 'n', 'x'];
  const faces: FaceVectors = { n: 7, dim: 4, ids, vectors: atAngles([0, 2, 120, 4, 60, 1, 3]), contentHash: 'h' };
  const state = journal([['a', '1'], ['b', '1'], ['c', '1'], ['d', 'not:1'], ['e', '2'], ['n', 'not_a_face']]);
  const constraints = faceConstraints(faces, [[0, 6]], state);
  assert.deepEqual(constraints.mustLink, [[0, 1], [0, 2]]);
  const graph = bruteForceKnnGraph(faces.vectors, 4, 6);
  const result = clusterWithConstraints(graph, faces, constraints, { method: 'dbscan', eps: 0.01, minPts: 2, threshold: 0.65, minQuality: 0, personLink: 0.55, k: 6, M: 16, efConstruction: 200, ef: 100 });
  const label = (id: string) => result.labels[ids.indexOf(id)]!;
  assert.equal(label('a'), label('b'));
  assert.equal(label('a'), label('c'), 'must-linked although far apart');
  assert.notEqual(label('a'), label('x'), 'one photo');
  assert.ok(label('d') === -1 || label('d') !== label('a'), 'not:1');
  assert.equal(label('n'), -1);
  assert.equal(result.isCore[ids.indexOf('n')], 0);
  assert.ok(result.nnDistance[ids.indexOf('a')]! < 0.001, 'nn distance counts the excluded face');
});

test('assign: manual wins, clusters inherit, kNN votes with margins, not: blocks, one person per photo, strangers', () => {
  // Person 1 lives near 0°, person 2 near 90° (cosine similarity = cos of the angle between).
  const ids = ['m1', 'm2', 'x', 'x2', 'y', 'z', 'w', 'p', 'q', 's'];
  const angles = [0, 90, 10, 12, 80, 5, 170, 3, 4, 1];
  const faces: FaceVectors = { n: ids.length, dim: 4, ids, vectors: atAngles(angles), contentHash: 'h' };
  const clusterIds = Int32Array.from([0, 1, 0, 0, -1, -1, -1, -1, -1, -1]);
  const state = journal([['m1', '1'], ['m2', '2'], ['x2', 'not:1'], ['z', 'not:1'], ['s', 'stranger']]);
  const params: AssignParams = { knnThreshold: 0.45, voteK: 5, minClusterSize: 2 };
  const photos = [[ids.indexOf('p'), ids.indexOf('q')]];
  const { assignment: a, summary } = assignPersons({ faces, clusterIds, photos, journal: state }, params);
  const row = (id: string) => {
    const i = ids.indexOf(id);
    return { person: a.personId[i], method: a.method[i], stranger: a.stranger[i] };
  };
  const cos = (degrees: number) => Math.cos((degrees * Math.PI) / 180);
  assert.deepEqual(row('m1'), { person: 1, method: 1, stranger: 0 });
  assert.deepEqual(row('x'), { person: 1, method: 2, stranger: 0 }, 'cluster 0 inherits person 1');
  assert.ok(Math.abs(a.confidence[ids.indexOf('x')]! - cos(10)) < 1e-6);
  assert.ok(Math.abs(a.margin[ids.indexOf('x')]! - (cos(10) - cos(80))) < 1e-6);
  assert.deepEqual(row('x2'), { person: -1, method: 0, stranger: 0 }, 'not:1 blocks the cluster and the vote; person 2 is too far; cluster of 3 is no stranger');
  assert.deepEqual(row('y'), { person: 2, method: 3, stranger: 0 }, 'noise near person 2 gets it by vote');
  assert.ok(Math.abs(a.margin[ids.indexOf('y')]! - (cos(10) - cos(80))) < 1e-6);
  assert.deepEqual(row('z'), { person: -1, method: 0, stranger: 1 }, 'not:1 and too far from person 2: a stranger');
  assert.deepEqual(row('w'), { person: -1, method: 0, stranger: 1 });
  assert.deepEqual(row('p'), { person: 1, method: 3, stranger: 0 }, 'the more confident face of the photo keeps person 1');
  assert.deepEqual(row('q'), { person: -1, method: 0, stranger: 1 }, 'the other face of that photo loses it');
  assert.deepEqual(row('s'), { person: -1, method: 1, stranger: 1 }, 'manual stranger');
  assert.deepEqual(summary, { faces: 10, assigned: 5, byMethod: { manual: 2, cluster: 1, knn: 2 }, unassigned: 5, strangers: 4, strangersShare: 0.4, photoConflicts: 1 });
});

test('assign: the vote cache shared by a sweep gives the same answers as computing afresh for each clustering', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `f${i}`);
  const faces: FaceVectors = { n: 12, dim: 4, ids, vectors: atAngles([0, 3, 6, 9, 40, 44, 48, 90, 93, 96, 130, 135]), contentHash: 'cache-test' };
  const state = journal([['f0', '1'], ['f7', '2'], ['f3', 'not:1']]);
  const params: AssignParams = { knnThreshold: 0.45, voteK: 3, minClusterSize: 2 };
  const clusterings = [Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, -1, -1]), Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]), new Int32Array(12).fill(-1)];
  const cache = new VoteCache();
  for (const clusterIds of clusterings) {
    const cached = assignPersons({ faces, clusterIds, photos: [], journal: state }, params, cache);
    const fresh = assignPersons({ faces, clusterIds, photos: [], journal: state }, params);
    assert.deepEqual(cached, fresh);
  }
  // The second clustering puts f7 (person 2) in cluster 0 with f0 (person 1): no inheritance there, and
  // cluster 1 has no labelled face: votes decide everywhere. The first one lets cluster 2 inherit person 2.
  const mixed = assignPersons({ faces, clusterIds: clusterings[1]!, photos: [], journal: state }, params, cache).assignment;
  assert.deepEqual(Array.from(mixed.method), [1, 3, 3, 0, 3, 3, 3, 1, 3, 3, 3, 3]);
  const inherited = assignPersons({ faces, clusterIds: clusterings[0]!, photos: [], journal: state }, params, cache).assignment;
  assert.deepEqual(Array.from(inherited.method), [1, 2, 2, 0, 3, 3, 3, 1, 2, 2, 3, 3]);
  assert.equal(mixed.personId[3], -1, 'f3 is not person 1, and person 2 is too far');
});
