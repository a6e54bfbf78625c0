// Peak decoding and the pet decision on synthetic centernet heads (no model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centernetPeaks, centernetScore, type CenternetHeads } from '../models/centernet-decode.ts';
import { decodePets } from '../models/pet-detector.ts';

const PERSON = 0, CAT = 15, DOG = 16;
const ALL_CLASSES = Array.from({ length: 80 }, (_, i) => i);

/** The maps of classIds (COCO ids; all 80 by default) on an 8x8 grid, stride 4; every box 10 px to each side. */
function heads(scores: { cls: number; row: number; col: number; score: number }[], classIds: readonly number[] = ALL_CLASSES): CenternetHeads {
  const [height, width] = [8, 8];
  const keypoints = new Float32Array(classIds.length * height * width);
  for (const s of scores) keypoints[classIds.indexOf(s.cls) * height * width + s.row * width + s.col] = s.score;
  return { keypoints, wh: new Float32Array(4 * height * width).fill(10), classIds, height, width, stride: 4 };
}

test('peaks are 3x3 local maxima, best first, with boxes around the cell centre', () => {
  const peaks = centernetPeaks(heads([
    { cls: CAT, row: 2, col: 3, score: 0.9 },
    { cls: CAT, row: 2, col: 4, score: 0.5 }, // beside a higher cat score: not a peak
    { cls: DOG, row: 2, col: 4, score: 0.3 }, // another class's map: a peak of its own
    { cls: 0, row: 7, col: 7, score: 0.6 },
  ]));
  assert.deepEqual(peaks.slice(0, 3).map((p) => [p.cls, p.cell, p.score.toFixed(2)]), [[CAT, 19, '0.90'], [0, 63, '0.60'], [DOG, 20, '0.30']]);
  assert.deepEqual(peaks[0]!.box, [12 - 10, 8 - 10, 12 + 10, 8 + 10]);
  assert.equal(peaks.length, 100, 'the graph keeps the 100 best, zeros included');
});

test('a dog scored 0.349 dog / 0.22 cat is a pet (a dog) by the cat + dog rule, missed without it', () => {
  const split = heads([{ cls: DOG, row: 4, col: 4, score: 0.349 }, { cls: CAT, row: 4, col: 4, score: 0.22 }]);
  const found = decodePets(split);
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0]!.label, 'dog');
  assert.ok(Math.abs(found[0]!.dogScore - 0.349) < 1e-6 && Math.abs(found[0]!.catScore - 0.22) < 1e-6);
  assert.ok(Math.abs(found[0]!.score - 0.349) < 1e-6, 'score stays the larger class score');
  assert.deepEqual(decodePets(split, { petThreshold: Infinity }), [], 'the 0.35 thresholds alone miss it');
  assert.deepEqual(decodePets(heads([{ cls: CAT, row: 4, col: 4, score: 0.2 }, { cls: DOG, row: 4, col: 4, score: 0.2 }])), [], '0.4 together is not enough');
});

test('a cat peak and the same animal\'s dog peak are one pet carrying both scores', () => {
  const found = decodePets(heads([{ cls: CAT, row: 4, col: 4, score: 0.5 }, { cls: DOG, row: 4, col: 5, score: 0.3 }]));
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0]!.label, 'cat');
  assert.ok(Math.abs(found[0]!.dogScore - 0.3) < 1e-6, 'the dog peak next door (IoU > 0.5) gives the dog score');
});

test('heads holding person, cat and dog maps only: peaks carry COCO ids, and the top k is over those classes', () => {
  const scores = [
    { cls: CAT, row: 2, col: 3, score: 0.9 },
    { cls: PERSON, row: 7, col: 7, score: 0.6 },
    { cls: DOG, row: 2, col: 4, score: 0.3 },
  ];
  const kept = heads(scores, [PERSON, CAT, DOG]);
  const all = heads(scores);
  const summary = (h: CenternetHeads, k?: number) => centernetPeaks(h, k).map((p) => [p.cls, p.cell, p.score.toFixed(2), p.box.join()]);
  assert.deepEqual(summary(kept, 3), summary(all, 3), 'the same peaks as the 80 maps give');
  assert.equal(centernetScore(kept, DOG, 20), centernetScore(all, DOG, 20));
  assert.throws(() => centernetScore(kept, 2, 20), /no map for class 2/);
  assert.deepEqual(decodePets(kept, { personThreshold: 0.5 }), decodePets(all, { personThreshold: 0.5 }));
});

test('over three classes, a peak that 100 peaks of other classes outscored is kept (the one way the selection changes peaks)', () => {
  const crowded = heads([{ cls: CAT, row: 4, col: 4, score: 0.2 }]);
  crowded.keypoints.fill(0.5, 1 * 64, 3 * 64); // classes 1 and 2: every cell 0.5, so 128 peaks (ties are peaks)
  const catsKept = (h: CenternetHeads) => centernetPeaks(h).filter((p) => p.cls === CAT && p.score > 0).length;
  assert.equal(catsKept(crowded), 0, 'the 80 maps: 100 peaks of classes 1 and 2 push the cat out');
  assert.equal(catsKept(heads([{ cls: CAT, row: 4, col: 4, score: 0.2 }], [PERSON, CAT, DOG])), 1);
});
