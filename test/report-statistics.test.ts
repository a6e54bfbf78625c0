// The statistics and the cluster correspondence of reports/, on values known
// by hand (../shared/notes/workbench.md) and on hand-made clusterings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairwiseCounter, rightByMajority } from '../reports/accuracy.ts';
import { countChanges, paramChanges } from '../reports/compare.ts';
import { correspondenceOf, matchClusters } from '../reports/correspondence.ts';
import { binning } from '../reports/distributions.ts';
import { agreementOf, bootstrapIntervals, contingencyOf, mcnemar, mcnemarExactP, quantileSorted, seededRandom } from '../reports/statistics.ts';
import { adjustedRandIndex, pairwiseScores } from '../vectors/cluster-metrics.ts';

const close = (actual: number, expected: number, digits = 6) => assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} is not ${expected}`);

test('ARI and NMI of [0,0,0,1,1,1] against [0,0,1,1,2,2] are the known 0.242424 and 0.515804', () => {
  const agreement = agreementOf(contingencyOf([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]));
  close(agreement.ari, 0.242424);
  close(agreement.nmi, 0.515804);
  assert.equal(agreement.items, 6);
});

test('agreement: identical groupings score 1 under any renaming; noise items are singletons', () => {
  const same = agreementOf(contingencyOf([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]));
  assert.deepEqual([same.ari, same.nmi], [1, 1]);
  // Noise (-1) as singletons: the same as giving each noise item its own label.
  const withNoise = agreementOf(contingencyOf([0, 0, -1, -1, 1, 1], [0, 0, 0, -1, 1, -1]));
  const spelledOut = agreementOf(contingencyOf([0, 0, 10, 11, 1, 1], [0, 0, 0, 20, 1, 21]));
  close(withNoise.ari, spelledOut.ari, 12);
  close(withNoise.nmi, spelledOut.nmi, 12);
  // vectors/cluster-metrics.ts treats predicted noise the same way (its truth labels are taken as given).
  close(withNoise.ari, adjustedRandIndex([0, 0, -1, -1, 1, 1], [0, 0, 0, 20, 1, 21]), 12);
});

test('exact McNemar: b=2, c=8 gives p = 0.109375; no discordant pairs gives 1', () => {
  close(mcnemarExactP(2, 8), 0.109375, 12);
  close(mcnemarExactP(8, 2), 0.109375, 12);
  assert.equal(mcnemarExactP(0, 0), 1);
  close(mcnemarExactP(0, 1), 1, 12);
  // Large counts stay finite and sensible (log space).
  const p = mcnemarExactP(480, 520);
  assert.ok(p > 0.2 && p < 0.25, String(p));
});

test('significant when B fixes 30 of 40 gold errors of A; not significant on equal runs', () => {
  const items = 200;
  const rightA = Array.from({ length: items }, (_, i) => i >= 40); // A gets the first 40 wrong
  const rightB = rightA.map((right, i) => right || i < 30); // B fixes 30 of them and breaks nothing
  const better = mcnemar(rightA, rightB);
  assert.deepEqual([better.onlyA, better.onlyB, better.bothRight, better.bothWrong], [0, 30, 160, 10]);
  assert.ok(better.pValue < 1e-8 && better.significant);
  assert.match(better.verdict, /^B is really better than A/);
  const equal = mcnemar(rightA, rightA);
  assert.equal(equal.pValue, 1);
  assert.equal(equal.significant, false);
  assert.match(equal.verdict, /no difference/);
  // A near split (5 fixed, 3 broken) is not significant either, and says it may be luck.
  const near = mcnemar(rightA, rightA.map((right, i) => (i < 5 ? true : i >= 40 && i < 43 ? false : right)));
  assert.equal(near.significant, false);
  assert.match(near.verdict, /No real difference.*may be luck/);
});

test('the seeded bootstrap is reproducible and covers the estimate', () => {
  const values = Array.from({ length: 300 }, (_, i) => (i % 10 < 7 ? 1 : 0)); // a 0.7 share
  const mean = (weights: Uint32Array) => {
    let sum = 0, n = 0;
    weights.forEach((w, i) => ((sum += w * values[i]!), (n += w)));
    return [sum / n];
  };
  const first = bootstrapIntervals(values.length, mean, { seed: 7 });
  assert.deepEqual(bootstrapIntervals(values.length, mean, { seed: 7 }), first);
  const [[low, high]] = first as [[number, number]];
  assert.ok(low < 0.7 && high > 0.7 && high - low < 0.15, `${low} ${high}`);
  // The normal-approximation interval of a 0.7 share over 300 items is about ±0.052.
  close(high - low, 2 * 1.96 * Math.sqrt((0.7 * 0.3) / 300), 1);
  const random = seededRandom(1);
  assert.ok([random(), random(), random()].every((x) => x >= 0 && x < 1));
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
});

test('weighted pairwise scores with all weights 1 equal the plain pairwise scores', () => {
  const predicted = [0, 0, 0, 1, 1, -6, 2, 2];
  const truth = [0, 0, 1, 1, 1, 2, 2, 3];
  const [precision, recall, f1] = pairwiseCounter(predicted, truth)(new Uint32Array(predicted.length).fill(1)) as [number, number, number];
  const plain = pairwiseScores(predicted, truth);
  close(precision, plain.precision, 12);
  close(recall, plain.recall, 12);
  close(f1, plain.f1, 12);
  // A doubled item pairs with the others twice, never with its own copy.
  const weights = Uint32Array.from([2, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(pairwiseCounter(predicted, truth)(weights).slice(0, 2), [1, 1]);
});

test('an item is right when its group is mostly its person and its person mostly in its group', () => {
  // Person 0 (4 faces) is split 3 + 1; person 1's two faces share group 9 with the one face of person 2.
  const truth = [0, 0, 0, 0, 1, 1, 2];
  const predicted = [7, 7, 7, 8, 9, 9, 9];
  assert.deepEqual(rightByMajority(predicted, truth), [true, true, true, false, true, true, false]);
});

test('correspondence on hand-made clusterings: kept, split, merged, new and vanished', () => {
  // A: 0 = 6 faces, 1 = 4, 2 = 3, 3 = 2, 4 = 2 (goes to noise)
  // B: 0 keeps A0; A1 is split into 11 and 12; A2 and A3 merge into 20; 30 is new (from noise).
  const a = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, -1, -1];
  const b = [0, 0, 0, 0, 0, 0, 11, 11, 12, 12, 20, 20, 20, 20, 20, -1, -1, 30, 30];
  const c = correspondenceOf(contingencyOf(a, b));
  assert.deepEqual([c.clustersA, c.clustersB], [5, 5]);
  assert.deepEqual(c.kept, [0]);
  assert.deepEqual(c.split, [{ a: 1, into: [11, 12] }]);
  assert.deepEqual(c.merged, [{ b: 20, from: [2, 3] }]);
  assert.deepEqual(c.vanished, [4]);
  assert.deepEqual(c.new, [30]);
  assert.deepEqual([c.facesToNoise, c.facesFromNoise], [2, 2]);
  // Hungarian: A1 -> 11 (tie, smaller), A2 -> 20 (3 shared beats A3's 2); the rest of A1 and A3 moved.
  assert.deepEqual(c.matches.map((m) => [m.a, m.b, m.shared]), [[0, 0, 6], [2, 20, 3], [1, 11, 2]]);
  assert.equal(c.facesMoved, 4);
});

test('the Hungarian matching maximises the total overlap where greedy would not', () => {
  // Greedy takes (0, 0) = 5 and is left with (1, 1) = 0: total 5. The best is (0, 1) + (1, 0) = 4 + 4 = 8.
  const matches = matchClusters([{ a: 0, b: 0, count: 5 }, { a: 0, b: 1, count: 4 }, { a: 1, b: 0, count: 4 }]);
  assert.deepEqual(matches.map((m) => [m.a, m.b]).sort(), [[0, 1], [1, 0]]);
});

test('only the parameters that differ are listed; a node in one run only is one line', () => {
  const a = { cluster: { eps: 0.5, minPts: 2, graph: { k: 10 } }, assign: { knnThreshold: 0.6 }, umap: { seed: 42 } };
  const b = { cluster: { eps: 0.4, minPts: 2, graph: { k: 15 } }, assign: { knnThreshold: 0.6 } };
  assert.deepEqual(paramChanges(a, b), [
    { key: 'cluster.eps', a: 0.5, b: 0.4 },
    { key: 'cluster.graph.k', a: 10, b: 15 },
    { key: 'umap', a: { seed: 42 }, b: null },
  ]);
  assert.deepEqual(paramChanges(a, a), []);
});

test('histogram bins: whole numbers get whole bins, widened past 30; a constant gets one bin', () => {
  assert.deepEqual(binning(1, 5, true), { start: 1, width: 1, count: 5 });
  assert.deepEqual(binning(1, 100, true), { start: 1, width: 4, count: 25 });
  assert.deepEqual(binning(0.5, 0.5, false), { start: 0.5, width: 1, count: 1 });
  assert.equal(binning(0, 1, false).count, 25);
});

test('count changes: a pet kind one run never saw is 0 there, a count a run cannot have is null', () => {
  const a = [{ key: 'pets.cat', node: 'images', title: 'pets: cat', value: 3 }, { key: 'errors.umap', node: 'umap', title: 'item errors in umap', value: 0 }];
  const b = [{ key: 'pets.cat', node: 'images', title: 'pets: cat', value: 1 }, { key: 'pets.bird', node: 'images', title: 'pets: bird', value: 2 }];
  assert.deepEqual(countChanges(a, b).map((c) => [c.key, c.a, c.b, c.change]), [
    ['pets.cat', 3, 1, -2],
    ['errors.umap', 0, null, null],
    ['pets.bird', 0, 2, 2],
  ]);
});
