// Face clustering on a precomputed kNN graph (knn-graph.ts), with human and
// photo constraints honoured by every method.
//
// Two methods, picked by `method`:
// - 'dbscan': density clustering on cosine distance (what PhotoPrism does,
//   and perfect on the small real set at eps 0.5). With minPts 2 it is single
//   linkage at eps, so one look-alike pair can chain two people together.
// - 'average': average-linkage agglomerative clustering with a distance
//   threshold (0.6-0.7 was perfect on the real set). Chosen over an
//   HDBSCAN-style method because (1) average linkage resists chaining: one
//   close pair barely moves the mean over all pairs of two big clusters;
//   (2) archives are dominated by people seen 1-3 times, which HDBSCAN's
//   min_cluster_size turns into noise (min_cluster_size 2 gave many tiny
//   clusters for LibrePhotos users); (3) it merges one pair at a time, so
//   refusing a merge that breaks a cannot-link is natural. It scales because
//   only clusters joined by a kNN edge under the threshold are candidates, and
//   the linkage is exact and cheap: for unit vectors the mean cosine over all
//   pairs of A x B equals dot(sum A, sum B) / (|A| |B|).
//
// Constraints: `cannotLink` groups never share a cluster (faces of one photo;
// faces a human said are different people), `mustLink` pairs always do (a
// human put both on one person). Each cluster keeps the set of cannot-link
// groups it touches; a union whose two sides touch a common group is refused.
import type { KnnGraph } from './knn-graph.ts';

export interface ClusterConstraints {
  /**
   * Groups of point indices that must never share a cluster; every pair
   * inside a group is cannot-linked (a photo's faces). For "x is not the
   * person of y, z" pass the pairs [x, y], [x, z].
   */
  cannotLink?: readonly (readonly number[])[];
  /** Pairs that must share a cluster. Applied first; one that contradicts a cannot-link is refused and counted. */
  mustLink?: readonly (readonly [number, number])[];
}

export interface DbscanOptions extends ClusterConstraints {
  /** Cosine distance of the eps-neighbourhood. */
  eps?: number;
  /** Neighbours within eps, counting the point itself (as sklearn), for a core point. Needs graph.k >= minPts - 1. */
  minPts?: number;
  /**
   * When > 0, core points link only when each is among the other's first
   * mutualK neighbours (<= graph.k): curbs chaining (clustering.md). Other
   * points still join their nearest core point's cluster.
   */
  mutualK?: number;
}

export interface AverageLinkageOptions extends ClusterConstraints {
  /** Merge while the mean cosine distance between two clusters is below this. */
  threshold?: number;
  /** Smaller clusters become noise (-1), unless a must-link formed them. */
  minClusterSize?: number;
}

export type ClusterParams = ({ method: 'dbscan' } & DbscanOptions) | ({ method: 'average' } & AverageLinkageOptions);

export interface Clustering {
  /** Cluster per point, numbered by size (0 = largest); -1 = noise. */
  labels: Int32Array;
  /** DBSCAN: a core point. Average linkage: the point is in a cluster. */
  isCore: Uint8Array;
  /** Cosine distance to the nearest other point in the graph (Infinity when it has none). */
  nnDistance: Float32Array;
  clusterCount: number;
  noiseCount: number;
  /** Unions refused because they would have put a cannot-linked pair in one cluster. */
  refusedByCannotLink: number;
  refusedMustLinks: number;
}

/** Runs the method that `params.method` names; `vectors` (n * dim, normalised) are needed by 'average'. */
export function clusterFaces(graph: KnnGraph, vectors: Float32Array, dim: number, params: ClusterParams): Clustering {
  return params.method === 'dbscan' ? dbscan(graph, params) : averageLinkage(graph, vectors, dim, params);
}

/**
 * DBSCAN where a point's eps-neighbourhood is read from its kNN row, so it
 * sees at most graph.k neighbours: a point with more than k neighbours within
 * eps is still core, but only its k nearest link it to others. Core-core links
 * are applied nearest first, so under a cannot-link the closest pair wins.
 * Then every point not linked that way (border points; with mutualK, also
 * core points without a mutual link) joins the cluster of its nearest core
 * point within eps that it may join. Such a point joins once and never links
 * two clusters, so only core-core links can chain.
 */
export function dbscan(graph: KnnGraph, options: DbscanOptions = {}): Clustering {
  const eps = options.eps ?? 0.5;
  const minPts = options.minPts ?? 2;
  const { n, k, indices, distances } = graph;
  if (minPts > k + 1) throw new Error(`minPts ${minPts} needs a kNN graph with k >= ${minPts - 1}, got ${k}`);
  const anyEdge = usableEdges(graph, 0);
  // Mutual kNN prunes the one-sided links through which chains form; density
  // (isCore) still counts every neighbour, or faces far from their person's
  // centre (whose neighbours do not list them back) would all become noise.
  const linkEdge = options.mutualK ? usableEdges(graph, options.mutualK) : anyEdge;
  const isCore = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let count = 1;
    for (let c = 0; c < k; c++) if (anyEdge[i * k + c] && distances[i * k + c]! <= eps) count++;
    if (count >= minPts) isCore[i] = 1;
  }
  const sets = new ConstrainedUnionFind(n, options.cannotLink ?? []);
  const mustLinked = applyMustLinks(sets, options.mustLink ?? []);

  const coreLinks = new EdgeList(n * k);
  const joins = new EdgeList(2 * n * k); // (point, core point it could join, distance)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const e = i * k + c;
      const j = indices[e]!;
      if (!anyEdge[e] || distances[e]! > eps) continue;
      // Each undirected link once: from the lower index, or from the only row that lists it.
      if (isCore[i] && isCore[j] && linkEdge[e] && (i < j || !rowListsWithin(graph, j, i, eps))) coreLinks.push(i, j, distances[e]!);
      if (isCore[j]) joins.push(i, j, distances[e]!);
      if (isCore[i]) joins.push(j, i, distances[e]!);
    }
  }
  let refused = 0;
  const linked = new Uint8Array(n);
  for (const e of coreLinks.nearestFirst()) {
    const a = coreLinks.a[e]!;
    const b = coreLinks.b[e]!;
    if (sets.union(a, b) < 0) refused++;
    else linked[a] = linked[b] = 1;
  }
  const joined = new Uint8Array(n);
  for (const e of joins.nearestFirst()) {
    const point = joins.a[e]!;
    if (linked[point] || joined[point]) continue;
    if (sets.union(point, joins.b[e]!) >= 0) joined[point] = 1;
    else refused++;
  }
  const inCluster = (root: number, size: number, hasCore: boolean, hasMustLink: boolean): boolean => hasCore || size >= 2 || hasMustLink;
  return finish(graph, sets, isCore, mustLinked, inCluster, refused);
}

/** Average-linkage agglomerative clustering over kNN-graph candidates (see the top of this file). */
export function averageLinkage(graph: KnnGraph, vectors: Float32Array, dim: number, options: AverageLinkageOptions = {}): Clustering {
  const threshold = options.threshold ?? 0.65;
  const minClusterSize = options.minClusterSize ?? 2;
  const { n, k, indices, distances } = graph;
  if (vectors.length !== n * dim) throw new Error(`expected ${n} x ${dim} vectors, got ${vectors.length} values`);
  const usable = usableEdges(graph, 0);
  const sets = new ConstrainedUnionFind(n, options.cannotLink ?? []);
  const mustLinked = applyMustLinks(sets, options.mustLink ?? []);

  // Sum of member vectors per multi-member root; a singleton's sum is its own row of `vectors`.
  const sums: (Float64Array | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    if (sets.size[root] === 1) continue;
    const sum = (sums[root] ??= new Float64Array(dim));
    for (let d = 0; d < dim; d++) sum[d] = sum[d]! + vectors[i * dim + d]!;
  }
  const linkage = (a: number, b: number): number => {
    const sa = sums[a];
    const sb = sums[b];
    const dot = dotOf(sa ?? vectors, sa ? 0 : a * dim, sb ?? vectors, sb ? 0 : b * dim, dim);
    return 1 - dot / (sets.size[a]! * sets.size[b]!);
  };

  // Candidate neighbours per root: clusters joined by a kNN edge under the threshold.
  const neighbours: (Set<number> | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const e = i * k + c;
      if (!usable[e] || distances[e]! >= threshold) continue;
      const a = sets.find(i);
      const b = sets.find(indices[e]!);
      if (a === b) continue;
      (neighbours[a] ??= new Set()).add(b);
      (neighbours[b] ??= new Set()).add(a);
    }
  }
  // Heap entries carry both clusters' versions; an entry is stale once either cluster changed.
  const version = new Int32Array(n);
  const queue = new MergeQueue();
  for (let a = 0; a < n; a++) {
    for (const b of neighbours[a] ?? []) {
      if (a >= b) continue;
      const d = linkage(a, b);
      if (d < threshold) queue.push(d, a, b, 0, 0);
    }
  }
  let refused = 0;
  while (queue.length > 0) {
    const { distance, a, b, versionA, versionB } = queue.pop();
    if (distance >= threshold) break;
    if (sets.parent[a] !== a || sets.parent[b] !== b || version[a] !== versionA || version[b] !== versionB) continue;
    const root = sets.union(a, b);
    if (root < 0) {
      // Permanently refused: clusters only grow, so the conflict stays.
      refused++;
      neighbours[a]?.delete(b);
      neighbours[b]?.delete(a);
      continue;
    }
    const absorbed = root === a ? b : a;
    const sum = sums[root] ?? Float64Array.from(vectors.subarray(root * dim, (root + 1) * dim));
    const absorbedSum = sums[absorbed];
    for (let d = 0; d < dim; d++) sum[d] = sum[d]! + (absorbedSum ? absorbedSum[d]! : vectors[absorbed * dim + d]!);
    sums[root] = sum;
    sums[absorbed] = undefined;
    const merged = mergeNeighbourSets(neighbours, root, absorbed);
    version[root] = version[root]! + 1;
    for (const c of merged) {
      const d = linkage(root, c);
      if (d < threshold) queue.push(d, root, c, version[root]!, version[c]!);
    }
  }
  const inCluster = (root: number, size: number, hasCore: boolean, hasMustLink: boolean): boolean => size >= minClusterSize || hasMustLink;
  const clustering = finish(graph, sets, new Uint8Array(n), mustLinked, inCluster, refused);
  for (let i = 0; i < n; i++) clustering.isCore[i] = clustering.labels[i]! >= 0 ? 1 : 0;
  return clustering;
}

/** Dot product of two rows; four accumulators let V8 overlap the multiply-adds (the hot loop of average linkage). */
function dotOf(x: Float64Array | Float32Array, xOffset: number, y: Float64Array | Float32Array, yOffset: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += x[xOffset + d]! * y[yOffset + d]!;
    s1 += x[xOffset + d + 1]! * y[yOffset + d + 1]!;
    s2 += x[xOffset + d + 2]! * y[yOffset + d + 2]!;
    s3 += x[xOffset + d + 3]! * y[yOffset + d + 3]!;
  }
  for (; d < dim; d++) s0 += x[xOffset + d]! * y[yOffset + d]!;
  return s0 + s1 + s2 + s3;
}

/** Union-find whose roots remember the cannot-link groups their members belong to. */
export class ConstrainedUnionFind {
  readonly parent: Int32Array;
  readonly size: Int32Array;
  private readonly groups: (Set<number> | undefined)[];

  constructor(n: number, cannotLink: readonly (readonly number[])[]) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.groups = new Array(n);
    cannotLink.forEach((group, g) => {
      for (const point of group) {
        if (!Number.isInteger(point) || point < 0 || point >= n) throw new Error(`cannot-link group ${g} names point ${point}, outside 0..${n - 1}`);
        (this.groups[point] ??= new Set()).add(g);
      }
    });
  }

  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }

  /** True when the two sets share a cannot-link group. */
  conflicts(rootA: number, rootB: number): boolean {
    const ga = this.groups[rootA];
    const gb = this.groups[rootB];
    if (!ga || !gb) return false;
    const [small, large] = ga.size <= gb.size ? [ga, gb] : [gb, ga];
    for (const g of small) if (large.has(g)) return true;
    return false;
  }

  /** Joins the sets of a and b; returns the new root, or -1 when a cannot-link forbids it. */
  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if (this.conflicts(ra, rb)) return -1;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = this.size[ra]! + this.size[rb]!;
    const ga = this.groups[ra];
    const gb = this.groups[rb];
    if (gb) {
      if (!ga) this.groups[ra] = gb;
      else if (ga.size >= gb.size) for (const g of gb) ga.add(g);
      else {
        for (const g of ga) gb.add(g);
        this.groups[ra] = gb;
      }
      this.groups[rb] = undefined;
    }
    return ra;
  }
}

/** Applies must-links first; returns which points an accepted must-link touched. */
function applyMustLinks(sets: ConstrainedUnionFind, mustLink: readonly (readonly [number, number])[]): { points: Uint8Array; refused: number } {
  const points = new Uint8Array(sets.parent.length);
  let refused = 0;
  for (const [a, b] of mustLink) {
    if (sets.union(a, b) < 0) refused++;
    else points[a] = points[b] = 1;
  }
  return { points, refused };
}

/** 1 per graph slot usable as an edge: a real neighbour and, with mutualK, a mutual one. */
function usableEdges(graph: KnnGraph, mutualK: number): Uint8Array {
  const { n, k, indices } = graph;
  const usable = new Uint8Array(n * k);
  const m = Math.min(mutualK, k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const j = indices[i * k + c]!;
      if (j < 0 || j === i) continue;
      if (mutualK > 0) {
        if (c >= m) continue;
        let mutual = false;
        for (let r = 0; r < m && !mutual; r++) mutual = indices[j * k + r] === i;
        if (!mutual) continue;
      }
      usable[i * k + c] = 1;
    }
  }
  return usable;
}

function rowListsWithin(graph: KnnGraph, row: number, point: number, eps: number): boolean {
  for (let c = 0; c < graph.k; c++) {
    if (graph.indices[row * graph.k + c] === point) return graph.distances[row * graph.k + c]! <= eps;
  }
  return false;
}

/** Folds the absorbed cluster's candidate set into the root's (smaller into larger) and repoints its neighbours. */
function mergeNeighbourSets(neighbours: (Set<number> | undefined)[], root: number, absorbed: number): Set<number> {
  const fromAbsorbed = neighbours[absorbed] ?? new Set<number>();
  for (const c of fromAbsorbed) {
    if (c === root) continue;
    const theirs = neighbours[c]!;
    theirs.delete(absorbed);
    theirs.add(root);
  }
  let merged = neighbours[root] ?? new Set<number>();
  let other = fromAbsorbed;
  if (other.size > merged.size) [merged, other] = [other, merged];
  for (const c of other) merged.add(c);
  merged.delete(root);
  merged.delete(absorbed);
  neighbours[root] = merged;
  neighbours[absorbed] = undefined;
  return merged;
}

type ClusterTest = (root: number, size: number, hasCore: boolean, hasMustLink: boolean) => boolean;

/** Labels from the final sets: qualifying sets numbered by size (then first member), the rest noise. */
function finish(
  graph: KnnGraph,
  sets: ConstrainedUnionFind,
  isCore: Uint8Array,
  mustLinked: { points: Uint8Array; refused: number },
  inCluster: ClusterTest,
  refusedByCannotLink: number,
): Clustering {
  const n = graph.n;
  const hasCore = new Uint8Array(n);
  const hasMustLink = new Uint8Array(n);
  const roots: number[] = [];
  const firstMember = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    if (firstMember[root] === -1) {
      firstMember[root] = i;
      roots.push(root);
    }
    if (isCore[i]) hasCore[root] = 1;
    if (mustLinked.points[i]) hasMustLink[root] = 1;
  }
  const clusterRoots = roots.filter((r) => inCluster(r, sets.size[r]!, hasCore[r] === 1, hasMustLink[r] === 1));
  clusterRoots.sort((a, b) => sets.size[b]! - sets.size[a]! || firstMember[a]! - firstMember[b]!);
  const labelOfRoot = new Int32Array(n).fill(-1);
  clusterRoots.forEach((root, label) => (labelOfRoot[root] = label));
  const labels = new Int32Array(n);
  const nnDistance = new Float32Array(n);
  let noiseCount = 0;
  for (let i = 0; i < n; i++) {
    labels[i] = labelOfRoot[sets.find(i)]!;
    if (labels[i] === -1) noiseCount++;
    nnDistance[i] = graph.k > 0 && graph.indices[i * graph.k]! >= 0 ? graph.distances[i * graph.k]! : Infinity;
  }
  return {
    labels,
    isCore,
    nnDistance,
    clusterCount: clusterRoots.length,
    noiseCount,
    refusedByCannotLink,
    refusedMustLinks: mustLinked.refused,
  };
}

/** Growable list of weighted edges, iterable nearest first (ties by insertion order, so runs are deterministic). */
class EdgeList {
  a: Int32Array;
  b: Int32Array;
  distance: Float32Array;
  length = 0;

  constructor(capacity: number) {
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.distance = new Float32Array(capacity);
  }

  push(a: number, b: number, distance: number): void {
    this.a[this.length] = a;
    this.b[this.length] = b;
    this.distance[this.length] = distance;
    this.length++;
  }

  nearestFirst(): Int32Array {
    const order = new Int32Array(this.length);
    for (let e = 0; e < this.length; e++) order[e] = e;
    const distance = this.distance;
    // Typed-array sort with a comparator is stable (ES2019+).
    return order.sort((x, y) => distance[x]! - distance[y]!);
  }
}

/** Binary min-heap of candidate merges on parallel typed arrays. */
class MergeQueue {
  private distance = new Float64Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private versionA = new Int32Array(1024);
  private versionB = new Int32Array(1024);
  length = 0;

  push(distance: number, a: number, b: number, versionA: number, versionB: number): void {
    if (this.length === this.distance.length) this.grow();
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.distance[parent]! <= distance) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, distance, a, b, versionA, versionB);
  }

  pop(): { distance: number; a: number; b: number; versionA: number; versionB: number } {
    const top = { distance: this.distance[0]!, a: this.a[0]!, b: this.b[0]!, versionA: this.versionA[0]!, versionB: this.versionB[0]! };
    const last = --this.length;
    if (last > 0) {
      const d = this.distance[last]!;
      const a = this.a[last]!, b = this.b[last]!, va = this.versionA[last]!, vb = this.versionB[last]!;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        if (child + 1 < last && this.distance[child + 1]! < this.distance[child]!) child++;
        if (this.distance[child]! >= d) break;
        this.move(child, i);
        i = child;
      }
      this.set(i, d, a, b, va, vb);
    }
    return top;
  }

  private set(i: number, distance: number, a: number, b: number, versionA: number, versionB: number): void {
    this.distance[i] = distance;
    this.a[i] = a;
    this.b[i] = b;
    this.versionA[i] = versionA;
    this.versionB[i] = versionB;
  }

  private move(from: number, to: number): void {
    this.set(to, this.distance[from]!, this.a[from]!, this.b[from]!, this.versionA[from]!, this.versionB[from]!);
  }

  private grow(): void {
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (size: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    this.distance = grow(this.distance, (s) => new Float64Array(s));
    this.a = grow(this.a, (s) => new Int32Array(s));
    this.b = grow(this.b, (s) => new Int32Array(s));
    this.versionA = grow(this.versionA, (s) => new Int32Array(s));
    this.versionB = grow(this.versionB, (s) => new Int32Array(s));
  }
}
