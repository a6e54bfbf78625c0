// Face clustering on a precomputed kNN graph (knn-graph.ts), with human and
// photo constraints honoured by every method.
//
// Two methods, picked by `method`:
// - 'average' (the default since issue #18): average-linkage agglomerative
//   clustering with a distance threshold (0.6-0.7 was perfect on the small
//   real set). Chosen over an HDBSCAN-style method because (1) average linkage resists chaining: one
//   close pair barely moves the mean over all pairs of two big clusters;
//   (2) archives are dominated by people seen 1-3 times, which HDBSCAN's
//   min_cluster_size turns into noise (min_cluster_size 2 gave many tiny
//   clusters for LibrePhotos users); (3) it merges one pair at a time, so
//   refusing a merge that breaks a cannot-link is natural. It scales because
//   only clusters joined by a kNN edge under the threshold are candidates, and
//   the linkage is exact and cheap: for unit vectors the mean cosine over all
//   pairs of A x B equals dot(sum A, sum B) / (|A| |B|), computed again only
//   when a queued pair whose cluster changed reaches the top of the queue.
// - 'dbscan': density clustering on cosine distance (what PhotoPrism does,
//   and perfect on the small real set at eps 0.5). With minPts 2 it is single
//   linkage at eps, so one look-alike pair can chain two people together;
//   `mutualK` (edges only between mutual k nearest neighbours) is the graph
//   guard against that.
//
// Measured (issue #18) with bench/quality.ts on the LFW development set
// (1,315 photos of 311 people, 156 seen once, plus the 9 labelled fixture
// photos; 1,320 subject faces scored, 1,411 faces clustered). "seen-3" is the
// strangers share among people seen at least three times, "once grouped" the
// people seen once put into someone's cluster; no setting mixed 3+ people.
//
//   setting                          F1      prec    recall  strangers seen-3  once grouped  mixed (largest)
//   dbscan eps 0.5 (old default)     0.9828  0.9974  0.9686  12.6%     1.4%    2.0%          2 (11)
//   dbscan eps 0.45                  0.9732  1.0000  0.9478  14.7%     3.5%    0.0%          0
//   dbscan eps 0.5 mutualK 10        0.9828  0.9974  0.9686  12.6%     1.4%    2.0%          2 (11)
//   dbscan eps 0.5 mutualK 5         0.9621  0.9973  0.9293  12.6%     1.4%    2.0%          2 (11)
//   dbscan eps 0.52 mutualK 10       0.9592  0.9489  0.9697  12.4%     1.2%    2.0%          5 (20)
//   average 0.58                     0.9783  0.9998  0.9577  12.9%     1.9%    1.3%          1 (2)
//   average 0.60 (default)           0.9854  0.9972  0.9738  11.9%     1.0%    2.6%          3 (11)
//   average 0.60, weak under 3.0     0.9843  0.9972  0.9718  12.0%     1.1%    2.6%          3 (11)
//   average 0.62                     0.9868  0.9961  0.9776  11.0%     0.7%    7.3%          7 (11)
//   average 0.65 (old average)       0.9728  0.9680  0.9776   9.7%     0.6%    16.6%         17 (19)
//   average 0.70                     0.9497  0.9203  0.9810   7.3%     0.3%    31.1%         37 (20)
//
// On the synthetic chaining case (bench/people.ts, N=10000 LOW_QUALITY=0.05:
// 5% blurred faces that resemble each other across people), F1 / largest
// cluster (people in it): dbscan eps 0.5 0.471 / 770 (219); mutualK 10
// 0.819 / 274 (188); average 0.60 0.813 / 294 (203, a junk cluster of the
// blurred faces); with those faces flagged `weak`: dbscan 0.936 / 183 (1),
// average 0.60 0.943 / 185 (1).
//
// Time on 100,000 synthetic faces (bench/people.ts, graph cached; CPU seconds
// on this loaded 2-core machine): dbscan eps 0.5 4.1-4.6 s; average linkage
// as it was (re-computing a merged cluster's linkage to every neighbour) 115 s
// wall at 0.55, as big clusters have thousands of neighbours; now (stale pairs
// re-computed lazily once per change, single-face pairs read from the graph,
// a 4-ary heap) 17.6-20 s, F1 0.975 (dbscan 0.973). Building the graph itself
// took 1,231 s here, so a first run is within 2x; a re-match on the cached
// graph is about 4x DBSCAN's.
//
// Why average linkage at 0.60 with the quality gate (cluster.minQuality
// 2.75, which flags 63 of the 1,411 LFW faces and changes no LFW figure):
// 0.60 is the best F1 that keeps people seen once alone (0.60-0.61 is a
// plateau; 0.62 gains 0.0014 F1 but puts three times as many people seen
// once into someone's cluster); DBSCAN trades recall for precision along one
// curve, and mutual kNN removes no chain on this small set while costing
// recall. The chaining the issue reports (a 50-face cluster of five people)
// came from DBSCAN on a larger set; test/face-grouping.test.ts reproduces it
// in miniature (DBSCAN joins two people through a chain of faces, the default
// does not). A variant that let clusters of two or more faces merge at a
// looser threshold than single faces (0.62-0.72) only lowered precision: the
// recall still lost is single outlier faces (profiles, blur) whose distances
// overlap those of people seen once. With one manual label per person seen at
// least three times (a face of the person's largest cluster), 98.6% of their
// faces get the right name, 0.2% of all subjects a wrong one, and no label
// splits a pair that was together.
//
// Constraints: `cannotLink` groups never share a cluster (faces of one photo;
// faces a human said are different people), `mustLink` pairs always do (a
// human put both on one person). Each cluster keeps the set of cannot-link
// groups it touches; a union whose two sides touch a common group is refused.
import { dot } from './dot.ts';
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
  /**
   * 1 for a low-quality face (blur, tiny, profile): it may join a cluster but
   * never links two (DBSCAN: never core; average: two clusters of such faces
   * alone never merge), so blurred faces, which resemble each other across
   * people, neither bridge people nor form a junk cluster.
   */
  weak?: Uint8Array;
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
    if (count >= minPts && !options.weak?.[i]) isCore[i] = 1;
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

  // Roots holding a face of good quality: two clusters of weak faces alone never merge.
  const weak = options.weak;
  const strong = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (!weak?.[i]) strong[sets.find(i)] = 1;
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
    const sumOfPairs = dot(sa ?? vectors, sa ? 0 : a * dim, sb ?? vectors, sb ? 0 : b * dim, dim);
    return 1 - sumOfPairs / (sets.size[a]! * sets.size[b]!);
  };

  // Candidate neighbours per root: clusters joined by a kNN edge under the threshold.
  // Heap entries carry both clusters' versions; an entry is stale once either cluster changed.
  const neighbours: (Set<number> | undefined)[] = new Array(n);
  const version = new Int32Array(n);
  const queue = new MergeQueue();
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const e = i * k + c;
      if (!usable[e] || distances[e]! >= threshold) continue;
      const j = indices[e]!;
      const a = sets.find(i);
      const b = sets.find(j);
      if (a === b) continue;
      (neighbours[a] ??= new Set()).add(b);
      (neighbours[b] ??= new Set()).add(a);
      // Two single faces: their linkage is the edge's distance (no vector read: at 100k faces
      // those reads were a quarter of the time). Each pair once, as in dbscan.
      if (sets.size[a] === 1 && sets.size[b] === 1 && (i < j || !rowListsWithin(graph, j, i, threshold))) queue.push(distances[e]!, a, b, 0, 0);
    }
  }
  for (let a = 0; a < n; a++) {
    for (const b of neighbours[a] ?? []) {
      if (a >= b || (sets.size[a] === 1 && sets.size[b] === 1)) continue;
      const d = linkage(a, b);
      if (d < threshold) queue.push(d, a, b, 0, 0);
    }
  }
  let refused = 0;
  const requeued = new Map<number, number>(); // cluster pair -> the versions it was last re-queued at
  while (queue.length > 0) {
    const { distance, a, b, versionA, versionB } = queue.pop();
    if (distance >= threshold) break;
    const rootA = sets.find(a);
    const rootB = sets.find(b);
    if (rootA === rootB) continue;
    if (rootA !== a || rootB !== b || version[a] !== versionA || version[b] !== versionB) {
      // Stale: a cluster changed since. Its linkage is re-computed only now
      // (computing it for every neighbour at every merge made 100k faces take
      // minutes, as big clusters have thousands of neighbours). Average linkage
      // is reducible (the linkage of a union is a weighted mean of its parts'),
      // so the old value is a lower bound whenever all the parts were queued:
      // the order of merges barely changes (the same clusters on LFW, 99.4% of
      // pairs alike on the synthetic chaining case).
      // A cluster pair is reached from many member pairs: re-queue it once per change.
      const [low, high] = rootA < rootB ? [rootA, rootB] : [rootB, rootA];
      const pair = low * n + high;
      const stamp = version[low]! * (n + 1) + version[high]!;
      if (requeued.get(pair) === stamp) continue;
      requeued.set(pair, stamp);
      const d = linkage(rootA, rootB);
      if (d < threshold) queue.push(d, rootA, rootB, version[rootA]!, version[rootB]!);
      continue;
    }
    // Two clusters of weak faces alone: dropped; the pair is queued again when either gets a good face (below).
    if (!strong[a] && !strong[b]) continue;
    const wasWeak = !strong[a] || !strong[b];
    const root = sets.union(a, b);
    if (root < 0) {
      // Permanently refused: clusters only grow, so the conflict stays.
      refused++;
      neighbours[a]?.delete(b);
      neighbours[b]?.delete(a);
      continue;
    }
    const absorbed = root === a ? b : a;
    strong[root] = strong[a]! | strong[b]!;
    const sum = sums[root] ?? Float64Array.from(vectors.subarray(root * dim, (root + 1) * dim));
    const absorbedSum = sums[absorbed];
    for (let d = 0; d < dim; d++) sum[d] = sum[d]! + (absorbedSum ? absorbedSum[d]! : vectors[absorbed * dim + d]!);
    sums[root] = sum;
    sums[absorbed] = undefined;
    const merged = mergeNeighbourSets(neighbours, root, absorbed);
    version[root] = version[root]! + 1;
    if (!wasWeak) continue;
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

/**
 * Min-heap of candidate merges: a 4-ary heap of (distance, entry) over a pool
 * of entries (pairs and their versions). At 100k faces it holds millions of
 * entries; moving two values per level over half as many levels as a binary
 * heap of five arrays made popping about twice as fast here.
 */
class MergeQueue {
  private heapDistance = new Float64Array(1024);
  private heapEntry = new Int32Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private versionA = new Int32Array(1024);
  private versionB = new Int32Array(1024);
  private entries = 0;
  length = 0;

  push(distance: number, a: number, b: number, versionA: number, versionB: number): void {
    if (this.entries === this.a.length) this.growEntries();
    if (this.length === this.heapDistance.length) this.growHeap();
    const entry = this.entries++;
    this.a[entry] = a;
    this.b[entry] = b;
    this.versionA[entry] = versionA;
    this.versionB[entry] = versionB;
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      if (this.heapDistance[parent]! <= distance) break;
      this.heapDistance[i] = this.heapDistance[parent]!;
      this.heapEntry[i] = this.heapEntry[parent]!;
      i = parent;
    }
    this.heapDistance[i] = distance;
    this.heapEntry[i] = entry;
  }

  pop(): { distance: number; a: number; b: number; versionA: number; versionB: number } {
    const entry = this.heapEntry[0]!;
    const top = { distance: this.heapDistance[0]!, a: this.a[entry]!, b: this.b[entry]!, versionA: this.versionA[entry]!, versionB: this.versionB[entry]! };
    const last = --this.length;
    if (last > 0) {
      const d = this.heapDistance[last]!;
      const e = this.heapEntry[last]!;
      let i = 0;
      for (;;) {
        const first = 4 * i + 1;
        if (first >= last) break;
        let child = first;
        const end = Math.min(first + 4, last);
        for (let c = first + 1; c < end; c++) if (this.heapDistance[c]! < this.heapDistance[child]!) child = c;
        if (this.heapDistance[child]! >= d) break;
        this.heapDistance[i] = this.heapDistance[child]!;
        this.heapEntry[i] = this.heapEntry[child]!;
        i = child;
      }
      this.heapDistance[i] = d;
      this.heapEntry[i] = e;
    }
    if (last === 0) this.entries = 0; // empty: the pool starts over
    return top;
  }

  private growHeap(): void {
    this.heapDistance = grown(this.heapDistance, new Float64Array(this.heapDistance.length * 2));
    this.heapEntry = grown(this.heapEntry, new Int32Array(this.heapEntry.length * 2));
  }

  private growEntries(): void {
    const size = this.a.length * 2;
    this.a = grown(this.a, new Int32Array(size));
    this.b = grown(this.b, new Int32Array(size));
    this.versionA = grown(this.versionA, new Int32Array(size));
    this.versionB = grown(this.versionB, new Int32Array(size));
  }
}

function grown<T extends Float64Array | Int32Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
