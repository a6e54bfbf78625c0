// Photo thumbnails for the workbench: the run writes the 256 px one; a larger
// one is made from the original the first time a page asks, cached on disk
// (atomically, by content) and read from the cache afterwards; files outside
// the archive and files changed since the run are refused.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { cachedPhotoThumbnail } from '../app/photo-thumbnails.ts';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { thumbnailPath } from '../imaging/thumbnails.ts';
import { demoPhotosDir, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

const skip = skipUnless(demoPhotosDir);
const root = skip ? '' : tempDir('mnemo-thumbnails-');

let shared: Promise<{ workspace: Workspace; photos: string; outside: string }> | undefined;

/** Three demo photos through scan, hash and images with thumbnails only (the default sizes). */
function store(): Promise<{ workspace: Workspace; photos: string; outside: string }> {
  shared ??= (async () => {
    const photos = join(root, 'photos');
    const outside = join(root, 'outside');
    mkdirSync(photos);
    mkdirSync(outside);
    for (const name of ['sample1.jpg', 'sample2.jpg', 'sample3.jpg']) copyFileSync(join(demoPhotosDir, name), join(photos, name));
    const config = join(root, 'mnemo.yaml');
    writeFileSync(config, `data: ./data\nsources:\n  - name: photos\n    path: ${JSON.stringify(photos)}\nnodes:\n  scan:\n  hash:\n  images:\n    params: {workers: 1, hashes: {enabled: false}, faces: {enabled: false}, pets: {enabled: false}}\n`);
    const workspace = await Workspace.open({ config });
    assert.equal((await runToEnd(workspace)).status, 'succeeded');
    return { workspace, photos, outside };
  })();
  return shared;
}

async function fileOf(workspace: Workspace, name: string): Promise<{ fileId: string; sha256: string }> {
  const [row] = (await query(workspace, `SELECT file_id, sha256 FROM latest.files JOIN latest.hashes USING (file_id) WHERE name = '${name}'`)).rows as [{ file_id: string; sha256: string }];
  return { fileId: row.file_id, sha256: row.sha256 };
}

test('the run writes 256 px only; 1024 px is made once on demand, then read from the cache', { skip }, async () => {
  const { workspace } = await store();
  const cache = workspace.store.cacheDir('thumbnails');
  const { fileId, sha256 } = await fileOf(workspace, 'sample1.jpg');
  const rows = (await query(workspace, `SELECT size FROM latest.thumbnails WHERE file_id = '${fileId}'`)).rows;
  assert.deepEqual(rows.map((row) => row.size), [256]);
  const large = thumbnailPath(cache, sha256, 1024);
  assert.throws(() => statSync(large), /ENOENT/, 'no 1024 px thumbnail before a page asks');

  const first = await cachedPhotoThumbnail(workspace, fileId, 1024);
  assert.deepEqual([first.created, first.path, first.sha256], [true, large, sha256]);
  const meta = await sharp(large).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 1024, 683], 'sample1 is 1920x1280');
  const folder = readdirSync(join(cache, sha256.slice(0, 2)));
  assert.deepEqual(folder.filter((name) => name.startsWith(sha256)).sort(), [`${sha256}-1024.webp`, `${sha256}-256.webp`]);
  assert.deepEqual(folder.filter((name) => name.startsWith('.')), [], 'no temporary file left');

  // Read from the cache next time: a marker written over the cached file stays as it is.
  const marker = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f0f' } }).webp().toBuffer();
  writeFileSync(large, marker);
  const modified = statSync(large).mtimeMs;
  const second = await cachedPhotoThumbnail(workspace, fileId, 1024);
  assert.equal(second.created, false);
  assert.deepEqual(readFileSync(second.path), marker, 'not made again');
  assert.equal(statSync(large).mtimeMs, modified);

  // The run's 256 px one is the cached one.
  const small = await cachedPhotoThumbnail(workspace, fileId, 256);
  assert.deepEqual([small.created, small.path], [false, thumbnailPath(cache, sha256, 256)]);
});

test('two requests at once for one missing thumbnail both get the same file; no temporary file is left', { skip }, async () => {
  const { workspace } = await store();
  const { fileId, sha256 } = await fileOf(workspace, 'sample2.jpg');
  const [a, b] = await Promise.all([cachedPhotoThumbnail(workspace, fileId, 512), cachedPhotoThumbnail(workspace, fileId, 512)]);
  // The second shares the first's decode, or finds the file already made (catalog reads take turns).
  assert.ok(a.created || b.created);
  assert.equal(a.path, b.path);
  assert.equal((await sharp(a.path).metadata()).width, 512);
  assert.deepEqual(readdirSync(join(workspace.store.cacheDir('thumbnails'), sha256.slice(0, 2))).filter((name) => name.startsWith('.')), [], 'no temporary file left');
});

test('refusals: other sizes, unknown ids, a file changed since the run, a file that leads out of its source', { skip }, async () => {
  const { workspace, photos, outside } = await store();
  const { fileId } = await fileOf(workspace, 'sample3.jpg');
  const refused = (size: number, id = fileId) => cachedPhotoThumbnail(workspace, id, size);
  await assert.rejects(refused(300), { name: 'AppError', kind: 'invalid', message: /size must be one of 256, 512, 1024/ });
  await assert.rejects(refused(1024, '0123456789abcdef'), { kind: 'not_found', message: /no file 0123456789abcdef in the archive/ });
  await assert.rejects(refused(1024, '../../etc/passwd'), { kind: 'not_found' });

  // Replaced by other content after the run: its thumbnail would show the wrong photo.
  const changed = await fileOf(workspace, 'sample2.jpg');
  rmSync(thumbnailPath(workspace.store.cacheDir('thumbnails'), changed.sha256, 1024), { force: true });
  copyFileSync(join(demoPhotosDir, 'sample4.jpg'), join(photos, 'sample2.jpg'));
  await assert.rejects(refused(1024, changed.fileId), { kind: 'conflict', message: /changed after the latest run/ });

  // A photo of the archive replaced by a symlink that leads out of the source folder: refused, though its 256 px thumbnail is cached.
  writeFileSync(join(outside, 'secret.jpg'), 'not for the page');
  rmSync(join(photos, 'sample3.jpg'));
  symlinkSync(join(outside, 'secret.jpg'), join(photos, 'sample3.jpg'));
  await assert.rejects(refused(256), { kind: 'not_found', message: /not a readable file inside its source folder/ });
});
