import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bruteForceKnnGraph, buildKnnGraph, knnRecall, truncateKnnGraph } from '../vectors/knn-graph.ts';
import { generateSyntheticEmbeddings } from './support/synthetic-embeddings.ts';

/** Unit vectors in 2-D at the given angles (degrees). */
function onCircle(angles: number[]): Float32Array {
  return Float32Array.from(angles.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]));
}

test('brute force: rows exclude the point itself, nearest first, cosine distances', () => {
  const graph = bruteForceKnnGraph(onCircle([0, 10, 30, 180]), 2, 2);
  assert.equal(graph.k, 2);
  assert.deepEqual(Array.from(graph.indices), [1, 2, 0, 2, 1, 0, 2, 1]);
  const expected = 1 - Math.cos((10 * Math.PI) / 180);
  assert.ok(Math.abs(graph.distances[0]! - expected) < 1e-6);
  // Point 3 (180 degrees) is opposite point 0: cosine distance 2.
  assert.ok(Math.abs(graph.distances[6]! - (1 - Math.cos((150 * Math.PI) / 180))) < 1e-6);
});

test('k is capped at n - 1', async () => {
  const graph = await buildKnnGraph(onCircle([0, 90, 180]), 2, 10);
  assert.equal(graph.k, 2);
  assert.equal(graph.indices.length, 6);
  assert.ok(!graph.indices.includes(-1));
});

test('vectors that do not split into rows are an error', async () => {
  await assert.rejects(buildKnnGraph(new Float32Array(7), 2, 1), /do not split into rows of 2/);
});

test('HNSW in a worker matches brute force on a small clustered set', async () => {
  const data = generateSyntheticEmbeddings({ n: 600, dim: 64, seed: 3 });
  const exact = bruteForceKnnGraph(data.vectors, data.dim, 10);
  const phases = new Set<string>();
  const approximate = await buildKnnGraph(data.vectors, data.dim, 10, { bruteForceMaxN: 0, onProgress: (phase) => phases.add(phase) });
  assert.equal(approximate.n, 600);
  assert.equal(approximate.k, 10);
  const recall = knnRecall(approximate, exact);
  assert.ok(recall >= 0.95, `recall ${recall}`);
  for (let i = 0; i < approximate.n; i++) {
    for (let c = 0; c < approximate.k; c++) {
      const j = approximate.indices[i * 10 + c]!;
      assert.notEqual(j, i, 'a point is never its own neighbour');
      if (c > 0) assert.ok(approximate.distances[i * 10 + c]! >= approximate.distances[i * 10 + c - 1]!, 'rows are sorted');
    }
  }
  // Distances are 1 - dot of the stored vectors.
  const j = approximate.indices[0]!;
  let dot = 0;
  for (let d = 0; d < data.dim; d++) dot += data.vectors[d]! * data.vectors[j * data.dim + d]!;
  assert.ok(Math.abs(approximate.distances[0]! - (1 - dot)) < 1e-5);
  assert.deepEqual([...phases].sort(), ['index', 'search']);
});

test('small sets use the exact graph', async () => {
  const data = generateSyntheticEmbeddings({ n: 200, dim: 32, seed: 4 });
  const graph = await buildKnnGraph(data.vectors, data.dim, 5);
  assert.equal(knnRecall(graph, bruteForceKnnGraph(data.vectors, data.dim, 5)), 1);
});

test('an abort signal stops the worker', async () => {
  const data = generateSyntheticEmbeddings({ n: 3000, dim: 64, seed: 5 });
  const controller = new AbortController();
  const pending = buildKnnGraph(data.vectors, data.dim, 10, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stopped by test')), 50);
  await assert.rejects(pending, /stopped by test/);
});

test('truncate keeps the first columns', () => {
  const graph = bruteForceKnnGraph(onCircle([0, 10, 30, 180]), 2, 3);
  const two = truncateKnnGraph(graph, 2);
  assert.equal(two.k, 2);
  assert.deepEqual(Array.from(two.indices), [1, 2, 0, 2, 1, 0, 2, 1]);
  assert.equal(truncateKnnGraph(graph, 5), graph);
});
