import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodePhoto, resizeInside, type RgbImage } from '../imaging/image.ts';
import {
  HASH_SOURCE_SIDE,
  PERCEPTUAL_HASH_VERSION,
  findContentBox,
  grayAreaResize,
  hamming,
  hashToHex,
  hexToHash,
  perceptualHashes,
  popcount32,
  dhashFromGray9x8,
} from '../imaging/perceptual-hash.ts';
import { demoPhotosDir, facesFixtures, petsFixtures, skipUnless } from './fixtures.ts';

/** A deterministic "photo": smooth gradients plus a few blobs, so hashes have structure. */
function syntheticPhoto(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const blob = Math.sin(u * 7 * seed + v * 3) * Math.cos(v * 5 + u * 2 * seed);
      const i = (y * width + x) * 3;
      data[i] = Math.round(60 + 120 * u + 60 * blob);
      data[i + 1] = Math.round(70 + 100 * v + 50 * blob);
      data[i + 2] = Math.round(90 + 80 * (1 - u) * v + 40 * blob);
    }
  }
  return { data, width, height };
}

async function rawOf(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

function sharpOf(image: RgbImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

test('version is a positive integer', () => {
  assert.ok(Number.isInteger(PERCEPTUAL_HASH_VERSION) && PERCEPTUAL_HASH_VERSION > 0);
});

test('popcount32 and hamming count bits, including the sign bit', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(-1), 32); // XOR of two uint32 halves can come out signed
  assert.equal(popcount32(0x80000001), 2);
  assert.equal(hamming(0n, 0xffffffffffffffffn), 64);
  assert.equal(hamming(0x8000000000000000n, 0n), 1);
  assert.equal(hamming(0x0123456789abcdefn, 0x0123456789abcdefn), 0);
  assert.equal(hamming(0x00000000ffffffffn, 0xffffffff00000000n), 64);
});

test('hex form is 16 zero-padded digits and round-trips', () => {
  assert.equal(hashToHex(0x1fn), '000000000000001f');
  assert.equal(hashToHex(0xfedcba9876543210n), 'fedcba9876543210');
  assert.equal(hexToHash('fedcba9876543210'), 0xfedcba9876543210n);
  assert.throws(() => hexToHash('xyz'), /16-digit hex/);
});

test('area resize keeps the mean brightness, downscaling and upscaling', () => {
  const image = syntheticPhoto(37, 23);
  const box = { left: 0, top: 0, width: 37, height: 23 };
  const exact = grayAreaResize(image, box, 37, 23);
  const mean = (values: Float64Array): number => values.reduce((a, b) => a + b, 0) / values.length;
  for (const [w, h] of [[9, 8], [32, 32], [288, 32]] as const) {
    assert.ok(Math.abs(mean(grayAreaResize(image, box, w, h)) - mean(exact)) < 1e-9, `${w}x${h}`);
  }
  // 4x2 -> 2x1: each output cell is the mean of a 2x2 block.
  const tiny: RgbImage = { data: Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40, 60, 60, 60, 0, 0, 0, 20, 20, 20, 100, 100, 100]), width: 4, height: 2 };
  const halved = grayAreaResize(tiny, { left: 0, top: 0, width: 4, height: 2 }, 2, 1);
  assert.ok(Math.abs(halved[0] - 40) < 1e-9 && Math.abs(halved[1] - 90) < 1e-9, String(halved));
});

test('dHash bit order: brightness falling to the right sets every bit', () => {
  const falling = new Float64Array(72).map((_, i) => 100 - (i % 9));
  assert.equal(dhashFromGray9x8(falling), 0xffffffffffffffffn);
  assert.equal(dhashFromGray9x8(falling.map((v) => 200 - v)), 0n);
});

test('content box: letterbox bars are found, noisy bars tolerated, no-border and uniform images untouched', async () => {
  const photo = syntheticPhoto(200, 150);
  const letterboxed = await rawOf(sharpOf(photo).extend({ left: 60, right: 60, top: 10, bottom: 10, background: '#000000' }));
  assert.deepEqual(findContentBox(letterboxed), { left: 60, top: 10, width: 200, height: 150 });

  // A few bright specks in the bars (JPEG noise, dust) must not stop the trim.
  const specks = { ...letterboxed, data: Uint8Array.from(letterboxed.data) };
  for (const [x, y] of [[5, 50], [300, 120], [150, 3]]) specks.data.fill(255, (y * specks.width + x) * 3, (y * specks.width + x) * 3 + 3);
  assert.deepEqual(findContentBox(specks), { left: 60, top: 10, width: 200, height: 150 });

  assert.deepEqual(findContentBox(photo), { left: 0, top: 0, width: 200, height: 150 });
  const gray: RgbImage = { data: new Uint8Array(64 * 48 * 3).fill(128), width: 64, height: 48 };
  assert.deepEqual(findContentBox(gray), { left: 0, top: 0, width: 64, height: 48 });
});

test('hashes survive letterboxing, resizing and JPEG recompression; differ for another picture', async () => {
  const photo = syntheticPhoto(640, 480);
  const original = perceptualHashes(photo);
  const letterboxed = perceptualHashes(await rawOf(sharpOf(photo).resize(320, 240).extend({ left: 107, right: 107, background: '#000000' })));
  const recompressed = perceptualHashes(await rawOf(sharp(await sharpOf(photo).jpeg({ quality: 30 }).toBuffer())));
  for (const copy of [letterboxed, recompressed]) {
    assert.ok(hamming(original.dhash, copy.dhash) <= 4, `dhash ${hamming(original.dhash, copy.dhash)}`);
    assert.ok(hamming(original.phash, copy.phash) <= 6, `phash ${hamming(original.phash, copy.phash)}`);
  }
  assert.equal(letterboxed.hashedBox.width, 320);
  const other = perceptualHashes(syntheticPhoto(640, 480, 3));
  assert.ok(hamming(original.dhash, other.dhash) > 12, `dhash to another picture ${hamming(original.dhash, other.dhash)}`);
  // Same pixels, same bits: the hash is a pure function of the buffer.
  assert.equal(perceptualHashes(photo).dhash, original.dhash);
});

test('fixtures: letterboxed copies hash alike; obama.jpg joins them only thanks to the trim', { skip: skipUnless(facesFixtures) }, async () => {
  // As the photo worker hashes: the border found on the decode, the bits from its small copy.
  const hashOf = async (name: string, trimThreshold?: null) => {
    const photo = await decodePhoto(join(facesFixtures, name));
    return perceptualHashes(photo, trimThreshold, await resizeInside(photo, HASH_SOURCE_SIDE));
  };
  const copies = await Promise.all(['obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama-1080p.jpg'].map((name) => hashOf(name)));
  const obama = await hashOf('obama.jpg');
  const biden = await hashOf('biden.jpg');
  for (const copy of copies) {
    const distances = (other: { dhash: bigint; phash: bigint }) => [hamming(copy.dhash, other.dhash), hamming(copy.phash, other.phash)];
    const [toLargestD, toLargestP] = distances(copies[3]);
    assert.ok(toLargestD <= 2 && toLargestP <= 2, `copies ${toLargestD}, ${toLargestP}`);
    const [toObamaD, toObamaP] = distances(obama);
    assert.ok(toObamaD <= 6 && toObamaP <= 12, `obama.jpg ${toObamaD}, ${toObamaP}`);
    const [toBidenD, toBidenP] = distances(biden);
    assert.ok(toBidenD >= 19 && toBidenP >= 22, `biden.jpg ${toBidenD}, ${toBidenP}`);
    assert.ok(copy.hashedBox.left > 0, 'bars trimmed');
  }
  // Without the trim the bars move the bits: obama.jpg is no closer than unrelated photos.
  const untrimmedCopy = await hashOf('obama-720p.jpg', null);
  const untrimmedObama = await hashOf('obama.jpg', null);
  assert.ok(hamming(untrimmedCopy.dhash, untrimmedObama.dhash) >= 15, `untrimmed dhash ${hamming(untrimmedCopy.dhash, untrimmedObama.dhash)}`);
  // The 64 pHash bits split at their median: half set.
  assert.equal(popcount32(Number(obama.phash >> 32n)) + popcount32(Number(obama.phash & 0xffffffffn)), 32);
});

test('bits from the small copy: within 2 of 64 of hashing the full decode, on the fixtures and edited copies; the border is found at full size', { skip: skipUnless(facesFixtures) || skipUnless(demoPhotosDir) }, async () => {
  const files = [
    ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)),
    ...['biden.jpg', 'obama.jpg', 'obama2.jpg', 'obama-240p.jpg', 'obama-1080p.jpg', 'two_people.jpg'].map((name) => join(facesFixtures, name)),
    ...(skipUnless(petsFixtures) ? [] : [join(petsFixtures, 'chelsea.png')]),
  ];
  let differing = 0;
  for (const file of files) {
    const edits = [await sharp(file).toBuffer(), await sharp(file).extend({ left: 100, right: 100, background: '#000' }).jpeg().toBuffer(), await sharp(file).jpeg({ quality: 25 }).toBuffer()];
    for (const bytes of edits) {
      const photo = await decodePhoto(bytes, { maxSide: 2048 });
      const full = perceptualHashes(photo);
      const small = await resizeInside(photo, HASH_SOURCE_SIDE);
      const fromSmall = perceptualHashes(photo, undefined, small);
      const [d, p] = [hamming(full.dhash, fromSmall.dhash), hamming(full.phash, fromSmall.phash)];
      assert.ok(d <= 2 && p <= 2, `${file}: dHash ${d}, pHash ${p} bits apart`);
      differing += d + p;
      assert.deepEqual(fromSmall.hashedBox, full.hashedBox, 'content box in the decode\'s pixels, exact');
    }
  }
  assert.ok(differing > 0, 'the two really are computed from different pixels');
});

test('a photo with a border is averaged over its content in the full decode, not the copy (whose edge pixels blend bar and content)', async () => {
  const photo = syntheticPhoto(640, 480);
  const letterboxed = await rawOf(sharpOf(photo).extend({ left: 107, right: 107, background: '#000000' }));
  const small = await resizeInside(letterboxed, HASH_SOURCE_SIDE);
  const withCopy = perceptualHashes(letterboxed, 20, small);
  const fullDecode = perceptualHashes(letterboxed, 20);
  assert.deepEqual([withCopy.dhash, withCopy.phash, withCopy.hashedBox], [fullDecode.dhash, fullDecode.phash, fullDecode.hashedBox]);
  assert.equal(withCopy.hashedBox.width, 640);
  // Without a border the copy is used: its bits are not the full decode's.
  const plainSmall = await resizeInside(photo, HASH_SOURCE_SIDE);
  const fromCopy = perceptualHashes(photo, 20, plainSmall);
  assert.deepEqual(fromCopy.hashedBox, { left: 0, top: 0, width: 640, height: 480 });
  assert.deepEqual([fromCopy.dhash, fromCopy.phash], [perceptualHashes(plainSmall, null).dhash, perceptualHashes(plainSmall, null).phash]);
});
