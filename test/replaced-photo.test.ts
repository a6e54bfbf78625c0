// A photo replaced by another while a run goes (after `hash` read it, before
// `images` and `exif` do) must not poison the per-photo caches, which are
// keyed by content: the new bytes' faces and EXIF must never be stored under
// the old SHA-256, where every other copy of the old photo would find them.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import type { RunEvent } from '../dag/progress.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

const skip = skipUnless(facesFixtures);

const PIPELINE = (photos: string) => `data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(photos)}
nodes:
  scan:
  hash:
  exif:
  images:
    params: {workers: 1, hashes: {enabled: false}, thumbnails: {enabled: false}, pets: {enabled: false}}
`;

async function workspaceWith(files: Record<string, string>): Promise<{ ws: Workspace; photos: string }> {
  const dir = tempDir();
  const photos = join(dir, 'Фото');
  mkdirSync(photos);
  for (const [name, fixture] of Object.entries(files)) copyFileSync(join(facesFixtures, fixture), join(photos, name));
  writeFileSync(join(dir, 'mnemo.yaml'), PIPELINE(photos));
  return { ws: await Workspace.open({ config: join(dir, 'mnemo.yaml') }), photos };
}

type Facts = { path: string; faces: number; x1: number | null; taken_at: string | null };

async function factsOf(ws: Workspace, runId: number): Promise<Map<string, Facts>> {
  const { rows } = await query(ws, `SELECT f.path, count(fa.face_id) AS faces, min(fa.x1) AS x1, any_value(e.taken_at)::VARCHAR AS taken_at
    FROM run${runId}.files f LEFT JOIN run${runId}.faces fa USING (file_id) LEFT JOIN run${runId}.exif e USING (file_id)
    GROUP BY f.path ORDER BY f.path`);
  return new Map((rows as unknown as Facts[]).map((row) => [row.path, { ...row, faces: Number(row.faces) }]));
}

test('a photo replaced during a run is reported, and no copy of the original ever shows the replacement', { skip }, async () => {
  // The reference: what obama.jpg and biden.jpg really hold.
  const reference = await workspaceWith({ 'obama.jpg': 'obama.jpg', 'biden.jpg': 'biden.jpg' });
  const truth = await factsOf(reference.ws, (await runToEnd(reference.ws)).runId);
  assert.notDeepEqual({ ...truth.get('obama.jpg'), path: '' }, { ...truth.get('biden.jpg'), path: '' }, 'the two photos differ');

  // The run: photo.jpg is obama when hashed, and becomes biden as soon as exif or images starts.
  const { ws, photos } = await workspaceWith({ 'photo.jpg': 'obama.jpg' });
  const biden = readFileSync(join(facesFixtures, 'biden.jpg'));
  let replaced = false;
  const onEvent = (event: RunEvent) => {
    if (event.type === 'node-started' && (event.node === 'exif' || event.node === 'images') && !replaced) {
      replaced = true;
      writeFileSync(join(photos, 'photo.jpg'), biden);
    }
  };
  const run = await runToEnd(ws, { onEvent });
  assert.equal(run.status, 'succeeded', 'one changed photo never stops a run');
  const { rows: errors } = await query(ws, `SELECT node, item, message FROM run${run.runId}.errors ORDER BY node`);
  assert.deepEqual(errors.map((row) => [row.node, row.item]), [['exif', 'photos:photo.jpg'], ['images', 'photos:photo.jpg']]);
  assert.ok(errors.every((row) => /the file changed after it was hashed/.test(String(row.message))), JSON.stringify(errors));

  // A copy of the original photo arrives later: it must show obama's face and EXIF, not biden's.
  copyFileSync(join(facesFixtures, 'obama.jpg'), join(photos, 'copy-of-original.jpg'));
  const later = await runToEnd(ws);
  const facts = await factsOf(ws, later.runId);
  assert.deepEqual({ ...facts.get('copy-of-original.jpg'), path: 'obama.jpg' }, truth.get('obama.jpg'));
  // And the replaced file is analysed as what it now is.
  assert.deepEqual({ ...facts.get('photo.jpg'), path: 'biden.jpg' }, truth.get('biden.jpg'));
});
