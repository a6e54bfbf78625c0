// The Compare view's API over real runs of the face fixtures: two runs
// (threshold 0.6, then 0.45 after one face was named) compared through
// GET /api/compare (the report equals `mnemo report compare`'s, the flow's
// faces equal direct SQL), a real `mnemo sweep` listed with each setting's
// scores, and adopting its best setting rewriting mnemo.yaml with every
// comment and line of the user's file kept; refusals for bad runs, unknown
// sweeps, changes without the X-Mnemo header, and a value the node refuses.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { adoptSetting } from '../app/adopt-setting.ts';
import type { AdoptResult, CompareView, SweepDetail, SweepSummary } from '../app/compare-types.ts';
import { runToEnd } from '../app/pipeline.ts';
import { compareReportOf } from '../app/reports.ts';
import { parseSweepAxis, sweepWorkspace } from '../app/sweeps.ts';
import { Workspace } from '../app/workspace.ts';
import { importFacesGold } from '../datasets/gold.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { runMetrics } from '../reports/metrics.ts';
import { buildServer } from '../workbench/server/server.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';
import { injectGet as get, injectPost as post } from './support/inject.ts';

const skip = skipUnless(facesFixtures);
const root = skip ? '' : tempDir('mnemo-compare-api-');

/** The user's own spec: the people pipeline with their comments, which adopting must keep. */
const userYaml = () =>
  `# my archive: do not lose this comment\n${fixturePeopleYaml(facesFixtures).replace('  cluster:\n', '  # clustering: tuned by hand\n  cluster: # see the sweep\n').replace('  umap:\n', '  umap:\n    params: {seed: 42}   # keep the map stable\n')}`;

interface Setup {
  config: string;
  workspace: Workspace;
  a: number;
  b: number;
  sweepId: string;
}

let made: Promise<Setup> | undefined;
const setup = () =>
  (made ??= (async () => {
    const config = join(root, 'mnemo.yaml');
    writeFileSync(config, userYaml());
    const workspace = await Workspace.open({ config });
    const a = await runToEnd(workspace);
    assert.equal(a.status, 'succeeded');
    const { rows } = await readOnlyQuery(workspace.store, `SELECT f.face_id, fi.name FROM run${a.runId}.faces f JOIN run${a.runId}.files fi USING (file_id) WHERE NOT f.rejected ORDER BY fi.name, f.x1`);
    const faces = rows as { face_id: string; name: string }[];
    const persons = await Persons.open(workspace.store, { author: 'test' });
    const obama = (await persons.create('Obama')).personId;
    await persons.assign([faces.find((f) => f.name === 'obama.jpg')!.face_id], String(obama));
    const b = await runToEnd(workspace, { set: ['cluster.threshold=0.45'] });
    assert.equal(b.status, 'succeeded');
    const twoPeople = faces.filter((f) => f.name === 'two_people.jpg');
    const gold = faces.map((f) => `${f.face_id},${f.name.startsWith('biden') || f === twoPeople[1] ? 'biden' : 'obama'},true`);
    writeFileSync(join(root, 'gold.csv'), ['face_id,person_name,is_face', ...gold].join('\n'));
    await importFacesGold(workspace.store, join(root, 'gold.csv'));
    const sweep = await sweepWorkspace(workspace, [parseSweepAxis('cluster.threshold=0.3,0.6,0.9')]);
    assert.ok(sweep.rows.every((row) => row.status === 'succeeded'));
    return { config, workspace, a: a.runId, b: b.runId, sweepId: sweep.sweepId };
  })());

async function server() {
  const { config } = await setup();
  return (await buildServer(await Workspace.open({ config }), { port: 7707, logger: false, rematchDebounceMs: 600_000, staticDir: join(root, 'no-web-app') })).app;
}

const sql = async (workspace: Workspace, query: string) => (await readOnlyQuery(workspace.store, query)).rows as Record<string, unknown>[];

test('GET /api/compare is the comparison report of the two runs, with a flow whose faces equal direct SQL', { skip }, async () => {
  const { workspace, a, b } = await setup();
  const app = await server();
  try {
    const response = await get(app, `/api/compare?a=${a}&b=${b}`);
    assert.equal(response.statusCode, 200, response.body);
    const view = response.json() as CompareView;
    // The same report as `mnemo report compare A B` (JSON has no timestamps of its own).
    assert.deepEqual(view.report, JSON.parse(JSON.stringify(await compareReportOf(workspace, String(a), String(b)))));
    assert.deepEqual(view.report.params, [{ key: 'cluster.threshold', a: 0.6, b: 0.45 }]);
    assert.ok(view.report.counts.some((c) => c.key === 'clusters' && c.a !== null && c.b !== null));
    assert.ok(view.report.accuracy.sections.length > 0, 'gold was imported: accuracy sections');
    assert.ok(view.report.accuracy.sections.some((s) => s.test !== null), 'a paired test per section');

    const flow = view.flow!;
    const cells = await sql(workspace, `SELECT greatest(x.cluster_id, -1) AS a, greatest(y.cluster_id, -1) AS b, count(*) AS faces FROM run${a}.clusters x JOIN run${b}.clusters y USING (face_id) WHERE x.cluster_id >= 0 OR y.cluster_id >= 0 GROUP BY ALL`);
    const total = cells.reduce((sum, cell) => sum + Number(cell.faces), 0);
    assert.equal(flow.links.reduce((sum, link) => sum + link.faces, 0) + flow.otherFaces, total);
    assert.equal(flow.links.length + flow.otherLinks, cells.length);
    for (const link of flow.links) {
      const cell = cells.find((c) => c.a === link.a && c.b === link.b);
      assert.equal(Number(cell?.faces), link.faces, `link ${link.a} -> ${link.b}`);
    }
    const matches = new Set(view.report.clusters!.correspondence.matches.map((m) => `${m.a}:${m.b}`));
    for (const link of flow.links) assert.equal(link.kind === 'kept', matches.has(`${link.a}:${link.b}`), `kind of ${link.a} -> ${link.b}`);

    // Runs named as the CLI names them.
    const named = (await get(app, `/api/compare?a=${a}&b=latest`)).json() as CompareView;
    assert.equal(named.report.b.runId, b);
    const links = (await get(app, `/api/compare?a=${a}&b=${b}&links=1`)).json() as CompareView;
    assert.equal(links.flow!.links.length, 1);
  } finally {
    await app.close();
  }
});

test('GET /api/compare refuses a missing, unknown or malformed run with a clear message', { skip }, async () => {
  const { a } = await setup();
  const app = await server();
  try {
    const missing = await get(app, `/api/compare?a=${a}`);
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error.message, /b is required/);
    const unknown = await get(app, `/api/compare?a=${a}&b=999`);
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error.message, /no run 999/);
    const bad = await get(app, `/api/compare?a=${a}&b=yesterday`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /'yesterday' is not a run/);
    assert.equal((await get(app, `/api/compare?a=${a}&b=1&links=0`)).statusCode, 400);
    assert.equal((await get(app, `/api/compare?a=${a}&b=1&colour=red`)).statusCode, 400);
  } finally {
    await app.close();
  }
});

test('GET /api/sweeps lists the sweep; its settings carry the scores mnemo sweep computes, and the best is marked', { skip }, async () => {
  const { sweepId, workspace } = await setup();
  const app = await server();
  try {
    const { sweeps } = (await get(app, '/api/sweeps')).json() as { sweeps: SweepSummary[] };
    assert.deepEqual(sweeps.map((s) => [s.sweepId, s.keys, s.settings, s.succeeded]), [[sweepId, ['cluster.threshold'], 3, 3]]);
    const detail = (await get(app, `/api/sweeps/${sweepId}`)).json() as SweepDetail;
    assert.deepEqual(detail.rows.map((r) => r.values['cluster.threshold']), [0.3, 0.6, 0.9]);
    for (const row of detail.rows) {
      const metrics = await runMetrics(workspace.store, row.runId);
      assert.equal(row.f1, metrics.clusters?.f1 ?? null, `F1 of ${row.setting}`);
      assert.equal(row.strangersShare, metrics.strangersShare, `strangers of ${row.setting}`);
    }
    assert.match(detail.reference, /gold/);
    const bestF1 = Math.max(...detail.rows.map((r) => r.f1!));
    assert.ok(detail.best && Math.abs(detail.best.f1! - bestF1) < 1e-12, 'the best has the highest F1');
    assert.deepEqual(detail.current, { 'cluster.threshold': null }, 'the user spec sets no threshold');
    assert.equal((await get(app, '/api/sweeps/sweep-nope')).statusCode, 404);
  } finally {
    await app.close();
  }
});

test('adopting the best setting writes it into mnemo.yaml, keeping every comment and line of the file', { skip }, async () => {
  const { sweepId, config, workspace } = await setup();
  const app = await server();
  try {
    const before = readFileSync(config, 'utf8');
    const detail = (await get(app, `/api/sweeps/${sweepId}`)).json() as SweepDetail;
    const best = detail.best!.values['cluster.threshold'];

    assert.equal((await post(app, `/api/sweeps/${sweepId}/adopt`, {}, {})).statusCode, 403, 'a change needs X-Mnemo or the Origin');
    assert.equal(readFileSync(config, 'utf8'), before);

    const response = await post(app, `/api/sweeps/${sweepId}/adopt`, {});
    assert.equal(response.statusCode, 200, response.body);
    const result = response.json() as AdoptResult;
    assert.deepEqual(result.changes, [{ key: 'cluster.threshold', from: null, to: best }]);
    assert.equal(result.unchanged, false);
    const after = readFileSync(config, 'utf8');
    // Only lines were added: every line of the user's file is still there, in order.
    const added = after.split('\n').filter((line) => !before.split('\n').includes(line));
    assert.deepEqual(added, ['    params:', `      threshold: ${best}`]);
    assert.ok(after.includes('# my archive: do not lose this comment\n') && after.includes('  cluster: # see the sweep\n    params:\n') && after.includes('params: {seed: 42}   # keep the map stable'));
    assert.equal((await workspace.spec()).nodes.find((n) => n.name === 'cluster')!.params.threshold, best);
    assert.deepEqual(((await get(app, `/api/sweeps/${sweepId}`)).json() as SweepDetail).current, { 'cluster.threshold': best });

    // Again: nothing to change, nothing written.
    const again = (await post(app, `/api/sweeps/${sweepId}/adopt`, {})).json() as AdoptResult;
    assert.equal(again.unchanged, true);
    assert.equal(readFileSync(config, 'utf8'), after);

    // Another setting of the sweep, by its run: only the value changes.
    const other = detail.rows.find((r) => r.runId !== detail.best!.runId)!;
    const chosen = (await post(app, `/api/sweeps/${sweepId}/adopt`, { runId: other.runId })).json() as AdoptResult;
    assert.deepEqual(chosen.changes, [{ key: 'cluster.threshold', from: best, to: other.values['cluster.threshold'] }]);
    assert.equal(readFileSync(config, 'utf8'), after.replace(`threshold: ${best}`, `threshold: ${other.values['cluster.threshold']}`));

    assert.equal((await post(app, `/api/sweeps/${sweepId}/adopt`, { runId: 1 })).statusCode, 404, 'run 1 is not a setting of the sweep');
    assert.equal((await post(app, `/api/sweeps/${sweepId}/adopt`, { runId: '2' })).statusCode, 400, 'no coercion');
    assert.equal((await post(app, '/api/sweeps/sweep-nope/adopt', {})).statusCode, 404);
  } finally {
    await app.close();
  }
});

test('a setting the node refuses is never written: the file stays as it was', { skip }, async () => {
  const { config, workspace } = await setup();
  const before = readFileSync(config, 'utf8');
  await assert.rejects(adoptSetting(workspace, 'cluster.threshold=7'), (error: Error) => error.name === 'AppError' && /threshold/.test(error.message));
  await assert.rejects(adoptSetting(workspace, 'nosuchnode.x=1'), /no node named 'nosuchnode'/);
  assert.equal(readFileSync(config, 'utf8'), before);
});
