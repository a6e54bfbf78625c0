// The exif node through the real engine: facts per file from the demo photos,
// nulls for a PNG without EXIF, a warning for a broken file, one read per
// content, and a content cache that makes a later run read only new photos.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { demoPhotosDir, skipUnless } from './fixtures.ts';
import { canReadUnreadable, tempDir } from './helpers.ts';

const pipeline = (nodes: string) => `data: ./data\nsources:\n  - name: photos\n    path: ./photos\nnodes:\n${nodes}`;
const ALL = '  scan:\n  hash:\n  exif:\n';

async function workspace() {
  const dir = tempDir();
  const photos = join(dir, 'photos');
  mkdirSync(join(photos, 'copies'), { recursive: true });
  for (const i of [1, 2, 3]) copyFileSync(join(demoPhotosDir, `sample${i}.jpg`), join(photos, `sample${i}.jpg`));
  copyFileSync(join(demoPhotosDir, 'sample1.jpg'), join(photos, 'copies', 'sample1-again.jpg'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } }).png().toFile(join(photos, 'plain.png'));
  writeFileSync(join(photos, 'broken.jpg'), 'not a JPEG at all');
  const store = new Store(join(dir, 'data'));
  const run = (nodes = ALL, options = {}) => runPipeline(parseSpec(pipeline(nodes), join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store, options);
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;
  return { dir, photos, store, run, sql };
}

test('exif facts per file, one read per content, and only new photos read on the next run', { skip: skipUnless(demoPhotosDir) }, async () => {
  const { photos, run, sql } = await workspace();
  const first = await run();
  assert.equal(first.status, 'succeeded', first.message ?? '');
  const exifNode = first.nodes.find((node) => node.node === 'exif')!;
  assert.deepEqual([exifNode.metadata.files, exifNode.metadata.computed, exifNode.metadata.fromCache], [6, 5, 0], 'the copy of sample1 is read once');

  const rows = await sql(`SELECT f.path, e.* FROM latest.exif e JOIN latest.files f USING (file_id) ORDER BY f.path`);
  const byPath = Object.fromEntries(rows.map((row) => [row.path, row]));
  const sample1 = byPath['sample1.jpg']!;
  assert.deepEqual([sample1.make, sample1.model, sample1.taken_at, sample1.tz_offset, sample1.taken_at_utc], ['SONY', 'ILCE-7M2', '2017-10-31T20:16:18', null, null]);
  assert.ok(Number(sample1.lat) > 37.3 && Number(sample1.lat) < 37.33 && Number(sample1.lon) > -121.96 && Number(sample1.lon) < -121.94, `GPS ${sample1.lat}, ${sample1.lon}`);
  assert.deepEqual([sample1.width, sample1.height, sample1.format, sample1.warning], [1920, 1280, 'jpeg', null]);
  assert.deepEqual({ ...byPath['copies/sample1-again.jpg'], path: 'sample1.jpg', file_id: sample1.file_id }, sample1, 'a copy gets the same facts');
  for (const path of ['sample2.jpg', 'sample3.jpg']) assert.ok(byPath[path]!.make && byPath[path]!.taken_at && byPath[path]!.lat !== null, path);

  const png = byPath['plain.png']!;
  for (const column of ['taken_at', 'tz_offset', 'taken_at_utc', 'lat', 'lon', 'make', 'model', 'orientation', 'warning']) assert.equal(png[column], null, `plain.png ${column}`);
  assert.deepEqual([png.width, png.height, png.format], [40, 30, 'png']);
  const broken = byPath['broken.jpg']!;
  assert.match(String(broken.warning), /not a readable image/);
  assert.equal(broken.make, null);
  assert.equal((await sql(`SELECT count(*) AS n FROM run${first.runId}.errors WHERE node = 'exif'`))[0]!.n, 0, 'broken EXIF is a warning, not an item error');

  // One new photo (with a zone, so the UTC instant is known): only it is read.
  await sharp({ create: { width: 32, height: 32, channels: 3, background: '#aa0000' } })
    .withExif({ IFD0: { Make: 'TestMake', Model: 'T1' }, IFD2: { DateTimeOriginal: '2021:06:01 10:20:30', OffsetTimeOriginal: '+02:00' } })
    .jpeg().toFile(join(photos, 'new.jpg'));
  const second = await run();
  const again = second.nodes.find((node) => node.node === 'exif')!;
  assert.deepEqual([again.status, again.metadata.computed, again.metadata.fromCache, again.metadata.files], ['done', 1, 6, 7]);
  const fresh = (await sql(`SELECT e.make, e.taken_at, e.tz_offset, strftime(e.taken_at_utc, '%Y-%m-%dT%H:%M:%S') AS utc FROM latest.exif e JOIN latest.files f USING (file_id) WHERE f.path = 'new.jpg'`))[0]!;
  assert.deepEqual(fresh, { make: 'TestMake', taken_at: '2021-06-01T10:20:30', tz_offset: '+02:00', utc: '2021-06-01T08:20:30' });

  // Unchanged: reused; a deleted file leaves the exif table (hash skips it).
  assert.equal((await run()).nodes.find((node) => node.node === 'exif')!.status, 'reused');
  const { rmSync } = await import('node:fs');
  rmSync(join(photos, 'sample3.jpg'));
  const fourth = await run();
  const paths = (await sql(`SELECT f.path FROM run${fourth.runId}.exif e JOIN run${fourth.runId}.files f USING (file_id) ORDER BY f.path`)).map((row) => row.path);
  assert.equal(paths.includes('sample3.jpg'), false);
  assert.equal(paths.length, 6);
  assert.equal(fourth.nodes.find((node) => node.node === 'exif')!.metadata.computed, 0);
});

test('a file that cannot be read when exif runs is an item error with the reason', { skip: canReadUnreadable ? 'root can read a chmod 000 file' : skipUnless(demoPhotosDir) }, async () => {
  const { photos, run, sql } = await workspace();
  assert.equal((await run('  scan:\n  hash:\n')).status, 'succeeded');
  chmodSync(join(photos, 'sample2.jpg'), 0o000);
  try {
    // scan and hash are reused (stat-only change), so exif is the first to read the locked file.
    const summary = await run(ALL, { only: 'exif' });
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    const errors = await sql(`SELECT item, message FROM run${summary.runId}.errors WHERE node = 'exif'`);
    assert.deepEqual(errors, [{ item: 'photos:sample2.jpg', message: 'cannot read for EXIF: permission denied (EACCES)' }]);
    assert.equal((await sql(`SELECT count(*) AS n FROM run${summary.runId}.exif`))[0]!.n, 5, 'no row for the unreadable file');
  } finally {
    chmodSync(join(photos, 'sample2.jpg'), 0o644);
  }
});
