// Camera-inbox import through the real engine and CLI: copies by capture
// date, never twice (by content), never over another file, never touching the
// inbox; scan in the same run sees the copies; --dry-run writes nothing.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec, SpecError } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { layoutProblem, renderLayout } from '../files/import-plan.ts';
import { demoPhotosDir, skipUnless } from './fixtures.ts';
import { runCli, tempDir } from './helpers.ts';

const spec = (importParams: string, nodes = '  scan:\n  hash:\n') =>
  `data: ./data\nsources:\n  - name: camera\n    path: ./inbox\n  - name: photos\n    path: ./archive\nnodes:\n  import:\n    params: ${importParams}\n${nodes}`;
const DEFAULT = spec('{ inbox: camera, archive: photos }');
const FALLBACK_DATE = new Date(2020, 4, 17, 12, 0, 0); // local time: the layout uses the local date of the mtime

/** Every file under a folder with its bytes and mtime, to prove nothing changed. */
function snapshot(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    const stats = statSync(join(root, path));
    if (stats.isFile()) result[path] = `${readFileSync(join(root, path)).toString('base64').length}:${readFileSync(join(root, path)).toString('hex').slice(0, 64)}:${stats.mtimeMs}`;
  }
  return result;
}

async function workspace(yaml = DEFAULT) {
  const dir = tempDir();
  const inbox = join(dir, 'inbox');
  const archive = join(dir, 'archive');
  mkdirSync(join(inbox, 'DCIM', 'dup'), { recursive: true });
  mkdirSync(join(archive, 'old'), { recursive: true });
  mkdirSync(join(archive, '2017', '2017-10-31'), { recursive: true });
  copyFileSync(join(demoPhotosDir, 'sample1.jpg'), join(inbox, 'DCIM', 'sample1.jpg')); // EXIF: 2017-10-31T20:16:18
  copyFileSync(join(demoPhotosDir, 'sample1.jpg'), join(inbox, 'DCIM', 'dup', 'sample1-again.jpg')); // same content
  copyFileSync(join(demoPhotosDir, 'sample2.jpg'), join(inbox, 'DCIM', 'sample2.jpg'));
  copyFileSync(join(demoPhotosDir, 'sample2.jpg'), join(archive, 'old', 'sample2.jpg')); // already archived elsewhere
  // Same name and date as an archived photo with other content: imported under a suffix.
  await sharp({ create: { width: 24, height: 16, channels: 3, background: '#0a0' } })
    .withExif({ IFD2: { DateTimeOriginal: '2017:10:31 09:00:00' } }).jpeg().toFile(join(inbox, 'DCIM', 'clash.jpg'));
  writeFileSync(join(archive, '2017', '2017-10-31', 'clash.jpg'), 'a different photo');
  await sharp({ create: { width: 24, height: 16, channels: 3, background: '#00a' } }).png().toFile(join(inbox, 'DCIM', 'plain.png')); // no EXIF
  utimesSync(join(inbox, 'DCIM', 'plain.png'), FALLBACK_DATE, FALLBACK_DATE);
  writeFileSync(join(dir, 'mnemo.yaml'), yaml);
  const store = new Store(join(dir, 'data'));
  const run = (options = {}) => runPipeline(parseSpec(readFileSync(join(dir, 'mnemo.yaml'), 'utf8'), join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store, options);
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;
  return { dir, inbox, archive, store, run, sql };
}

test('import copies new photos by capture date, once, with a suffix on a clash; the same run scans them; the inbox is untouched', { skip: skipUnless(demoPhotosDir) }, async () => {
  const { inbox, archive, run, sql } = await workspace();
  const inboxBefore = snapshot(inbox);
  const first = await run();
  assert.equal(first.status, 'succeeded', first.message ?? '');
  const scanSpec = parseSpec(DEFAULT, 'mnemo.yaml', NODE_TYPES).nodes.find((node) => node.name === 'scan')!;
  assert.deepEqual(scanSpec.needs, ['import'], 'scan runs after import without being told');

  const imports = await sql(`SELECT inbox_path, archive_path, action, taken_at, date_from FROM run${first.runId}.imports ORDER BY inbox_path`);
  assert.deepEqual(imports, [
    { inbox_path: 'DCIM/clash.jpg', archive_path: '2017/2017-10-31/clash-1.jpg', action: 'renamed_copy', taken_at: '2017-10-31T09:00:00', date_from: 'exif' },
    { inbox_path: 'DCIM/dup/sample1-again.jpg', archive_path: '2017/2017-10-31/sample1-again.jpg', action: 'copied', taken_at: '2017-10-31T20:16:18', date_from: 'exif' },
    { inbox_path: 'DCIM/plain.png', archive_path: '2020/2020-05-17/plain.png', action: 'copied', taken_at: '2020-05-17T12:00:00', date_from: 'mtime' },
    { inbox_path: 'DCIM/sample1.jpg', archive_path: '2017/2017-10-31/sample1-again.jpg', action: 'already_in_archive', taken_at: null, date_from: null },
    { inbox_path: 'DCIM/sample2.jpg', archive_path: 'old/sample2.jpg', action: 'already_in_archive', taken_at: null, date_from: null },
  ]);
  // Copies are byte-identical with the original's mtime; the archived clash.jpg is unchanged.
  for (const [from, to] of [['DCIM/dup/sample1-again.jpg', '2017/2017-10-31/sample1-again.jpg'], ['DCIM/plain.png', '2020/2020-05-17/plain.png'], ['DCIM/clash.jpg', '2017/2017-10-31/clash-1.jpg']]) {
    assert.ok(readFileSync(join(inbox, from!)).equals(readFileSync(join(archive, to!))), to);
    assert.equal(Math.trunc(statSync(join(archive, to!)).mtimeMs), Math.trunc(statSync(join(inbox, from!)).mtimeMs), `${to} mtime`);
  }
  assert.equal(readFileSync(join(archive, '2017', '2017-10-31', 'clash.jpg'), 'utf8'), 'a different photo');
  assert.deepEqual(snapshot(inbox), inboxBefore, 'the inbox is never modified');
  assert.equal(readdirSync(join(archive, '2017', '2017-10-31')).some((name) => name.startsWith('.')), false, 'no temporary files left');

  const scanned = (await sql(`SELECT path FROM run${first.runId}.files WHERE source = 'photos' ORDER BY path`)).map((row) => row.path);
  assert.deepEqual(scanned, ['2017/2017-10-31/clash-1.jpg', '2017/2017-10-31/clash.jpg', '2017/2017-10-31/sample1-again.jpg', '2020/2020-05-17/plain.png', 'old/sample2.jpg']);
  assert.equal(first.nodes.find((node) => node.node === 'hash')!.metadata.hashed, 0, 'import left every hash in the cache, copies included');

  // Again: nothing new, nothing copied; then unchanged: reused.
  const archiveAfter = snapshot(archive);
  const second = await run();
  const again = second.nodes.find((node) => node.node === 'import')!;
  assert.deepEqual([again.status, again.metadata.copied, again.metadata.renamedCopies, again.metadata.alreadyInArchive, again.metadata.hashed], ['done', 0, 0, 5, 0]);
  assert.deepEqual(snapshot(archive), archiveAfter);
  assert.equal((await run()).nodes.find((node) => node.node === 'import')!.status, 'reused');
  assert.deepEqual(snapshot(inbox), inboxBefore);
});

test('mnemo import --dry-run prints the plan and writes nothing; mnemo import then copies', { skip: skipUnless(demoPhotosDir) }, async () => {
  const { dir, inbox, archive } = await workspace();
  const before = [snapshot(inbox), snapshot(archive)];
  const dry = runCli(['import', '--dry-run'], dir);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^copy {4}camera:DCIM\/plain\.png -> photos:2020\/2020-05-17\/plain\.png {2}\(date from mtime\)$/m);
  assert.match(dry.stdout, /^copy as camera:DCIM\/clash\.jpg -> photos:2017\/2017-10-31\/clash-1\.jpg/m);
  assert.match(dry.stdout, /^skip {4}camera:DCIM\/sample2\.jpg already in the archive at photos:old\/sample2\.jpg$/m);
  assert.match(dry.stdout, /dry run: 3 to copy \(1 under a new name\), 2 already in the archive, 0 problems; nothing was written/);
  assert.deepEqual([snapshot(inbox), snapshot(archive)], before);
  assert.equal(existsSync(join(dir, 'data')), false, 'not even the catalog');

  const real = runCli(['import'], dir);
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /imported 3 photos \(1 under a new name\), 2 already in the archive, 0 failed; next: mnemo run/);
  assert.ok(existsSync(join(archive, '2020', '2020-05-17', 'plain.png')));
  assert.match(runCli(['import', '--dry-run'], dir).stdout, /dry run: 0 to copy \(0 under a new name\), 5 already in the archive/);
});

test('mistakes: unknown sources and bad layouts are reported clearly; an absent inbox is an item error', { skip: skipUnless(demoPhotosDir) }, async () => {
  const { dir, run, sql } = await workspace(spec('{ inbox: card, archive: photos }'));
  const failed = await run();
  assert.equal(failed.status, 'failed');
  assert.match(failed.message ?? '', /node 'import' failed: import: inbox 'card' is not a source of this pipeline \(sources: camera, photos\)/);
  const cli = runCli(['import', '--dry-run'], dir);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /import: inbox 'card' is not a source/);

  assert.throws(() => parseSpec(spec("{ inbox: camera, archive: photos, layout: '{yyyy}/{month}/{name}' }"), join(dir, 'x.yaml'), NODE_TYPES), (error: unknown) =>
    error instanceof SpecError && /x\.yaml:\d+: node 'import': parameter 'layout' layout: unknown placeholder \{month\}/.test(error.message));
  assert.equal(layoutProblem('../{name}'), 'must be a relative path inside the archive (no leading /, no . or .. or empty segments)');
  assert.equal(layoutProblem('{yyyy}/photo.jpg'), 'must contain {name} (or {stem}) so photos keep distinct names');
  assert.equal(renderLayout('{yyyy-mm}/{dd}-{stem}.{ext}', '2019-02-03T04:05:06', 'IMG_1.JPG'), '2019-02/03-IMG_1.JPG');

  writeFileSync(join(dir, 'mnemo.yaml'), spec('{ inbox: camera, archive: photos }').replace('./inbox', './no-card'));
  const absent = await run();
  assert.equal(absent.status, 'succeeded', absent.message ?? '');
  assert.match(String((await sql(`SELECT message FROM run${absent.runId}.errors WHERE node = 'import'`))[0]!.message), /inbox 'camera' is not readable at .*no-card: nothing imported/);
});
