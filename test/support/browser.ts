// Plumbing for browser tests of the workbench: Debian's Chromium driven by
// playwright-core against the real server, JSON helpers for the same server,
// polling, and screenshots that wait for every face crop on the page.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Workspace } from '../../app/workspace.ts';
import { facesFixtures, repoRoot, skipUnless } from '../fixtures.ts';

export const CHROMIUM = process.env.MNEMO_CHROMIUM ?? '/usr/lib/chromium/chromium';
export const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation';
export const haveChromium = existsSync(CHROMIUM);
/** The `skip` option of a browser suite over the face fixtures: false when it can run, otherwise why not. */
export const browserSkip: string | false = !haveChromium ? `Chromium not found at ${CHROMIUM} (install it: ${INSTALL_CHROMIUM})` : skipUnless(facesFixtures);
export const screenshots = join(repoRoot, 'test-output', 'screenshots');

export type Server = Awaited<ReturnType<typeof import('../../workbench/server/server.ts').serve>>;

/** Starts the real server on a free port over the workspace's config, re-matching soon after a decision. */
export async function startServer(config: string): Promise<Server> {
  const { serve } = await import('../../workbench/server/server.ts');
  return serve(await Workspace.open({ config }), { port: 0, rematchDebounceMs: 100 });
}

/** Headless Chromium (no sandbox as root, which CI is). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}

/** A page in a fresh headless Chromium, 1280 px wide; script errors on it collect in `errors`, which a test asserts stays empty. */
export async function openPage(height: number, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  page.on('pageerror', (error) => errors.push(String(error)));
  return { browser, page };
}

/** JSON from the server under test (a GET). */
export async function get<T>(server: Server, path: string): Promise<T> {
  const response = await fetch(new URL(path, server.url));
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** A state-changing JSON request as the web app makes it (custom header, JSON body). */
export async function post<T>(server: Server, path: string, body: unknown): Promise<T> {
  const response = await fetch(new URL(path, server.url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-mnemo': '1' }, body: JSON.stringify(body) });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** Polls until the check returns a value (not undefined), or fails after the timeout. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The face ids on a person in the latest run, sorted. */
export async function facesOf(server: Server, personId: number): Promise<string[]> {
  const page = await get<{ items: { faceId: string }[] }>(server, `/api/people/${personId}/faces?limit=500`);
  return page.items.map((f) => f.faceId).sort();
}

/** Saves a screenshot once every face crop on the page has loaded (grids put an <img> in a tile when its crop arrives). */
export async function shoot(page: Page, name: string): Promise<void> {
  await until(`the crops of ${name}`, async () => {
    const tiles = await page.locator('.tile').count();
    const loaded = await page.locator('.tile img, a.cover img').evaluateAll((imgs) => imgs.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0).length);
    const images = await page.locator('.tile img, a.cover img').count();
    return images === loaded && (await page.locator('.tile img').count()) === tiles ? true : undefined;
  }, 15_000);
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}
