// The workbench web app in a real browser (headless Chromium from Debian,
// driven by playwright-core) against the real server (workbench/server) over
// a workspace on the face fixtures: the face map draws, a lasso selection
// becomes a person that survives a reload and a server restart, merge and
// undo work from the People view, and a run started from the Runs view
// reports its progress. Screenshots of every view go to
// test-output/screenshots/ (printed), for people to look at.
//
// Without Chromium the suite skips with the reason; on CI (CI set) it fails.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runToEnd } from '../app/pipeline.ts';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { facesFixtures } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { browserSkip, CHROMIUM, facesOf, get, haveChromium, INSTALL_CHROMIUM, openPage, post, screenshots, shoot, startServer, until, type Server } from './support/browser.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';

const skip = browserSkip;

test('Chromium is installed for the browser tests on CI', { skip: process.env.CI ? false : 'not on CI (CI is not set)' }, () => {
  assert.ok(haveChromium, `the workbench browser tests need Chromium at ${CHROMIUM}: ${INSTALL_CHROMIUM}`);
});

interface MapData {
  runId: number;
  faceIds: string[];
  x: number[];
  y: number[];
  cluster: number[];
}

interface PersonRow {
  personId: number;
  name: string;
  faces: number;
  mergedInto: number | null;
}

describe('the workbench in a browser', { skip, concurrency: 1 }, () => {
  const dir = skip ? '' : tempDir('mnemo-browser-'); // made here: tempDir's cleanup then runs when the file ends
  let config = '';
  let server: Server;
  let browser: Browser;
  let page: Page;
  const timings: Record<string, number> = {};
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    config = join(dir, 'mnemo.yaml');
    writeFileSync(config, fixturePeopleYaml(facesFixtures));
    const [run, build] = await Promise.all([Workspace.open({ config }).then((ws) => runToEnd(ws)), ensureWebBuild()]);
    assert.equal(run.status, 'succeeded');
    timings.webBuildMs = build.ms;
    server = await startServer(config);
    ({ browser, page } = await openPage(800, pageErrors));
    if (process.env.MNEMO_BROWSER_LOG) {
      page.on('console', (message) => console.log(`# browser ${message.type()}: ${message.text()}`));
      page.on('response', (response) => console.log(`# browser ${response.request().method()} ${response.url()}: ${response.status()}`));
    }
    console.log(`# screenshots: ${screenshots}`);
  });

  after(async () => {
    console.log(`# timings: ${JSON.stringify(timings)}`);
    await browser?.close();
    await server?.app.close();
  });

  it('draws the face map: points on the canvas, coloured by cluster', async () => {
    const started = Date.now();
    await page.goto(new URL('#/map', server.url).href);
    const map = page.locator('face-map');
    await map.locator('canvas').waitFor();
    await until('the points drawn', async () => ((await map.getAttribute('data-drawn')) === 'true' ? true : undefined), 20_000);
    timings.mapPointsDrawnMs = await map.evaluate((el) => Math.round((el as unknown as { firstDrawMs: number }).firstDrawMs));
    timings.mapGotoToDrawnMs = Date.now() - started;
    // Pixels that are not the background: the points.
    const painted = await map.evaluate((el) => {
      const canvas = el.shadowRoot!.querySelector('canvas')!;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245) count++;
      return { count, width: canvas.width, height: canvas.height };
    });
    assert.ok(painted.width > 100 && painted.height > 100, JSON.stringify(painted));
    assert.ok(painted.count > 50, `points drawn: ${painted.count} non-background pixels`);
    await page.locator('#coloring').selectOption('quality');
    await page.locator('#coloring').selectOption('cluster');
    await shoot(page, 'map');
    assert.deepEqual(pageErrors, []);
  });

  it('the clusters view lists unnamed clusters, largest first, with their faces', async () => {
    const { clusters } = await get<{ clusters: { clusterId: number; faces: number }[] }>(server, '/api/clusters?run=latest&unnamed=true');
    await page.goto(new URL('#/clusters', server.url).href);
    const cards = page.locator('cluster-card');
    await until('the cluster cards', async () => ((await cards.count()) === clusters.filter((c) => c.clusterId >= 0).length ? true : undefined), 10_000);
    const sizes = clusters.filter((c) => c.clusterId >= 0).map((c) => c.faces).sort((a, b) => b - a);
    const first = cards.first().locator('.tile');
    await until('the faces of the largest cluster', async () => ((await first.count()) === Math.min(24, sizes[0]!) ? true : undefined), 10_000);
    await shoot(page, 'clusters');
  });

  it('a real shift+drag lasso selects the points inside it', async () => {
    await page.goto(new URL('#/map', server.url).href);
    await until('the points drawn', async () => ((await page.locator('face-map').getAttribute('data-drawn')) === 'true' ? true : undefined), 20_000);
    const map = page.locator('face-map');
    const box = (await map.boundingBox())!;
    // A rectangle around the left half of the map, drawn in 12 moves.
    const corners: [number, number][] = [
      [box.x + 4, box.y + 4],
      [box.x + box.width / 2, box.y + 4],
      [box.x + box.width / 2, box.y + box.height - 4],
      [box.x + 4, box.y + box.height - 4],
      [box.x + 4, box.y + 8],
    ];
    await page.keyboard.down('Shift');
    await page.mouse.move(...corners[0]);
    await page.mouse.down();
    for (let c = 1; c < corners.length; c++) {
      const [x0, y0] = corners[c - 1];
      const [x1, y1] = corners[c];
      for (let s = 1; s <= 3; s++) await page.mouse.move(x0 + ((x1 - x0) * s) / 3, y0 + ((y1 - y0) * s) / 3);
    }
    await page.mouse.up();
    await page.keyboard.up('Shift');
    // The points whose screen position is inside the rectangle.
    const expected = await map.evaluate((el, width) => {
      const m = el as unknown as { data: { faceIds: string[] }; screenPosition(i: number): [number, number] | undefined };
      return m.data.faceIds.filter((_, i) => {
        const at = m.screenPosition(i);
        return at !== undefined && at[0] > 6 && at[0] < width / 2 - 2 && at[1] > 10 && at[1] < el.clientHeight - 6;
      });
    }, box.width);
    assert.ok(expected.length > 0, 'some faces lie in the left half');
    const tiles = page.locator('map-view aside face-grid .tile');
    await until('the selection grid', async () => ((await tiles.count()) === expected.length ? true : undefined), 10_000);
    const shown = await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.faceId!).sort());
    assert.deepEqual(shown, [...expected].sort());
    await page.keyboard.press('Escape');
    await until('the selection to clear', async () => ((await tiles.count()) === 0 ? true : undefined), 10_000);
  });

  let lassoPersonId = 0;
  let lassoFaces: string[] = [];

  it('a lasso selection assigned to a new person creates that person with those faces', async () => {
    const data = await get<MapData>(server, '/api/map?run=latest');
    // The lasso: a polygon around the faces of cluster 0, in the map's own coordinates.
    const inCluster = data.faceIds.map((_, i) => i).filter((i) => data.cluster[i] === 0);
    assert.ok(inCluster.length >= 2, 'cluster 0 has faces');
    const pad = 0.02;
    const xs = inCluster.map((i) => data.x[i]);
    const ys = inCluster.map((i) => data.y[i]);
    const [x0, x1, y0, y1] = [Math.min(...xs) - pad, Math.max(...xs) + pad, Math.min(...ys) - pad, Math.max(...ys) + pad];
    const inside = data.faceIds.filter((_, i) => data.x[i] >= x0 && data.x[i] <= x1 && data.y[i] >= y0 && data.y[i] <= y1);
    await page.locator('face-map').evaluate((el, polygon) => (el as unknown as { lassoSelect(v: [number, number][]): void }).lassoSelect(polygon), [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ] as [number, number][]);
    const tiles = page.locator('map-view aside face-grid .tile');
    await until('the selection grid', async () => ((await tiles.count()) === inside.length ? true : undefined), 10_000);
    lassoFaces = (await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.faceId!))).sort();
    assert.deepEqual(lassoFaces, [...inside].sort());
    await shoot(page, 'map-selection');

    await page.locator('map-view target-picker #new-name').fill('Lasso Person');
    await page.locator('map-view target-picker #apply').click();
    await page.locator('mnemo-toast .toast').getByText('Lasso Person').waitFor();
    const person = await until('the new person', async () => (await get<{ people: PersonRow[] }>(server, '/api/people')).people.find((p) => p.name === 'Lasso Person'));
    lassoPersonId = person.personId;
    // The re-match puts the faces on the person in the latest run.
    await until('the re-match', async () => ((await facesOf(server, lassoPersonId)).join() === lassoFaces.join() ? true : undefined));
  });

  it('the person and their faces are there after a reload', async () => {
    await page.goto(new URL('#/people', server.url).href);
    await page.reload();
    const card = page.locator('person-card').filter({ hasText: 'Lasso Person' });
    await card.waitFor();
    await until('the face count on the card', async () => ((await card.locator('.count').first().textContent())?.includes(`${lassoFaces.length} faces`) ? true : undefined), 10_000);
    await shoot(page, 'people');
    await card.locator('a.cover').click();
    await page.locator('person-view h1').getByText('Lasso Person').waitFor();
    const tiles = page.locator('person-view face-grid .tile');
    await until('the person page faces', async () => ((await tiles.count()) === lassoFaces.length ? true : undefined), 10_000);
    assert.deepEqual((await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.faceId!))).sort(), lassoFaces);
    // Select with a click and a shift-click: the range.
    await tiles.first().click();
    await tiles.last().click({ modifiers: ['Shift'] });
    assert.equal(await page.locator('person-view face-grid .tile[aria-pressed="true"]').count(), lassoFaces.length);
    await page.locator('person-view target-picker label').getByText(`Move ${lassoFaces.length} faces to`).waitFor();
    await shoot(page, 'person');
  });

  it('the person and their faces are there after a server restart', async () => {
    await page.goto('about:blank'); // the page's event stream would hold the server open
    await server.app.close();
    server = await startServer(config);
    await page.goto(new URL(`#/people/${lassoPersonId}`, server.url).href);
    await page.locator('person-view h1').getByText('Lasso Person').waitFor();
    const tiles = page.locator('person-view face-grid .tile');
    await until('the person page faces', async () => ((await tiles.count()) === lassoFaces.length ? true : undefined), 10_000);
    assert.deepEqual((await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.faceId!))).sort(), lassoFaces);
    assert.deepEqual(await facesOf(server, lassoPersonId), lassoFaces);
  });

  it('merge and undo work from the People view', async () => {
    // A second person to merge into: the faces outside the lasso.
    const data = await get<MapData>(server, '/api/map?run=latest');
    const others = data.faceIds.filter((id) => !lassoFaces.includes(id));
    assert.ok(others.length > 0, 'faces outside the lasso');
    const { personId: intoId } = await post<{ personId: number }>(server, '/api/people/split', { faceIds: others, name: 'Second Person' });

    await page.goto(new URL('#/people', server.url).href);
    const lassoCard = page.locator(`person-card[data-person-id="${lassoPersonId}"]`);
    await page.locator(`person-card[data-person-id="${intoId}"]`).waitFor();
    await lassoCard.locator('[data-action="merge"]').click();
    await lassoCard.locator('select[name="into"]').selectOption(String(intoId));
    await lassoCard.getByRole('button', { name: 'Merge', exact: true }).click();
    const toast = page.locator('mnemo-toast .toast');
    await toast.getByText('Merged Lasso Person into Second Person').waitFor();
    await lassoCard.waitFor({ state: 'detached' });
    const merged = (await get<{ people: PersonRow[] }>(server, '/api/people?hidden=true')).people.find((p) => p.personId === lassoPersonId);
    assert.equal(merged?.mergedInto, intoId);
    await shoot(page, 'people-merged-toast');

    await toast.getByRole('button', { name: 'Undo' }).click();
    await toast.getByText('Undone').waitFor();
    await lassoCard.waitFor();
    const back = (await get<{ people: PersonRow[] }>(server, '/api/people')).people.find((p) => p.personId === lassoPersonId);
    assert.equal(back?.mergedInto, null);
    await until('the re-match after undo', async () => ((await facesOf(server, lassoPersonId)).join() === lassoFaces.join() ? true : undefined));
  });

  it('moves selected faces from a person page to another person', async () => {
    const second = (await get<{ people: PersonRow[] }>(server, '/api/people')).people.find((p) => p.name === 'Second Person')!;
    await page.goto(new URL(`#/people/${lassoPersonId}`, server.url).href);
    const tiles = page.locator('person-view face-grid .tile');
    await until('the person page faces', async () => ((await tiles.count()) === lassoFaces.length ? true : undefined), 10_000);
    const moved = (await tiles.first().getAttribute('data-face-id'))!;
    await tiles.first().click();
    await page.locator('person-view target-picker label').getByText('Move 1 face to').waitFor();
    await page.locator('person-view target-picker #target').selectOption(String(second.personId));
    await page.locator('person-view target-picker #apply').click();
    await page.locator('mnemo-toast .toast').getByText(/Second Person/).waitFor();
    // The journal has the decision at once; the re-match puts the face on the other person.
    await until('the face on Second Person', async () => ((await facesOf(server, second.personId)).includes(moved) ? true : undefined));
    assert.ok(!(await facesOf(server, lassoPersonId)).includes(moved), 'the face left the first person');
    await until('the page without the moved face', async () => ((await tiles.count()) === lassoFaces.length - 1 ? true : undefined), 10_000);
    lassoFaces = lassoFaces.filter((id) => id !== moved);
  });

  it('renames inline and hides a person into the hidden section', async () => {
    await page.goto(new URL('#/people', server.url).href);
    const card = page.locator('person-card').filter({ hasText: 'Second Person' });
    const id = await card.getAttribute('data-person-id');
    await card.locator('[data-action="rename"]').click();
    const input = page.locator(`person-card[data-person-id="${id}"] input[name="name"]`);
    await input.fill('Grandma');
    await input.press('Enter');
    await page.locator('mnemo-toast .toast').getByText('Renamed Second Person to Grandma').waitFor();
    const grandma = page.locator(`person-card[data-person-id="${id}"]`);
    await grandma.locator('.name').getByText('Grandma').waitFor();
    await grandma.locator('[data-action="hide"]').click();
    await page.locator('people-view details.hidden summary').getByText('Hidden (1)').waitFor();
    await page.locator('people-view details.hidden summary').click();
    await shoot(page, 'people-hidden');
  });

  it('the clusters view shows what is left unnamed after the decisions', async () => {
    await page.goto(new URL('#/clusters', server.url).href);
    await page.locator('clusters-view h1').waitFor();
    await page.locator('clusters-view p.muted').first().getByText(/unnamed|Every cluster/).waitFor();
    await shoot(page, 'clusters-after');
  });

  it('the runs view starts a run and shows its progress', async () => {
    await page.goto(new URL('#/runs', server.url).href);
    const rows = page.locator('runs-view tbody tr');
    await rows.first().waitFor();
    // The re-matches after the last decisions (debounced 100 ms; one may follow another) are runs of this server too: let them finish.
    do {
      await server.context.runs.idle();
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (server.context.runs.busy);
    await page.reload();
    await rows.first().waitFor();
    const before = await rows.count();
    await page.locator('#run-now').click();
    try {
      await page.locator('runs-view .live h2').getByText(/succeeded/).waitFor({ timeout: 60_000 });
    } catch (error) {
      await page.screenshot({ path: join(screenshots, 'runs-failed.png') });
      throw error;
    }
    await until('the new run in the table', async () => ((await rows.count()) > before ? true : undefined), 10_000);
    assert.ok((await page.locator('runs-view .live .node').count()) >= 6, 'a line per node');
    await shoot(page, 'runs');
    assert.deepEqual(pageErrors, []);
  });
});
