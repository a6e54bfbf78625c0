import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { isSrgbProfile } from '../imaging/icc.ts';
import { decodePhoto } from '../imaging/image.ts';
import { demoPhotosDir } from './fixtures.ts';

const samplePath = join(demoPhotosDir, 'sample1.jpg'); // carries the 3 KB "sRGB IEC61966-2.1" profile

async function profileOf(input: string | Buffer): Promise<Uint8Array> {
  const { icc } = await sharp(input).metadata();
  assert.ok(icc, 'the image has an embedded ICC profile');
  return new Uint8Array(icc);
}

/** A copy of `icc` with tag `signature`'s data replaced by `data` (written in place; the tag's size updated). */
function withTag(icc: Uint8Array, signature: string, data: Uint8Array): Uint8Array {
  const copy = icc.slice();
  const view = new DataView(copy.buffer);
  for (let i = 0; i < view.getUint32(128); i++) {
    const entry = 132 + 12 * i;
    if (String.fromCharCode(...copy.subarray(entry, entry + 4)) !== signature) continue;
    assert.ok(data.length <= view.getUint32(entry + 8), 'new data fits the old slot');
    copy.set(data, view.getUint32(entry + 4));
    view.setUint32(entry + 8, data.length);
    return copy;
  }
  throw new Error(`no ${signature} tag`);
}

function tagBytes(type: string, words: (view: DataView) => void, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([...type].map((c) => c.charCodeAt(0)));
  words(new DataView(bytes.buffer));
  return bytes;
}

const gammaCurve = (gamma: number) => tagBytes('curv', (v) => { v.setUint32(8, 1); v.setUint16(12, Math.round(gamma * 256)); }, 14);
const fixed = (v: DataView, at: number, value: number) => v.setInt32(at, Math.round(value * 65536));

test('the common sRGB IEC61966-2.1 profile is recognised; others are not', async () => {
  const srgb = await profileOf(samplePath);
  assert.equal(isSrgbProfile(srgb), true);

  // Display P3 (what phones embed) and the CMYK profile sharp ships are not sRGB.
  const p3 = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c04020' } }).withIccProfile('p3').jpeg().toBuffer();
  assert.equal(isSrgbProfile(await profileOf(p3)), false);
  const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c04020' } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer();
  assert.equal(isSrgbProfile(await profileOf(cmyk)), false);

  // One changed colorant, a plain gamma 1.0 or 2.2 curve, or a lookup table make it something else.
  assert.equal(isSrgbProfile(withTag(srgb, 'rXYZ', tagBytes('XYZ ', (v) => { fixed(v, 8, 0.5151); fixed(v, 12, 0.2412); fixed(v, 16, -0.0011); }, 20))), false);
  assert.equal(isSrgbProfile(withTag(srgb, 'gTRC', gammaCurve(1))), false);
  assert.equal(isSrgbProfile(withTag(srgb, 'bTRC', gammaCurve(2.2))), false);
  const withLut = srgb.slice();
  withLut.set([...'A2B0'].map((c) => c.charCodeAt(0)), 132 + 12 * 7); // the tag after bXYZ renamed
  assert.equal(isSrgbProfile(withLut), false);

  // The sRGB curve written as an ICC v4 parametric curve (type 3) is still sRGB.
  const para = tagBytes('para', (v) => {
    v.setUint16(8, 3);
    [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045].forEach((p, i) => fixed(v, 12 + 4 * i, p));
  }, 32);
  assert.equal(isSrgbProfile(withTag(withTag(withTag(srgb, 'rTRC', para), 'gTRC', para), 'bTRC', para)), true);

  // Garbage and truncation are "not sRGB", never a crash.
  assert.equal(isSrgbProfile(new Uint8Array(10)), false);
  assert.equal(isSrgbProfile(srgb.subarray(0, 200)), false);
});

test('decodePhoto skips the sRGB-to-sRGB transform losslessly and still converts other profiles', async () => {
  const decoded = await decodePhoto(samplePath);
  const converted = await sharp(samplePath).raw().toBuffer(); // sharp's default: transform from the embedded profile
  assert.equal(decoded.data.length, converted.length);
  assert.ok(Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength).equals(converted), 'identical pixels');

  // A Display P3 photo must come out converted to sRGB, not with its raw P3 numbers.
  const p3 = await sharp(readFileSync(samplePath)).resize(320).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
  const p3Decoded = await decodePhoto(p3);
  const p3Converted = await sharp(p3).raw().toBuffer();
  const p3Raw = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
  assert.ok(Buffer.from(p3Decoded.data).equals(p3Converted), 'P3 converted like sharp does');
  assert.ok(!p3Converted.equals(p3Raw), 'and the conversion does change pixels');
});
