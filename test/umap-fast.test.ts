import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UMAP } from 'umap-js';
import { bruteForceKnnGraph, type KnnGraph } from '../vectors/knn-graph.ts';
import {
  findAbParams,
  fuzzySimplicialSet,
  knnPreservation,
  makeFastPow,
  mulberry32,
  nearestCentroidAgreement,
  smoothKnnDistances,
  umapLayout,
} from '../vectors/umap-fast.ts';
import { unitBlobs } from './support/blobs.ts';

const blobs = (blobCount: number, count: number, dim: number, seed: number) => unitBlobs(blobCount, count, dim, seed, 0.2);

const data = blobs(5, 40, 32, 3);
const graph: KnnGraph = bruteForceKnnGraph(data.vectors, 32, 15);

test('a and b match umap-learn for min_dist 0.1, spread 1', () => {
  const { a, b } = findAbParams(1, 0.1);
  assert.ok(Math.abs(a - 1.5769) < 1e-3, `a ${a}`);
  assert.ok(Math.abs(b - 0.8951) < 1e-3, `b ${b}`);
});

test('the table pow agrees with Math.pow', () => {
  const pow = makeFastPow(0.8950608);
  const random = mulberry32(9);
  for (let i = 0; i < 10000; i++) {
    const x = Math.exp((random() - 0.5) * 60);
    const relative = Math.abs(pow(x) / Math.pow(x, 0.8950608) - 1);
    assert.ok(relative < 1e-5, `x ${x}: relative error ${relative}`);
  }
  assert.equal(pow(1e-12), Math.pow(1e-12, 0.8950608));
});

test('smoothed distances reach the target sum log2(k + 1)', () => {
  const { sigmas, rhos } = smoothKnnDistances(graph, 15);
  for (let i = 0; i < graph.n; i++) {
    let sum = 0;
    for (let c = 0; c < 15; c++) sum += Math.exp(-Math.max(0, graph.distances[i * 15 + c]! - rhos[i]!) / sigmas[i]!);
    assert.ok(Math.abs(sum - Math.log2(16)) < 1e-3, `row ${i}: ${sum}`);
    assert.equal(rhos[i], graph.distances[i * 15]);
  }
});

test('the fuzzy graph is symmetric with weights in (0, 1]', () => {
  const edges = fuzzySimplicialSet(graph, 15);
  const weights = new Map<string, number>();
  for (let e = 0; e < edges.head.length; e++) weights.set(`${edges.head[e]}-${edges.tail[e]}`, edges.weight[e]!);
  assert.equal(weights.size, edges.head.length, 'no duplicate edges');
  for (let e = 0; e < edges.head.length; e++) {
    assert.notEqual(edges.head[e], edges.tail[e]);
    assert.ok(edges.weight[e]! > 0 && edges.weight[e]! <= 1);
    assert.equal(weights.get(`${edges.tail[e]}-${edges.head[e]}`), edges.weight[e]);
  }
});

test('same seed gives identical output; another seed a different one', () => {
  const first = umapLayout(graph, { seed: 7, nEpochs: 100 });
  const again = umapLayout(graph, { seed: 7, nEpochs: 100 });
  const other = umapLayout(graph, { seed: 8, nEpochs: 100 });
  assert.equal(first.length, graph.n * 2);
  assert.deepEqual(first, again);
  assert.notDeepEqual(first, other);
  assert.ok(first.every(Number.isFinite));
});

test('well-separated blobs stay separated: each point is nearest its own blob centroid', () => {
  const layout = umapLayout(graph, { seed: 1 });
  assert.ok(nearestCentroidAgreement(layout, data.labels, 10) >= 0.99);
});

test('an initial layout is used as the starting point', () => {
  const initial = new Float32Array(graph.n * 2).map((_, i) => (i % 7) - 3);
  assert.deepEqual(umapLayout(graph, { initial, nEpochs: 0 }), initial);
  assert.throws(() => umapLayout(graph, { initial: new Float32Array(3) }), /expected 400/);
});

test('neighbourhoods are kept about as well as umap-js on the same graph', () => {
  const ours = umapLayout(graph, { seed: 2 });
  const reference = new UMAP({ nNeighbors: 16, nEpochs: 500, random: mulberry32(2) });
  // umap-js wants the point itself in its own row, at distance 0.
  const rows = (values: Int32Array | Float32Array, self: (i: number) => number): number[][] =>
    Array.from({ length: graph.n }, (_, i) => [self(i), ...Array.from(values.subarray(i * 15, (i + 1) * 15))]);
  reference.setPrecomputedKNN(rows(graph.indices, (i) => i), rows(graph.distances, () => 0));
  const vectors = Array.from({ length: graph.n }, (_, i) => Array.from(data.vectors.subarray(i * 32, (i + 1) * 32)));
  const epochs = reference.initializeFit(vectors);
  for (let e = 0; e < epochs; e++) reference.step();
  const theirs = Float32Array.from(reference.getEmbedding().flat());
  const oursKept = knnPreservation(graph, ours, 10, graph.n);
  const theirsKept = knnPreservation(graph, theirs, 10, graph.n);
  assert.ok(oursKept >= theirsKept - 0.1, `ours ${oursKept}, umap-js ${theirsKept}`);
});
