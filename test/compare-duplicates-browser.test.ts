// The Compare and Duplicates views in a real browser (Debian's Chromium
// through playwright-core) against the real server, over one archive: the
// face fixtures plus a newer exact copy of obama.jpg, run twice (cluster
// threshold 0.6, then 0.45 after one face was named), with gold and a sweep
// of three thresholds. The compare view shows the deltas and the flow; the
// sweep's best setting is adopted into mnemo.yaml from the page; a keeper
// decision survives a reload. Screenshots: test-output/screenshots/compare-*.png
// and duplicates-*.png.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CompareView, SweepDetail } from '../app/compare-types.ts';
import type { DuplicateGroups } from '../app/duplicate-types.ts';
import { runToEnd } from '../app/pipeline.ts';
import { parseSweepAxis, sweepWorkspace } from '../app/sweeps.ts';
import { Workspace } from '../app/workspace.ts';
import { importFacesGold } from '../datasets/gold.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { facesFixtures } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { browserSkip, get, openPage, screenshots, startServer, until, type Server } from './support/browser.ts';

const yaml = (photos: string) => `# the family archive
data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(photos)}
nodes:
  scan:
  hash:
  exif:
  images:
    params: {thumbnails: {enabled: false}, pets: {enabled: false}}
  # tuned from the Compare view
  cluster:
  assign:
  umap:
  near_duplicates:
`;

/** The views scroll inside <main>, so a full-page shot shows one screen: make the screen tall for the shot. */
async function tallScreenshot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: size.width, height: 2200 });
  // Lazy photos that came into view load; crops too.
  await until(`the pictures of ${name}`, async () => {
    const waiting = await page.locator('img').evaluateAll((imgs) => imgs.filter((img) => img.getBoundingClientRect().top < innerHeight && !((img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)).length);
    return waiting === 0 ? true : undefined;
  });
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
  await page.setViewportSize(size);
}

describe('the Compare and Duplicates views in a browser', { skip: browserSkip, concurrency: 1 }, () => {
  const dir = browserSkip ? '' : tempDir('mnemo-compare-browser-');
  const config = join(dir, 'mnemo.yaml');
  let server: Server;
  let browser: Browser;
  let page: Page;
  let runA = 0;
  let runB = 0;
  let sweepId = '';
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    const photos = join(dir, 'photos');
    cpSync(facesFixtures, photos, { recursive: true });
    mkdirSync(join(photos, 'copies'));
    copyFileSync(join(photos, 'obama.jpg'), join(photos, 'copies', 'obama.jpg'));
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(photos, 'copies', 'obama.jpg'), later, later);
    writeFileSync(config, yaml(photos));
    const workspace = await Workspace.open({ config });
    const [a] = await Promise.all([runToEnd(workspace), ensureWebBuild()]);
    assert.equal(a.status, 'succeeded');
    runA = a.runId;
    const { rows } = await readOnlyQuery(workspace.store, `SELECT f.face_id, fi.name FROM run${runA}.faces f JOIN run${runA}.files fi USING (file_id) WHERE NOT f.rejected ORDER BY fi.path, f.x1`);
    const faces = rows as { face_id: string; name: string }[];
    const persons = await Persons.open(workspace.store, { author: 'test' });
    await persons.assign([faces.find((f) => f.name === 'obama.jpg')!.face_id], String((await persons.create('Obama')).personId));
    const b = await runToEnd(workspace, { set: ['cluster.threshold=0.45'] });
    assert.equal(b.status, 'succeeded');
    runB = b.runId;
    const gold = faces.map((f) => `${f.face_id},${f.name.startsWith('biden') ? 'biden' : 'obama'},true`);
    writeFileSync(join(dir, 'gold.csv'), ['face_id,person_name,is_face', ...gold].join('\n'));
    await importFacesGold(workspace.store, join(dir, 'gold.csv'));
    sweepId = (await sweepWorkspace(workspace, [parseSweepAxis('cluster.threshold=0.3,0.6,0.9')])).sweepId;
    server = await startServer(config);
    ({ browser, page } = await openPage(900, pageErrors));
  });

  after(async () => {
    await browser?.close();
    await server?.app.close();
    assert.deepEqual(pageErrors, [], 'no script errors on the pages');
  });

  it('compares two runs: the deltas, the parameter that differs, the flow of clusters, the moved faces, accuracy', async () => {
    const expected = await get<CompareView>(server, `/api/compare?a=${runA}&b=${runB}`);
    await page.goto(new URL(`#/compare/${runA}/${runB}`, server.url).href);
    const view = page.locator('compare-view');
    await view.locator('table.counts tbody tr').first().waitFor();
    // Every count row, with the numbers of the report.
    for (const count of expected.report.counts.filter((c) => ['faces', 'clusters', 'persons'].includes(c.key))) {
      const cells = await view.locator(`table.counts tr[data-key="${count.key}"] td`).allInnerTexts();
      assert.deepEqual(cells.slice(1, 3), [String(count.a), String(count.b)], count.key);
    }
    assert.deepEqual(await view.locator('table.params tbody td').allInnerTexts(), ['cluster.threshold', '0.6', '0.45']);
    // The flow: one band per link the server sent, kinds as it said.
    const bands = view.locator('cluster-flow path.link');
    await bands.first().waitFor();
    assert.equal(await bands.count(), expected.flow!.links.length);
    assert.deepEqual(await bands.evaluateAll((paths) => paths.map((p) => p.getAttribute('data-kind'))), expected.flow!.links.map((l) => l.kind));
    const box = await view.locator('cluster-flow svg').boundingBox();
    assert.ok(box && box.width > 400 && box.height > 150, `the flow is drawn at a readable size (${JSON.stringify(box)})`);
    // The faces that changed person, as a grid of crops.
    assert.equal(await view.locator('face-grid.moved .tile').count(), Math.min(60, expected.report.persons!.sampleFaceIds.length));
    assert.ok(expected.report.persons!.moved > 0, 'naming a face moved faces');
    // Accuracy with intervals and the verdict in words.
    assert.ok((await view.locator('section.accuracy').count()) > 0);
    assert.match(await view.locator('p.verdict').first().innerText(), /McNemar p = /);
    await until('the crops of the moved faces', async () => ((await view.locator('face-grid.moved .tile img').count()) === (await view.locator('face-grid.moved .tile').count()) ? true : undefined));
    await tallScreenshot(page, 'compare-runs');
  });

  it('shows a sweep as a table and a chart with the best setting marked, and adopts it into mnemo.yaml', async () => {
    const detail = await get<SweepDetail>(server, `/api/sweeps/${sweepId}`);
    const best = detail.best!;
    await page.goto(new URL(`#/compare/sweep/${sweepId}`, server.url).href);
    await page.reload(); // a hash change alone keeps the element: the route is read on load
    const panel = page.locator('sweep-panel');
    await panel.locator('tbody tr').first().waitFor();
    assert.equal(await panel.locator('tbody tr').count(), 3);
    assert.equal(await panel.locator('tr.best').getAttribute('data-run'), String(best.runId));
    await panel.locator('.chart svg').first().waitFor();
    assert.ok((await panel.locator('.chart svg [aria-label="line"] path, .chart svg g[aria-label="line"] path').count()) >= 2, 'one line for F1, one for strangers');
    const before = readFileSync(config, 'utf8');
    await tallScreenshot(page, 'compare-sweep');
    await panel.locator('button[data-action="adopt"]').click();
    await panel.locator('p.adopted').waitFor();
    assert.match(await panel.locator('p.adopted').innerText(), new RegExp(`cluster.threshold not set \\(default\\) → ${best.values['cluster.threshold']}`));
    const after = readFileSync(config, 'utf8');
    assert.equal(after, before.replace('  cluster:\n', `  cluster:\n    params:\n      threshold: ${best.values['cluster.threshold']}\n`), 'only the value was added; the comments stay');
    await until('the button to say it is adopted', async () => ((await panel.locator('button[data-action="adopt"]').isDisabled()) ? true : undefined));
    await tallScreenshot(page, 'compare-sweep-adopted');
  });

  it('records a keeper decision that survives a reload', async () => {
    await page.goto(new URL('#/duplicates', server.url).href);
    await page.reload();
    const view = page.locator('duplicates-view');
    await view.locator('article.group').first().waitFor();
    const groups = await get<DuplicateGroups>(server, '/api/duplicates?limit=1000');
    const exact = groups.groups.find((g) => g.kind === 'exact')!;
    const copy = exact.members.find((m) => m.path === 'copies/obama.jpg')!;
    assert.notEqual(exact.keeper, copy.fileId, 'the original is the suggestion');
    const card = view.locator(`article.group[data-key="${exact.key}"]`);
    assert.match(await card.locator('p.reason').innerText(), /Identical bytes/);
    await card.locator(`figure[data-file-id="${copy.fileId}"] button[data-action="keep"]`).click();
    await until('the decision', async () => ((await card.locator(`figure[data-file-id="${copy.fileId}"]`).getAttribute('data-keeper')) === 'true' ? true : undefined));
    await page.reload();
    const again = page.locator(`duplicates-view article.group[data-key="${exact.key}"]`);
    await again.waitFor();
    assert.equal(await again.locator(`figure[data-file-id="${copy.fileId}"]`).getAttribute('data-keeper'), 'true');
    assert.match(await again.locator('.decided').innerText(), /your choice/);
    await again.scrollIntoViewIfNeeded();
    await until('the photos of the group', async () => {
      const images = again.locator('img');
      const loaded = await images.evaluateAll((imgs) => imgs.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0).length);
      return loaded === (await images.count()) ? true : undefined;
    });
    await tallScreenshot(page, 'duplicates-decided');
    const decided = await get<DuplicateGroups>(server, '/api/duplicates?limit=1000');
    assert.equal(decided.groups.find((g) => g.key === exact.key)!.decision!.keeperFileId, copy.fileId);
  });
});
