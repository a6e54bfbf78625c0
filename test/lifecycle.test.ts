// Deleted photos keep their rows: a file that disappears or is moved into a
// `_delete` folder reads as status 'deleted'; one that comes back is restored
// under the same file_id; `mnemo gc` purges long-deleted files from the
// catalog and from every run's Parquet, archiving manual face decisions.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { parseAge, runGc } from '../datasets/gc.ts';
import { parquetSource, queryRows, writeParquet } from '../datasets/parquet.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { inDeleteFolder, planLifecycle, withoutDeleteFolder } from '../files/lifecycle.ts';
import { fileIdFor } from '../nodes/scan.ts';
import { runCli, tempDir } from './helpers.ts';

const YAML = 'data: ./data\nsources:\n  - name: photos\n    path: ./photos\nnodes:\n  scan:\n  hash:\n';
const DAY = 86_400_000;

function workspace() {
  const dir = tempDir();
  const photos = join(dir, 'photos');
  mkdirSync(join(photos, 'sub'), { recursive: true });
  for (const name of ['a.jpg', 'b.jpg', 'c.jpg', 'sub/d.jpg']) writeFileSync(join(photos, name), `content of ${name}`);
  writeFileSync(join(dir, 'mnemo.yaml'), YAML);
  const store = new Store(join(dir, 'data'));
  const run = async () => {
    const summary = await runPipeline(parseSpec(YAML, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary;
  };
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;
  return { dir, photos, store, run, sql };
}

const scanStatus = (summary: Awaited<ReturnType<typeof runPipeline>>) => summary.nodes.find((node) => node.node === 'scan')!.status;

test('a file that disappears is kept with status deleted and a timestamp, and hash skips it', async () => {
  const { photos, run, sql } = workspace();
  const first = await run();
  rmSync(join(photos, 'b.jpg'));
  const before = Date.now();
  const second = await run();
  const rows = await sql(`SELECT path, status, epoch_ms(deleted_at) AS deleted_ms FROM run${second.runId}.files ORDER BY path`);
  assert.deepEqual(rows.map((row) => [row.path, row.status]), [['a.jpg', 'active'], ['b.jpg', 'deleted'], ['c.jpg', 'active'], ['sub/d.jpg', 'active']]);
  const deletedMs = Number(rows.find((row) => row.path === 'b.jpg')!.deleted_ms);
  assert.ok(deletedMs >= before - 1000 && deletedMs <= Date.now(), 'deleted_at is the run that noticed');
  assert.equal(rows.filter((row) => row.status === 'active').every((row) => row.deleted_ms === null), true);
  assert.equal((await sql(`SELECT count(*) AS n FROM run${second.runId}.hashes h JOIN run${second.runId}.files f USING (file_id) WHERE f.path = 'b.jpg'`))[0]!.n, 0, 'hash skips deleted files');
  assert.equal((await sql(`SELECT count(*) AS n FROM run${second.runId}.hashes`))[0]!.n, 3);
  const registry = await sql("SELECT status, epoch_ms(deleted_at) AS deleted_ms FROM file_registry WHERE path = 'b.jpg'");
  assert.deepEqual(registry, [{ status: 'deleted', deleted_ms: deletedMs }]);
  const events = await sql(`SELECT event, run_id, detail FROM file_events WHERE file_id = '${fileIdFor('photos', 'b.jpg')}' ORDER BY event_at, event`);
  assert.deepEqual(events, [{ event: 'added', run_id: first.runId, detail: null }, { event: 'deleted', run_id: second.runId, detail: 'missing' }]);

  // Nothing changed since: the scan is reused and still shows the deleted file.
  const third = await run();
  assert.equal(scanStatus(third), 'reused');
  assert.deepEqual(await sql(`SELECT * FROM run${third.runId}.files ORDER BY path`), await sql(`SELECT * FROM run${second.runId}.files ORDER BY path`));
});

test('moved into _delete: the original is deleted and the copy is no file of its own; moved back: restored, same file_id', async () => {
  const { photos, run, sql } = workspace();
  const first = await run();
  const id = fileIdFor('photos', 'sub/d.jpg');
  mkdirSync(join(photos, '_delete', 'sub'), { recursive: true });
  renameSync(join(photos, 'sub', 'd.jpg'), join(photos, '_delete', 'sub', 'd.jpg'));
  writeFileSync(join(photos, '_delete', 'stray.jpg'), 'never seen before'); // matches nothing: ignored, reported in metadata
  const second = await run();
  const files = await sql(`SELECT file_id, path, status FROM run${second.runId}.files ORDER BY path`);
  assert.deepEqual(files.map((row) => [row.path, row.status]), [['a.jpg', 'active'], ['b.jpg', 'active'], ['c.jpg', 'active'], ['sub/d.jpg', 'deleted']]);
  assert.equal(files.find((row) => row.path === 'sub/d.jpg')!.file_id, id);
  const scan = second.nodes.find((node) => node.node === 'scan')!;
  assert.deepEqual([scan.metadata.inDeleteFolders, scan.metadata.unmatchedInDeleteFolders], [2, ['photos:_delete/stray.jpg']]);

  renameSync(join(photos, '_delete', 'sub', 'd.jpg'), join(photos, 'sub', 'd.jpg'));
  const third = await run();
  assert.deepEqual(await sql(`SELECT file_id, status, deleted_at FROM run${third.runId}.files WHERE path = 'sub/d.jpg'`), [{ file_id: id, status: 'active', deleted_at: null }]);
  assert.equal((await sql(`SELECT count(*) AS n FROM run${third.runId}.hashes WHERE file_id = '${id}'`))[0]!.n, 1);
  assert.equal(scanStatus(await run()), 'reused', 'unchanged after the restore');

  // Deleted and restored again: each change is recorded, even though the files look as in earlier runs.
  rmSync(join(photos, 'sub', 'd.jpg'));
  const fifth = await run();
  writeFileSync(join(photos, 'sub', 'd.jpg'), 'content of sub/d.jpg');
  const sixth = await run();
  assert.equal(scanStatus(sixth), 'done');
  const events = await sql(`SELECT event, run_id, detail FROM file_events WHERE file_id = '${id}' ORDER BY event_at, run_id`);
  assert.deepEqual(events, [
    { event: 'added', run_id: first.runId, detail: null },
    { event: 'deleted', run_id: second.runId, detail: 'moved to _delete/sub/d.jpg' },
    { event: 'restored', run_id: third.runId, detail: 'back at its path' },
    { event: 'deleted', run_id: fifth.runId, detail: 'missing' },
    { event: 'restored', run_id: sixth.runId, detail: 'back at its path' },
  ]);
  assert.deepEqual(await sql(`SELECT status, deleted_at, first_seen_run FROM file_registry WHERE file_id = '${id}'`), [{ status: 'active', deleted_at: null, first_seen_run: first.runId }]);
});

test('matching _delete copies to originals: same place first, then the only missing one; ambiguous copies match nothing', () => {
  assert.equal(inDeleteFolder('2019/_delete/a.jpg'), true);
  assert.equal(inDeleteFolder('_DELETE/a.jpg'), true);
  assert.equal(inDeleteFolder('2019/_delete.jpg'), false);
  assert.equal(withoutDeleteFolder('2019/_delete/x/a.jpg'), '2019/x/a.jpg');
  const file = (path: string, size = 10, mtimeMs = 1000) => ({ source: 'p', path, size, mtimeMs });
  const entry = (path: string, size = 10, mtime_ms = 1000) => ({ file_id: `id:${path}`, source: 'p', path, size, mtime_ms, status: 'active' as const, deleted_at_ms: null });
  const plan = (walked: ReturnType<typeof file>[], registry: ReturnType<typeof entry>[]) =>
    planLifecycle({ walked, registry, sources: ['p'], scanned: ['p'], now: 5, fileId: (_, path) => `id:${path}` });
  const statusOf = (result: ReturnType<typeof plan>) => Object.fromEntries(result.files.map((f) => [f.path, f.status]));

  // a.jpg moved into _delete; backup/a.jpg is an identical copy (same name, size, mtime) that stays.
  const moved = plan([file('backup/a.jpg'), file('_delete/a.jpg')], [entry('a.jpg'), entry('backup/a.jpg')]);
  assert.deepEqual(statusOf(moved), { 'a.jpg': 'deleted', 'backup/a.jpg': 'active' });
  assert.equal(moved.events.find((e) => e.file_id === 'id:a.jpg')!.detail, 'moved to _delete/a.jpg');
  // Copied (not moved) into _delete with the same structure: the user wants the original gone.
  assert.deepEqual(statusOf(plan([file('2019/a.jpg'), file('_delete/2019/a.jpg')], [entry('2019/a.jpg')])), { '2019/a.jpg': 'deleted' });
  // Two present candidates and neither at the copy's place: nothing matches, nothing is deleted.
  const ambiguous = plan([file('x/a.jpg'), file('y/a.jpg'), file('_delete/z/a.jpg')], [entry('x/a.jpg'), entry('y/a.jpg')]);
  assert.deepEqual(statusOf(ambiguous), { 'x/a.jpg': 'active', 'y/a.jpg': 'active' });
  assert.deepEqual(ambiguous.unmatchedCopies, ['p:_delete/z/a.jpg']);
  // A different size is a different photo.
  assert.deepEqual(statusOf(plan([file('a.jpg'), file('_delete/a.jpg', 11)], [entry('a.jpg')])), { 'a.jpg': 'active' });
});

test('gc: --dry-run lists and changes nothing; a younger deletion is kept; an old one is purged everywhere', async () => {
  const { dir, photos, store, run, sql } = workspace();
  writeFileSync(join(photos, 'b-copy.jpg'), 'content of b.jpg'); // same content as b.jpg: its face must survive
  const first = await run();
  const bId = fileIdFor('photos', 'b.jpg');
  const aId = fileIdFor('photos', 'a.jpg');
  const copyId = fileIdFor('photos', 'b-copy.jpg');
  // Stand-ins for tables of the face feature: faces (face_id + file_id), clusters (face_id only), an assignments journal.
  const facesPath = join(store.dataDir, 'runs', String(first.runId), 'faces', 'faces.parquet');
  await writeParquet(facesPath, { description: 'faces', columns: { face_id: 'VARCHAR', file_id: 'VARCHAR' } }, [
    { face_id: 'face-only-b', file_id: bId }, { face_id: 'face-shared', file_id: bId }, { face_id: 'face-shared', file_id: copyId }, { face_id: 'face-a', file_id: aId }, { face_id: 'face-none', file_id: null },
  ]);
  const clustersPath = join(store.dataDir, 'runs', String(first.runId), 'cluster', 'clusters.parquet');
  await writeParquet(clustersPath, { description: 'clusters', columns: { face_id: 'VARCHAR', cluster_id: 'INTEGER' } }, [
    { face_id: 'face-only-b', cluster_id: 1 }, { face_id: 'face-shared', cluster_id: 1 }, { face_id: 'face-a', cluster_id: 2 },
  ]);
  await store.write(async (catalog) => {
    await catalog.connection.run(`INSERT INTO assignments (assignment_id, face_id, target, source, author, created_at, batch_id)
      VALUES (1, 'face-only-b', '1', 'manual', 'me', now(), 1), (2, 'face-shared', '1', 'manual', 'me', now(), 1), (3, 'face-a', '2', 'manual', 'me', now(), 1)`);
  });
  rmSync(join(photos, 'b.jpg'));
  const second = await run();

  const scanFiles = join(store.dataDir, 'runs', String(first.runId), 'scan', 'files.parquet');
  const snapshot = () => [scanFiles, facesPath, join(store.dataDir, 'catalog.duckdb')].map((path) => [readFileSync(path).length, statSync(path).mtimeMs]);
  const untouched = snapshot();
  const dry = runCli(['gc', '--older-than', '0s', '--dry-run'], dir);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /1 deleted file \(deleted before .* UTC\)/);
  assert.match(dry.stdout, /photos\s+b\.jpg/);
  assert.match(dry.stdout, new RegExp(`runs/${first.runId}/scan/files\\.parquet\\s+1`));
  assert.match(dry.stdout, /1 faces seen only in these photos; 1 manual assignments would move to assignments_archive/);
  assert.match(dry.stdout, /dry run: nothing was changed/);
  assert.deepEqual(snapshot(), untouched, 'a dry run writes nothing');

  const younger = runCli(['gc', '--older-than', '30d'], dir);
  assert.equal(younger.code, 0, younger.stderr);
  assert.match(younger.stdout, /nothing to purge/);
  assert.equal((await sql(`SELECT count(*) AS n FROM file_registry WHERE file_id = '${bId}'`))[0]!.n, 1);
  assert.match(runCli(['gc', '--older-than', '30 days'], dir).stderr, /expected a number and a unit/);

  // Thirty-one days later.
  const plan = await runGc(store, parseAge('30d'), { now: Date.now() + 31 * DAY });
  assert.deepEqual(plan.files.map((file) => file.path), ['b.jpg']);
  assert.deepEqual(await sql(`SELECT count(*) AS n FROM file_registry WHERE file_id = '${bId}'`), [{ n: 0 }]);
  assert.deepEqual(await sql("SELECT count(*) AS n FROM hash_cache WHERE path = 'b.jpg'"), [{ n: 0 }]);
  assert.deepEqual((await sql(`SELECT event FROM file_events WHERE file_id = '${bId}' ORDER BY event_at`)).map((row) => row.event), ['added', 'deleted', 'purged']);
  for (const runId of [first.runId, second.runId]) {
    assert.deepEqual(await sql(`SELECT count(*) AS n FROM run${runId}.files WHERE file_id = '${bId}'`), [{ n: 0 }], `run ${runId} files`);
    assert.deepEqual(await sql(`SELECT count(*) AS n FROM run${runId}.files`), [{ n: 4 }], `run ${runId} keeps the other files`);
  }
  assert.deepEqual(await sql(`SELECT count(*) AS n FROM run${first.runId}.hashes WHERE file_id = '${bId}'`), [{ n: 0 }]);
  assert.deepEqual(await sql(`SELECT count(*) AS n FROM run${first.runId}.hashes`), [{ n: 4 }]);
  const faces = await queryRows(`SELECT face_id, file_id FROM ${parquetSource(facesPath)} ORDER BY face_id, file_id`);
  assert.deepEqual(faces, [{ face_id: 'face-a', file_id: aId }, { face_id: 'face-none', file_id: null }, { face_id: 'face-shared', file_id: copyId }]);
  assert.deepEqual((await queryRows(`SELECT face_id FROM ${parquetSource(clustersPath)} ORDER BY face_id`)).map((row) => row.face_id), ['face-a', 'face-shared']);
  assert.deepEqual(await sql('SELECT face_id FROM assignments ORDER BY face_id'), [{ face_id: 'face-a' }, { face_id: 'face-shared' }]);
  assert.deepEqual(await sql('SELECT face_id, target, archived_reason FROM assignments_archive'), [{ face_id: 'face-only-b', target: '1', archived_reason: 'photo purged by mnemo gc' }]);

  // Purged is gone for good: the next run does not show it, and its return is a new 'added'.
  const third = await run();
  assert.deepEqual(await sql(`SELECT count(*) AS n FROM run${third.runId}.files WHERE file_id = '${bId}'`), [{ n: 0 }]);
  writeFileSync(join(photos, 'b.jpg'), 'content of b.jpg');
  const fourth = await run();
  assert.deepEqual(await sql(`SELECT status FROM run${fourth.runId}.files WHERE file_id = '${bId}'`), [{ status: 'active' }]);
  // (gc ran with a clock 31 days ahead, so compare the events, not their order in time)
  assert.deepEqual((await sql(`SELECT event FROM file_events WHERE file_id = '${bId}' ORDER BY event`)).map((row) => row.event), ['added', 'added', 'deleted', 'purged']);
});
