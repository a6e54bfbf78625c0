// Scores of a predicted clustering against true identities.
//
// Noise: a predicted label below 0 (noise, unassigned) counts as a cluster of
// its own point, so leaving a face unassigned never creates a false pair and
// never completes a true one. True labels are taken as given (give each
// stranger its own label).

export interface PairwiseScores {
  /** Of the pairs put together, the share that are one person; 1 when no pair was put together. */
  precision: number;
  /** Of the pairs that are one person, the share put together; 1 when there are none. */
  recall: number;
  f1: number;
  predictedPairs: number;
  truePairs: number;
  correctPairs: number;
}

/** Adjusted Rand index (Hubert and Arabie): 1 for identical partitions, about 0 for random ones. */
export function adjustedRandIndex(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  const counts = pairCounts(predicted, truth);
  const total = pairs(predicted.length);
  if (total === 0) return 1;
  const expected = (counts.predictedPairs * counts.truePairs) / total;
  const maximum = (counts.predictedPairs + counts.truePairs) / 2;
  // Both partitions all singletons or both one cluster: identical, and the formula is 0/0.
  if (maximum === expected) return 1;
  return (counts.correctPairs - expected) / (maximum - expected);
}

/** Pairwise precision, recall and F1 over all pairs of points (the "pairwise F-score" of face-clustering papers). */
export function pairwiseScores(predicted: ArrayLike<number>, truth: ArrayLike<number>): PairwiseScores {
  const { predictedPairs, truePairs, correctPairs } = pairCounts(predicted, truth);
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, predictedPairs, truePairs, correctPairs };
}

export interface StrangerOutcome {
  strangers: number;
  /** Strangers left as noise or in a cluster of their own. */
  leftAlone: number;
  /** Strangers put into a cluster with someone else. */
  absorbed: number;
  /** leftAlone / strangers (NaN without strangers). */
  shareLeftAlone: number;
}

/** How the people seen once fared: the right answer for them is to stay alone. */
export function strangerOutcome(predicted: ArrayLike<number>, isStranger: ArrayLike<number>): StrangerOutcome {
  const clusterSize = new Map<number, number>();
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i]! >= 0) clusterSize.set(predicted[i]!, (clusterSize.get(predicted[i]!) ?? 0) + 1);
  }
  let strangers = 0;
  let leftAlone = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (!isStranger[i]) continue;
    strangers++;
    if (predicted[i]! < 0 || clusterSize.get(predicted[i]!) === 1) leftAlone++;
  }
  return { strangers, leftAlone, absorbed: strangers - leftAlone, shareLeftAlone: strangers > 0 ? leftAlone / strangers : NaN };
}

export interface ChainingReport {
  largestClusterSize: number;
  /** Distinct true people inside the largest predicted cluster. */
  largestClusterPeople: number;
  /** Share of the largest predicted cluster that is its most common person. */
  largestClusterPurity: number;
  largestTruePersonSize: number;
  /** Share of clustered points that are not their cluster's most common person: what chaining costs overall. */
  impureShare: number;
}

/** Detects chaining: a mega-cluster shows up as a largest cluster far above the largest person, with low purity. */
export function chainingReport(predicted: ArrayLike<number>, truth: ArrayLike<number>): ChainingReport {
  const members = new Map<number, Map<number, number>>();
  const trueSizes = new Map<number, number>();
  for (let i = 0; i < predicted.length; i++) {
    trueSizes.set(truth[i]!, (trueSizes.get(truth[i]!) ?? 0) + 1);
    if (predicted[i]! < 0) continue;
    let people = members.get(predicted[i]!);
    if (!people) members.set(predicted[i]!, (people = new Map()));
    people.set(truth[i]!, (people.get(truth[i]!) ?? 0) + 1);
  }
  let largest: Map<number, number> | undefined;
  let largestSize = 0;
  let clustered = 0;
  let majorities = 0;
  for (const people of members.values()) {
    let size = 0;
    let majority = 0;
    for (const count of people.values()) {
      size += count;
      majority = Math.max(majority, count);
    }
    clustered += size;
    majorities += majority;
    if (size > largestSize) {
      largestSize = size;
      largest = people;
    }
  }
  const largestMajority = largest ? Math.max(...largest.values()) : 0;
  return {
    largestClusterSize: largestSize,
    largestClusterPeople: largest?.size ?? 0,
    largestClusterPurity: largestSize > 0 ? largestMajority / largestSize : NaN,
    largestTruePersonSize: Math.max(0, ...trueSizes.values()),
    impureShare: clustered > 0 ? 1 - majorities / clustered : 0,
  };
}

function pairs(count: number): number {
  return (count * (count - 1)) / 2;
}

/** Pair counts from the contingency table; noise points become singletons. */
function pairCounts(predicted: ArrayLike<number>, truth: ArrayLike<number>): { predictedPairs: number; truePairs: number; correctPairs: number } {
  if (predicted.length !== truth.length) throw new Error(`${predicted.length} predicted labels for ${truth.length} true labels`);
  const n = predicted.length;
  const predictedSizes = new Map<number, number>();
  const trueSizes = new Map<number, number>();
  const cells = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (predicted[i]! < 0) continue; // a singleton: contributes no pair anywhere
    const p = predicted[i]!;
    const t = truth[i]!;
    predictedSizes.set(p, (predictedSizes.get(p) ?? 0) + 1);
    const cell = `${p}:${t}`;
    cells.set(cell, (cells.get(cell) ?? 0) + 1);
  }
  for (let i = 0; i < n; i++) trueSizes.set(truth[i]!, (trueSizes.get(truth[i]!) ?? 0) + 1);
  let predictedPairs = 0;
  let truePairs = 0;
  let correctPairs = 0;
  for (const size of predictedSizes.values()) predictedPairs += pairs(size);
  for (const size of trueSizes.values()) truePairs += pairs(size);
  for (const size of cells.values()) correctPairs += pairs(size);
  return { predictedPairs, truePairs, correctPairs };
}
