import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodePhoto, resizeInside } from '../imaging/image.ts';
import { DEFAULT_THUMBNAIL_SIZES, thumbnailPath, writeThumbnails } from '../imaging/thumbnails.ts';
import { demoPhotosDir, skipUnless } from './fixtures.ts';

const SHA = 'ab'.padEnd(64, '0');

async function withCacheDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mnemo-thumbs-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('thumbnailPath: <cacheDir>/<sha[0..2]>/<sha>-<size>.webp; rejects what is not a SHA-256', () => {
  assert.equal(thumbnailPath('/cache', SHA, 256), `/cache/ab/${SHA}-256.webp`);
  assert.throws(() => thumbnailPath('/cache', 'AB'.padEnd(64, '0'), 256), /SHA-256/);
  assert.throws(() => thumbnailPath('/cache', '../etc', 256), /SHA-256/);
  assert.throws(() => thumbnailPath('/cache', SHA, 0), /positive integer/);
});

test('the run writes only the small thumbnail by default (the workbench makes 1024 px on demand)', () => {
  assert.deepEqual(DEFAULT_THUMBNAIL_SIZES, [256]);
});

test('a real photo: WebP at 256 and 1024 on the longer side, aspect kept, written once', { skip: skipUnless(demoPhotosDir) }, async () => {
  const file = join(demoPhotosDir, 'sample2.jpg');
  const sha = createHash('sha256').update(await readFile(file)).digest('hex');
  const photo = await decodePhoto(file);
  await withCacheDir(async (dir) => {
    const first = await writeThumbnails(photo, sha, dir, [256, 1024]);
    assert.deepEqual(first.map((t) => [t.size, t.path, t.created]), [
      [256, thumbnailPath(dir, sha, 256), true],
      [1024, thumbnailPath(dir, sha, 1024), true],
    ]);
    for (const { size, path } of first) {
      const meta = await sharp(path).metadata();
      assert.equal(meta.format, 'webp');
      assert.equal(meta.width, size);
      assert.ok(Math.abs(meta.height! - Math.round((size * photo.height) / photo.width)) <= 1, `${meta.width}x${meta.height}`);
    }
    assert.deepEqual(await readdir(join(dir, sha.slice(0, 2))), [`${sha}-1024.webp`, `${sha}-256.webp`], 'no temporary files left');

    const before = (await stat(first[0].path)).mtimeMs;
    const again = await writeThumbnails(photo, sha, dir, [256, 1024]);
    assert.deepEqual(again.map((t) => t.created), [false, false]);
    assert.equal((await stat(first[0].path)).mtimeMs, before, 'existing thumbnail not rewritten');
  });
});

test('never upscales; keeps the orientation of the decoded (EXIF-rotated) buffer', async () => {
  // A 300x200 landscape stored with orientation 6: decodePhoto turns it into 200x300 portrait.
  const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366aa' } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  const photo = await decodePhoto(jpeg);
  assert.deepEqual([photo.width, photo.height], [200, 300]);
  await withCacheDir(async (dir) => {
    const [small, large] = await writeThumbnails(photo, SHA, dir, [256, 1024]);
    const smallMeta = await sharp(small.path).metadata();
    const largeMeta = await sharp(large.path).metadata();
    assert.deepEqual([smallMeta.width, smallMeta.height], [171, 256]);
    assert.deepEqual([largeMeta.width, largeMeta.height], [200, 300], 'not enlarged past the buffer');
    assert.equal(largeMeta.orientation, undefined, 'pixels already upright: no orientation tag to apply twice');
  });
});

test('only the missing sizes are written', async () => {
  const image = { data: new Uint8Array(40 * 30 * 3).fill(200), width: 40, height: 30 };
  await withCacheDir(async (dir) => {
    await writeThumbnails(image, SHA, dir, [16]);
    const result = await writeThumbnails(image, SHA, dir, [16, 32]);
    assert.deepEqual(result.map((t) => [t.size, t.created]), [[16, false], [32, true]]);
  });
});

test('a copy already resized (the worker\'s 256 px copy, shared with the hashes) gives the same file as resizing here', { skip: skipUnless(demoPhotosDir) }, async () => {
  const photo = await decodePhoto(join(demoPhotosDir, 'sample1.jpg'));
  const small = await resizeInside(photo, 256);
  assert.equal(Math.max(small.width, small.height), 256);
  await withCacheDir(async (here) => {
    await withCacheDir(async (fromCopy) => {
      const [resized] = await writeThumbnails(photo, SHA, here, [256]);
      const [encoded] = await writeThumbnails(photo, SHA, fromCopy, [256], new Map([[256, small]]));
      assert.ok((await readFile(resized.path)).equals(await readFile(encoded.path)), 'byte for byte');
    });
  });
  const tiny = { data: new Uint8Array(40 * 30 * 3).fill(90), width: 40, height: 30 };
  assert.equal(await resizeInside(tiny, 256), tiny, 'a smaller image is not enlarged (nor copied)');
});
