// Face map benchmark: the Map view of the workbench in headless Chromium
// (Debian's, software GL) over a synthetic store of 100,000 faces with a
// UMAP (bench/lib/synthetic-store.ts; no face detection). Prints the server's
// time for the map (cold: read from the run's Parquet; warm: from memory),
// its size as Arrow and as JSON, and page load to points drawn (the
// navigation's start to the scatter's first draw, from the page's clock).
//
//   npm run bench -- face-map [FACES]     (default 100000)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Workspace } from '../app/workspace.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { serve } from '../workbench/server/server.ts';
import { syntheticStore } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const CHROMIUM = process.env.MNEMO_CHROMIUM ?? '/usr/lib/chromium/chromium';
const LOADS = 3;

async function timedFetch(url: string, accept: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const response = await fetch(url, { headers: { accept } });
  const bytes = (await response.arrayBuffer()).byteLength;
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return { ms: performance.now() - start, bytes };
}

async function main(): Promise<void> {
  console.log(`face map bench: ${FACES} faces, ${os.cpus().length} CPU cores, node ${process.version}`);
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    return;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-map-'));
  const server = await (async () => {
    const workspace = await Workspace.open({ data: join(dir, 'data') });
    await syntheticStore(workspace, FACES);
    await ensureWebBuild();
    return serve(workspace, { port: 0, logger: false });
  })();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  try {
    const map = new URL('/api/map', server.url).href;
    const cold = await timedFetch(map, 'application/vnd.apache.arrow.stream');
    const warm = await timedFetch(map, 'application/vnd.apache.arrow.stream');
    const json = await timedFetch(map, 'application/json');
    console.log(`GET /api/map as Arrow: cold ${cold.ms.toFixed(0)} ms, warm ${warm.ms.toFixed(0)} ms, ${(cold.bytes / 2 ** 20).toFixed(2)} MB (as JSON: ${json.ms.toFixed(0)} ms, ${(json.bytes / 2 ** 20).toFixed(1)} MB)`);
    for (let load = 1; load <= LOADS; load++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(new URL('#/map', server.url).href);
      const mapElement = page.locator('face-map');
      await page.locator('face-map[data-drawn="true"]').waitFor({ timeout: 60_000 });
      const drawnMs = await mapElement.evaluate((el) => (el as unknown as { firstDrawMs: number }).firstDrawMs);
      const points = await page.locator('map-view .muted').first().textContent();
      console.log(`page load ${load}: points drawn ${(drawnMs / 1000).toFixed(2)} s after navigation started (${points?.trim()})  (target < 3 s: ${drawnMs < 3000 ? 'met' : 'MISSED'})${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
