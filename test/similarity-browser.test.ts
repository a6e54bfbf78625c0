// Merge candidates and split suggestions in a real browser (headless
// Chromium, playwright-core) against the real server over a workspace on the
// face fixtures. Persons are made from the two real people: A and B from
// Obama's faces, "Mixed" from two of Obama's and both of Biden's. The People
// view shows A and B as maybe the same person; the merge control of A offers
// B first, with their closest faces side by side, and merging works; the person page of Mixed offers Biden's faces as a split
// suggestion, and splitting it makes a new person with those faces.
// Screenshots go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { facesFixtures } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { browserSkip, facesOf, get, openPage, post, screenshots, shoot, startServer, until, type Server } from './support/browser.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';

const skip = browserSkip;

interface PersonRow {
  personId: number;
  name: string;
  faces: number;
  mergedInto: number | null;
}

/** Face id per photo name; two_people.jpg gives ':left' (Obama) and ':right' (Biden). */
async function facesByPhoto(workspace: Workspace): Promise<Map<string, string>> {
  const { rows } = await query(workspace, 'SELECT name, face_id FROM latest.faces JOIN latest.files USING (file_id) WHERE NOT rejected ORDER BY name, x1');
  const faces = new Map<string, string>();
  for (const row of rows as { name: string; face_id: string }[]) {
    if (row.name !== 'two_people.jpg') faces.set(row.name, row.face_id);
    else faces.set(faces.has('two_people.jpg:left') ? 'two_people.jpg:right' : 'two_people.jpg:left', row.face_id);
  }
  return faces;
}

describe('merge candidates and split suggestions in a browser', { skip, concurrency: 1 }, () => {
  const dir = skip ? '' : tempDir('mnemo-similarity-browser-');
  let server: Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const ids = { a: 0, b: 0, mixed: 0 };
  let biden: string[] = [];

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    const config = join(dir, 'mnemo.yaml');
    writeFileSync(config, fixturePeopleYaml(facesFixtures));
    const workspace = await Workspace.open({ config });
    const [run] = await Promise.all([runToEnd(workspace), ensureWebBuild()]);
    assert.equal(run.status, 'succeeded');
    const face = await facesByPhoto(workspace);
    const faces = (...names: string[]) => names.map((name) => face.get(name)!);
    biden = faces('biden.jpg', 'two_people.jpg:right');
    server = await startServer(config);
    const split = async (name: string, faceIds: string[]) => (await post<{ personId: number }>(server, '/api/people/split', { faceIds, name })).personId;
    ids.a = await split('A', faces('obama.jpg', 'obama-240p.jpg', 'obama-480p.jpg'));
    ids.b = await split('B', faces('obama-720p.jpg', 'obama-1080p.jpg'));
    ids.mixed = await split('Mixed', [...faces('obama_small.jpg', 'obama2.jpg'), ...biden]);
    // The background re-match puts the faces on them in a new run.
    await until('the re-match with the new persons', async () => ((await facesOf(server, ids.mixed)).length >= 4 && (await facesOf(server, ids.b)).length >= 2 ? true : undefined), 90_000);
    ({ browser, page } = await openPage(900, pageErrors));
    console.log(`# screenshots: ${screenshots}`);
  });

  after(async () => {
    await browser?.close();
    await server?.app.close();
  });

  it('the merge control offers the most similar person first, with their closest faces, and merges', async () => {
    await page.goto(new URL('#/people', server.url).href);
    // Across the directory: A and B are the first pair shown as maybe the same person (Mixed, half Obama, comes after).
    const pair = page.locator('people-view .maybe-pair').first();
    await pair.waitFor();
    assert.deepEqual([await pair.getAttribute('data-person-id'), await pair.getAttribute('data-into')].map(Number).sort(), [ids.a, ids.b].sort());
    assert.equal(await pair.locator('img').count(), 2, 'their closest faces');
    const card = page.locator(`person-card[data-person-id="${ids.a}"]`);
    await card.locator('[data-action="merge"]').click();
    const first = card.locator('.suggestion').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-suggestion'), String(ids.b), 'B first');
    assert.equal(await first.getAttribute('aria-pressed'), 'true', 'and chosen');
    assert.match((await first.textContent()) ?? '', /B\s+\d+% alike/);
    // The evidence: pairs of faces, A's on the left, B's on the right.
    const [facesA, facesB] = [await facesOf(server, ids.a), await facesOf(server, ids.b)];
    const pairs = await card.locator('.evidence .pair').evaluateAll((els) => els.map((el) => [...el.querySelectorAll('img')].map((img) => decodeURIComponent(new URL(img.src).pathname.split('/')[3]!))));
    assert.ok(pairs.length >= 1 && pairs.length <= 3, JSON.stringify(pairs));
    for (const [left, right] of pairs) {
      assert.ok(facesA.includes(left!), `${left} is A's`);
      assert.ok(facesB.includes(right!), `${right} is B's`);
    }
    await until('the evidence crops', async () => ((await page.locator('people-view img').evaluateAll((imgs) => imgs.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0))) ? true : undefined), 15_000);
    assert.equal(await card.locator('select[name="into"] optgroup[label="Most alike"] option').first().getAttribute('value'), String(ids.b));
    await shoot(page, 'people-merge-suggestions');

    await card.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.locator('mnemo-toast .toast').getByText('Merged A into B').waitFor();
    const merged = (await get<{ people: PersonRow[] }>(server, '/api/people?hidden=true')).people.find((p) => p.personId === ids.a);
    assert.equal(merged?.mergedInto, ids.b);
    // A is merged: no pair with A is offered any more.
    const withA = page.locator(`people-view .maybe-pair[data-person-id="${ids.a}"], people-view .maybe-pair[data-into="${ids.a}"]`);
    await until('the pairs with A to go', async () => ((await withA.count()) === 0 ? true : undefined), 5_000);
  });

  it('a split suggestion on the person page becomes a new person', async () => {
    await page.goto(new URL(`#/people/${ids.mixed}`, server.url).href);
    const suggestion = page.locator('person-view .splits .split');
    await until('one split suggestion', async () => ((await suggestion.count()) === 1 ? true : undefined), 15_000);
    const shown = await suggestion.locator('face-grid .tile').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.faceId!).sort());
    assert.deepEqual(shown, [...biden].sort(), "Biden's two faces");
    await shoot(page, 'person-split-suggestions');

    await suggestion.locator('target-picker #new-name').fill('Joe');
    await suggestion.locator('target-picker #apply').click();
    await page.locator('mnemo-toast .toast').getByText('Moved 2 faces to Joe (new)').waitFor();
    await until('the suggestion to go', async () => ((await suggestion.count()) === 0 ? true : undefined), 5_000);
    const joe = await until('Joe after the re-match', async () => {
      const person = (await get<{ people: PersonRow[] }>(server, '/api/people')).people.find((p) => p.name === 'Joe');
      return person && (await facesOf(server, person.personId)).join() === [...biden].sort().join() ? person : undefined;
    }, 90_000);
    assert.ok(joe.personId > 0);
    await until('Mixed without Biden', async () => ((await facesOf(server, ids.mixed)).some((id) => biden.includes(id)) ? undefined : true), 90_000);
    // The pages show the split at once; the suggestions follow the run, so wait for the re-match to confirm it.
    await until('the re-match', async () => {
      const page = await get<{ items: { pending?: boolean }[] }>(server, `/api/people/${joe.personId}/faces?limit=500`);
      return page.items.some((face) => face.pending) ? undefined : true;
    }, 90_000);
    await server.context.runs.idle();
    const subclusters = page.waitForResponse((response) => response.url().includes(`/api/people/${ids.mixed}/subclusters`));
    await page.reload();
    await subclusters;
    await page.locator('person-view face-grid .tile').first().waitFor();
    assert.equal(await suggestion.count(), 0, 'nothing left to split');
    await shoot(page, 'person-after-split');
    assert.deepEqual(pageErrors, []);
  });
});
