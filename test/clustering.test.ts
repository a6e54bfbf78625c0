import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageLinkage, clusterFaces, dbscan, dotOfSumAndRow, SimdSumRowDot, type ClusterParams, type Clustering } from '../vectors/clustering.ts';
import { mulberry32 } from '../vectors/umap-fast.ts';
import { bruteForceKnnGraph } from '../vectors/knn-graph.ts';
import { adjustedRandIndex } from '../vectors/cluster-metrics.ts';
import { generateSyntheticEmbeddings, measureSpread } from './support/synthetic-embeddings.ts';
import { unitBlobs } from './support/blobs.ts';

/** Unit vectors in 2-D at the given angles (degrees): cosine distance 1 - cos(difference). */
function onCircle(angles: number[]): Float32Array {
  return Float32Array.from(angles.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]));
}

const blobs = (blobCount: number, count: number, dim: number, seed: number) => unitBlobs(blobCount, count, dim, seed, 0.3);

const methods: ClusterParams[] = [
  { method: 'dbscan', eps: 0.3, minPts: 2 },
  { method: 'dbscan', eps: 0.3, minPts: 2, mutualK: 3 },
  { method: 'average', threshold: 0.3 },
];
const describe = (p: ClusterParams): string => JSON.stringify(p);

test('DBSCAN on hand-made points: a chain, a pair below minPts, a loner', () => {
  // 0-10-20 degrees chain within eps (1 - cos 10° = 0.015), 0 and 20 are not (0.06).
  // 90-100 is a pair; 200 is alone.
  const vectors = onCircle([0, 10, 20, 90, 100, 200]);
  const graph = bruteForceKnnGraph(vectors, 2, 3);
  const two = dbscan(graph, { eps: 0.05, minPts: 2 });
  assert.deepEqual(Array.from(two.labels), [0, 0, 0, 1, 1, -1]);
  assert.deepEqual(Array.from(two.isCore), [1, 1, 1, 1, 1, 0]);
  assert.equal(two.clusterCount, 2);
  assert.equal(two.noiseCount, 1);
  assert.ok(Math.abs(two.nnDistance[0]! - (1 - Math.cos((10 * Math.PI) / 180))) < 1e-6);

  // minPts 3 counts the point itself: only the middle of the chain is core;
  // its ends are border points, and the pair becomes noise.
  const three = dbscan(graph, { eps: 0.05, minPts: 3 });
  assert.deepEqual(Array.from(three.labels), [0, 0, 0, -1, -1, -1]);
  assert.deepEqual(Array.from(three.isCore), [0, 1, 0, 0, 0, 0]);
});

test('DBSCAN needs k >= minPts - 1', () => {
  const graph = bruteForceKnnGraph(onCircle([0, 10, 20]), 2, 1);
  assert.throws(() => dbscan(graph, { minPts: 3 }), /k >= 2/);
});

test('mutual kNN stops a one-sided bridge from chaining two groups', () => {
  // Groups at 0-2 and 20-22 degrees; point 6 sits 9 degrees from both ends and
  // lists them as its nearest, but neither end lists it among its 2 nearest.
  const vectors = onCircle([0, 1, 2, 11, 20, 21, 22]);
  const graph = bruteForceKnnGraph(vectors, 2, 2);
  const chained = dbscan(graph, { eps: 0.013, minPts: 2 });
  assert.equal(new Set(chained.labels).size, 1, 'without mutual kNN the bridge joins everything');
  const mutual = dbscan(graph, { eps: 0.013, minPts: 2, mutualK: 2 });
  assert.deepEqual(Array.from(mutual.labels.subarray(0, 3)), [0, 0, 0].map(() => mutual.labels[0]!));
  assert.deepEqual(Array.from(mutual.labels.subarray(4)), [0, 0, 0].map(() => mutual.labels[4]!));
  assert.notEqual(mutual.labels[0], mutual.labels[4]);
  // The bridge point still joins one of the two.
  assert.ok(mutual.labels[3] === mutual.labels[0] || mutual.labels[3] === mutual.labels[4]);
});

test('average linkage does not chain where DBSCAN does', () => {
  // d(0°,40°) = 0.234 merges first; then mean(d(0°,85°) 0.913, d(40°,85°) 0.293) = 0.603 stays apart.
  const vectors = onCircle([0, 40, 85]);
  const graph = bruteForceKnnGraph(vectors, 2, 2);
  assert.deepEqual(Array.from(dbscan(graph, { eps: 0.3, minPts: 2 }).labels), [0, 0, 0]);
  const average = averageLinkage(graph, vectors, 2, { threshold: 0.4 });
  assert.deepEqual(Array.from(average.labels), [0, 0, -1]);
  assert.deepEqual(Array.from(average.isCore), [1, 1, 0]);
});

test('average linkage on the full graph equals naive average-linkage clustering', () => {
  const dim = 16;
  const { vectors } = blobs(4, 15, dim, 11);
  const n = vectors.length / dim;
  const graph = bruteForceKnnGraph(vectors, dim, n - 1);
  for (const threshold of [0.05, 0.15, 0.3, 0.6]) {
    const fast = averageLinkage(graph, vectors, dim, { threshold, minClusterSize: 1 });
    const naive = naiveAverageLinkage(vectors, dim, threshold);
    assert.equal(adjustedRandIndex(fast.labels, naive), 1, `threshold ${threshold}`);
  }
});

test('cannot-link: two faces of one photo, nearly identical, never share a cluster (every method)', () => {
  // A tight group of five, and two more points (5, 6) in one photo placed right next to the group and to each other.
  const vectors = onCircle([0, 2, 4, 6, 8, 3, 3.01]);
  const graph = bruteForceKnnGraph(vectors, 2, 6);
  for (const params of methods) {
    const free = clusterFaces(graph, vectors, 2, params);
    assert.equal(free.labels[5], free.labels[6], `${describe(params)}: without the constraint they do merge`);
    const constrained = clusterFaces(graph, vectors, 2, { ...params, cannotLink: [[5, 6]] });
    assertApart(constrained, 5, 6, describe(params));
    assert.ok(constrained.refusedByCannotLink > 0, describe(params));
  }
});

test('cannot-link holds through chains and must-links (every method)', () => {
  // 0 and 4 are in one photo; a human must-linked 0 with 1; 2, 3 sit between 1 and 4.
  const vectors = onCircle([0, 3, 6, 9, 12]);
  const graph = bruteForceKnnGraph(vectors, 2, 4);
  for (const params of methods) {
    const result = clusterFaces(graph, vectors, 2, { ...params, cannotLink: [[0, 4]], mustLink: [[0, 1]] });
    assertApart(result, 0, 4, describe(params));
    assert.equal(result.labels[0], result.labels[1], `${describe(params)}: must-link kept`);
  }
});

test('must-link joins far points; one that breaks a cannot-link is refused (every method)', () => {
  const vectors = onCircle([0, 1, 90, 91, 180]);
  const graph = bruteForceKnnGraph(vectors, 2, 4);
  for (const params of methods) {
    const joined = clusterFaces(graph, vectors, 2, { ...params, mustLink: [[0, 4]] });
    assert.equal(joined.labels[0], joined.labels[4], describe(params));
    assert.notEqual(joined.labels[4], -1, describe(params));
    // 0-2 is fine, but then 1-0 would put 1 with 2 through 0.
    const refused = clusterFaces(graph, vectors, 2, { ...params, mustLink: [[0, 2], [1, 0]], cannotLink: [[1, 2]] });
    assert.equal(refused.refusedMustLinks, 1, describe(params));
    assertApart(refused, 1, 2, describe(params));
  }
});

test('cannot-link groups name real points', () => {
  const graph = bruteForceKnnGraph(onCircle([0, 1]), 2, 1);
  assert.throws(() => dbscan(graph, { cannotLink: [[0, 5]] }), /point 5, outside 0..1/);
});

test('synthetic faces: photos stay split and identities are recovered (every method)', () => {
  const data = generateSyntheticEmbeddings({ n: 1200, dim: 128, seed: 21, groupPhotoShare: 0.5 });
  const graph = bruteForceKnnGraph(data.vectors, data.dim, 20);
  const settings: ClusterParams[] = [
    { method: 'dbscan', eps: 0.5, minPts: 2 },
    { method: 'dbscan', eps: 0.5, minPts: 2, mutualK: 20 },
    { method: 'average', threshold: 0.6 },
  ];
  for (const params of settings) {
    const result = clusterFaces(graph, data.vectors, data.dim, { ...params, cannotLink: data.photos });
    for (const photo of data.photos) {
      const labels = photo.map((face) => result.labels[face]!).filter((label) => label >= 0);
      assert.equal(new Set(labels).size, labels.length, `${describe(params)}: a photo's faces share a cluster`);
    }
    const ari = adjustedRandIndex(result.labels, data.labels);
    assert.ok(ari > 0.8, `${describe(params)}: ARI ${ari}`);
  }
});

test('synthetic faces: measured spread, power-law sizes, photos of distinct people, seeded', () => {
  const data = generateSyntheticEmbeddings({ n: 3000, seed: 8 });
  const stats = measureSpread(data, 5000);
  assert.ok(stats.samePersonMedian > 0.62 && stats.samePersonMedian < 0.72, `median ${stats.samePersonMedian}`);
  assert.ok(stats.samePersonP5 > 0.3 && stats.samePersonP5 < 0.46, `p5 ${stats.samePersonP5}`);
  assert.ok(stats.differentPersonP999 < 0.42, `different p99.9 ${stats.differentPersonP999}`);
  const sizes = new Map<number, number>();
  for (const label of data.labels) sizes.set(label, (sizes.get(label) ?? 0) + 1);
  const counts = [...sizes.values()];
  assert.ok(counts.filter((c) => c <= 3).length / counts.length > 0.7, 'most people are seen 1-3 times');
  assert.ok(Math.max(...counts) >= 40, 'a few people are seen very often');
  for (const photo of data.photos) assert.equal(new Set(photo.map((f) => data.labels[f])).size, photo.length);
  assert.deepEqual(generateSyntheticEmbeddings({ n: 300, seed: 8 }).vectors, generateSyntheticEmbeddings({ n: 300, seed: 8 }).vectors);
});

test('labels are numbered by cluster size', () => {
  const vectors = onCircle([0, 1, 90, 91, 92]);
  const result = dbscan(bruteForceKnnGraph(vectors, 2, 4), { eps: 0.01 });
  assert.deepEqual(Array.from(result.labels), [1, 1, 0, 0, 0]);
});

function assertApart(result: Clustering, a: number, b: number, message: string): void {
  const apart = result.labels[a] === -1 || result.labels[b] === -1 || result.labels[a] !== result.labels[b];
  assert.ok(apart, `${message}: ${a} and ${b} share cluster ${result.labels[a]}`);
}

/** Textbook average linkage: repeatedly merge the closest pair of clusters while under the threshold. */
function naiveAverageLinkage(vectors: Float32Array, dim: number, threshold: number): Int32Array {
  const n = vectors.length / dim;
  const distance = (i: number, j: number): number => {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += vectors[i * dim + d]! * vectors[j * dim + d]!;
    return 1 - dot;
  };
  let clusters = Array.from({ length: n }, (_, i) => [i]);
  for (;;) {
    let best = Infinity;
    let pair: [number, number] = [-1, -1];
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        let sum = 0;
        for (const i of clusters[a]!) for (const j of clusters[b]!) sum += distance(i, j);
        const mean = sum / (clusters[a]!.length * clusters[b]!.length);
        if (mean < best) [best, pair] = [mean, [a, b]];
      }
    }
    if (best >= threshold) break;
    const [a, b] = pair;
    clusters = clusters.filter((_, c) => c !== a && c !== b).concat([[...clusters[a]!, ...clusters[b]!]]);
  }
  const labels = new Int32Array(n);
  clusters.forEach((members, label) => members.forEach((i) => (labels[i] = label)));
  return labels;
}

test('the SIMD sum-against-row product equals the JS one bit for bit, and follows a cluster whose sum changed', () => {
  const random = mulberry32(11);
  for (const dim of [4, 16, 128, 512]) {
    const simd = SimdSumRowDot.create(dim);
    if (!simd) return; // no WebAssembly SIMD here: the JS loop is what runs (and is what this compares against)
    const vectors = Float32Array.from({ length: 50 * dim }, () => random() * 2 - 1);
    const sum = Float64Array.from({ length: dim }, () => (random() * 2 - 1) * 40);
    for (let version = 0; version < 20; version++) {
      for (let row = 0; row < 50; row++) {
        const expected = dotOfSumAndRow(sum, vectors, row * dim, dim);
        assert.ok(Object.is(simd.dot(sum, 7, version, vectors, row * dim), expected), `dim ${dim}, version ${version}, row ${row}`);
      }
      // The cluster grows: its sum changes and its version moves on; the cached copy must not be used.
      for (let d = 0; d < dim; d++) sum[d] = sum[d]! + vectors[(version % 50) * dim + d]!;
    }
    // The next clustering gets the same product back, emptied: its cluster 7 at version 0 is another sum.
    simd.dot(sum, 7, 0, vectors, 0);
    const again = SimdSumRowDot.create(dim)!;
    const other = sum.map((v) => -v / 3);
    assert.ok(Object.is(again.dot(other, 7, 0, vectors, dim), dotOfSumAndRow(other, vectors, dim, dim)), `dim ${dim}, a second clustering`);
  }
});
