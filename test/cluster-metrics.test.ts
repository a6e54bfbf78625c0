import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustedRandIndex, chainingReport, pairwiseScores, strangerOutcome } from '../vectors/cluster-metrics.ts';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

test('ARI is 1 for identical partitions, whatever the label names', () => {
  assert.equal(adjustedRandIndex([0, 0, 1, 1, 2], [0, 0, 1, 1, 2]), 1);
  assert.equal(adjustedRandIndex([5, 5, 9, 9, 1], [0, 0, 1, 1, 2]), 1);
});

test('ARI of a hand-computed split: 4/7', () => {
  // Contingency cells 2,1,1 -> 1 correct pair; predicted pairs 2, true pairs 1, 6 pairs in all.
  // expected = 2 * 1 / 6 = 1/3, max = 1.5: (1 - 1/3) / (1.5 - 1/3) = 4/7.
  close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 4 / 7);
});

test('ARI and pairwise scores of a hand-computed six-point case', () => {
  const predicted = [0, 0, 0, 1, 1, 1];
  const truth = [0, 0, 1, 1, 2, 2];
  // Correct pairs 2 (one in each predicted cluster), predicted pairs 6, true pairs 3, 15 in all.
  // ARI = (2 - 6*3/15) / ((6+3)/2 - 6*3/15) = 0.8 / 3.3
  close(adjustedRandIndex(predicted, truth), 0.8 / 3.3);
  const scores = pairwiseScores(predicted, truth);
  assert.deepEqual([scores.correctPairs, scores.predictedPairs, scores.truePairs], [2, 6, 3]);
  close(scores.precision, 1 / 3);
  close(scores.recall, 2 / 3);
  close(scores.f1, 4 / 9);
});

test('noise counts as singletons, not as one shared cluster', () => {
  const scores = pairwiseScores([-1, -1, 0, 0], [0, 0, 1, 1]);
  // Only the pair {2,3} is predicted; it is right. The true pair {0,1} is missed.
  assert.equal(scores.predictedPairs, 1);
  assert.equal(scores.precision, 1);
  assert.equal(scores.recall, 0.5);
  close(scores.f1, 2 / 3);
  close(adjustedRandIndex([-1, -1, 0, 0], [0, 0, 1, 1]), 4 / 7);
});

test('all singletons on both sides is a perfect (degenerate) match', () => {
  assert.equal(adjustedRandIndex([-1, -1, -1], [0, 1, 2]), 1);
  const scores = pairwiseScores([-1, -1, -1], [0, 1, 2]);
  assert.deepEqual([scores.precision, scores.recall, scores.f1], [1, 1, 1]);
});

test('ARI is near 0 for an unrelated partition and negative below chance', () => {
  assert.ok(adjustedRandIndex([0, 1, 0, 1], [0, 0, 1, 1]) < 0);
});

test('mismatched lengths are an error', () => {
  assert.throws(() => adjustedRandIndex([0, 1], [0]), /2 predicted labels for 1/);
});

test('stranger outcome counts strangers left alone and absorbed', () => {
  // Stranger 0 is noise, stranger 1 shares cluster 0 with face 2, stranger 3 is alone in cluster 1.
  const outcome = strangerOutcome([-1, 0, 0, 1, 2, 2], [1, 1, 0, 1, 0, 0]);
  assert.deepEqual(outcome, { strangers: 3, leftAlone: 2, absorbed: 1, shareLeftAlone: 2 / 3 });
});

test('chaining report flags a mixed largest cluster', () => {
  const report = chainingReport([0, 0, 0, 0, 1, 1, -1], [0, 0, 1, 2, 3, 3, 4]);
  assert.equal(report.largestClusterSize, 4);
  assert.equal(report.largestClusterPeople, 3);
  assert.equal(report.largestClusterPurity, 0.5);
  assert.equal(report.largestTruePersonSize, 2);
  // 6 clustered points, majorities 2 + 2.
  close(report.impureShare, 1 / 3);
});
