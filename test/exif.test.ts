import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseExifDate, readExif, type ExifFacts } from '../files/exif.ts';
import { demoPhotosDir, facesFixtures, skipUnless } from './fixtures.ts';

const EXIF_FIELDS = ['takenAt', 'tzOffset', 'takenAtUtc', 'lat', 'lon', 'make', 'model', 'orientation'] as const;

function assertNoExif(facts: ExifFacts): void {
  for (const field of EXIF_FIELDS) assert.equal(facts[field], null, field);
}

const gray = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } });
const withTestExif = (dateTimeOriginal = '2021:06:01 10:20:30', offset = '+02:00') =>
  gray().withExif({ IFD0: { Make: 'TestMake', Model: 'TestModel' }, IFD2: { DateTimeOriginal: dateTimeOriginal, OffsetTimeOriginal: offset } });

test('demo photos: camera, capture time as written, GPS near San Jose', { skip: skipUnless(demoPhotosDir) }, async () => {
  for (let i = 1; i <= 6; i++) {
    const facts = await readExif(join(demoPhotosDir, `sample${i}.jpg`));
    assert.equal(facts.warning, null, `sample${i}`);
    assert.match(facts.make ?? '', /^(SONY|samsung)$/);
    assert.ok(facts.model && facts.model.length > 0);
    assert.match(facts.takenAt ?? '', /^20(1[4-8])-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.equal(facts.tzOffset, null, 'no OffsetTimeOriginal in these files');
    assert.equal(facts.takenAtUtc, null, 'no zone: no UTC instant');
    assert.ok(facts.lat! > 37.3 && facts.lat! < 37.33, `lat ${facts.lat}`);
    assert.ok(facts.lon! > -121.96 && facts.lon! < -121.94, `lon ${facts.lon}`);
    assert.equal(facts.width, 1920);
    assert.equal(facts.format, 'jpeg');
  }
  const first = await readExif(join(demoPhotosDir, 'sample1.jpg'));
  assert.deepEqual([first.make, first.model, first.takenAt], ['SONY', 'ILCE-7M2', '2017-10-31T20:16:18']);
  assert.equal(first.height, 1280);
  // Its EXIF size tags say 2845x3478 (stale after a resize): the header's size wins.
  const sixth = await readExif(join(demoPhotosDir, 'sample6.jpg'));
  assert.deepEqual([sixth.width, sixth.height, sixth.model], [1920, 1537, 'SM-G955U']);
});

test('fixture portrait: Canon, orientation, date; letterboxed copy without EXIF has nulls and no warning', { skip: skipUnless(facesFixtures) }, async () => {
  const biden = await readExif(join(facesFixtures, 'biden.jpg'));
  assert.deepEqual(
    [biden.make, biden.model, biden.takenAt, biden.orientation, biden.width, biden.height, biden.lat, biden.warning],
    ['Canon', 'Canon EOS 5D Mark II', '2010-05-10T10:04:01', 1, 970, 2204, null, null],
  );
  const copy = await readExif(join(facesFixtures, 'obama-240p.jpg'));
  assertNoExif(copy);
  assert.deepEqual([copy.width, copy.height, copy.warning], [427, 240, null]);
});

test('a PNG made by sharp without EXIF: all nulls, size known, no warning', async () => {
  const facts = await readExif(await gray().png().toBuffer());
  assertNoExif(facts);
  assert.deepEqual([facts.width, facts.height, facts.format, facts.warning], [64, 48, 'png', null]);
});

test('JPEG, PNG, WebP and AVIF carrying EXIF: zone and UTC instant from OffsetTimeOriginal', async () => {
  for (const format of ['jpeg', 'png', 'webp', 'avif'] as const) {
    const facts = await readExif(await withTestExif().toFormat(format).toBuffer());
    assert.equal(facts.warning, null, format);
    assert.deepEqual([facts.make, facts.model, facts.takenAt, facts.tzOffset], ['TestMake', 'TestModel', '2021-06-01T10:20:30', '+02:00'], format);
    assert.equal(facts.takenAtUtc, Date.UTC(2021, 5, 1, 8, 20, 30), format);
  }
  const west = await readExif(await withTestExif('2021:06:01 22:00:00', '-05:30').jpeg().toBuffer());
  assert.equal(west.takenAtUtc, Date.UTC(2021, 5, 2, 3, 30, 0));
});

test('orientation 6: recorded as 6, width and height as displayed', async () => {
  const facts = await readExif(await gray().withMetadata({ orientation: 6 }).jpeg().toBuffer());
  assert.equal(facts.orientation, 6);
  assert.deepEqual([facts.width, facts.height], [48, 64]);
});

test('a camera with an unset clock is "no date", a garbled date is a warning', async () => {
  const unset = await readExif(await withTestExif('0000:00:00 00:00:00').jpeg().toBuffer());
  assert.deepEqual([unset.takenAt, unset.takenAtUtc, unset.warning, unset.make], [null, null, null, 'TestMake']);
  const garbled = await readExif(await withTestExif('2021:02:30 10:00:00').jpeg().toBuffer());
  assert.equal(garbled.takenAt, null);
  assert.match(garbled.warning ?? '', /unreadable DateTimeOriginal/);
  assert.equal(parseExifDate('2024:02:29 23:59:59')?.iso, '2024-02-29T23:59:59');
  assert.equal(parseExifDate('2023:02:29 12:00:00'), null);
});

test('a JPEG whose EXIF segment is corrupted by hand: nulls and a warning, never a throw', { skip: skipUnless(demoPhotosDir) }, async () => {
  const bytes = await readFile(join(demoPhotosDir, 'sample1.jpg'));
  const app1 = bytes.indexOf(Buffer.from('Exif\0\0', 'latin1'));
  assert.ok(app1 > 0 && app1 < 64, 'APP1 Exif segment near the start');
  const tiff = app1 + 6;
  // Flip the IFD0 offset and the first 200 bytes of the directory inside the APP1 segment.
  for (let i = tiff + 4; i < tiff + 200; i++) bytes[i] ^= 0xff;
  const facts = await readExif(bytes);
  assertNoExif(facts);
  assert.match(facts.warning ?? '', /EXIF/);
  assert.deepEqual([facts.width, facts.height], [1920, 1280], 'the pixels are still fine');
});

test('a text file named .jpg, a GIF and a missing file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mnemo-exif-'));
  try {
    const fake = join(dir, 'holiday.jpg');
    await writeFile(fake, 'this is not a photo\n'.repeat(20));
    const text = await readExif(fake);
    assertNoExif(text);
    assert.deepEqual([text.width, text.format], [null, null]);
    assert.match(text.warning ?? '', /not a readable image/);

    const gif = await readExif(await gray().gif().toBuffer());
    assertNoExif(gif);
    assert.deepEqual([gif.format, gif.width, gif.warning], ['gif', 64, null]);

    const missing = await readExif(join(dir, 'gone.jpg'));
    assertNoExif(missing);
    assert.match(missing.warning ?? '', /cannot read file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
