// A 2-D UMAP that starts from a precomputed kNN graph (see knn-graph.ts) and
// runs the layout optimisation as one tight typed-array loop. umap-js keeps
// nested number[] arrays and a generic sparse matrix: 249 s and 7.5 GB for
// 100k faces here; this follows umap-learn's algorithm (smooth kNN distances,
// fuzzy union, negative-sampling SGD) on flat typed arrays instead.
// Same graph + same options + same seed = identical output (one thread, one
// seeded PRNG, no Math.random).
import type { KnnGraph } from './knn-graph.ts';

export interface UmapOptions {
  /** Non-self neighbours per point to use (the first columns of the graph); default min(graph.k, 15). */
  nNeighbors?: number;
  /** Default as umap-learn: 500 up to 10,000 points, 200 above. */
  nEpochs?: number;
  minDist?: number;
  spread?: number;
  seed?: number;
  negativeSampleRate?: number;
  learningRate?: number;
  repulsionStrength?: number;
  /** Start from these coordinates (n * 2), e.g. the previous run's layout, so it stays recognisable. Default: uniform in [-10, 10]. */
  initial?: Float32Array;
  /** Called after each epoch (for progress); the loop itself is synchronous. */
  onEpoch?: (epoch: number, nEpochs: number) => void;
}

/** Small, fast, seedable PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lays the graph's points out in 2-D; returns x,y interleaved (n * 2). */
export function umapLayout(graph: KnnGraph, options: UmapOptions = {}): Float32Array {
  const n = graph.n;
  const nNeighbors = Math.min(options.nNeighbors ?? 15, graph.k);
  const nEpochs = options.nEpochs ?? (n <= 10_000 ? 500 : 200);
  const { a, b } = findAbParams(options.spread ?? 1, options.minDist ?? 0.1);
  const random = mulberry32(options.seed ?? 42);
  const embedding = new Float64Array(n * 2);
  if (options.initial) {
    if (options.initial.length !== n * 2) throw new Error(`initial layout has ${options.initial.length} values, expected ${n * 2}`);
    embedding.set(options.initial);
  } else {
    for (let i = 0; i < n * 2; i++) embedding[i] = random() * 20 - 10;
  }
  if (n < 2 || nNeighbors < 1) return Float32Array.from(embedding);
  const edges = fuzzySimplicialSet(graph, nNeighbors);
  optimizeLayout(embedding, edges, {
    nEpochs,
    a,
    b,
    gamma: options.repulsionStrength ?? 1,
    initialAlpha: options.learningRate ?? 1,
    negativeSampleRate: options.negativeSampleRate ?? 5,
    seed: Math.floor(random() * 4294967296),
    onEpoch: options.onEpoch,
  });
  return Float32Array.from(embedding);
}

/** The symmetric fuzzy graph as directed edges (each undirected edge appears in both directions). */
export interface FuzzyEdges {
  head: Int32Array;
  tail: Int32Array;
  weight: Float32Array;
}

/**
 * Per point: rho = distance to its nearest neighbour, sigma such that
 * sum_j exp(-(d_j - rho) / sigma) = log2(nNeighbors + 1). The +1 is because
 * umap counts the point itself among its n_neighbors and our graph excludes it.
 */
export function smoothKnnDistances(graph: KnnGraph, nNeighbors: number): { sigmas: Float64Array; rhos: Float64Array } {
  const { n, k, distances, indices } = graph;
  const target = Math.log2(nNeighbors + 1);
  const sigmas = new Float64Array(n);
  const rhos = new Float64Array(n);
  let globalSum = 0;
  let globalCount = 0;
  for (let e = 0; e < distances.length; e++) {
    if (indices[e]! >= 0) {
      globalSum += distances[e]!;
      globalCount++;
    }
  }
  const globalMean = globalCount > 0 ? globalSum / globalCount : 0;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let rho = 0;
    let rowSum = 0;
    for (let j = 0; j < nNeighbors; j++) {
      if (indices[row + j]! < 0) continue;
      const d = distances[row + j]!;
      rowSum += d;
      if (rho === 0 && d > 0) rho = d;
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let iteration = 0; iteration < 64; iteration++) {
      let psum = 0;
      for (let j = 0; j < nNeighbors; j++) {
        if (indices[row + j]! < 0) continue;
        const d = distances[row + j]! - rho;
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < 1e-5) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    // As umap: keep sigma away from zero relative to the typical distance.
    const floor = 1e-3 * (rho > 0 ? rowSum / nNeighbors : globalMean);
    sigmas[i] = Math.max(mid, floor);
    rhos[i] = rho;
  }
  return { sigmas, rhos };
}

/** Membership strengths exp(-(d - rho_i) / sigma_i), combined by fuzzy union w_ij + w_ji - w_ij * w_ji. */
export function fuzzySimplicialSet(graph: KnnGraph, nNeighbors: number): FuzzyEdges {
  const { n, k, indices, distances } = graph;
  const { sigmas, rhos } = smoothKnnDistances(graph, nNeighbors);
  const membership = (i: number, column: number): number => {
    const d = distances[i * k + column]! - rhos[i]!;
    return d <= 0 ? 1 : Math.exp(-d / sigmas[i]!);
  };
  // Column of i in j's row (within the first nNeighbors), or -1.
  const columnOf = (j: number, i: number): number => {
    for (let c = 0; c < nNeighbors; c++) if (indices[j * k + c] === i) return c;
    return -1;
  };
  const head: number[] = [];
  const tail: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nNeighbors; c++) {
      const j = indices[i * k + c]!;
      if (j < 0 || j === i) continue;
      const back = columnOf(j, i);
      if (back >= 0 && j < i) continue; // the pair was emitted from j's row
      const wij = membership(i, c);
      const wji = back >= 0 ? membership(j, back) : 0;
      const w = wij + wji - wij * wji;
      head.push(i, j);
      tail.push(j, i);
      weight.push(w, w);
    }
  }
  return { head: Int32Array.from(head), tail: Int32Array.from(tail), weight: Float32Array.from(weight) };
}

/** a, b of the low-dimensional curve 1 / (1 + a d^(2b)), least-squares fitted as umap's find_ab_params. */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 300; i++) {
    const x = (i * spread * 3) / 299;
    xs.push(x);
    ys.push(x < minDist ? 1 : Math.exp(-(x - minDist) / spread));
  }
  // Levenberg-Marquardt on two parameters (x = 0 is skipped: d^(2b) has no slope there).
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  const cost = (pa: number, pb: number): number => {
    let sum = 0;
    for (let i = 1; i < xs.length; i++) {
      const r = 1 / (1 + pa * Math.pow(xs[i]!, 2 * pb)) - ys[i]!;
      sum += r * r;
    }
    return sum;
  };
  let current = cost(a, b);
  for (let iteration = 0; iteration < 200; iteration++) {
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    for (let i = 1; i < xs.length; i++) {
      const x = xs[i]!;
      const p = Math.pow(x, 2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[i]!;
      const da = -p * f * f;
      const db = -a * p * 2 * Math.log(x) * f * f;
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * r;
      gb += db * r;
    }
    const maa = jaa * (1 + lambda);
    const mbb = jbb * (1 + lambda);
    const det = maa * mbb - jab * jab;
    const stepA = -(mbb * ga - jab * gb) / det;
    const stepB = -(maa * gb - jab * ga) / det;
    const next = cost(a + stepA, b + stepB);
    if (next < current) {
      a += stepA;
      b += stepB;
      lambda /= 10;
      if (current - next < 1e-14) break;
      current = next;
    } else {
      lambda *= 10;
      if (lambda > 1e10) break;
    }
  }
  return { a, b };
}

interface OptimizeSettings {
  nEpochs: number;
  a: number;
  b: number;
  gamma: number;
  initialAlpha: number;
  negativeSampleRate: number;
  seed: number;
  onEpoch: ((epoch: number, nEpochs: number) => void) | undefined;
}

/** umap-learn's optimize_layout_euclidean for 2-D, with move_other, on an interleaved Float64Array. */
function optimizeLayout(embedding: Float64Array, edges: FuzzyEdges, settings: OptimizeSettings): void {
  const { nEpochs, a, b, gamma, initialAlpha, negativeSampleRate } = settings;
  const n = embedding.length / 2;
  let maxWeight = 0;
  for (let e = 0; e < edges.weight.length; e++) maxWeight = Math.max(maxWeight, edges.weight[e]!);
  // Edges sampled less than once over the whole run are dropped, as umap does.
  const kept: number[] = [];
  for (let e = 0; e < edges.weight.length; e++) if (edges.weight[e]! >= maxWeight / nEpochs) kept.push(e);
  const edgeCount = kept.length;
  const head = new Int32Array(edgeCount);
  const tail = new Int32Array(edgeCount);
  const epochsPerSample = new Float64Array(edgeCount);
  const epochOfNextSample = new Float64Array(edgeCount);
  const epochsPerNegativeSample = new Float64Array(edgeCount);
  const epochOfNextNegativeSample = new Float64Array(edgeCount);
  for (let e = 0; e < edgeCount; e++) {
    const source = kept[e]!;
    head[e] = edges.head[source]!;
    tail[e] = edges.tail[source]!;
    epochsPerSample[e] = maxWeight / edges.weight[source]!;
    epochOfNextSample[e] = epochsPerSample[e]!;
    epochsPerNegativeSample[e] = epochsPerSample[e]! / negativeSampleRate;
    epochOfNextNegativeSample[e] = epochsPerNegativeSample[e]!;
  }
  const twoAB = 2 * a * b;
  const twoGammaB = 2 * gamma * b;
  const powB = makeFastPow(b);
  // mulberry32 inlined: a closure call per negative sample is measurably slower.
  let state = settings.seed >>> 0;
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    const alpha = initialAlpha * (1 - epoch / nEpochs);
    for (let e = 0; e < edgeCount; e++) {
      if (epochOfNextSample[e]! > epoch) continue;
      const j = head[e]! * 2;
      const k = tail[e]! * 2;
      let dx = embedding[j]! - embedding[k]!;
      let dy = embedding[j + 1]! - embedding[k + 1]!;
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const p = powB(d2);
        const coefficient = (-twoAB * (p / d2)) / (a * p + 1);
        const gx = clip4(coefficient * dx) * alpha;
        const gy = clip4(coefficient * dy) * alpha;
        embedding[j] = embedding[j]! + gx;
        embedding[j + 1] = embedding[j + 1]! + gy;
        embedding[k] = embedding[k]! - gx;
        embedding[k + 1] = embedding[k + 1]! - gy;
      }
      epochOfNextSample[e] = epochOfNextSample[e]! + epochsPerSample[e]!;
      const negatives = Math.floor((epoch - epochOfNextNegativeSample[e]!) / epochsPerNegativeSample[e]!);
      for (let s = 0; s < negatives; s++) {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        const other = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) * 2;
        dx = embedding[j]! - embedding[other]!;
        dy = embedding[j + 1]! - embedding[other + 1]!;
        d2 = dx * dx + dy * dy;
        if (d2 <= 0) continue; // itself, or an exact overlap: no direction to push
        const coefficient = twoGammaB / ((0.001 + d2) * (a * powB(d2) + 1));
        embedding[j] = embedding[j]! + clip4(coefficient * dx) * alpha;
        embedding[j + 1] = embedding[j + 1]! + clip4(coefficient * dy) * alpha;
      }
      epochOfNextNegativeSample[e] = epochOfNextNegativeSample[e]! + negatives * epochsPerNegativeSample[e]!;
    }
    settings.onEpoch?.(epoch + 1, nEpochs);
  }
}

/**
 * x^b by table lookup, for x > 0: Math.pow costs about 43 ns here and runs
 * once per sample (billions per layout); the table costs about 8 ns, with a
 * relative error near 1e-6 (index = the float's exponent and top 8 mantissa
 * bits, linear interpolation on the next 12). Outside [2^-32, 2^32) it falls
 * back to Math.pow. Deterministic: same input, same output.
 */
export function makeFastPow(b: number): (x: number) => number {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) return (x) => Math.pow(x, b);
  const MIN_EXPONENT = -32;
  const MAX_EXPONENT = 32;
  const STEPS = 256; // per octave: the top 8 mantissa bits
  const table = new Float64Array((MAX_EXPONENT - MIN_EXPONENT) * STEPS + 1);
  for (let i = 0; i < table.length; i++) {
    const exponent = MIN_EXPONENT + Math.floor(i / STEPS);
    table[i] = Math.pow(Math.pow(2, exponent) * (1 + (i % STEPS) / STEPS), b);
  }
  const low = Math.pow(2, MIN_EXPONENT);
  const high = Math.pow(2, MAX_EXPONENT);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer); // words[1]: sign, 11 exponent bits, top 20 mantissa bits (little-endian)
  const firstIndex = (1023 + MIN_EXPONENT) * STEPS;
  return (x: number): number => {
    if (x < low || x >= high) return Math.pow(x, b);
    bits[0] = x;
    const word = words[1]!;
    const i = (word >>> 12) - firstIndex;
    const below = table[i]!;
    return below + (table[i + 1]! - below) * ((word & 0xfff) / 4096);
  };
}

function clip4(value: number): number {
  return value > 4 ? 4 : value < -4 ? -4 : value;
}

/**
 * Layout quality proxy: the share of each sampled point's first `k` graph
 * neighbours that are also among its `k` nearest points in 2-D (exact, by
 * brute force over all points: O(sampleSize * n)).
 */
export function knnPreservation(graph: KnnGraph, layout: Float32Array, k: number, sampleSize = 1000, seed = 1): number {
  const n = graph.n;
  const random = mulberry32(seed);
  const kk = Math.min(k, graph.k, n - 1);
  const samples = Math.min(sampleSize, n);
  const nearest = new Int32Array(kk);
  const nearestD = new Float64Array(kk);
  let kept = 0;
  for (let s = 0; s < samples; s++) {
    const i = samples === n ? s : Math.floor(random() * n);
    nearestD.fill(Infinity);
    nearest.fill(-1);
    const x = layout[i * 2]!;
    const y = layout[i * 2 + 1]!;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = layout[j * 2]! - x;
      const dy = layout[j * 2 + 1]! - y;
      const d = dx * dx + dy * dy;
      if (d >= nearestD[kk - 1]!) continue;
      let p = kk - 1;
      while (p > 0 && nearestD[p - 1]! > d) {
        nearestD[p] = nearestD[p - 1]!;
        nearest[p] = nearest[p - 1]!;
        p--;
      }
      nearestD[p] = d;
      nearest[p] = j;
    }
    for (let c = 0; c < kk; c++) {
      const neighbour = graph.indices[i * graph.k + c]!;
      if (nearest.includes(neighbour)) kept++;
    }
  }
  return kept / (samples * kk);
}

/**
 * Cluster-separation proxy: among faces of people with at least `minSize`
 * faces, the share whose nearest 2-D person centroid is their own person's.
 */
export function nearestCentroidAgreement(layout: Float32Array, labels: Int32Array, minSize = 10): number {
  const sums = new Map<number, { x: number; y: number; count: number }>();
  for (let i = 0; i < labels.length; i++) {
    const entry = sums.get(labels[i]!) ?? { x: 0, y: 0, count: 0 };
    entry.x += layout[i * 2]!;
    entry.y += layout[i * 2 + 1]!;
    entry.count++;
    sums.set(labels[i]!, entry);
  }
  const centroids = [...sums.entries()]
    .filter(([, s]) => s.count >= minSize)
    .map(([label, s]) => ({ label, x: s.x / s.count, y: s.y / s.count }));
  let agree = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if ((sums.get(labels[i]!)?.count ?? 0) < minSize) continue;
    let best = -1;
    let bestD = Infinity;
    for (const c of centroids) {
      const d = (layout[i * 2]! - c.x) ** 2 + (layout[i * 2 + 1]! - c.y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = c.label;
      }
    }
    total++;
    if (best === labels[i]) agree++;
  }
  return total > 0 ? agree / total : NaN;
}
