// A notebook in a real browser (Debian's Chromium through playwright-core)
// against the real server over a store of two runs: the list links to it; it
// runs by itself and shows each cell's rows in a grid and its chart (one bar
// per cluster of the latest run); switching the run re-runs it on that run;
// a header click sorts the grid; a new notebook is written from the list;
// an edited cell saves and only its line changes in the file; a cell's error
// shows its line. Screenshots go to
// test-output/screenshots/notebook-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { tempDir } from './helpers.ts';
import { CHROMIUM, haveChromium, INSTALL_CHROMIUM, openPage, screenshots, until, type Server } from './support/browser.ts';
import { COUNTS_NOTEBOOK, notebookStore } from './support/notebook-store.ts';

// CI=true runs it regardless: there a missing Chromium is a failure, not a skip.
const skip = haveChromium || process.env.CI === 'true' ? false : `Chromium not found at ${CHROMIUM} (install it: ${INSTALL_CHROMIUM})`;

describe('a notebook in a browser', { skip, concurrency: 1 }, () => {
  const dir = skip ? '' : tempDir('mnemo-notebook-browser-');
  let server: Server;
  let browser: Browser;
  let page: Page;
  let runIds: [number, number];
  const pageErrors: string[] = [];
  const view = () => page.locator('notebook-view');
  const bars = () => view().locator('figure.chart svg [aria-label="bar"] rect').count();

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    ({ runIds } = await notebookStore(join(dir, 'data')));
    const config = join(dir, 'mnemo.yaml');
    writeFileSync(config, 'data: ./data\n');
    mkdirSync(join(dir, 'notebooks'));
    writeFileSync(join(dir, 'notebooks', 'counts.md'), COUNTS_NOTEBOOK);
    await ensureWebBuild();
    const { serve } = await import('../workbench/server/server.ts');
    server = await serve(await Workspace.open({ config, data: join(dir, 'data') }), { port: 0, logger: false });
    ({ browser, page } = await openPage(1000, pageErrors));
  });

  after(async () => {
    await browser?.close();
    await server?.app.close();
  });

  it('opens from the list, runs, and shows the rows and the chart of the latest run', async () => {
    await page.goto(new URL('#/notebooks', server.url).href);
    await view().locator('a', { hasText: 'Counts' }).click();
    await view().locator('figure.chart svg').waitFor({ timeout: 30_000 });
    assert.equal(await bars(), 7, 'one bar per cluster of the latest run (7)');
    const total = view().locator('section.cell[data-cell="total"] result-grid .row');
    assert.equal(await total.count(), 1);
    assert.equal(await total.locator('span').first().textContent(), '90');
    assert.match((await view().locator('section.cell[data-cell="per_cluster"] .status').textContent())!, /7 rows/);
    await page.screenshot({ path: join(screenshots, 'notebook-latest.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('switching the run re-runs the notebook on that run', async () => {
    await view().locator('select[data-param="run"]').selectOption(String(runIds[0]));
    await until('four bars of the first run', async () => ((await bars()) === 4 ? true : undefined));
    const total = view().locator('section.cell[data-cell="total"] result-grid .row span');
    assert.equal(await total.first().textContent(), '40');
    assert.equal(await total.nth(2).textContent(), String(runIds[0]));
  });

  it('sorts the grid by a header click', async () => {
    await view().locator('select[data-param="run"]').selectOption('latest');
    await until('seven bars again', async () => ((await bars()) === 7 ? true : undefined));
    const grid = view().locator('section.cell[data-cell="per_cluster"] result-grid');
    const firstCluster = () => grid.locator('.row').first().locator('span').first().textContent();
    assert.equal(await firstCluster(), '0');
    await grid.locator('[role="columnheader"]', { hasText: 'faces' }).click(); // ascending: the cluster of 12 faces first
    assert.equal(await firstCluster(), '6');
    await grid.locator('[role="columnheader"]', { hasText: 'faces' }).click(); // descending
    assert.equal(await grid.locator('.row').first().locator('span').nth(1).textContent(), '13');
  });

  it('a new notebook from the list is written, opened and run', async () => {
    await page.goto(new URL('#/notebooks', server.url).href);
    await view().locator('#new-name').fill('fresh');
    await page.screenshot({ path: join(screenshots, 'notebook-list.png') });
    await view().locator('form button[type="submit"]').click();
    await view().locator('section.cell[data-cell="counts"] result-grid .row').waitFor({ timeout: 30_000 });
    assert.match(readFileSync(join(dir, 'notebooks', 'fresh.md'), 'utf8'), /^---\ntitle: New notebook\n/);
    assert.equal(await view().locator('section.cell[data-cell="counts"] result-grid .row span').first().textContent(), '81', '90 faces, every tenth rejected');
    await page.goto(new URL('#/notebooks/counts.md', server.url).href);
    await view().locator('figure.chart svg').waitFor({ timeout: 30_000 });
  });

  it('an edited cell saves, only its line changes, and an error shows its line', async () => {
    const textarea = view().locator('section.cell[data-cell="total"] textarea');
    await textarea.fill('SELECT sum(faces)::INTEGER AS faces, nope FROM per_cluster');
    await view().locator('section.cell[data-cell="total"] button.run-cell').click();
    const error = view().locator('section.cell[data-cell="total"] .cell-error');
    await error.waitFor();
    assert.match((await error.textContent())!, /"nope" not found.*\(line 19, column 38\)/);
    await page.screenshot({ path: join(screenshots, 'notebook-error.png'), fullPage: true });
    await view().locator('#save').click();
    await until('the file saved', async () => (readFileSync(join(dir, 'notebooks', 'counts.md'), 'utf8') !== COUNTS_NOTEBOOK ? true : undefined));
    const saved = readFileSync(join(dir, 'notebooks', 'counts.md'), 'utf8').split('\n');
    const original = COUNTS_NOTEBOOK.split('\n');
    assert.equal(saved.length, original.length);
    assert.deepEqual(saved.map((line, i) => (line === original[i] ? null : i + 1)).filter((line) => line !== null), [19]);
    // The file is in place before the server answers, so the page may not have heard back yet.
    await until('the Save button says Saved', async () => ((await view().locator('#save').textContent()) === 'Saved' ? true : undefined), 10_000);
    assert.deepEqual(pageErrors, []);
  });
});
