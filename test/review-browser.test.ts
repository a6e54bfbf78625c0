// The review queue in a real browser (Debian's Chromium through
// playwright-core) against the real server over the face fixtures, with two
// persons named beforehand: the view shows the best suggestion with the
// person's faces beside it; the Clusters view offers "is this Biden?" with an
// accept button; a, x, s, u and n work from the keyboard and each decision
// reaches the API; a decided face never comes back, also after a run started
// from the page (the view refreshes by itself). Screenshots go to
// test-output/screenshots/review-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ReviewItem, ReviewQueue } from '../app/api-types.ts';
import { People } from '../app/people.ts';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { facesFixtures } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { browserSkip, get, openPage, post, screenshots, shoot, until, type Server } from './support/browser.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';

interface PersonPage {
  manualFaces: string[];
  notFaces: string[];
}

describe('the review queue in a browser', { skip: browserSkip, concurrency: 1 }, () => {
  const dir = browserSkip ? '' : tempDir('mnemo-review-browser-');
  let config = '';
  let server: Server;
  let browser: Browser;
  let page: Page;
  const decided = new Set<string>();
  const pageErrors: string[] = [];
  const timings: Record<string, number> = {};

  const view = () => page.locator('review-view');
  const current = () => view().evaluate((el) => (el as unknown as { current: ReviewItem | undefined }).current);
  const queued = () => view().evaluate((el) => (el as unknown as { queue: ReviewItem[] }).queue.flatMap((item) => item.faceIds));
  const person = (id: number) => get<PersonPage>(server, `/api/people/${id}`);

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    config = join(dir, 'mnemo.yaml');
    writeFileSync(config, fixturePeopleYaml(facesFixtures));
    const [run] = await Promise.all([Workspace.open({ config }).then((ws) => runToEnd(ws)), ensureWebBuild()]);
    assert.equal(run.status, 'succeeded');
    // Two persons named before the server starts: the run knows nobody, so every other face has a suggestion.
    const workspace = await Workspace.open({ config });
    const face = async (name: string) =>
      ((await query(workspace, `SELECT face_id FROM latest.faces JOIN latest.files USING (file_id) WHERE name = '${name}' AND NOT rejected`)).rows[0] as { face_id: string }).face_id;
    const people = await People.open(workspace);
    await people.split([await face('obama.jpg')], 'Obama');
    await people.split([await face('biden.jpg')], 'Biden');
    // No re-match while the keys are pressed (a re-match would name the rest at once): the last test runs the pipeline itself.
    const { serve } = await import('../workbench/server/server.ts');
    server = await serve(workspace, { port: 0, rematchDebounceMs: 600_000 });
    ({ browser, page } = await openPage(800, pageErrors));
  });

  after(async () => {
    console.log(`# timings: ${JSON.stringify(timings)}`);
    await browser?.close();
    await server?.app.close();
  });

  it('shows the best suggestion, the person\'s faces beside it, and the queue', async () => {
    const started = Date.now();
    await page.goto(new URL('#/review', server.url).href);
    await view().locator('section.card').waitFor();
    timings.firstItemMs = Date.now() - started;
    const best = (await get<ReviewQueue>(server, '/api/review/next?limit=1')).items[0]!;
    assert.deepEqual((await current())!.faceIds, best.faceIds);
    assert.equal(await view().locator('section.card').getAttribute('data-person-id'), String(best.personId));
    // The obama faces of one cluster come as one group; j moves to it.
    const queue = await view().evaluate((el) => (el as unknown as { queue: ReviewItem[] }).queue);
    const groupAt = queue.findIndex((item) => item.kind === 'group');
    assert.ok(groupAt >= 0, 'a group in the queue');
    for (let i = 0; i < groupAt; i++) await page.keyboard.press('j');
    assert.equal((await current())!.kind, 'group');
    assert.equal(await view().locator('.subject.group .tile').count(), queue[groupAt]!.faceIds.length);
    await shoot(page, 'review-group');
    await view().locator('#groups').uncheck();
    await until('one face per item', async () => ((await current())?.faceIds.length === 1 ? true : undefined), 10_000);
    assert.match(await view().locator('.question').innerText(), /Is this (Obama|Biden)\?\s*0\.\d\d/);
    assert.equal(await view().locator('.evidence .tile').count(), 1, 'the one manual face of the person');
    await shoot(page, 'review');
    assert.deepEqual(pageErrors, []);
  });

  it('the clusters view asks "is this Biden?" on an unnamed cluster and accepts it', async () => {
    const suggestions = (await get<{ clusters: { clusterId: number; personId: number; personName: string; faceIds: string[] }[] }>(server, '/api/review/clusters')).clusters;
    const biden = suggestions.find((s) => s.personName === 'Biden');
    assert.ok(biden, JSON.stringify(suggestions));
    await page.goto(new URL('#/clusters', server.url).href);
    const card = page.locator(`cluster-card:has(h2:text-is("Cluster ${biden.clusterId}"))`);
    await card.locator('.suggestion').waitFor();
    assert.match(await card.locator('.suggestion').innerText(), /Is this Biden\?\s*0\.\d\d\s*Accept/);
    await until('the cluster\'s faces', async () => ((await card.locator('face-grid .tile').count()) > 0 ? true : undefined), 10_000);
    await shoot(page, 'review-clusters');
    await card.locator('button.accept').click();
    await until('the cluster\'s faces on Biden', async () => {
      const { manualFaces } = await person(biden.personId);
      return biden.faceIds.every((id) => manualFaces.includes(id)) ? true : undefined;
    }, 10_000);
    biden.faceIds.forEach((id) => decided.add(id));
    await page.goto(new URL('#/review', server.url).href);
    await view().locator('section.card').waitFor();
    assert.equal((await current())!.faceIds.length, 1, 'the choice of one face per item is remembered');
    assert.ok(!(await queued()).some((id) => decided.has(id)));
  });

  it('a accepts, x rejects, s skips and u undoes, from the keyboard; the decisions reach the API', async () => {
    const accepted = (await current())!;
    await page.keyboard.press('a');
    await until('the accepted face on the person', async () => ((await person(accepted.personId)).manualFaces.includes(accepted.faceIds[0]!) ? true : undefined), 10_000);
    accepted.faceIds.forEach((id) => decided.add(id));
    const rejected = (await current())!;
    assert.notDeepEqual(rejected.faceIds, accepted.faceIds, 'the next item is shown');
    await page.keyboard.press('x');
    await until('"not this person" in the journal', async () => ((await person(rejected.personId)).notFaces.includes(rejected.faceIds[0]!) ? true : undefined), 10_000);
    const skipped = (await current())!;
    assert.notDeepEqual(skipped.faceIds, rejected.faceIds);
    // Skipping to an item whose crops were loaded ahead: how long until its face is on screen.
    timings.skipToNextFaceShownMs = await view().evaluate(async (el) => {
      const started = performance.now();
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 's' }));
      await (el as unknown as { updateComplete: Promise<boolean> }).updateComplete;
      const img = el.shadowRoot!.querySelector<HTMLImageElement>('.subject .tile img');
      if (img && !img.complete) await img.decode();
      return img ? Math.round((performance.now() - started) * 10) / 10 : -1;
    });
    assert.ok(timings.skipToNextFaceShownMs >= 0, 'the next face was on screen at once (its crop preloaded)');
    assert.ok(!(await queued()).includes(skipped.faceIds[0]!), 'skipped: out of the queue');

    await page.keyboard.press('u');
    await until('the rejection undone', async () => (!(await person(rejected.personId)).notFaces.includes(rejected.faceIds[0]!) ? true : undefined), 10_000);
    assert.deepEqual((await current())!.faceIds, rejected.faceIds, 'the undone item is shown again');
    const queue = await queued();
    assert.ok(!accepted.faceIds.some((id) => queue.includes(id)), 'the accepted face never comes back');
    const server_ = await get<ReviewQueue>(server, '/api/review/next?limit=50&groups=false');
    assert.ok(!server_.items.some((item) => item.faceIds.includes(accepted.faceIds[0]!)));
    await shoot(page, 'review-after-undo');
    assert.deepEqual(pageErrors, []);
  });

  it('n names the face: a new person with that face', async () => {
    const named = (await current())!;
    await page.keyboard.press('n');
    const input = view().locator('target-picker #new-name');
    await input.waitFor();
    await input.pressSequentially('Someone New');
    await shoot(page, 'review-naming');
    await input.press('Enter');
    const created = await until('the new person', async () => {
      const { people } = await get<{ people: { personId: number; name: string }[] }>(server, '/api/people');
      return people.find((p) => p.name === 'Someone New');
    }, 10_000);
    assert.deepEqual((await person(created.personId)).manualFaces, named.faceIds);
    named.faceIds.forEach((id) => decided.add(id));
    assert.notDeepEqual((await current())?.faceIds, named.faceIds);
  });

  it('a run started from the page re-matches: the view refreshes by itself, decided faces stay out', async () => {
    const before = await queued();
    const { runId } = await post<{ runId: number }>(server, '/api/runs', {});
    await until('the run to finish', async () => {
      const { runs } = await get<{ runs: { runId: number; status: string }[] }>(server, '/api/runs');
      return runs.find((run) => run.runId === runId && run.status !== 'running');
    }, 120_000);
    const fresh = await get<ReviewQueue>(server, '/api/review/next?limit=50&groups=false');
    assert.equal(fresh.runId, runId);
    assert.ok(!fresh.items.some((item) => item.faceIds.some((id) => decided.has(id))), 'not from the server');
    // The shell hears run-finished and bumps the views' generation: the queue is asked again, no reload.
    await until('the view to show the new queue', async () => ((await queued()).length === fresh.items.length ? true : undefined), 20_000);
    const queue = await queued();
    assert.ok(![...decided].some((id) => queue.includes(id)), 'not in the view');
    assert.ok(queue.length < before.length || fresh.items.length === 0, `the run named faces like the ones named (${before.length} -> ${queue.length})`);
    await shoot(page, 'review-after-run');
    assert.deepEqual(pageErrors, []);
  });
});
