// The k-nearest-neighbour graph of the face embeddings, built once per run
// and shared by clustering, kNN voting (assign), UMAP and parameter sweeps.
//
// Vectors must be L2-normalised; distance = cosine distance = 1 - dot.
// Row i lists i's k nearest OTHER points, nearest first: the point itself is
// never in its own row (every consumer would otherwise skip column 0).
// If a row has fewer than k neighbours (approximate search came up short),
// the missing slots hold index -1 and distance Infinity.
import { createRequire } from 'node:module';
import { runInWorker } from '../dag/worker-pool.ts';
import type { KnnWorkerInput, KnnWorkerProgress, KnnWorkerResult } from './knn-worker.ts';
import { dot } from './dot.ts';

/**
 * Bump when buildKnnGraph's graph for the same vectors and parameters changes
 * (brute-force threshold, HNSW seed, distance code). It keys the on-disk graph
 * cache and so the fingerprints of cluster and umap; the hnswlib-node version
 * is part of it, so upgrading the library rebuilds too.
 */
export const KNN_GRAPH_VERSION = `knn@1+hnswlib-node@${(createRequire(import.meta.url)('hnswlib-node/package.json') as { version: string }).version}`;

export interface KnnGraph {
  n: number;
  /** Neighbours per row: min(requested k, n - 1). */
  k: number;
  /** n * k neighbour indices, row-major. */
  indices: Int32Array;
  /** n * k cosine distances, each row ascending. */
  distances: Float32Array;
}

export interface KnnGraphOptions {
  /** HNSW links per node. */
  M?: number;
  efConstruction?: number;
  /** Search breadth; raised to k + 1 when smaller. 100 gave recall@10 0.99 on 100k faces (stack.md). */
  ef?: number;
  seed?: number;
  /** Up to this many points the exact brute-force graph is built in-process instead of HNSW. */
  bruteForceMaxN?: number;
  onProgress?: (phase: 'index' | 'search', done: number, total: number) => void;
  /** Aborting terminates the worker and rejects. */
  signal?: AbortSignal;
}

// Brute force is exact and, measured here at 512-d and k 20, cheaper than
// starting a worker and building an index up to about 1,500 points
// (1,000: 0.3 s vs 0.44 s; 2,000: 1.2 s vs 1.0 s). It runs on the calling
// thread, so this also bounds how long it blocks.
const DEFAULT_BRUTE_FORCE_MAX_N = 1500;

/** Builds the kNN graph: exact brute force for small n, otherwise hnswlib-node in a worker thread (it blocks its thread). */
export async function buildKnnGraph(vectors: Float32Array, dim: number, k: number, options: KnnGraphOptions = {}): Promise<KnnGraph> {
  const n = checkShape(vectors, dim);
  options.signal?.throwIfAborted();
  if (n <= (options.bruteForceMaxN ?? DEFAULT_BRUTE_FORCE_MAX_N)) return bruteForceKnnGraph(vectors, dim, k);
  const input: KnnWorkerInput = {
    vectors,
    dim,
    k: Math.min(k, n - 1),
    M: options.M ?? 16,
    efConstruction: options.efConstruction ?? 200,
    ef: options.ef ?? 100,
    seed: options.seed ?? 100,
  };
  return runKnnWorker(input, options);
}

/** Exact kNN graph by comparing every pair (O(n² dim)); also the reference for recall checks. */
export function bruteForceKnnGraph(vectors: Float32Array, dim: number, k: number): KnnGraph {
  const n = checkShape(vectors, dim);
  const kk = Math.max(0, Math.min(k, n - 1));
  const indices = new Int32Array(n * kk).fill(-1);
  const distances = new Float32Array(n * kk).fill(Infinity);
  if (kk === 0) return { n, k: kk, indices, distances };
  // Each pair's dot product is computed once and offered to both rows.
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      const b = j * dim;
      const distance = 1 - dot(vectors, a, vectors, b, dim);
      offer(indices, distances, i * kk, kk, j, distance);
      offer(indices, distances, j * kk, kk, i, distance);
    }
  }
  return { n, k: kk, indices, distances };
}

/** Keeps the first k columns: a graph built with a large k serves consumers that want fewer. */
export function truncateKnnGraph(graph: KnnGraph, k: number): KnnGraph {
  if (k >= graph.k) return graph;
  const indices = new Int32Array(graph.n * k);
  const distances = new Float32Array(graph.n * k);
  for (let i = 0; i < graph.n; i++) {
    indices.set(graph.indices.subarray(i * graph.k, i * graph.k + k), i * k);
    distances.set(graph.distances.subarray(i * graph.k, i * graph.k + k), i * k);
  }
  return { n: graph.n, k, indices, distances };
}

/** Share of the exact graph's neighbours that the approximate graph found (recall@k). */
export function knnRecall(approximate: KnnGraph, exact: KnnGraph): number {
  const k = Math.min(approximate.k, exact.k);
  let found = 0;
  for (let i = 0; i < exact.n; i++) {
    const row = new Set(approximate.indices.subarray(i * approximate.k, i * approximate.k + k));
    for (let c = 0; c < k; c++) if (row.has(exact.indices[i * exact.k + c]!)) found++;
  }
  return found / (exact.n * k);
}


/** Inserts (index, distance) into a sorted fixed-size row if it beats the current worst. */
function offer(indices: Int32Array, distances: Float32Array, row: number, k: number, index: number, distance: number): void {
  if (distance >= distances[row + k - 1]!) return;
  let p = k - 1;
  while (p > 0 && distances[row + p - 1]! > distance) {
    distances[row + p] = distances[row + p - 1]!;
    indices[row + p] = indices[row + p - 1]!;
    p--;
  }
  distances[row + p] = distance;
  indices[row + p] = index;
}

function checkShape(vectors: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0 || vectors.length % dim !== 0) {
    throw new Error(`vectors of length ${vectors.length} do not split into rows of ${dim}`);
  }
  return vectors.length / dim;
}

// Node 20 does not apply `--import tsx` from a worker's execArgv to the
// worker's own .ts entry file (ERR_UNKNOWN_FILE_EXTENSION, checked here), so
// the worker starts from a tiny eval'd script that registers tsx, then
// imports the real entry.
async function runKnnWorker(input: KnnWorkerInput, options: KnnGraphOptions): Promise<KnnGraph> {
  const n = input.vectors.length / input.dim;
  const result = await runInWorker<KnnWorkerProgress, KnnWorkerResult>(new URL('./knn-worker.ts', import.meta.url), input, {
    label: 'kNN worker',
    signal: options.signal,
    onProgress: (progress) => options.onProgress?.(progress.phase, progress.done, progress.total),
  });
  return { n, k: input.k, indices: result.indices, distances: result.distances };
}
