// The Trips view in a real browser (Debian's Chromium through playwright-core)
// against the real server over the synthetic trips archive (JPEGs with EXIF
// in a Cyrillic folder, test/support/trip-workspace.ts), with one person
// named on the Rome photos: the list shows every trip newest first with its
// cover, dates in Russian and places in order; a trip's card shows the person
// with their photo count and every photo. Screenshots go to
// test-output/screenshots/trips-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { People } from '../app/people.ts';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import type { TripCard, TripSummary } from '../app/trip-types.ts';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { demoPhotosDir, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { get, haveChromium, CHROMIUM, openPage, screenshots, until, type Server } from './support/browser.ts';
import { writeTripArchive } from './support/trip-workspace.ts';

const skip = !haveChromium ? `Chromium not found at ${CHROMIUM}` : skipUnless(demoPhotosDir);

/** Waits until every <img> inside the view has loaded, then saves a screenshot. */
async function shootView(page: Page, name: string): Promise<void> {
  await until(`the pictures of ${name}`, async () => {
    const state = await page.locator('trips-view img').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));
    return state.length > 0 && state.every(Boolean) ? true : undefined;
  }, 20_000);
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: false });
}

describe('the Trips view in a browser', { skip, concurrency: 1 }, () => {
  const dir = skip ? '' : tempDir('mnemo-trips-browser-');
  let server: Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    const { yaml, demoFiles } = await writeTripArchive(dir);
    const config = join(dir, 'mnemo.yaml');
    writeFileSync(config, yaml);
    const [run] = await Promise.all([Workspace.open({ config }).then((ws) => runToEnd(ws)), ensureWebBuild()]);
    assert.equal(run.status, 'succeeded', run.message ?? '');
    const workspace = await Workspace.open({ config });
    const names = [...demoFiles.keys()].map((fileId) => `'${fileId}.jpg'`).join(', ');
    const faces = (await query(workspace, `SELECT arg_min(face_id, x1) AS face_id FROM latest.faces JOIN latest.files USING (file_id) WHERE name IN (${names}) AND NOT rejected GROUP BY name ORDER BY name`)).rows;
    const people = await People.open(workspace);
    await people.split(faces.slice(0, 2).map((row) => String(row.face_id)), 'Анна');
    const { serve } = await import('../workbench/server/server.ts');
    server = await serve(workspace, { port: 0, rematchDebounceMs: 600_000 });
    ({ browser, page } = await openPage(860, pageErrors));
  });

  after(async () => {
    await browser?.close();
    await server?.app.close();
  });

  it('lists the trips newest first, with covers, Russian dates and the places in order', async () => {
    const trips = await get<{ trips: TripSummary[] }>(server, '/api/trips');
    assert.deepEqual(trips.trips.map((trip) => trip.tripId), [4, 3, 2, 1, 0]);
    await page.goto(new URL('/#/trips', server.url).href);
    const cards = page.locator('trips-view a.card');
    await until('five trip cards', async () => ((await cards.count()) === 5 ? true : undefined));
    assert.equal(await cards.first().getAttribute('data-trip'), '4');
    const train = page.locator('trips-view a.card[data-trip="2"]');
    assert.match(await train.innerText(), /1 июня 2024 г\. – 2 июня 2024 г\./);
    assert.deepEqual(await train.locator('.places span').allInnerTexts(), ['Kazan', 'Perm', 'Yekaterinburg']);
    assert.equal(await page.locator('mnemo-app nav a[aria-current="page"]').innerText(), 'Trips');
    await shootView(page, 'trips-list');
  });

  it("a trip's card: the person seen with their photo count, every photo", async () => {
    const card = await get<TripCard>(server, '/api/trips/1');
    assert.deepEqual(card.people.map((person) => [person.name, person.photos]), [['Анна', 2]]);
    const onCover = card.photoList.find((photo) => photo.fileId === card.coverFileId)!;
    assert.equal(onCover.people, 1, 'the cover is a photo with Анна on it, not the most central one');
    const listed = await get<{ trips: TripSummary[] }>(server, '/api/trips');
    assert.equal(listed.trips.find((trip) => trip.tripId === 1)!.coverFileId, card.coverFileId, 'the list shows the same cover');
    await page.locator('trips-view a.card[data-trip="1"]').click();
    await until('the card of trip 1', async () => ((await page.locator('trips-view .people a').count()) === 1 ? true : undefined));
    assert.match(await page.locator('trips-view .people a').innerText(), /Анна\s*2/);
    assert.equal(await page.locator('trips-view .grid figure').count(), 36);
    assert.match(await page.locator('trips-view h1').innerText(), /Италия/);
    await shootView(page, 'trips-card');
    // The photo thumbnails: the run's 256 px WebP, a larger one made once from the original; a bad size is a clear 400.
    const thumbnail = await fetch(new URL(`/api/trips/thumbnails/${card.coverFileId}?size=256`, server.url));
    assert.equal(thumbnail.headers.get('content-type'), 'image/webp');
    const large = await fetch(new URL(`/api/trips/thumbnails/${card.coverFileId}?size=1024`, server.url));
    assert.equal(large.headers.get('content-type'), 'image/webp');
    const { width, height } = await sharp(Buffer.from(await large.arrayBuffer())).metadata();
    assert.equal(Math.max(width!, height!), 800, 'from the 800 px original, not the 256 px thumbnail upscaled');
    const bad = await fetch(new URL(`/api/trips/thumbnails/${card.coverFileId}?size=5`, server.url));
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /size must be from 64 to 1024/);
    assert.equal((await fetch(new URL('/api/trips/thumbnails/nope?size=256', server.url))).status, 404);
    assert.equal((await fetch(new URL('/api/trips/77', server.url))).status, 404);
    assert.deepEqual(pageErrors, []);
  });
});
