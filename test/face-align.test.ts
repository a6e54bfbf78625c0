import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARCFACE_REFERENCE_112,
  type Affine,
  alignFace,
  applyAffine,
  invertAffine,
  rectToSizeAffine,
  similarityTransform,
  warpAffineBilinear,
} from '../models/face-align.ts';
import { fivePointsFrom68 } from '../models/face-landmarks.ts';
import { letterboxTensor, rgbToNormalisedChw } from '../models/face-detector.ts';
import type { RgbImage } from '../imaging/image.ts';

function similarity(angle: number, scale: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}

function transformPoints(m: Affine, points: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 2) out.push(...applyAffine(m, points[i]!, points[i + 1]!));
  return out;
}

function assertAffineClose(actual: Affine, expected: Affine, tolerance: number): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < tolerance, `m[${i}] = ${v}, expected ${expected[i]}`));
}

test('similarityTransform recovers a known rotation, scale and translation exactly', () => {
  for (const [angle, scale, tx, ty] of [
    [0.3, 1.7, 12, -5],
    [-2.5, 0.25, 300.5, 41],
    [0, 1, 0, 0],
    [Math.PI, 3.2, -80, 1000],
  ] as const) {
    const known = similarity(angle, scale, tx, ty);
    const moved = transformPoints(known, ARCFACE_REFERENCE_112);
    assertAffineClose(similarityTransform(ARCFACE_REFERENCE_112, moved), known, 1e-6);
    // And the other way round: the inverse transform.
    assertAffineClose(similarityTransform(moved, ARCFACE_REFERENCE_112), invertAffine(known), 1e-6);
  }
});

test('similarityTransform is the least-squares fit on noisy points', () => {
  const noise = [1.5, -2, 0.5, 1, -1, 2.5, 2, -0.5, -3, 1];
  const src = transformPoints(similarity(0.2, 2, 30, 40), ARCFACE_REFERENCE_112).map((v, i) => v + noise[i]!);
  const fit = similarityTransform(src, ARCFACE_REFERENCE_112);
  const residual = (m: Affine): number => {
    const mapped = transformPoints(m, src);
    return mapped.reduce((sum, v, i) => sum + (v - ARCFACE_REFERENCE_112[i]!) ** 2, 0);
  };
  const best = residual(fit);
  // Nudging any of the four similarity parameters makes the fit worse.
  const [a, b] = [fit[0], fit[3]];
  for (const [da, db, dx, dy] of [[1e-3, 0, 0, 0], [-1e-3, 0, 0, 0], [0, 1e-3, 0, 0], [0, -1e-3, 0, 0], [0, 0, 0.05, 0], [0, 0, 0, -0.05]]) {
    const nudged: Affine = [a + da!, -(b + db!), fit[2] + dx!, b + db!, a + da!, fit[5] + dy!];
    assert.ok(residual(nudged) > best, `nudge ${[da, db, dx, dy]} should not improve ${best}`);
  }
  assert.throws(() => similarityTransform([1, 1, 1, 1], [0, 0, 1, 1]), /coincide/);
  assert.throws(() => similarityTransform([1, 2, 3], [1, 2, 3]), /equal-length/);
});

test('invertAffine undoes the transform', () => {
  const m: Affine = [1.2, 0.3, 5, -0.4, 0.9, -7];
  const [x, y] = applyAffine(invertAffine(m), ...applyAffine(m, 13, 29));
  assert.ok(Math.abs(x - 13) < 1e-9 && Math.abs(y - 29) < 1e-9);
});

/** A smooth image whose pixel (x, y) holds (x, y, 100) / 2: bilinear sampling reproduces it exactly. */
function rampImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x / 2, y / 2, 50], (y * width + x) * 3);
  }
  return { data, width, height };
}

test('warpAffineBilinear: identity copies, integer shift moves, outside gets the fill', () => {
  const image = { width: 7, height: 5, data: new Uint8Array(7 * 5 * 3).map((_, i) => (i * 53) % 256) };
  assert.deepEqual(warpAffineBilinear(image, [1, 0, 0, 0, 1, 0], 7, 5).data, image.data);
  const shifted = warpAffineBilinear(image, [1, 0, 2, 0, 1, 1], 7, 5, { fill: [9, 8, 7] });
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 7; x++) {
      const o = (y * 7 + x) * 3;
      const expected = x >= 2 && y >= 1 ? Array.from(image.data.subarray(((y - 1) * 7 + x - 2) * 3, ((y - 1) * 7 + x - 2) * 3 + 3)) : [9, 8, 7];
      assert.deepEqual(Array.from(shifted.data.subarray(o, o + 3)), expected, `pixel ${x},${y}`);
    }
  }
});

test('warpAffineBilinear samples the right place under rotation and scale', () => {
  const image = rampImage(400, 400);
  const m = similarity(0.4, 0.5, 20, -40); // rotation + 2x shrink: takes the supersampled path
  const out = warpAffineBilinear(image, m, 112, 112);
  const inv = invertAffine(m);
  let checked = 0;
  for (let oy = 0; oy < 112; oy += 7) {
    for (let ox = 0; ox < 112; ox += 7) {
      const [sx, sy] = applyAffine(inv, ox + 0.5, oy + 0.5);
      if (sx < 4 || sy < 4 || sx > 396 || sy > 396) continue;
      const o = (oy * 112 + ox) * 3;
      // Source centre (sx, sy) holds ((sx - 0.5) / 2, (sy - 0.5) / 2); rounding to bytes costs up to 1.
      assert.ok(Math.abs(out.data[o]! - (sx - 0.5) / 2) <= 1.01, `R at ${ox},${oy}`);
      assert.ok(Math.abs(out.data[o + 1]! - (sy - 0.5) / 2) <= 1.01, `G at ${ox},${oy}`);
      assert.equal(out.data[o + 2], 50);
      checked++;
    }
  }
  assert.ok(checked > 50);
});

test('axis-aligned and general warps agree; shrinking averages instead of aliasing', () => {
  const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).map((_, i) => (i * 91) % 256) };
  const axis = warpAffineBilinear(image, [0.37, 0, 3, 0, 0.41, -2], 30, 20, { fill: [1, 2, 3] });
  const general = warpAffineBilinear(image, [0.37, 1e-12, 3, 1e-12, 0.41, -2], 30, 20, { fill: [1, 2, 3] });
  for (let i = 0; i < axis.data.length; i++) assert.ok(Math.abs(axis.data[i]! - general.data[i]!) <= 1, `byte ${i}`);

  // A one-pixel checkerboard shrunk 4x is mid-grey, not a sampled black or white.
  const board = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) board.data.fill((x + y) % 2 ? 255 : 0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
  const shrunk = warpAffineBilinear(board, rectToSizeAffine(0, 0, 64, 64, 16, 16), 16, 16);
  for (const v of shrunk.data) assert.ok(Math.abs(v - 127.5) <= 1, `got ${v}`);
});

test('the unchecked interior path matches the checked path', () => {
  const small = { width: 200, height: 200, data: new Uint8Array(200 * 200 * 3).map((_, i) => (i * 131) % 256) };
  // The same pixels inside a larger canvas, offset by (250, 250).
  const big = { width: 700, height: 700, data: new Uint8Array(700 * 700 * 3) };
  for (let y = 0; y < 200; y++) big.data.set(small.data.subarray(y * 600, (y + 1) * 600), ((y + 250) * 700 + 250) * 3);
  const m = similarity(0.5, 0.45, -20, 10); // reaches outside the small image: checked path there
  const shifted: Affine = [m[0], m[1], m[2] - 250 * (m[0] + m[1]), m[3], m[4], m[5] - 250 * (m[3] + m[4])];
  const checked = warpAffineBilinear(small, m, 112, 112);
  const interior = warpAffineBilinear(big, shifted, 112, 112); // wholly inside the canvas: interior path
  const inv = invertAffine(m);
  let compared = 0;
  for (let oy = 0; oy < 112; oy++) {
    for (let ox = 0; ox < 112; ox++) {
      const [sx, sy] = applyAffine(inv, ox + 0.5, oy + 0.5);
      if (sx < 4 || sy < 4 || sx > 196 || sy > 196) continue;
      const o = (oy * 112 + ox) * 3;
      assert.deepEqual(Array.from(interior.data.subarray(o, o + 3)), Array.from(checked.data.subarray(o, o + 3)), `pixel ${ox},${oy}`);
      compared++;
    }
  }
  assert.ok(compared > 3000, `compared ${compared}`);
});

test('alignFace puts the five landmarks on the ArcFace template', () => {
  const image = rampImage(500, 500);
  const placed = similarity(-0.3, 2.4, 150, 120);
  const landmarks = transformPoints(placed, ARCFACE_REFERENCE_112);
  const aligned = alignFace(image, landmarks);
  assert.equal(aligned.width, 112);
  for (let i = 0; i < 5; i++) {
    const [rx, ry] = [ARCFACE_REFERENCE_112[2 * i]!, ARCFACE_REFERENCE_112[2 * i + 1]!];
    const o = (Math.floor(ry) * 112 + Math.floor(rx)) * 3;
    // The output pixel at the reference point shows the source near the landmark (ramp = coordinate / 2).
    assert.ok(Math.abs(aligned.data[o]! * 2 - landmarks[2 * i]!) < 6, `point ${i} x`);
    assert.ok(Math.abs(aligned.data[o + 1]! * 2 - landmarks[2 * i + 1]!) < 6, `point ${i} y`);
  }
});

test('fivePointsFrom68 averages the eye lids, takes the nose tip, averages the mouth corners', () => {
  const points = new Float32Array(136);
  for (let i = 0; i < 68; i++) points.set([i, 1000 + i], 2 * i);
  const five = Array.from(fivePointsFrom68(points));
  assert.deepEqual(five, [39, 1039, 45, 1045, 30, 1030, 54, 1054, 59, 1059]);
});

test('letterboxTensor: grey canvas around the content, close to the bilinear letterbox, tiles offset right', () => {
  // A smooth gradient, so that nearest 2x2 sampling and bilinear supersampling must nearly agree.
  const width = 1280, height = 640;
  const image: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) image.data.set([(x / width) * 255, (y / height) * 255, 100], (y * width + x) * 3);
  }
  const scale = Math.min(320 / width, 240 / height); // 0.25: fast path
  const padY = (240 - height * scale) / 2; // 40 rows of canvas above and below
  const whole = { x: 0, y: 0, width, height };
  const fast = letterboxTensor(image, whole, scale, 0, padY);
  const reference = rgbToNormalisedChw(warpAffineBilinear(image, [scale, 0, 0, 0, scale, padY], 320, 240, { fill: [127, 127, 127], maxSupersample: 2 }));
  const plane = 320 * 240;
  assert.equal(fast.length, 3 * plane);
  for (const [x, y] of [[0, 0], [319, 39], [160, 200], [10, 239]] as const) {
    for (let c = 0; c < 3; c++) assert.equal(fast[c * plane + y * 320 + x], 0, `canvas at ${x},${y} channel ${c}`);
  }
  let worst = 0;
  for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - reference[i]!));
  assert.ok(worst <= 3 / 128, `largest difference from the bilinear letterbox: ${worst * 128} grey levels`);
  // Blue is constant 100 inside the content.
  assert.ok(Math.abs(fast[2 * plane + 120 * 320 + 160]! - (100 - 127) / 128) < 1e-6);

  // A tile: the region's own top-left pixel lands at the canvas origin.
  const tile = { x: 640, y: 320, width: 640, height: 320 };
  const tiled = letterboxTensor(image, tile, 0.5, 0, 0);
  const redAt = (t: Float32Array, x: number, y: number) => t[y * 320 + x]! * 128 + 127;
  assert.ok(Math.abs(redAt(tiled, 0, 0) - (641 / width) * 255) < 1.5, `red at the tile origin ${redAt(tiled, 0, 0)}`);
  assert.ok(Math.abs(tiled[plane + 0]! * 128 + 127 - (321 / height) * 255) < 1.5);

  // Below 2x shrink the bilinear path answers (small photos are upscaled smoothly, not blocky).
  const small: RgbImage = { width: 400, height: 300, data: image.data.subarray(0, 400 * 300 * 3) };
  const smallScale = Math.min(320 / 400, 240 / 300);
  assert.deepEqual(
    letterboxTensor(small, { x: 0, y: 0, width: 400, height: 300 }, smallScale, 0, 0),
    rgbToNormalisedChw(warpAffineBilinear(small, [smallScale, 0, 0, 0, smallScale, 0], 320, 240, { fill: [127, 127, 127], maxSupersample: 2 })),
  );
});
