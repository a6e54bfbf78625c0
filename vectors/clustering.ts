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
// graph was about 4x DBSCAN's. Profiled (issue #18) at 100k: a third of the
// time went to keeping per-cluster neighbour sets (Set<number>) up to date as
// clusters merged, though only a merge that makes a weak cluster strong reads
// them; a fifth to a Map keyed by pair numbers too large to be small integers;
// the rest to 2.65M heap pops, 1.2M linkage re-computations and 80k fresh sum
// arrays. Now no neighbour sets (a weak cluster turned strong finds its
// neighbours from its members' edges), a typed-array pair table, reused sum
// arrays, one dot product per pair of array types, and each heap entry's and
// pair-table slot's numbers side by side. Same process, the three alternated,
// 3 runs each (wall seconds under a load of about 15 on 2 cores, so single
// runs vary 2-4x; medians): dbscan 10.1 s, average as it was 46.3 s (4.6x),
// now 17.9 s (1.8x); identical labels in every run, and on LFW at 0.55-0.70
// with and without labels (same refusals). `bench/people.ts` (step speed,
// dbscan and average alternated, 5 runs each) at a lighter load: dbscan
// 4.6 s, average 10.7 s (2.3x); again dbscan 4.8 s, average 12.0 s (2.5x).
// Profiled again at 100k (0.60): 2.67M pops, of which 1.46M are the
// single-face pairs, all known before the first merge, and the re-queued
// pairs never more than 126k at once; 1.22M re-computations, nearly all a
// cluster's sum against one face's row, at about 1 us of JS arithmetic each.
// Now the single-face pairs are sorted once (a stable radix sort of their
// distances' bits) and read in order, and only the rest goes through the
// heap, which stays small; a sum against a row is a WebAssembly SIMD dot
// product with the same arithmetic (SimdSumRowDot); the JS dot products take
// eight products a loop; a re-queue check is one pair-table probe. The queue
// now pops equal distances first pushed first: the heap's order among ties
// had been whatever its layout gave. Labels, refusals and joins are
// bit-identical to before (SHA-256 of every result) on the 100k set at 0.55,
// 0.60 and 0.70, with and without cannot-links, with 5% random weak faces,
// must-links and labels, and on a 6k chaining set (LOW_QUALITY 0.05) at
// 0.55-0.70 with and without its weak faces; the code before this change with
// first-pushed-first or last-pushed-first ties gives those same hashes (on
// small inputs built full of equal distances the tie order does change
// results, as it did between heap layouts). `bench/people.ts` (step speed, 3
// alternated runs each, 2 cores shared with another job, load about 1):
// dbscan 4.0-4.2 s, average 6.3-7.2 s (1.50x, 1.80x; with 5 runs 4.8 s and
// 6.7 s, 1.40x); the code before, run in between: dbscan 4.3-4.5 s, average
// 10.5-11.0 s (2.31x, 2.57x). In one process, alternated, 5 runs each: 7.8 s
// without the SIMD product, 6.8 s with it. What is left is memory bound:
// each re-computation reads a random 2 KB row (about 1 us, most of what the
// product costs now) and each pop from the heap a few cache lines.
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
// faces got the right name, 0.2% of all subjects a wrong one; with
// `personLink` 0.55 (joinLabelled below; figures at the top of
// nodes/cluster.ts) 99.2% and 0.23%, and no label splits a pair that was
// together.
//
// Constraints: `cannotLink` groups never share a cluster (faces of one photo;
// faces a human said are different people), `mustLink` pairs always do (a
// human put both on one person); with `labelled` and `personLink`, what is
// left without a label joins the nearest labelled cluster. Each cluster keeps
// the set of cannot-link groups it touches; a union whose two sides touch a
// common group is refused.
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
  /** 1 for a face a human put on a person: its cluster is that person's (see `personLink`). */
  labelled?: Uint8Array;
  /**
   * After clustering, a cluster or lone face without a labelled face joins the
   * labelled cluster holding its nearest face when that cosine distance is at
   * most this (kNN edges, not between two weak faces; 0 or unset = off).
   */
  personLink?: number;
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
  /** Clusters and lone faces that joined a labelled cluster through `personLink`. */
  joinedToLabelled: number;
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
  const toLabelled = joinLabelled(graph, sets, options);
  const inCluster = (root: number, size: number, hasCore: boolean, hasMustLink: boolean): boolean => hasCore || size >= 2 || hasMustLink;
  return finish(graph, sets, isCore, mustLinked, inCluster, refused + toLabelled.refused, toLabelled.joined);
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
    // One call site per pair of array types keeps each monomorphic (the same sums as dot()).
    const sumOfPairs = sa && sb ? dotOfSums(sa, sb, dim) : sa ? sumAndRow(sa, a, b) : sb ? sumAndRow(sb, b, a) : dot(vectors, a * dim, vectors, b * dim, dim);
    return 1 - sumOfPairs / (sets.size[a]! * sets.size[b]!);
  };
  // Most re-computations (1.2M at 100k faces) are a cluster's sum against a single face's row.
  const simd = SimdSumRowDot.create(dim);
  const sumAndRow = (sum: Float64Array, root: number, row: number): number =>
    simd ? simd.dot(sum, root, version[root]!, vectors, row * dim) : dotOfSumAndRow(sum, vectors, row * dim, dim);

  // Candidates: clusters joined by a kNN edge under the threshold. Heap entries carry both
  // clusters' versions; an entry is stale once either cluster changed. No per-cluster neighbour
  // sets are kept: keeping them up to date as clusters merged was a third of the time at 100k
  // faces, and only a merge that makes a weak cluster strong needs its neighbours (found then
  // from its members' edges, see neighboursOf).
  const version = new Int32Array(n);
  const queue = new MergeQueue();
  // Pairs with a cluster that must-links formed, once each, listed under the lower root in the order
  // the edges name them (rare: most clusters start as single faces).
  const mustLinkedPairs = new Map<number, number[]>();
  const seenPairs = new PairTable();
  // Two single faces: their linkage is the edge's distance (no vector read: at 100k faces those
  // reads were a quarter of the time). Each pair once, as in dbscan. They are most of the entries
  // (1.5M at 100k faces) and all come before any merge, so they are sorted once (sortedEdges)
  // instead of pushed into the heap one by one.
  let singlePairs = new Int32Array(1024);
  let singleCount = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const e = i * k + c;
      if (!usable[e] || distances[e]! >= threshold) continue;
      const j = indices[e]!;
      const a = sets.find(i);
      const b = sets.find(j);
      if (a === b) continue;
      if (sets.size[a] === 1 && sets.size[b] === 1) {
        if (i < j || !rowListsWithin(graph, j, i, threshold)) {
          if (singleCount === singlePairs.length) singlePairs = grown(singlePairs, new Int32Array(singlePairs.length * 2));
          singlePairs[singleCount++] = e;
        }
        continue;
      }
      const [low, high] = a < b ? [a, b] : [b, a];
      if (seenPairs.has(low, high)) continue;
      seenPairs.set(low, high, 0, 0);
      const list = mustLinkedPairs.get(low);
      if (list) list.push(high);
      else mustLinkedPairs.set(low, [high]);
    }
  }
  queue.presorted(sortedEdges(graph, singlePairs.subarray(0, singleCount)));
  for (const low of [...mustLinkedPairs.keys()].sort((x, y) => x - y)) {
    for (const high of mustLinkedPairs.get(low)!) {
      const d = linkage(low, high);
      if (d < threshold) queue.push(d, low, high, 0, 0);
    }
  }

  // Members of each cluster as linked lists (head, next, tail), for neighboursOf.
  const head = new Int32Array(n).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const tail = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    if (head[root] === -1) head[root] = i;
    else next[tail[root]!] = i;
    tail[root] = i;
  }
  let incoming: { offsets: Int32Array; sources: Int32Array } | undefined;
  const seenAt = new Int32Array(n).fill(-1);
  let visits = 0;
  /** Clusters other than `root` joined to it by a kNN edge under the threshold, either way round. */
  const neighboursOf = (root: number, visit: (cluster: number) => void): void => {
    incoming ??= incomingEdges(graph, usable, threshold);
    const stamp = visits++;
    const see = (other: number) => {
      const cluster = sets.find(other);
      if (cluster === root || seenAt[cluster] === stamp) return;
      seenAt[cluster] = stamp;
      visit(cluster);
    };
    for (let i = head[root]!; i >= 0; i = next[i]!) {
      for (let c = 0; c < k; c++) if (usable[i * k + c] && distances[i * k + c]! < threshold) see(indices[i * k + c]!);
      for (let s = incoming.offsets[i]!; s < incoming.offsets[i + 1]!; s++) see(incoming.sources[s]!);
    }
  };

  let refused = 0;
  const spareSums: Float64Array[] = [];
  const requeued = new PairTable(); // cluster pair -> the versions it was last re-queued at
  while (queue.length > 0) {
    queue.pop();
    const distance = queue.poppedDistance;
    const a = queue.poppedA, b = queue.poppedB, versionA = queue.poppedVersionA, versionB = queue.poppedVersionB;
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
      const low = rootA < rootB ? rootA : rootB;
      const high = rootA < rootB ? rootB : rootA;
      if (!requeued.change(low, high, version[low]!, version[high]!)) continue;
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
      continue;
    }
    const absorbed = root === a ? b : a;
    strong[root] = strong[a]! | strong[b]!;
    const sum = sums[root] ?? sumOfRow(spareSums.pop() ?? new Float64Array(dim), vectors, root * dim);
    const absorbedSum = sums[absorbed];
    if (absorbedSum) for (let d = 0; d < dim; d++) sum[d] = sum[d]! + absorbedSum[d]!;
    else for (let d = 0, at = absorbed * dim; d < dim; d++) sum[d] = sum[d]! + vectors[at + d]!;
    sums[root] = sum;
    if (absorbedSum) spareSums.push(absorbedSum); // reused: 80k fresh arrays at 100k faces kept the GC busy
    sums[absorbed] = undefined;
    next[tail[root]!] = head[absorbed]!;
    tail[root] = tail[absorbed]!;
    version[root] = version[root]! + 1;
    if (!wasWeak) continue;
    neighboursOf(root, (c) => {
      if (sets.conflicts(root, c)) return; // refused before or would be: no use queueing it
      const d = linkage(root, c);
      if (d < threshold) queue.push(d, root, c, version[root]!, version[c]!);
    });
  }
  const toLabelled = joinLabelled(graph, sets, options);
  const inCluster = (root: number, size: number, hasCore: boolean, hasMustLink: boolean): boolean => size >= minClusterSize || hasMustLink;
  const clustering = finish(graph, sets, new Uint8Array(n), mustLinked, inCluster, refused + toLabelled.refused, toLabelled.joined);
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

/**
 * A person's second cluster (issue #18): once clustering is done, each
 * cluster or lone face holding no labelled face joins the labelled cluster
 * holding its nearest face, when that kNN edge is at most `personLink` and
 * not between two weak faces (blurred faces resemble each other across
 * people; a weak face next to a good one is a real match, as in average
 * linkage, where only clusters of weak faces alone never merge). Nearest edges first; one that breaks a
 * cannot-link (one photo, 'not this person', two persons) is refused and the
 * next edge of that cluster is tried. Only edges to faces that were in a
 * labelled cluster before this step count, so nothing chains through a
 * cluster that joined, and a cluster joins whole or not at all.
 */
function joinLabelled(graph: KnnGraph, sets: ConstrainedUnionFind, options: ClusterConstraints): { joined: number; refused: number } {
  const { labelled, weak } = options;
  const maxDistance = options.personLink ?? 0;
  if (!labelled || maxDistance <= 0) return { joined: 0, refused: 0 };
  const { n, k, indices, distances } = graph;
  const labelledRoot = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (labelled[i]) labelledRoot[sets.find(i)] = 1;
  const inLabelled = new Uint8Array(n);
  const rootBefore = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    rootBefore[i] = sets.find(i);
    inLabelled[i] = labelledRoot[rootBefore[i]!]!;
  }
  const crosses = (e: number): boolean => {
    const i = Math.floor(e / k);
    const j = indices[e]!;
    return j >= 0 && distances[e]! <= maxDistance && inLabelled[i] !== inLabelled[j] && !(weak?.[i] && weak[j]);
  };
  let count = 0;
  for (let e = 0; e < n * k; e++) if (crosses(e)) count++;
  const links = new EdgeList(count); // (face outside, labelled face, distance)
  for (let e = 0; e < n * k; e++) {
    if (!crosses(e)) continue;
    const i = Math.floor(e / k);
    const j = indices[e]!;
    if (inLabelled[j]) links.push(i, j, distances[e]!);
    else links.push(j, i, distances[e]!);
  }
  const done = new Uint8Array(n); // by the outside cluster's root before this step
  let joined = 0;
  let refused = 0;
  for (const e of links.nearestFirst()) {
    const unit = rootBefore[links.a[e]!]!;
    if (done[unit]) continue;
    if (sets.union(links.a[e]!, links.b[e]!) < 0) refused++;
    else {
      done[unit] = 1;
      joined++;
    }
  }
  return { joined, refused };
}

/** For each face, the faces whose kNN rows hold it by a usable edge under `threshold` (compressed rows). */
function incomingEdges(graph: KnnGraph, usable: Uint8Array, threshold: number): { offsets: Int32Array; sources: Int32Array } {
  const { n, k, indices, distances } = graph;
  const offsets = new Int32Array(n + 1);
  const counted = (e: number) => usable[e] === 1 && distances[e]! < threshold;
  for (let e = 0; e < n * k; e++) if (counted(e)) offsets[indices[e]! + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i + 1]! + offsets[i]!;
  const sources = new Int32Array(offsets[n]!);
  const filled = offsets.slice(0, n);
  for (let e = 0; e < n * k; e++) if (counted(e)) sources[filled[indices[e]!]!++] = Math.floor(e / k);
  return { offsets, sources };
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
  joinedToLabelled: number,
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
    joinedToLabelled,
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
 * Min-queue of candidate merges, nearest first and, among equal distances,
 * first pushed first. The entries given to `presorted` (the single-face
 * pairs, most of the entries, all known before the first pop) come from an
 * array sorted once and count as pushed before any push; the rest (pairs
 * re-queued after a change: at most about 130k at once at 100k faces) live in
 * a 4-ary heap of (distance, slot) over a pool of slots (a, b, versionA,
 * versionB side by side) that popped entries free for the next push.
 */
class MergeQueue {
  poppedDistance = 0;
  poppedA = 0;
  poppedB = 0;
  poppedVersionA = 0;
  poppedVersionB = 0;
  private sortedDistance: Float32Array = new Float32Array(0);
  private sortedA: Int32Array = new Int32Array(0);
  private sortedB: Int32Array = new Int32Array(0);
  private sortedNext = 0;
  private heapDistance = new Float64Array(1024);
  private heapSlot = new Int32Array(1024);
  private heapLength = 0;
  private fields = new Int32Array(4 * 1024);
  /** Push number of the entry in each slot: the order among equal distances. */
  private pushedAs = new Int32Array(1024);
  private freeSlots = new Int32Array(1024);
  private freeCount = 0;
  private slotCount = 0;
  private pushes = 0;

  get length(): number {
    return this.sortedDistance.length - this.sortedNext + this.heapLength;
  }

  /** Entries sorted by distance (ties in push order), with versions 0, taken as pushed before every push. */
  presorted(entries: { distance: Float32Array; a: Int32Array; b: Int32Array }): void {
    this.sortedDistance = entries.distance;
    this.sortedA = entries.a;
    this.sortedB = entries.b;
    this.sortedNext = 0;
  }

  push(distance: number, a: number, b: number, versionA: number, versionB: number): void {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount]!;
    else {
      slot = this.slotCount++;
      if (slot === this.pushedAs.length) {
        this.fields = grown(this.fields, new Int32Array(this.fields.length * 2));
        this.pushedAs = grown(this.pushedAs, new Int32Array(this.pushedAs.length * 2));
        this.freeSlots = grown(this.freeSlots, new Int32Array(this.freeSlots.length * 2));
      }
    }
    if (this.heapLength === this.heapDistance.length) {
      this.heapDistance = grown(this.heapDistance, new Float64Array(this.heapDistance.length * 2));
      this.heapSlot = grown(this.heapSlot, new Int32Array(this.heapSlot.length * 2));
    }
    const fields = this.fields;
    fields[4 * slot] = a;
    fields[4 * slot + 1] = b;
    fields[4 * slot + 2] = versionA;
    fields[4 * slot + 3] = versionB;
    this.pushedAs[slot] = this.pushes++;
    const heapDistance = this.heapDistance;
    const heapSlot = this.heapSlot;
    // The newest entry: it goes after every entry at its distance.
    let i = this.heapLength++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      if (heapDistance[parent]! <= distance) break;
      heapDistance[i] = heapDistance[parent]!;
      heapSlot[i] = heapSlot[parent]!;
      i = parent;
    }
    heapDistance[i] = distance;
    heapSlot[i] = slot;
  }

  /** Removes the nearest entry into poppedDistance, poppedA, poppedB, poppedVersionA, poppedVersionB. */
  pop(): void {
    const next = this.sortedNext;
    if (next < this.sortedDistance.length && (this.heapLength === 0 || this.sortedDistance[next]! <= this.heapDistance[0]!)) {
      this.poppedDistance = this.sortedDistance[next]!;
      this.poppedA = this.sortedA[next]!;
      this.poppedB = this.sortedB[next]!;
      this.poppedVersionA = 0;
      this.poppedVersionB = 0;
      this.sortedNext = next + 1;
      return;
    }
    const heapDistance = this.heapDistance;
    const heapSlot = this.heapSlot;
    const pushedAs = this.pushedAs;
    const slot = heapSlot[0]!;
    this.poppedDistance = heapDistance[0]!;
    const fields = this.fields;
    this.poppedA = fields[4 * slot]!;
    this.poppedB = fields[4 * slot + 1]!;
    this.poppedVersionA = fields[4 * slot + 2]!;
    this.poppedVersionB = fields[4 * slot + 3]!;
    this.freeSlots[this.freeCount++] = slot;
    const last = --this.heapLength;
    if (last === 0) return;
    const d = heapDistance[last]!;
    const s = heapSlot[last]!;
    const order = pushedAs[s]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= last) break;
      let child = first;
      let childDistance = heapDistance[first]!;
      const end = first + 4 < last ? first + 4 : last;
      for (let c = first + 1; c < end; c++) {
        const cd = heapDistance[c]!;
        if (cd < childDistance || (cd === childDistance && pushedAs[heapSlot[c]!]! < pushedAs[heapSlot[child]!]!)) {
          child = c;
          childDistance = cd;
        }
      }
      if (childDistance > d || (childDistance === d && order < pushedAs[heapSlot[child]!]!)) break;
      heapDistance[i] = childDistance;
      heapSlot[i] = heapSlot[child]!;
      i = child;
    }
    heapDistance[i] = d;
    heapSlot[i] = s;
  }
}

/**
 * The single-face pairs named by kNN slots `edges` (in push order), sorted by
 * distance, ties in that order: a stable radix sort of the distances' bits.
 * Reuses `edges` as scratch.
 */
function sortedEdges(graph: KnnGraph, edges: Int32Array): { distance: Float32Array; a: Int32Array; b: Int32Array } {
  const { k, indices, distances } = graph;
  const m = edges.length;
  const bits = new Uint32Array(distances.buffer, distances.byteOffset, distances.length);
  let keys: Uint32Array = new Uint32Array(m);
  let items: Int32Array = edges;
  for (let i = 0; i < m; i++) {
    const x = bits[edges[i]!]!;
    // Float bits to unsigned keys in the floats' order; -0 as +0 (they are equal).
    keys[i] = x >>> 31 ? (x === 0x80000000 ? 0x80000000 : ~x >>> 0) : (x | 0x80000000) >>> 0;
  }
  let keysTo: Uint32Array = new Uint32Array(m);
  let itemsTo: Int32Array = new Int32Array(m);
  const counts = new Int32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i]! >>> shift) & 255]++;
    if (counts[(m > 0 ? keys[0]! >>> shift : 0) & 255] === m) continue; // one digit everywhere: already in order
    for (let digit = 0, at = 0; digit < 256; digit++) {
      const count = counts[digit]!;
      counts[digit] = at;
      at += count;
    }
    for (let i = 0; i < m; i++) {
      const at = counts[(keys[i]! >>> shift) & 255]++;
      keysTo[at] = keys[i]!;
      itemsTo[at] = items[i]!;
    }
    [keys, keysTo] = [keysTo, keys];
    [items, itemsTo] = [itemsTo, items];
  }
  const a = new Int32Array(m);
  const b = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const x = keys[i]!;
    keys[i] = x >>> 31 ? x ^ 0x80000000 : ~x;
    a[i] = (items[i]! / k) | 0;
    b[i] = indices[items[i]!]!;
  }
  return { distance: new Float32Array(keys.buffer, keys.byteOffset, m), a, b };
}

/**
 * Two numbers per pair of point indices (low, high), by open addressing in one
 * typed array (a slot's four numbers side by side): a Map keyed by
 * low * n + high (not a small integer at 100k faces) boxed every key and was
 * a fifth of the time.
 */
class PairTable {
  private slots = new Int32Array(4 * 1024).fill(-1); // low, high, x, y; low -1 = empty
  private count = 0;

  has(low: number, high: number): boolean {
    return this.slotOf(low, high) >= 0;
  }

  /** Sets the pair's values to x and y; false when they were already those. */
  change(low: number, high: number, x: number, y: number): boolean {
    if (8 * (this.count + 1) > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = slots.length / 4 - 1;
    let at = 4 * hashPair(low, high, mask);
    for (; slots[at] !== -1; at = (at + 4) & (slots.length - 1)) {
      if (slots[at] === low && slots[at + 1] === high) {
        if (slots[at + 2] === x && slots[at + 3] === y) return false;
        slots[at + 2] = x;
        slots[at + 3] = y;
        return true;
      }
    }
    this.count++;
    slots[at] = low;
    slots[at + 1] = high;
    slots[at + 2] = x;
    slots[at + 3] = y;
    return true;
  }

  set(low: number, high: number, x: number, y: number): void {
    if (8 * (this.count + 1) > this.slots.length) this.grow();
    const mask = this.slots.length / 4 - 1;
    let slot = hashPair(low, high, mask);
    for (; this.slots[4 * slot] !== -1; slot = (slot + 1) & mask) {
      if (this.slots[4 * slot] === low && this.slots[4 * slot + 1] === high) break;
    }
    const at = 4 * slot;
    if (this.slots[at] === -1) this.count++;
    this.slots[at] = low;
    this.slots[at + 1] = high;
    this.slots[at + 2] = x;
    this.slots[at + 3] = y;
  }

  /** Offset of the pair's slot, or -1. */
  private slotOf(low: number, high: number): number {
    const mask = this.slots.length / 4 - 1;
    for (let slot = hashPair(low, high, mask); ; slot = (slot + 1) & mask) {
      const at = 4 * slot;
      if (this.slots[at] === -1) return -1;
      if (this.slots[at] === low && this.slots[at + 1] === high) return at;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    this.count = 0;
    for (let at = 0; at < old.length; at += 4) if (old[at] !== -1) this.set(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!);
  }
}

function hashPair(low: number, high: number, mask: number): number {
  let h = Math.imul(low, 0x9e3779b1) ^ high;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return (h ^ (h >>> 13)) & mask;
}

/** `sum` set to the row of `vectors` at `at` (as Float64Array.from, into a reused array). */
function sumOfRow(sum: Float64Array, vectors: Float32Array, at: number): Float64Array {
  for (let d = 0; d < sum.length; d++) sum[d] = vectors[at + d]!;
  return sum;
}

/**
 * dot() of two Float64Array sums, added up in the same order (so the same
 * value): each accumulator takes every fourth product in turn, eight products
 * a loop (about a quarter faster here than four).
 */
function dotOfSums(x: Float64Array, y: Float64Array, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d + 7 < dim; d += 8) {
    s0 += x[d]! * y[d]!;
    s1 += x[d + 1]! * y[d + 1]!;
    s2 += x[d + 2]! * y[d + 2]!;
    s3 += x[d + 3]! * y[d + 3]!;
    s0 += x[d + 4]! * y[d + 4]!;
    s1 += x[d + 5]! * y[d + 5]!;
    s2 += x[d + 6]! * y[d + 6]!;
    s3 += x[d + 7]! * y[d + 7]!;
  }
  for (; d + 3 < dim; d += 4) {
    s0 += x[d]! * y[d]!;
    s1 += x[d + 1]! * y[d + 1]!;
    s2 += x[d + 2]! * y[d + 2]!;
    s3 += x[d + 3]! * y[d + 3]!;
  }
  for (; d < dim; d++) s0 += x[d]! * y[d]!;
  return s0 + s1 + s2 + s3;
}

/** dot() of a Float64Array sum and a row of the vectors, added up in the same order (as dotOfSums). */
export function dotOfSumAndRow(x: Float64Array, y: Float32Array, yAt: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d + 7 < dim; d += 8) {
    s0 += x[d]! * y[yAt + d]!;
    s1 += x[d + 1]! * y[yAt + d + 1]!;
    s2 += x[d + 2]! * y[yAt + d + 2]!;
    s3 += x[d + 3]! * y[yAt + d + 3]!;
    s0 += x[d + 4]! * y[yAt + d + 4]!;
    s1 += x[d + 5]! * y[yAt + d + 5]!;
    s2 += x[d + 6]! * y[yAt + d + 6]!;
    s3 += x[d + 7]! * y[yAt + d + 7]!;
  }
  for (; d + 3 < dim; d += 4) {
    s0 += x[d]! * y[yAt + d]!;
    s1 += x[d + 1]! * y[yAt + d + 1]!;
    s2 += x[d + 2]! * y[yAt + d + 2]!;
    s3 += x[d + 3]! * y[yAt + d + 3]!;
  }
  for (; d < dim; d++) s0 += x[d]! * y[yAt + d]!;
  return s0 + s1 + s2 + s3;
}

/**
 * dotOfSumAndRow in WebAssembly SIMD, bit for bit: lanes (s0, s1) and (s2,
 * s3) of two f64x2 accumulators take the same products (the f32 promoted to
 * f64, multiplied, no fused multiply-add) in the same order, and the four are
 * added up as ((s0 + s1) + s2) + s3. V8 does not vectorise the JS loop (about
 * 1 us of arithmetic a 512-d product here, 0.2 us in SIMD). The row is copied
 * into the module's memory, and the sum into one of 1,024 slots there (by its
 * cluster), where it stays until that cluster changes or another takes the
 * slot: consecutive re-computations hop between clusters, and one copy a call
 * was 1.18M copies of 4 KB at 100k faces, with the slots 125k.
 */
export class SimdSumRowDot {
  private static module: WebAssembly.Module | null | undefined;
  /** One per dimension (and thread): a fresh one zeroes 4 MB, about 0.75 ms, a third of a small clustering's time. */
  private static readonly made = new Map<number, SimdSumRowDot>();
  private static readonly SLOTS = 1024;
  private readonly slotRoot = new Int32Array(SimdSumRowDot.SLOTS).fill(-1);
  private readonly slotVersion = new Int32Array(SimdSumRowDot.SLOTS);

  private constructor(
    private readonly dim: number,
    private readonly sums: Float64Array,
    private readonly row: Float32Array,
    private readonly run: (sumAt: number, rowAt: number, quads: number) => number,
  ) {}

  /**
   * The product for `dim`, with its slots emptied (one clustering's roots and versions mean nothing
   * to the next; clustering is synchronous, so one at a time uses it). Undefined where the dimension
   * is not a multiple of 4 or WebAssembly SIMD is missing (the JS loop is used).
   */
  static create(dim: number): SimdSumRowDot | undefined {
    if (dim === 0 || dim % 4 !== 0) return undefined;
    const made = SimdSumRowDot.made.get(dim);
    if (made) {
      made.slotRoot.fill(-1);
      return made;
    }
    if (SimdSumRowDot.module === undefined) {
      try {
        SimdSumRowDot.module = new WebAssembly.Module(simdDotWasm());
      } catch {
        SimdSumRowDot.module = null;
      }
    }
    if (!SimdSumRowDot.module) return undefined;
    const slots = SimdSumRowDot.SLOTS;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((slots * 8 * dim + 4 * dim) / 65536) });
    const instance = new WebAssembly.Instance(SimdSumRowDot.module, { env: { memory } });
    const run = instance.exports.dot as (sumAt: number, rowAt: number, quads: number) => number;
    const product = new SimdSumRowDot(dim, new Float64Array(memory.buffer, 0, slots * dim), new Float32Array(memory.buffer, slots * 8 * dim, dim), run);
    SimdSumRowDot.made.set(dim, product);
    return product;
  }

  /** The dot product of `sum` (the sum of cluster `root` at `version`) and the row of `vectors` at `at`. */
  dot(sum: Float64Array, root: number, version: number, vectors: Float32Array, at: number): number {
    const slot = Math.imul(root, 0x9e3779b1) >>> 22; // 10 bits: SLOTS
    if (this.slotRoot[slot] !== root || this.slotVersion[slot] !== version) {
      this.sums.set(sum, slot * this.dim);
      this.slotRoot[slot] = root;
      this.slotVersion[slot] = version;
    }
    this.row.set(vectors.subarray(at, at + this.dim));
    return this.run(slot * 8 * this.dim, SimdSumRowDot.SLOTS * 8 * this.dim, this.dim / 4);
  }
}

/**
 * The module of SimdSumRowDot, in text:
 *   (func (export "dot") (param $x i32) (param $y i32) (param $quads i32) (result f64) (local $s01 v128) (local $s23 v128)
 *     (block (br_if 0 (i32.eqz (local.get $quads)))
 *       (loop
 *         (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (v128.load (local.get $x)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $y))))))
 *         (local.set $s23 (f64x2.add (local.get $s23) (f64x2.mul (v128.load offset=16 (local.get $x)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $y))))))
 *         (local.set $x (i32.add (local.get $x) (i32.const 32)))
 *         (local.set $y (i32.add (local.get $y) (i32.const 16)))
 *         (br_if 0 (local.tee $quads (i32.sub (local.get $quads) (i32.const 1))))))
 *     (f64.add (f64.add (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))
 *       (f64x2.extract_lane 0 (local.get $s23))) (f64x2.extract_lane 1 (local.get $s23))))
 * with the memory imported as env.memory.
 */
function simdDotWasm(): Uint8Array<ArrayBuffer> {
  const SIMD = 0xfd;
  const localGet = 0x20, localSet = 0x21, localTee = 0x22, i32Const = 0x41, i32Add = 0x6a, i32Sub = 0x6b, f64Add = 0xa0;
  const load = (offset: number) => [SIMD, 0x00, 3, offset]; // v128.load, align 8
  const load64Zero = (offset: number) => [SIMD, 0x5d, 2, offset]; // v128.load64_zero, align 4
  const promoteLow = [SIMD, 0x5f];
  const mul = [SIMD, 0xf2, 0x01];
  const add = [SIMD, 0xf0, 0x01];
  const lane = (l: number) => [SIMD, 0x21, l]; // f64x2.extract_lane
  const body = [
    1, 2, 0x7b, // two v128 locals: 3 ($s01), 4 ($s23)
    0x02, 0x40, localGet, 2, 0x45, 0x0d, 0, // block; br_if 0 (i32.eqz $quads)
    0x03, 0x40, // loop
    localGet, 3, localGet, 0, ...load(0), localGet, 1, ...load64Zero(0), ...promoteLow, ...mul, ...add, localSet, 3,
    localGet, 4, localGet, 0, ...load(16), localGet, 1, ...load64Zero(8), ...promoteLow, ...mul, ...add, localSet, 4,
    localGet, 0, i32Const, 32, i32Add, localSet, 0,
    localGet, 1, i32Const, 16, i32Add, localSet, 1,
    localGet, 2, i32Const, 1, i32Sub, localTee, 2, 0x0d, 0, // br_if 0 (the loop)
    0x0b, 0x0b, // end loop, end block
    localGet, 3, ...lane(0), localGet, 3, ...lane(1), f64Add, localGet, 4, ...lane(0), f64Add, localGet, 4, ...lane(1), f64Add,
    0x0b,
  ];
  const name = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
  const section = (id: number, bytes: number[]) => [id, bytes.length, ...bytes]; // every section is under 128 bytes
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7c]), // type (i32, i32, i32) -> f64
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]), // import memory, min 1 page
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, ...name('dot'), 0x00, 0]), // export it
    ...section(10, [1, body.length, ...body]), // its code
  ]);
}

function grown<T extends Float64Array | Int32Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
