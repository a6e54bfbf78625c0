// Worker-thread entry for knn-graph.ts: builds an HNSW index over the vectors
// and queries every point. hnswlib-node is synchronous and would freeze the
// main thread for the whole build (about 47 s for 100k faces here).
import { parentPort, workerData } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';
import type { OneShotMessage } from '../dag/worker-pool.ts';

export interface KnnWorkerInput {
  vectors: Float32Array;
  dim: number;
  /** Neighbours per row, already capped at n - 1. */
  k: number;
  M: number;
  efConstruction: number;
  ef: number;
  seed: number;
}

export interface KnnWorkerProgress {
  phase: 'index' | 'search';
  done: number;
  total: number;
}

export interface KnnWorkerResult {
  indices: Int32Array;
  distances: Float32Array;
}

export type KnnWorkerMessage = OneShotMessage<KnnWorkerProgress, KnnWorkerResult>;

const PROGRESS_EVERY = 2000;

function buildGraph(input: KnnWorkerInput): { indices: Int32Array; distances: Float32Array } {
  const { vectors, dim, k } = input;
  const n = vectors.length / dim;
  // 'ip' distance is 1 - dot: the cosine distance for normalised vectors,
  // without the copy-and-normalise that the 'cosine' space does per call.
  const index = new hnswlib.HierarchicalNSW('ip', dim);
  index.initIndex({ maxElements: n, m: input.M, efConstruction: input.efConstruction, randomSeed: input.seed });
  // hnswlib-node takes plain arrays: refill one per point rather than allocate n of them.
  const point: number[] = new Array<number>(dim).fill(0);
  const load = (i: number): number[] => {
    for (let d = 0; d < dim; d++) point[d] = vectors[i * dim + d]!;
    return point;
  };
  for (let i = 0; i < n; i++) {
    index.addPoint(load(i), i);
    if ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === n) post({ type: 'progress', phase: 'index', done: i + 1, total: n });
  }
  index.setEf(Math.max(input.ef, k + 1));
  const indices = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Infinity);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    // Ask for one extra: the point finds itself (unless an exact duplicate pushes it out).
    const result = index.searchKnn(load(i), k + 1);
    order.length = 0;
    for (let r = 0; r < result.neighbors.length; r++) if (result.neighbors[r] !== i) order.push(r);
    order.sort((a, b) => result.distances[a]! - result.distances[b]!);
    const count = Math.min(k, order.length);
    for (let c = 0; c < count; c++) {
      indices[i * k + c] = result.neighbors[order[c]!]!;
      distances[i * k + c] = result.distances[order[c]!]!;
    }
    if ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === n) post({ type: 'progress', phase: 'search', done: i + 1, total: n });
  }
  return { indices, distances };
}

function post(message: KnnWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

try {
  const graph = buildGraph(workerData as KnnWorkerInput);
  post({ type: 'done', ...graph }, [graph.indices.buffer as ArrayBuffer, graph.distances.buffer as ArrayBuffer]);
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
