// File and folder names that are not valid UTF-8 (Latin-1 from old disks):
// catalogued under a readable path (`caf\xE9.jpg`) with their real bytes in
// path_bytes, hashed, read by exif and images, deleted and restored under the
// same file_id, and imported with their real name; Cyrillic UTF-8 names as
// before. Files are made through Buffer paths, as a Latin-1 system would.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { fileIdFor } from '../nodes/scan.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
/** An absolute path as bytes: the folder (UTF-8) plus relative bytes. */
const under = (root: string, ...parts: Buffer[]) => Buffer.concat([Buffer.from(`${root}/`), ...parts]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Three different photos with EXIF: real faces when the fixtures are there, else plain colours. */
async function photos(): Promise<Buffer[]> {
  if (skipUnless(facesFixtures) === false) return ['obama.jpg', 'biden.jpg', 'obama2.jpg'].map((name) => readFileSync(join(facesFixtures, name)));
  return Promise.all(['#a00', '#0a0', '#00a'].map((background) =>
    sharp({ create: { width: 64, height: 48, channels: 3, background } }).withExif({ IFD0: { Make: 'Test' }, IFD2: { DateTimeOriginal: '2001:02:03 04:05:06' } }).jpeg().toBuffer()));
}

test('names that are not valid UTF-8 are scanned, hashed, analysed, deleted and restored like any other', async (t) => {
  const withFaces = skipUnless(facesFixtures) === false;
  if (!withFaces) t.diagnostic(`faces not checked: ${skipUnless(facesFixtures)}`);
  const dir = tempDir();
  const root = join(dir, 'photos');
  mkdirSync(root);
  const [cafe, inFolder, cyrillic] = await photos();
  const cafePath = under(root, latin1('caf\xe9.jpg'));
  writeFileSync(cafePath, cafe!);
  mkdirSync(under(root, latin1('Fotos \xc0 Jos\xe9')));
  writeFileSync(under(root, latin1('Fotos \xc0 Jos\xe9'), Buffer.from('/1.jpg')), inFolder!);
  writeFileSync(join(root, 'фото.jpg'), cyrillic!);

  const images = `{workers: 1, hashes: {enabled: false}, thumbnails: {enabled: false}, pets: {enabled: false}, faces: {enabled: ${withFaces}}}`;
  const yaml = `data: ./data\nsources:\n  - name: photos\n    path: ${root}\nnodes:\n  scan:\n  hash:\n  exif:\n  images:\n    params: ${images}\n`;
  const store = new Store(join(dir, 'data'));
  const run = async () => {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary;
  };
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;

  const expected = [
    { path: 'Fotos \\xC0 Jos\\xE9/1.jpg', bytes: latin1('Fotos \xc0 Jos\xe9/1.jpg'), content: inFolder! },
    { path: 'caf\\xE9.jpg', bytes: latin1('caf\xe9.jpg'), content: cafe! },
    { path: 'фото.jpg', bytes: null, content: cyrillic! },
  ];
  await run();
  assert.deepEqual(await sql('SELECT node, item, message FROM latest.errors'), []);
  const files = await sql(`SELECT f.file_id, f.path, f.name, hex(f.path_bytes) AS path_bytes, f.status, h.sha256, e.taken_at, e.make,
      (SELECT count(*) FROM latest.faces fa WHERE fa.file_id = f.file_id AND NOT fa.rejected) AS faces
    FROM latest.files f LEFT JOIN latest.hashes h USING (file_id) LEFT JOIN latest.exif e USING (file_id) ORDER BY f.path`);
  assert.deepEqual(files.map((file) => file.path), expected.map((file) => file.path));
  for (const [index, want] of expected.entries()) {
    const file = files[index]!;
    assert.equal(file.status, 'active', want.path);
    assert.equal(file.path_bytes, want.bytes ? want.bytes.toString('hex').toUpperCase() : null, want.path);
    assert.equal(file.file_id, fileIdFor('photos', want.path, want.bytes), want.path);
    assert.equal(file.sha256, sha256(want.content), want.path);
    assert.ok(file.taken_at && file.make, `EXIF of ${want.path}`);
    if (withFaces) assert.equal(file.faces, 1, `faces of ${want.path}`);
  }
  // The Cyrillic name is catalogued exactly as before this change.
  assert.equal(files[2]!.file_id, createHash('sha256').update('photos\0фото.jpg').digest('hex').slice(0, 16));
  assert.equal(files[1]!.name, 'caf\\xE9.jpg');
  const cafeId = files[1]!.file_id;

  unlinkSync(cafePath);
  await run();
  const gone = await sql(`SELECT status, path, hex(path_bytes) AS path_bytes FROM latest.files WHERE file_id = '${cafeId}'`);
  assert.deepEqual(gone, [{ status: 'deleted', path: 'caf\\xE9.jpg', path_bytes: latin1('caf\xe9.jpg').toString('hex').toUpperCase() }]);

  writeFileSync(cafePath, cafe!);
  await run();
  assert.deepEqual(await sql(`SELECT status FROM latest.files WHERE file_id = '${cafeId}'`), [{ status: 'active' }]);
  const events = await sql(`SELECT event FROM file_events WHERE file_id = '${cafeId}' ORDER BY event_at, event`);
  assert.deepEqual(events.map((row) => row.event), ['added', 'deleted', 'restored']);
  assert.deepEqual(await sql('SELECT node, item, message FROM latest.errors'), []);
});

test('import copies a photo whose name is not valid UTF-8 under its real name', async () => {
  const dir = tempDir();
  const inbox = join(dir, 'inbox');
  const archive = join(dir, 'archive');
  mkdirSync(inbox);
  mkdirSync(archive);
  const photo = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#0a0' } })
    .withExif({ IFD2: { DateTimeOriginal: '2017:10:31 09:00:00' } }).jpeg().toBuffer();
  writeFileSync(under(inbox, latin1('caf\xe9.jpg')), photo);
  const yaml = `data: ./data\nsources:\n  - name: camera\n    path: ${inbox}\n  - name: photos\n    path: ${archive}\nnodes:\n  import:\n    params: { inbox: camera, archive: photos }\n  scan:\n    needs: [import]\n  hash:\n`;
  const store = new Store(join(dir, 'data'));
  const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
  assert.equal(summary.status, 'succeeded', summary.message ?? '');
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;
  assert.deepEqual(await sql('SELECT node, item, message FROM latest.errors'), []);
  assert.deepEqual(await sql('SELECT inbox_path, archive_path, action FROM latest.imports'), [
    { inbox_path: 'caf\\xE9.jpg', archive_path: '2017/2017-10-31/caf\\xE9.jpg', action: 'copied' },
  ]);
  const copy = under(archive, latin1('2017/2017-10-31/caf\xe9.jpg'));
  assert.ok(existsSync(copy), 'the copy has the real Latin-1 name');
  assert.equal(sha256(readFileSync(copy)), sha256(photo));
  const files = await sql(`SELECT f.source, f.path, h.sha256 FROM latest.files f JOIN latest.hashes h USING (file_id) ORDER BY f.source`);
  assert.deepEqual(files, [
    { source: 'camera', path: 'caf\\xE9.jpg', sha256: sha256(photo) },
    { source: 'photos', path: '2017/2017-10-31/caf\\xE9.jpg', sha256: sha256(photo) },
  ]);
});
