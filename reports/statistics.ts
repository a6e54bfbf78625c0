// The statistics the reports rest on, each small enough to check by hand:
// agreement between two clusterings (ARI, NMI) from their contingency table,
// an exact McNemar test on paired right/wrong items, and a seeded percentile
// bootstrap, so the same report always shows the same intervals.

/** One cell of a contingency table: `count` items in cluster `a` of one clustering and `b` of the other. A label below 0 means each of those items is alone (noise). */
export interface ContingencyCell {
  a: number;
  b: number;
  count: number;
}

export interface Agreement {
  /** Adjusted Rand index: 1 = the same grouping, about 0 = no better than chance. */
  ari: number;
  /** Normalised mutual information (arithmetic mean of the two entropies): 1 = the same grouping, 0 = independent. */
  nmi: number;
  items: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/** ARI and NMI of two clusterings given as contingency cells; noise items are singletons. */
export function agreementOf(cells: readonly ContingencyCell[]): Agreement {
  const rowSizes = new Map<number, number>();
  const columnSizes = new Map<number, number>();
  let items = 0;
  for (const { a, b, count } of cells) {
    items += count;
    if (a >= 0) rowSizes.set(a, (rowSizes.get(a) ?? 0) + count);
    if (b >= 0) columnSizes.set(b, (columnSizes.get(b) ?? 0) + count);
  }
  if (items === 0) return { ari: NaN, nmi: NaN, items };
  const sizeOf = (sizes: Map<number, number>, label: number) => (label >= 0 ? sizes.get(label)! : 1);

  // ARI (Hubert and Arabie): noise singletons add no pairs.
  let together = 0;
  for (const { a, b, count } of cells) if (a >= 0 && b >= 0) together += pairs(count);
  let rowPairs = 0;
  for (const size of rowSizes.values()) rowPairs += pairs(size);
  let columnPairs = 0;
  for (const size of columnSizes.values()) columnPairs += pairs(size);
  const expected = (rowPairs * columnPairs) / pairs(items || 1);
  const maximum = (rowPairs + columnPairs) / 2;
  const ari = maximum === expected ? 1 : (together - expected) / (maximum - expected);

  // NMI: a cell with a noise side is `count` cells of one item each.
  let mutual = 0;
  for (const { a, b, count } of cells) {
    const cellSize = a >= 0 && b >= 0 ? count : 1;
    const copies = count / cellSize;
    mutual += copies * (cellSize / items) * Math.log((items * cellSize) / (sizeOf(rowSizes, a) * sizeOf(columnSizes, b)));
  }
  const entropy = (sizes: Map<number, number>, noise: number) => {
    let h = noise > 0 ? (noise / items) * Math.log(items) : 0;
    for (const size of sizes.values()) h -= (size / items) * Math.log(size / items);
    return h;
  };
  const noiseRows = cells.reduce((sum, cell) => sum + (cell.a < 0 ? cell.count : 0), 0);
  const noiseColumns = cells.reduce((sum, cell) => sum + (cell.b < 0 ? cell.count : 0), 0);
  const meanEntropy = (entropy(rowSizes, noiseRows) + entropy(columnSizes, noiseColumns)) / 2;
  // Both groupings a single cluster: identical, and NMI is 0/0.
  const nmi = meanEntropy === 0 ? 1 : Math.max(0, Math.min(1, mutual / meanEntropy));
  return { ari, nmi, items };
}

/** The contingency cells of two label arrays of the same items. */
export function contingencyOf(a: ArrayLike<number>, b: ArrayLike<number>): ContingencyCell[] {
  if (a.length !== b.length) throw new RangeError(`two clusterings of different lengths (${a.length} and ${b.length})`);
  const cells = new Map<string, ContingencyCell>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]}|${b[i]}`;
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { a: a[i]!, b: b[i]!, count: 1 });
  }
  return [...cells.values()];
}

export interface McNemarResult {
  /** Items A got right and B got wrong. */
  onlyA: number;
  /** Items B got right and A got wrong. */
  onlyB: number;
  bothRight: number;
  bothWrong: number;
  /** Exact two-sided p-value: the binomial test of onlyB against onlyA + onlyB at one half. */
  pValue: number;
  significant: boolean;
  /** What it means, in words. */
  verdict: string;
}

/** log(n choose k) by summed logs: exact enough for any n a gold set has. */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/** Exact McNemar p-value for discordant counts b and c (two-sided binomial, in log space). */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const low = Math.min(b, c);
  let tail = 0;
  for (let k = 0; k <= low; k++) tail += Math.exp(logChoose(n, k) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** The paired test on items that both runs were judged on, with a verdict a non-statistician can read. */
export function mcnemar(rightA: ArrayLike<boolean>, rightB: ArrayLike<boolean>, alpha = 0.05): McNemarResult {
  let onlyA = 0, onlyB = 0, bothRight = 0, bothWrong = 0;
  for (let i = 0; i < rightA.length; i++) {
    if (rightA[i] && rightB[i]) bothRight++;
    else if (rightA[i]) onlyA++;
    else if (rightB[i]) onlyB++;
    else bothWrong++;
  }
  const pValue = mcnemarExactP(onlyA, onlyB);
  const significant = pValue < alpha;
  const p = formatP(pValue);
  const items = rightA.length;
  let verdict: string;
  if (onlyA + onlyB === 0) verdict = `Both runs got the same ${items} items right and wrong: no difference to test.`;
  else if (significant) {
    const [better, worse, fixed, broke] = onlyB > onlyA ? ['B', 'A', onlyB, onlyA] : ['A', 'B', onlyA, onlyB];
    verdict = `${better} is really better than ${worse}: it gets ${fixed} items right that ${worse} gets wrong, against ${broke} the other way; a split this uneven would happen by chance with probability ${p} (below ${alpha}).`;
  } else {
    verdict = `No real difference: B gets ${onlyB} items right that A gets wrong and A gets ${onlyA} that B gets wrong; a split like this happens by chance with probability ${p}, so it may be luck.`;
  }
  return { onlyA, onlyB, bothRight, bothWrong, pValue, significant, verdict };
}

export function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** A seeded uniform [0, 1) generator (mulberry32): the same seed gives the same report. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile of sorted values, linearly interpolated (R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

export interface BootstrapOptions {
  replicates?: number;
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

export const BOOTSTRAP_DEFAULTS = { replicates: 1000, seed: 20240607, level: 0.95 } as const;

/**
 * Percentile bootstrap over items: `statistic(weights)` gets how many times
 * each of `items` items is drawn in one resample and returns one or more
 * numbers; the result is the [low, high] interval of each. NaN replicates
 * (a statistic undefined on that resample) are left out.
 */
export function bootstrapIntervals(items: number, statistic: (weights: Uint32Array) => number[], options: BootstrapOptions = {}): [number, number][] {
  const { replicates, seed, level } = { ...BOOTSTRAP_DEFAULTS, ...options };
  const random = seededRandom(seed);
  const weights = new Uint32Array(items);
  let samples: number[][] | null = null;
  for (let r = 0; r < replicates && items > 0; r++) {
    weights.fill(0);
    for (let i = 0; i < items; i++) weights[Math.floor(random() * items)]!++;
    const values = statistic(weights);
    samples ??= values.map(() => []);
    values.forEach((value, index) => Number.isFinite(value) && samples![index]!.push(value));
  }
  return (samples ?? []).map((values) => {
    const sorted = Float64Array.from(values).sort();
    return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, 1 - (1 - level) / 2)];
  });
}
