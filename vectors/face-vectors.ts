// The accepted faces of a `faces` table as one packed Float32Array, and their
// kNN graph cached on disk, shared by cluster, assign and umap.
//
// Faces are deduplicated by face_id (byte-identical photos share face_ids) and
// ordered by face_id, so the same faces always give the same rows and the
// same content hash. Embeddings are read in bulk: DuckDB streams data chunks
// and each chunk's FLOAT[dim] child vector is copied out in one go (about 50x
// faster than row objects; stack.md).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import duckdbBindings from '@duckdb/node-bindings';
import { z } from 'zod';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import { parquetSource } from '../datasets/parquet.ts';
import { buildKnnGraph, KNN_GRAPH_VERSION, type KnnGraph } from './knn-graph.ts';

export interface FaceVectors {
  n: number;
  dim: number;
  /** Distinct face ids, ascending; row i of `vectors` is ids[i]. */
  ids: string[];
  /** n * dim, unit length rows. */
  vectors: Float32Array;
  /** sha256 of the ids and vectors: the identity of this face set. */
  contentHash: string;
  /** Rows of the faces of each photo with two or more (different people by definition); absent when built by hand. */
  photos?: number[][];
  /** Each face's quality (the embedder's raw output length; 0 when unknown); absent when the table has none or built by hand. */
  quality?: Float32Array;
}

const ACCEPTED = 'NOT coalesce(rejected, false) AND embedding IS NOT NULL';

// A streaming result dies when its connection runs another query, and nodes of
// one run (cluster, umap) read at the same time: each read streams on its own
// connection of this in-memory instance, never on the shared scratch one.
let streamInstance: Promise<DuckDBInstance> | undefined;

/** Face sets read lately, by file and its identity on disk: the latest run's and one more. */
const KEPT_FACE_SETS = 2;
const keptFaceSets = new Map<string, Promise<FaceVectors>>();

/**
 * The accepted faces of a faces Parquet file (see readFaceVectorsFromFile).
 * A run's Parquet never changes once written (a new one is a new file), so
 * the last face sets read stay in memory: in the workbench's process cluster,
 * assign and umap of each re-match, the review queue and merge candidates
 * share one read. Callers must not modify what they get.
 */
export function readFaceVectors(facesParquet: string): Promise<FaceVectors> {
  let key: string;
  try {
    const stat = statSync(facesParquet, { bigint: true });
    key = `${facesParquet}\n${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch {
    return readFaceVectorsFromFile(facesParquet); // missing: let the read say so
  }
  let faces = keptFaceSets.get(key);
  if (faces) keptFaceSets.delete(key); // most recently used last
  else faces = readFaceVectorsFromFile(facesParquet);
  keptFaceSets.set(key, faces);
  faces.catch(() => keptFaceSets.get(key) === faces && keptFaceSets.delete(key));
  while (keptFaceSets.size > KEPT_FACE_SETS) keptFaceSets.delete(keptFaceSets.keys().next().value!);
  return faces;
}

/**
 * Reads the accepted faces of a faces Parquet file, one row per face_id, in
 * one plain scan: deduplicating and ordering in DuckDB (GROUP BY / ORDER BY
 * over the 2 KB embeddings) took 2-3x longer than the scan itself at 50k faces.
 */
async function readFaceVectorsFromFile(facesParquet: string): Promise<FaceVectors> {
  const source = parquetSource(facesParquet);
  streamInstance ??= DuckDBInstance.create(':memory:');
  const connection = await (await streamInstance).connect();
  const rowIds: string[] = [];
  const rowFiles: string[] = [];
  const rowQuality: number[] = [];
  let hasQuality = false;
  const chunks: Float32Array[] = [];
  let dim = 0;
  try {
    // Read as a list (FLOAT[512] written to Parquet reads back as FLOAT[]): each
    // row's entry gives its offset and length in the chunk's child floats, so
    // the width needs no probe query (that re-read the whole column).
    // A faces table made by hand (tests) may lack `quality`: read 0 then (the Parquet footer answers this, no scan).
    const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS().map((row) => String(row.column_name));
    hasQuality = columns.includes('quality');
    const qualitySql = hasQuality ? 'coalesce(quality, 0)::DOUBLE' : '0::DOUBLE';
    const result = await connection.stream(`SELECT face_id, file_id, embedding::FLOAT[] AS embedding, ${qualitySql} AS quality FROM ${source} WHERE ${ACCEPTED}`);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const size = chunk.rowCount;
      const idVector = chunk.getColumnVector(0);
      const fileVector = chunk.getColumnVector(1);
      const qualityVector = chunk.getColumnVector(3);
      for (let r = 0; r < size; r++) {
        rowIds.push(idVector.getItem(r) as string);
        rowFiles.push(fileVector.getItem(r) as string);
        rowQuality.push(qualityVector.getItem(r) as number);
      }
      const list = duckdbBindings.data_chunk_get_vector(chunk.chunk, 2);
      const entryBytes = duckdbBindings.vector_get_data(list, size * 16);
      const entries = new BigUint64Array(entryBytes.buffer, entryBytes.byteOffset, size * 2);
      const child = duckdbBindings.list_vector_get_child(list);
      const childBytes = duckdbBindings.vector_get_data(child, duckdbBindings.list_vector_get_size(list) * 4);
      // A view into DuckDB's chunk memory: copy before the next fetch frees it.
      const floats = new Float32Array(childBytes.buffer, childBytes.byteOffset, childBytes.byteLength / 4);
      dim ||= Number(entries[1]);
      const rows = new Float32Array(size * dim);
      for (let r = 0; r < size; r++) {
        const offset = Number(entries[2 * r]);
        const length = Number(entries[2 * r + 1]);
        if (length !== dim) throw new Error(`face ${rowIds[rowIds.length - size + r]}: embedding of ${length} values, expected ${dim}`);
        rows.set(floats.subarray(offset, offset + dim), r * dim);
      }
      chunks.push(rows);
    }
  } finally {
    connection.closeSync();
  }
  dim ||= 512;
  // Order by face_id; byte-identical photos repeat a face_id with the same embedding: keep one.
  const order = rowIds.map((_, i) => i).sort((a, b) => (rowIds[a]! < rowIds[b]! ? -1 : rowIds[a]! > rowIds[b]! ? 1 : 0));
  const ids: string[] = [];
  const rowOf = new Int32Array(rowIds.length);
  for (const i of order) {
    if (ids.length === 0 || ids[ids.length - 1] !== rowIds[i]) ids.push(rowIds[i]!);
    rowOf[i] = ids.length - 1;
  }
  const n = ids.length;
  const quality = new Float32Array(n);
  rowQuality.forEach((value, i) => (quality[rowOf[i]!] = value));
  const vectors = new Float32Array(n * dim);
  let i = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += dim) vectors.set(chunk.subarray(at, at + dim), rowOf[i++]! * dim);
  }
  const hash = createHash('sha256').update(`${n}:${dim}\n${ids.join('\n')}\n`);
  hash.update(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return { n, dim, ids, vectors, contentHash: hash.digest('hex').slice(0, 32), photos: groupByFile(rowFiles, rowOf), quality: hasQuality ? quality : undefined };
}

/** Distinct rows per file_id, for files with two or more, ordered by their first row. */
function groupByFile(files: string[], rowOf: Int32Array): number[][] {
  const byFile = new Map<string, Set<number>>();
  files.forEach((file, i) => {
    const rows = byFile.get(file);
    if (rows) rows.add(rowOf[i]!);
    else byFile.set(file, new Set([rowOf[i]!]));
  });
  return [...byFile.values()].filter((rows) => rows.size > 1).map((rows) => [...rows].sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
}

/** Rows of the accepted faces of each photo with two or more: they are different people. */
export function photoGroups(faces: FaceVectors): number[][] {
  return faces.photos ?? [];
}

export function indexOf(faces: FaceVectors): Map<string, number> {
  return new Map(faces.ids.map((id, i) => [id, i]));
}

export interface GraphParams {
  k: number;
  M: number;
  efConstruction: number;
  ef: number;
}

/**
 * The kNN-graph settings as declared node params. cluster and umap both
 * spread these in, so by default they ask for the same graph and share one
 * cache file.
 */
export const knnGraphParams = z.object({
  /** Neighbours per face in the kNN graph. */
  k: z.number().int().min(1).max(200).default(30),
  /** HNSW build (used above 1,500 faces; smaller sets get the exact graph). */
  M: z.number().int().min(2).max(128).default(16),
  efConstruction: z.number().int().min(10).max(4000).default(200),
  ef: z.number().int().min(10).max(4000).default(100),
});

/** The graph settings out of a node's params (which hold other settings too). */
export function graphParams(p: GraphParams): GraphParams {
  return { k: p.k, M: p.M, efConstruction: p.efConstruction, ef: p.ef };
}

/** What the graph cache is keyed on besides the faces: the graph settings and the code that builds it. */
export interface KnnGraphKey extends GraphParams {
  version: string;
}

/** The kNN-graph cache key for these settings: what cluster and umap declare in their cacheKeys. */
export function knnGraphKey(p: GraphParams): KnnGraphKey {
  return { version: KNN_GRAPH_VERSION, ...graphParams(p) };
}

export interface GraphOptions {
  signal?: AbortSignal;
  onProgress?: (phase: 'index' | 'search', done: number, total: number) => void;
  /** How many graph files the cache keeps (least recently used go first). */
  keep?: number;
}

// Two nodes of one run (cluster and umap start together) asking for the same
// graph share one build instead of racing for the two cores.
const inFlight = new Map<string, Promise<KnnGraph>>();

const MAGIC = 0x4b4e4e31; // 'KNN1'

/**
 * The kNN graph of these faces: from the on-disk cache when built before with
 * the same faces and parameters (a parameter sweep builds it once), otherwise
 * built (brute force for small n, HNSW in a worker) and cached.
 */
export async function cachedKnnGraph(cacheDir: string, faces: FaceVectors, params: KnnGraphKey, options: GraphOptions = {}): Promise<{ graph: KnnGraph; reused: boolean }> {
  // Nodes pass ctx.cacheKeys (part of their fingerprint): a key without a version was not declared there.
  if (!params?.version) throw new Error('kNN graph cache: no key version; declare knnGraphKey() in the node type\'s cacheKeys');
  const file = join(cacheDir, `${faces.contentHash}-${params.version}-k${params.k}-M${params.M}-efc${params.efConstruction}-ef${params.ef}.knn`);
  const cached = readGraphFile(file, faces.n);
  if (cached) return { graph: cached, reused: true };
  let build = inFlight.get(file);
  const shared = build !== undefined;
  if (!build) {
    build = buildKnnGraph(faces.vectors, faces.dim, params.k, { M: params.M, efConstruction: params.efConstruction, ef: params.ef, signal: options.signal, onProgress: options.onProgress })
      .then(async (graph) => {
        await writeGraphFile(file, graph);
        pruneCache(cacheDir, options.keep ?? 8);
        return graph;
      })
      .finally(() => inFlight.delete(file));
    inFlight.set(file, build);
  }
  return { graph: await build, reused: shared };
}

/** The graph cache folder shared by every node type that needs the faces' kNN graph. */
export function knnGraphCacheDir(nodeCacheDir: string): string {
  return join(nodeCacheDir, '..', 'knn-graphs');
}

function readGraphFile(file: string, n: number): KnnGraph | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 12));
  if (bytes.byteLength < 12 || header.getUint32(0, true) !== MAGIC || header.getUint32(4, true) !== n) return null;
  const k = header.getUint32(8, true);
  if (bytes.byteLength !== 12 + n * k * 8) return null;
  // Copy into aligned buffers (a Buffer's offset need not be a multiple of 4).
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  new Uint8Array(indices.buffer).set(bytes.subarray(12, 12 + n * k * 4));
  new Uint8Array(distances.buffer).set(bytes.subarray(12 + n * k * 4));
  const now = new Date();
  utimesSync(file, now, now); // most recently used
  return { n, k, indices, distances };
}

function writeGraphFile(file: string, graph: KnnGraph): Promise<void> {
  const header = new DataView(new ArrayBuffer(12));
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, graph.n, true);
  header.setUint32(8, graph.k, true);
  return writeFileAtomic(file, Buffer.concat([
    new Uint8Array(header.buffer),
    new Uint8Array(graph.indices.buffer, graph.indices.byteOffset, graph.indices.byteLength),
    new Uint8Array(graph.distances.buffer, graph.distances.byteOffset, graph.distances.byteLength),
  ]));
}

function pruneCache(dir: string, keep: number): void {
  const files = readdirSync(dir).filter((name) => name.endsWith('.knn')).map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }));
  files.sort((a, b) => b.mtime - a.mtime);
  for (const file of files.slice(keep)) rmSync(file.path, { force: true });
}

/**
 * The graph without some points: their rows empty and edges to them dropped
 * (rows stay sorted; the gaps move to the end as -1 / Infinity). Faces a human
 * marked 'not a face' must not link two people.
 */
export function withoutPoints(graph: KnnGraph, drop: Uint8Array): KnnGraph {
  const { n, k } = graph;
  const indices = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Infinity);
  for (let i = 0; i < n; i++) {
    if (drop[i]) continue;
    let out = i * k;
    for (let c = 0; c < k; c++) {
      const j = graph.indices[i * k + c]!;
      if (j < 0 || drop[j]) continue;
      indices[out] = j;
      distances[out++] = graph.distances[i * k + c]!;
    }
  }
  return { n, k, indices, distances };
}
