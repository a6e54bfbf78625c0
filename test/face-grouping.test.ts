// Issue #18: the face-grouping scorer on hand-made assignments, and the
// default clustering (nodes/cluster.ts) on the chaining case in miniature,
// with its photo and human constraints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalState } from '../datasets/persons.ts';
import { clusterParams, clusterWithConstraints, faceConstraints } from '../nodes/cluster.ts';
import { scoreFaceGrouping, scoreNaming, splitPairs, type GroupedFace } from '../reports/face-grouping-score.ts';
import { withoutPoints, type FaceVectors } from '../vectors/face-vectors.ts';
import { bruteForceKnnGraph } from '../vectors/knn-graph.ts';
import { mulberry32 } from '../vectors/umap-fast.ts';

const faces = (pairs: [string, number | null][]): GroupedFace[] => pairs.map(([identity, group]) => ({ identity, group }));
const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

test('scorer: pairwise precision and recall, strangers, people seen once and twice, mixed groups', () => {
  // A x3, B x2, C x1, D x1. Group 1: A A (1 right pair). Group 2: A B B (3 pairs, 1 right). C alone, D with nobody scored.
  const scores = scoreFaceGrouping(faces([['A', 1], ['A', 1], ['A', 2], ['B', 2], ['B', 2], ['C', null], ['D', 7]]));
  assert.equal(scores.predictedPairs, 4);
  assert.equal(scores.truePairs, 4); // A: 3, B: 1
  assert.equal(scores.correctPairs, 2);
  near(scores.precision, 0.5);
  near(scores.recall, 0.5);
  near(scores.f1, 0.5);
  near(scores.strangersShare, 1 / 7); // C only: D is in a group (of one)
  near(scores.strangersShareSeen3, 0); // A's three faces are all grouped
  assert.equal(scores.seenOnce, 2);
  assert.equal(scores.seenOnceGrouped, 0, 'a group of one is not someone else\'s group');
  assert.equal(scores.seenTwice, 1);
  assert.equal(scores.seenTwiceFound, 1);
  assert.equal(scores.mixedGroups, 1);
  assert.equal(scores.largestMixedGroup, 3);
  assert.equal(scores.groupsMixing3, 0);
  assert.equal(scores.people, 4);
});

test('scorer: a chained group of three people, a stranger absorbed, strangers among people seen three times', () => {
  // A x3 (one left alone), B x3, C x1 put with B, D x1 put with A and B: group 5 = A B B C D.
  const scores = scoreFaceGrouping([
    ...faces([['A', 5], ['A', 1], ['A', null], ['B', 5], ['B', 5], ['B', 2], ['C', 5], ['D', 5]]),
  ]);
  // Group 5 has 5 faces: 10 pairs, 1 right (B B). Group 1 and 2 are single faces.
  assert.equal(scores.predictedPairs, 10);
  assert.equal(scores.correctPairs, 1);
  assert.equal(scores.truePairs, 6);
  near(scores.precision, 0.1);
  near(scores.recall, 1 / 6);
  near(scores.strangersShareSeen3, 1 / 6);
  assert.equal(scores.seenOnceGrouped, 2);
  near(scores.seenOnceGroupedShare, 1);
  assert.equal(scores.groupsMixing3, 1);
  assert.equal(scores.largestMixedGroup, 5);
  // Perfect grouping: every score at its best.
  const perfect = scoreFaceGrouping(faces([['A', 0], ['A', 0], ['B', 1], ['C', null]]));
  assert.equal(perfect.f1, 1);
  assert.equal(perfect.ari, 1);
  assert.equal(perfect.mixedGroups, 0);
  // The stranger flag, when given, is what counts as a stranger.
  assert.equal(scoreFaceGrouping([{ identity: 'A', group: 3, stranger: true }, { identity: 'B', group: null, stranger: false }]).strangersShare, 0.5);
});

test('scorer: naming shares and pairs split by a label', () => {
  const naming = scoreNaming([{ identity: 'A', name: 'A' }, { identity: 'A', name: null }, { identity: 'B', name: 'A' }, { identity: 'C', name: 'C' }]);
  near(naming.namedShare, 0.75);
  near(naming.namedCorrectlyShare, 0.5);
  near(naming.namedWronglyShare, 0.25);
  const before = faces([['A', 0], ['A', 0], ['A', 0], ['B', 1], ['B', 1], ['C', null]]);
  assert.equal(splitPairs(before, [4, 4, 4, 2, 2, 9]), 0, 'renumbered, nothing split');
  assert.equal(splitPairs(before, [4, 4, 5, 2, null, null]), 3, 'A loses two pairs, B one');
});

/**
 * Two people (8 faces each, same-person cosine about 0.7, different people
 * about 0) and a chain of 9 faces between them (blurred faces, or look-alikes):
 * each chain face is close to the next, so a single-linkage method (DBSCAN
 * with minPts 2) joins both people through it.
 */
function chainCase(): FaceVectors {
  const dim = 64;
  const random = mulberry32(7);
  const unit = (values: number[]) => {
    const norm = Math.hypot(...values);
    return values.map((v) => v / norm);
  };
  const centreA = unit(Array.from({ length: dim }, () => random() - 0.5));
  let centreB = Array.from({ length: dim }, () => random() - 0.5);
  const dot = centreA.reduce((sum, a, d) => sum + a * centreB[d]!, 0);
  centreB = unit(centreB.map((b, d) => b - dot * centreA[d]!)); // orthogonal to A
  const face = (centre: number[], noise: number) => unit(centre.map((c) => c + (random() - 0.5) * noise));
  const rows: number[][] = [];
  for (let i = 0; i < 8; i++) rows.push(face(centreA, 0.28));
  for (let i = 0; i < 8; i++) rows.push(face(centreB, 0.28));
  for (let t = 1; t <= 9; t++) rows.push(face(unit(centreA.map((a, d) => (1 - t / 10) * a + (t / 10) * centreB[d]!)), 0.05));
  const ids = rows.map((_, i) => (i < 8 ? `a${i}` : i < 16 ? `b${i - 8}` : `chain${i - 16}`));
  return { n: rows.length, dim, ids, vectors: Float32Array.from(rows.flat()), contentHash: 'chain' };
}

const A = [0, 1, 2, 3, 4, 5, 6, 7];
const B = [8, 9, 10, 11, 12, 13, 14, 15];
const journal = (entries: [string, FaceState][]): JournalState => new Map(entries);
type FaceState = { decision: number | 'stranger' | 'not_a_face' | null; not: number[] };

test('chaining in miniature: DBSCAN joins two people through a chain, the default clustering keeps them apart', () => {
  const data = chainCase();
  const graph = bruteForceKnnGraph(data.vectors, data.dim, 10);
  const constraints = faceConstraints(data, [], new Map());
  const dbscan = clusterWithConstraints(graph, data, constraints, clusterParams.parse({ method: 'dbscan', eps: 0.5, k: 10 }));
  assert.equal(dbscan.labels[A[0]!], dbscan.labels[B[0]!], 'the case reproduces the chain');

  const result = clusterWithConstraints(graph, data, constraints, clusterParams.parse({ k: 10 }));
  const label = (i: number) => result.labels[i]!;
  for (const i of A) assert.equal(label(i), label(A[0]!), `a${i} with A`);
  for (const i of B) assert.equal(label(i), label(B[0]!), `b${i - 8} with B`);
  assert.ok(label(A[0]!) >= 0 && label(B[0]!) >= 0);
  assert.notEqual(label(A[0]!), label(B[0]!), 'A and B apart');
  const scores = scoreFaceGrouping([...A, ...B].map((i) => ({ identity: i < 8 ? 'A' : 'B', group: label(i) })));
  assert.equal(scores.f1, 1);
});

test('default clustering keeps the constraints: one photo, labelled persons, not:<person>; a label splits nothing', () => {
  const data = chainCase();
  const graph = bruteForceKnnGraph(data.vectors, data.dim, 10);
  const p = clusterParams.parse({ k: 10 });
  const before = clusterWithConstraints(graph, data, faceConstraints(data, [], new Map()), p);

  // a0 and a1 in one photo; a2 is person 1, b0 person 2, b1 also person 1 (a human said so); a3 is not person 1.
  const state = journal([['a2', { decision: 1, not: [] }], ['b0', { decision: 2, not: [] }], ['b1', { decision: 1, not: [] }], ['a3', { decision: null, not: [1] }]]);
  const after = clusterWithConstraints(graph, data, faceConstraints(data, [[0, 1]], state), p);
  const label = (id: string) => after.labels[data.ids.indexOf(id)]!;
  assert.notEqual(label('a0'), label('a1'), 'one photo');
  assert.equal(label('b1'), label('a2'), 'must-link of one person');
  assert.notEqual(label('a2'), label('b0'), 'two persons never merge');
  assert.ok(label('a3') === -1 || label('a3') !== label('a2'), 'not:1');

  // One label per person changes no grouping: every pair together before stays together.
  const labelled = clusterWithConstraints(graph, data, faceConstraints(data, [], journal([['a4', { decision: 1, not: [] }], ['b4', { decision: 2, not: [] }]])), p);
  const grouped = (labels: Int32Array) => [...A, ...B].map((i) => ({ identity: i < 8 ? 'A' : 'B', group: labels[i]! >= 0 ? labels[i]! : null }));
  assert.equal(splitPairs(grouped(before.labels), grouped(labelled.labels).map((face) => face.group)), 0);
});

test('low-quality faces never link two clusters: DBSCAN stops chaining through them, weak faces alone form no cluster', () => {
  const data = chainCase();
  const graph = bruteForceKnnGraph(data.vectors, data.dim, 10);
  const chain = Array.from({ length: 9 }, (_, t) => 16 + t);
  // The chain faces are the blurred ones: with the quality gate they may join a person but link no one.
  const quality = Float32Array.from({ length: data.n }, (_, i) => (chain.includes(i) ? 2.6 : 3.5));
  const gated: FaceVectors = { ...data, quality };
  const constraints = faceConstraints(gated, [], new Map());
  for (const setting of [{ method: 'dbscan' as const, eps: 0.5 }, { method: 'average' as const }]) {
    const result = clusterWithConstraints(graph, gated, constraints, clusterParams.parse({ ...setting, k: 10, minQuality: 2.75 }));
    assert.notEqual(result.labels[A[0]!], result.labels[B[0]!], `${setting.method}: A and B apart`);
    for (const i of [...A, ...B]) assert.ok(result.labels[i]! >= 0, `${setting.method}: face ${i} still clustered`);
  }
  // Two weak faces alone (one person seen twice in bad photos) stay noise; a weak face next to good ones joins them.
  const pair: FaceVectors = { ...data, quality: Float32Array.from({ length: data.n }, (_, i) => (i === 0 || i === 1 ? 2.6 : 3.5)) };
  const onlyPair = new Uint8Array(data.n).fill(1); // the graph of faces 0 and 1 alone
  onlyPair[0] = onlyPair[1] = 0;
  const alone = clusterWithConstraints(withoutPoints(graph, onlyPair), pair, faceConstraints(pair, [], new Map()), clusterParams.parse({ k: 10 }));
  assert.equal(alone.labels[0], -1, 'two weak faces make no cluster');
  const joined = clusterWithConstraints(graph, pair, faceConstraints(pair, [], new Map()), clusterParams.parse({ k: 10 }));
  assert.equal(joined.labels[0], joined.labels[2], 'a weak face joins its person');
  assert.equal(joined.labels[1], joined.labels[2]);
});

/**
 * A person seen in two settings: P1 (faces at 0-10 degrees) and P2 (65-95
 * degrees), whose mean distance (about 0.8) keeps them apart but whose
 * nearest faces (10 and 65: similarity 0.57) are close; Q (155-165) is
 * another person, within reach of P2 (95 and 155: 0.5) but farther than P1;
 * s is a stranger orthogonal to all. Unit vectors at those angles in a plane
 * (cosine = cosine of the angle between), s on a third axis.
 */
function secondClusterCase(): FaceVectors {
  const angles = [0, 5, 10, 65, 90, 95, 155, 160, 165];
  const ids = ['p1a', 'p1b', 'p1c', 'p2a', 'p2b', 'p2c', 'qa', 'qb', 'qc', 's'];
  const vectors = new Float32Array(ids.length * 4);
  angles.forEach((a, i) => {
    vectors[i * 4] = Math.cos((a * Math.PI) / 180);
    vectors[i * 4 + 1] = Math.sin((a * Math.PI) / 180);
  });
  vectors[9 * 4 + 2] = 1;
  return { n: ids.length, dim: 4, ids, vectors, contentHash: 'second-cluster' };
}

test("a label names the person's second cluster (personLink): whole, nearest person first, never across a constraint, splitting nothing", () => {
  const data = secondClusterCase();
  const graph = bruteForceKnnGraph(data.vectors, data.dim, data.n - 1);
  const P1 = ['p1a', 'p1b', 'p1c'], P2 = ['p2a', 'p2b', 'p2c'], Q = ['qa', 'qb', 'qc'];
  const labelled = journal([['p1b', { decision: 1, not: [] }], ['qb', { decision: 2, not: [] }]]);
  for (const method of ['average', 'dbscan'] as const) {
    const p = clusterParams.parse({ method, eps: 0.3, k: data.n - 1 });
    const run = (photos: number[][], state: JournalState, params = p) => {
      const result = clusterWithConstraints(graph, data, faceConstraints(data, photos, state), params);
      return { result, label: (id: string) => result.labels[data.ids.indexOf(id)]! };
    };
    const together = (label: (id: string) => number, ids: string[]) => ids.every((id) => label(id) >= 0 && label(id) === label(ids[0]!));

    // Without labels: three clusters and a stranger; personLink does nothing.
    const before = run([], new Map());
    for (const group of [P1, P2, Q]) assert.ok(together(before.label, group), `${method}: ${group[0]} clustered`);
    assert.notEqual(before.label('p1a'), before.label('p2a'), `${method}: P1 and P2 apart by mean distance`);
    assert.equal(before.label('s'), -1);
    assert.equal(before.result.joinedToLabelled, 0);

    // One label per person: P2 joins P1 (its nearest labelled face), Q stays Q, the stranger stays alone.
    const after = run([], labelled);
    assert.ok(together(after.label, [...P1, ...P2]), `${method}: P2 joined P1's person`);
    assert.ok(together(after.label, Q), `${method}: Q kept`);
    assert.notEqual(after.label('p1a'), after.label('qa'), `${method}: two persons never merge`);
    assert.equal(after.label('s'), -1, `${method}: the stranger stays alone`);
    assert.equal(after.result.joinedToLabelled, 1);
    const grouped = (labels: Int32Array) => data.ids.map((id, i) => ({ identity: id.slice(0, 2), group: labels[i]! >= 0 ? labels[i]! : null }));
    assert.equal(splitPairs(grouped(before.result.labels), grouped(after.result.labels).map((face) => face.group)), 0, `${method}: nothing split`);
    const off = run([], labelled, { ...p, personLink: 0 });
    assert.notEqual(off.label('p1a'), off.label('p2a'), `${method}: personLink 0 is off`);

    // 'Not person 1' on one face of P2: the whole cluster stays off P1 and goes to the next person in reach, Q.
    const not1 = run([], new Map([...labelled, ['p2c', { decision: null, not: [1] }]]));
    assert.ok(together(not1.label, P2), `${method}: P2 not split by 'not:1'`);
    assert.notEqual(not1.label('p2a'), not1.label('p1a'), `${method}: not:1 holds`);
    assert.equal(not1.label('p2a'), not1.label('qa'), `${method}: the next labelled person within reach`);
    assert.ok(not1.result.refusedByCannotLink > 0);

    // A face of P2 in one photo with a face of P1 and with one of Q: P2 joins neither.
    const photo = run([[data.ids.indexOf('p2b'), data.ids.indexOf('p1c')], [data.ids.indexOf('p2a'), data.ids.indexOf('qc')]], labelled);
    assert.ok(together(photo.label, P2), `${method}: P2 whole`);
    assert.notEqual(photo.label('p2a'), photo.label('p1a'), `${method}: one photo holds against P1`);
    assert.notEqual(photo.label('p2a'), photo.label('qa'), `${method}: one photo holds against Q`);
    assert.equal(photo.result.joinedToLabelled, 0);
  }
});
