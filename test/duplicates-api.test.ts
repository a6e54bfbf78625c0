// The Duplicates view's API over a real run: the face fixtures copied into an
// archive with an exact copy (newer) of obama.jpg and a symbolic link that
// leads out of the archive to a copy of biden.jpg, run through scan, hash,
// exif, images and near_duplicates. Groups with their suggested keeper and
// why; keeper decisions that survive a server restart and a re-run; the
// non-keepers as CSV; the move into `_delete` refused without a confirmed
// plan, refused for the link out of the archive, done for the rest, and seen
// by the next scan as moved (deleted, "moved to _delete/..."), not lost.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DuplicateGroup, DuplicateGroups, MovePlan, MoveResult } from '../app/duplicate-types.ts';
import { runToEnd } from '../app/pipeline.ts';
import { Workspace } from '../app/workspace.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { buildServer } from '../workbench/server/server.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { injectGet as get, injectPost as post } from './support/inject.ts';

const skip = skipUnless(facesFixtures);
const root = skip ? '' : tempDir('mnemo-duplicates-api-');
const photos = join(root, 'photos');
const outside = join(root, 'outside');

export function duplicatesYaml(folder: string): string {
  return `data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(folder)}
nodes:
  scan:
  hash:
  exif:
  images:
    params: {thumbnails: {enabled: false}, pets: {enabled: false}, faces: {enabled: false}}
  near_duplicates:
`;
}

let made: Promise<{ config: string; workspace: Workspace }> | undefined;
const setup = () =>
  (made ??= (async () => {
    cpSync(facesFixtures, photos, { recursive: true });
    mkdirSync(join(photos, 'copies'));
    copyFileSync(join(photos, 'obama.jpg'), join(photos, 'copies', 'obama.jpg'));
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(photos, 'copies', 'obama.jpg'), later, later); // the copy is newer: the original is the suggested keeper
    mkdirSync(outside);
    copyFileSync(join(photos, 'biden.jpg'), join(outside, 'biden-elsewhere.jpg'));
    symlinkSync(join(outside, 'biden-elsewhere.jpg'), join(photos, 'link-to-biden.jpg'));
    const config = join(root, 'mnemo.yaml');
    writeFileSync(config, duplicatesYaml(photos));
    const workspace = await Workspace.open({ config });
    assert.equal((await runToEnd(workspace)).status, 'succeeded');
    return { config, workspace };
  })());

async function server() {
  const { config } = await setup();
  return (await buildServer(await Workspace.open({ config }), { port: 7707, logger: false, rematchDebounceMs: 600_000, staticDir: join(root, 'no-web-app') })).app;
}
type App = Awaited<ReturnType<typeof server>>;

const groupsOf = async (app: App) => {
  const response = await get(app, '/api/duplicates?limit=1000');
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as DuplicateGroups;
};
const byPath = (groups: DuplicateGroups, kind: 'exact' | 'near', path: string) => groups.groups.find((g) => g.kind === kind && g.members.some((m) => m.path === path))!;
const pathOf = (group: DuplicateGroup, fileId: string) => group.members.find((m) => m.fileId === fileId)!.path;
const sql = async (workspace: Workspace, query: string) => (await readOnlyQuery(workspace.store, query)).rows as Record<string, unknown>[];

test('the groups: exact copies and near-duplicates of the latest run, each with a suggested keeper and why', { skip }, async () => {
  const { workspace } = await setup();
  const app = await server();
  try {
    const groups = await groupsOf(app);
    const obama = byPath(groups, 'exact', 'obama.jpg');
    assert.deepEqual(obama.members.map((m) => m.path).sort(), ['copies/obama.jpg', 'obama.jpg']);
    assert.equal(pathOf(obama, obama.suggestedKeeper), 'obama.jpg');
    assert.match(obama.reason, /Identical bytes .* keeps the oldest file/);
    assert.match(obama.key, /^exact:[0-9a-f]{64}$/);
    assert.equal(obama.decision, null);
    const biden = byPath(groups, 'exact', 'biden.jpg');
    assert.deepEqual(biden.members.map((m) => m.path).sort(), ['biden.jpg', 'link-to-biden.jpg']);

    // The near groups and keepers are the near_duplicates node's own.
    const rows = await sql(workspace, 'SELECT n.group_id, f.path, n.is_keeper FROM latest.near_duplicates n JOIN latest.files f USING (file_id) ORDER BY f.path');
    const nodeGroups = new Set(rows.map((r) => r.group_id));
    assert.equal(groups.near, nodeGroups.size);
    assert.ok(groups.near >= 1, 'the resized obama copies are near-duplicates');
    for (const group of groups.groups.filter((g) => g.kind === 'near')) {
      const keeper = rows.find((r) => r.is_keeper && group.members.some((m) => m.path === r.path))!;
      assert.deepEqual(group.members.map((m) => m.path).sort(), rows.filter((r) => r.group_id === keeper.group_id).map((r) => r.path).sort());
      // The node's keeper, or (among identical copies of it) the one the exact rule picks.
      const suggested = group.members.find((m) => m.fileId === group.suggestedKeeper)!;
      assert.equal(suggested.sha256, group.members.find((m) => m.path === keeper.path)!.sha256, `${group.key}: the keeper is the node's`);
      assert.match(group.reason, /Largest picture|EXIF|oldest capture|first by file id/);
      assert.match(group.key, /^near:[0-9a-f]{64}$/);
    }
    const resized = byPath(groups, 'near', 'obama-240p.jpg');
    assert.equal(pathOf(resized, resized.suggestedKeeper), 'obama.jpg', 'of the identical copies, the one the exact group suggests');
    assert.equal(resized.reason, 'Largest picture: 910×1137 (the rest at most 910×1080). copies/obama.jpg is as large with the same bytes: of identical files, the oldest file is kept (then the shortest path).');
    const keeper = resized.members.find((m) => m.fileId === resized.suggestedKeeper)!;
    assert.ok(resized.members.every((m) => (m.width ?? 0) * (m.height ?? 0) <= keeper.width! * keeper.height!), 'the keeper has the most pixels');
    assert.equal(groups.total, groups.exact + groups.near);
    assert.equal((await get(app, '/api/duplicates?kind=exact')).json().total, groups.exact);
    assert.equal((await get(app, '/api/duplicates?kind=copies')).statusCode, 400);
  } finally {
    await app.close();
  }
});

test('keeper decisions are checked, recorded, and survive a server restart and a re-run', { skip }, async () => {
  const { workspace } = await setup();
  let app = await server();
  let obama: DuplicateGroup;
  try {
    const groups = await groupsOf(app);
    obama = byPath(groups, 'exact', 'obama.jpg');
    const copy = obama.members.find((m) => m.path === 'copies/obama.jpg')!;
    const biden = byPath(groups, 'exact', 'biden.jpg');
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: obama.key, keeperFileId: biden.members[0]!.fileId })).statusCode, 400, 'not a member');
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: 'exact:nope', keeperFileId: copy.fileId })).statusCode, 404);
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: obama.key, keeperFileId: copy.fileId }, {})).statusCode, 403, 'a change needs X-Mnemo');
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: obama.key, keeperFileId: copy.fileId, extra: 1 })).statusCode, 400);

    // The person prefers the copy; the biden group keeps the suggestion.
    const decided = await post(app, '/api/duplicates/decisions', { groupKey: obama.key, keeperFileId: copy.fileId });
    assert.equal(decided.statusCode, 200, decided.body);
    assert.equal((decided.json() as DuplicateGroup).keeper, copy.fileId);
    const bidenKeeper = biden.members.find((m) => m.path === 'biden.jpg')!.fileId;
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: biden.key, keeperFileId: bidenKeeper })).statusCode, 200);
  } finally {
    await app.close();
  }
  // A new server: the decisions are in the catalog.
  app = await server();
  try {
    const after = byPath(await groupsOf(app), 'exact', 'obama.jpg');
    assert.equal(pathOf(after, after.decision!.keeperFileId), 'copies/obama.jpg');
    assert.equal(after.keeper, after.decision!.keeperFileId);
    assert.equal(pathOf(after, after.suggestedKeeper), 'obama.jpg', 'the suggestion is still shown beside the decision');
  } finally {
    await app.close();
  }
  // A re-run: the same group (by content), the same decision.
  const rerun = await runToEnd(workspace);
  assert.equal(rerun.status, 'succeeded');
  app = await server();
  try {
    const groups = await groupsOf(app);
    assert.equal(groups.runId, rerun.runId);
    const again = byPath(groups, 'exact', 'obama.jpg');
    assert.equal(again.key, obama.key);
    assert.equal(pathOf(again, again.keeper), 'copies/obama.jpg');
    assert.equal(groups.decided, 2);
    assert.equal(groups.groups.at(-1)!.decision !== null, true, 'decided groups come after the undecided ones');
  } finally {
    await app.close();
  }
});

test('the non-keepers of decided groups export as CSV; a keeper of one group is never a non-keeper of another', { skip }, async () => {
  await setup();
  const app = await server();
  try {
    const groups = await groupsOf(app);
    // Confirm the near group of the resized obama copies (it holds both obama.jpg files too): its keeper is obama.jpg,
    // the exact group's is the copy, and both stay.
    const near = byPath(groups, 'near', 'obama-240p.jpg');
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: near.key, keeperFileId: near.suggestedKeeper })).statusCode, 200);
    const both = (await get(app, '/api/duplicates/non-keepers.csv')).body.trim().split('\n').slice(1).map((line) => line.split(',')[4]);
    assert.ok(!both.includes('obama.jpg') && !both.includes('copies/obama.jpg') && both.includes('obama-240p.jpg'), both.join(' '));
    // The person keeps the copy in the near group too: now the original is a non-keeper.
    const copy = near.members.find((m) => m.path === 'copies/obama.jpg')!;
    assert.equal((await post(app, '/api/duplicates/decisions', { groupKey: near.key, keeperFileId: copy.fileId })).statusCode, 200);
    const response = await get(app, '/api/duplicates/non-keepers.csv');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    assert.match(String(response.headers['content-disposition']), /attachment/);
    const [header, ...lines] = response.body.trim().split('\n');
    assert.equal(header, 'group_key,kind,file_id,source,path,size,sha256,keeper_source,keeper_path');
    const paths = lines.map((line) => line.split(',')[4]);
    assert.ok(paths.includes('obama.jpg'), 'the original, since the copy is the keeper');
    assert.ok(paths.includes('link-to-biden.jpg'));
    assert.ok(!paths.includes('copies/obama.jpg'));
    assert.equal(new Set(paths).size, paths.length, 'each file once');
    assert.equal(lines.length, (await groupsOf(app)).nonKeepers);
  } finally {
    await app.close();
  }
});

test('moving non-keepers into _delete needs a confirmed plan, leaves the link out of the archive alone, and the next scan sees the files as moved', { skip }, async () => {
  const { workspace } = await setup();
  const app = await server();
  try {
    const csv = (await get(app, '/api/duplicates/non-keepers.csv')).body.trim().split('\n').slice(1).map((line) => line.split(',')[4]!);
    // No plan, no move.
    const blind = await post(app, '/api/duplicates/move', { token: 'made-up' });
    assert.equal(blind.statusCode, 400);
    assert.match(blind.json().error.message, /no such move plan/);
    assert.equal((await post(app, '/api/duplicates/move', {})).statusCode, 400, 'the token is required');
    assert.ok(existsSync(join(photos, 'obama.jpg')));

    const planResponse = await post(app, '/api/duplicates/move-plan', {});
    assert.equal(planResponse.statusCode, 200, planResponse.body);
    const plan = planResponse.json() as MovePlan;
    assert.deepEqual(plan.refused.map((r) => r.path), ['photos:link-to-biden.jpg']);
    assert.match(plan.refused[0]!.reason, /not a file inside its source folder/);
    assert.deepEqual(plan.files.map((f) => f.path).sort(), csv.filter((p) => p !== 'link-to-biden.jpg').sort());
    assert.ok(plan.files.every((f) => f.toPath === `_delete/${f.path}`));
    assert.equal((await post(app, '/api/duplicates/move', { token: plan.token }, {})).statusCode, 403, 'the move is a change: X-Mnemo or Origin');
    assert.ok(existsSync(join(photos, 'obama.jpg')), 'a refused request moved nothing');

    const before = readFileSync(join(photos, 'obama.jpg'));
    const response = await post(app, '/api/duplicates/move', { token: plan.token });
    assert.equal(response.statusCode, 200, response.body);
    const result = response.json() as MoveResult;
    assert.deepEqual(result.moved.map((f) => f.path).sort(), plan.files.map((f) => f.path).sort());
    for (const file of result.moved) {
      assert.ok(!existsSync(join(photos, file.path)), `${file.path} left its place`);
      assert.ok(existsSync(join(photos, '_delete', file.path)), `${file.path} is in _delete`);
    }
    assert.deepEqual(readFileSync(join(photos, '_delete', 'obama.jpg')), before, 'the same bytes');
    assert.ok(existsSync(join(photos, 'copies', 'obama.jpg')) && existsSync(join(photos, 'link-to-biden.jpg')) && existsSync(join(outside, 'biden-elsewhere.jpg')));
    assert.equal((await post(app, '/api/duplicates/move', { token: plan.token })).statusCode, 400, 'a plan is carried out once');
    // Until the next scan, the moved files show as moved and are no longer non-keepers.
    const moved = byPath(await groupsOf(app), 'exact', 'obama.jpg').members.find((m) => m.path === 'obama.jpg')!;
    assert.equal(moved.state, 'moved');
    assert.equal((await groupsOf(app)).nonKeepers, 1, 'only the link is left');
    const log = await sql(workspace, 'SELECT from_path, to_path FROM duplicate_moves ORDER BY from_path');
    assert.deepEqual(log.map((r) => r.from_path), result.moved.map((f) => f.path).sort());
  } finally {
    await app.close();
  }
  // The next scan: the moved files are deleted (moved to _delete), not lost; the _delete copies are not new files.
  const run = await runToEnd(workspace);
  assert.equal(run.status, 'succeeded');
  const files = await sql(workspace, `SELECT path, status FROM latest.files WHERE path LIKE '%obama.jpg' ORDER BY path`);
  assert.deepEqual(files.map((f) => [f.path, f.status]), [['copies/obama.jpg', 'active'], ['obama.jpg', 'deleted']]);
  const events = await sql(workspace, `SELECT event, detail FROM file_events WHERE path = 'obama.jpg' AND event = 'deleted'`);
  assert.deepEqual(events.map((e) => [e.event, e.detail]), [['deleted', 'moved to _delete/obama.jpg']]);
  const app2 = await server();
  try {
    const groups = await groupsOf(app2);
    assert.equal(groups.groups.filter((g) => g.kind === 'exact').map((g) => g.members.map((m) => m.path).sort().join(' ')).sort().join(' | '), 'biden.jpg link-to-biden.jpg');
  } finally {
    await app2.close();
  }
});
