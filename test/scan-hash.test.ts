// scan + hash end to end over a real temporary tree with the awkward cases a
// real archive has, through the real engine, DuckDB catalog and Parquet.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { fileIdFor } from '../nodes/scan.ts';
import { canReadUnreadable, tempDir } from './helpers.ts';

function buildTree(root: string) {
  const photos = join(root, 'photos');
  mkdirSync(join(photos, 'copy'), { recursive: true });
  mkdirSync(join(photos, 'Фото', 'Технологии'), { recursive: true });
  mkdirSync(join(photos, '.hidden'), { recursive: true });
  writeFileSync(join(photos, 'a.jpg'), 'content A');
  writeFileSync(join(photos, 'copy', 'a-copy.jpg'), 'content A');
  writeFileSync(join(photos, 'b.png'), 'content B');
  writeFileSync(join(photos, 'IMG_0001.JPG'), 'content D');
  writeFileSync(join(photos, 'empty.jpg'), '');
  writeFileSync(join(photos, 'locked.jpg'), 'content L');
  chmodSync(join(photos, 'locked.jpg'), 0o000);
  writeFileSync(join(photos, 'Фото', 'Технологии', 'схема.jpg'), 'content C');
  writeFileSync(join(photos, 'notes.txt'), 'not a photo');
  writeFileSync(join(photos, '.hidden', 'x.jpg'), 'hidden');
  symlinkSync(join(photos, 'missing.jpg'), join(photos, 'broken.jpg'));
  symlinkSync(photos, join(photos, 'loop'));
  symlinkSync(join(photos, 'b.png'), join(photos, 'link-to-b.jpg'));
  return photos;
}

test('scan and hash a tree with duplicates, empty, unreadable, broken and looping entries and Cyrillic folders', async () => {
  const dir = tempDir();
  const photos = buildTree(dir);
  const yaml = `data: ./data\nsources:\n  - name: archive\n    path: ./photos\nnodes:\n  scan:\n  hash:\n`;
  const spec = () => parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES);
  const store = new Store(join(dir, 'data'));
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;

  const first = await runPipeline(spec(), NODE_TYPES, store);
  assert.equal(first.status, 'succeeded');

  const files = await sql(`SELECT path, size, file_id, source FROM run${first.runId}.files ORDER BY path`);
  assert.deepEqual(files.map((f) => f.path), ['IMG_0001.JPG', 'a.jpg', 'b.png', 'copy/a-copy.jpg', 'empty.jpg', 'link-to-b.jpg', 'locked.jpg', 'Фото/Технологии/схема.jpg']);
  assert.equal(files.find((f) => f.path === 'empty.jpg')!.size, 0);
  assert.equal(files.find((f) => f.path === 'Фото/Технологии/схема.jpg')!.file_id, fileIdFor('archive', 'Фото/Технологии/схема.jpg'));

  const errors = await sql(`SELECT node, item, message FROM run${first.runId}.errors ORDER BY item`);
  const messages = Object.fromEntries(errors.map((e) => [e.item, `${e.node}: ${e.message}`]));
  assert.match(messages['archive:broken.jpg']!, /^scan: broken symbolic link/);
  assert.match(messages['archive:loop']!, /^scan: symbolic link loop: points back to /);
  assert.match(messages['archive:empty.jpg']!, /^hash: empty file \(0 bytes\)/);
  if (canReadUnreadable) assert.equal(messages['archive:locked.jpg'], undefined, 'root can read it');
  else assert.match(messages['archive:locked.jpg']!, /^hash: cannot read: permission denied \(EACCES\)/);
  assert.equal(errors.length, canReadUnreadable ? 3 : 4);

  const duplicates = await sql(`SELECT d.group_id, f.path, d.copies FROM run${first.runId}.duplicates d JOIN run${first.runId}.files f USING (file_id) ORDER BY d.group_id, f.path`);
  const byGroup = new Map<unknown, unknown[]>();
  for (const row of duplicates) byGroup.set(row.group_id, [...(byGroup.get(row.group_id) ?? []), row.path]);
  const groups = [...byGroup.values()];
  assert.deepEqual(groups.sort(), [['a.jpg', 'copy/a-copy.jpg'], ['b.png', 'link-to-b.jpg']]);
  const hashes = await sql(`SELECT f.path, h.sha256 FROM run${first.runId}.hashes h JOIN run${first.runId}.files f USING (file_id) WHERE f.path = 'a.jpg'`);
  assert.equal(hashes[0]!.sha256, createHash('sha256').update('content A').digest('hex'));

  // Unchanged: the whole second run is served from reuse.
  const second = await runPipeline(spec(), NODE_TYPES, store);
  assert.deepEqual(second.nodes.map((n) => [n.node, n.status, n.reusedFrom]), [['scan', 'reused', first.runId], ['hash', 'reused', first.runId]]);
  assert.deepEqual(await sql(`SELECT * FROM run${second.runId}.files ORDER BY path`), await sql(`SELECT * FROM run${first.runId}.files ORDER BY path`));

  // One new file: scan runs again, hash reads only that file and takes the rest from its cache.
  writeFileSync(join(photos, 'new.jpg'), 'content N');
  rmSync(join(photos, 'b.png'));
  const third = await runPipeline(spec(), NODE_TYPES, store);
  assert.deepEqual(third.nodes.map((n) => n.status), ['done', 'done']);
  const hashNode = third.nodes.find((n) => n.node === 'hash')!;
  assert.equal(hashNode.metadata.hashed, 1, 'only the new file is read');
  assert.equal(hashNode.metadata.bytesRead, 'content N'.length);
  const sameIds = await sql(`SELECT count(*) AS n FROM run${first.runId}.files a JOIN run${third.runId}.files b USING (file_id, path) WHERE b.status = 'active'`);
  assert.equal(sameIds[0]!.n, 6, 'file ids are stable across runs (8 files less b.png and the link that now dangles)');

  const registry = await sql(`SELECT path, status, first_seen_run, last_seen_run FROM file_registry WHERE path IN ('b.png', 'new.jpg', 'a.jpg') ORDER BY path`);
  assert.deepEqual(registry, [
    { path: 'a.jpg', status: 'active', first_seen_run: first.runId, last_seen_run: third.runId },
    { path: 'b.png', status: 'deleted', first_seen_run: first.runId, last_seen_run: first.runId },
    { path: 'new.jpg', status: 'active', first_seen_run: third.runId, last_seen_run: third.runId },
  ]);
  chmodSync(join(photos, 'locked.jpg'), 0o644);
});

test('a source that is not readable is an error and its files are not marked deleted', async () => {
  const dir = tempDir();
  buildTree(dir);
  const yaml = (path: string) => `data: ./data\nsources:\n  - name: archive\n    path: ${path}\nnodes:\n  scan:\n  hash:\n`;
  const store = new Store(join(dir, 'data'));
  await runPipeline(parseSpec(yaml('./photos'), join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
  const unplugged = await runPipeline(parseSpec(yaml('./unplugged-disk'), join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
  assert.equal(unplugged.status, 'succeeded');
  const errors = (await readOnlyQuery(store, `SELECT message FROM run${unplugged.runId}.errors`)).rows;
  assert.match(String(errors[0]!.message), /source 'archive' is not readable at .*unplugged-disk: no such file \(ENOENT\); its files are kept/);
  const deleted = (await readOnlyQuery(store, "SELECT count(*) AS n FROM file_registry WHERE status = 'deleted'")).rows;
  assert.equal(deleted[0]!.n, 0);
  chmodSync(join(dir, 'photos', 'locked.jpg'), 0o644);
});

test('include and exclude globs per source, and several sources', async () => {
  const dir = tempDir();
  buildTree(dir);
  const yaml = `data: ./data
sources:
  - name: archive
    path: ./photos
    exclude: ["Фото/Технологии/**", "**/.*/**"]
    tags: [family]
  - name: work
    path: ./photos/Фото/Технологии
    include: ["**/*"]
    tags: [work]
nodes:
  scan:
`;
  const store = new Store(join(dir, 'data'));
  const run = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
  const rows = (await readOnlyQuery(store, `SELECT source, path, tags FROM run${run.runId}.files WHERE path LIKE '%схема%' OR source = 'work' ORDER BY source, path`)).rows;
  assert.deepEqual(rows, [{ source: 'work', path: 'схема.jpg', tags: ['work'] }]);
  chmodSync(join(dir, 'photos', 'locked.jpg'), 0o644);
});
