// Peak decoding and the pet decision on synthetic centernet heads (no model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centernetPeaks, type CenternetHeads } from '../models/centernet-decode.ts';
import { decodePets } from '../models/pet-detector.ts';

const CAT = 15, DOG = 16;

/** 80 classes on an 8x8 grid, stride 4; every box 10 px to each side unless set. */
function heads(scores: { cls: number; row: number; col: number; score: number }[]): CenternetHeads {
  const [classes, height, width] = [80, 8, 8];
  const keypoints = new Float32Array(classes * height * width);
  for (const s of scores) keypoints[s.cls * height * width + s.row * width + s.col] = s.score;
  return { keypoints, wh: new Float32Array(4 * height * width).fill(10), classes, height, width, stride: 4 };
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
