// Notebook benchmark over a synthetic store of FACES faces (default 100,000;
// bench/lib/synthetic-store.ts, no face detection):
//   1. a cell of 1,000,000 rows, streamed as NDJSON a DuckDB chunk (2,048
//      rows) per line: the server's first rows and last row (fetch, no
//      browser), then in headless Chromium the time from "Run all" to the
//      first rows drawn in the grid and to the whole result in;
//   2. a notebook of 10 cells (and 4 charts) over the faces: the run without
//      the server, then from "Run all" to every cell and chart drawn.
//
//   npm run bench -- notebook [FACES]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { resolveParams, runToResults } from '../app/notebooks.ts';
import { Workspace } from '../app/workspace.ts';
import { parseNotebook } from '../notebook/parse.ts';
import { ensureWebBuild } from '../workbench/build-web.ts';
import { serve } from '../workbench/server/server.ts';
import { syntheticStore } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const CHROMIUM = process.env.MNEMO_CHROMIUM ?? '/usr/lib/chromium/chromium';
const RUNS = 3;

const MILLION = `---
title: A million rows
limits: { rows: 1000000, seconds: 120 }
---

\`\`\`sql id=million
SELECT range AS i, range % 97 AS bucket, 'face ' || range AS label FROM range(1000000)
\`\`\`
`;

const cell = (id: string, sql: string) => `\`\`\`sql id=${id}\n${sql}\n\`\`\`\n\n`;
const chart = (spec: object) => `\`\`\`chart\n${JSON.stringify(spec)}\n\`\`\`\n\n`;

const TEN_CELLS = `---
title: Ten cells over the faces
params:
  run: { type: run, default: latest }
  min_quality: { type: number, default: 0.2 }
limits: { rows: 200000 }
---

${cell('faces', 'SELECT f.face_id, f.file_id, f.quality, a.person_id, a.stranger, c.cluster_id\nFROM run.faces f JOIN run.person_assignment a USING (face_id) JOIN run.clusters c USING (face_id)')}
${cell('good', 'SELECT * FROM faces WHERE quality >= $min_quality')}
${cell('per_person', 'SELECT person_id, count(*) AS faces FROM good WHERE person_id IS NOT NULL GROUP BY ALL ORDER BY faces DESC LIMIT 50')}
${chart({ cell: 'per_person', mark: 'barY', x: 'person_id', y: 'faces' })}
${cell('cluster_sizes', 'SELECT cluster_id, count(*) AS faces FROM faces WHERE cluster_id >= 0 GROUP BY ALL')}
${cell('size_histogram', 'SELECT faces AS size, count(*) AS clusters FROM cluster_sizes GROUP BY ALL ORDER BY size')}
${chart({ cell: 'size_histogram', mark: 'dot', x: 'size', y: 'clusters' })}
${cell('quality', 'SELECT round(quality, 2) AS quality FROM faces')}
${chart({ cell: 'quality', mark: 'rectY', bin: 'x', x: 'quality' })}
${cell('strangers', 'SELECT stranger, count(*) AS faces, avg(quality) AS quality FROM faces GROUP BY ALL ORDER BY stranger')}
${cell('photos', 'SELECT file_id, count(*) AS faces FROM faces GROUP BY ALL')}
${cell('faces_per_photo', 'SELECT faces, count(*) AS photos FROM photos GROUP BY ALL ORDER BY faces')}
${chart({ cell: 'faces_per_photo', mark: 'barY', x: 'faces', y: 'photos' })}
${cell('directory', 'SELECT p.person_id, p.name, count(g.face_id) AS faces FROM persons p LEFT JOIN good g USING (person_id) GROUP BY ALL ORDER BY faces DESC')}
`;

interface Timings {
  firstRowsMs: number | null;
  renderedMs: number | null;
}

/** The server alone: ms to the first rows line and to the end of the stream, and the bytes sent. */
async function streamTimes(url: string): Promise<{ firstMs: number; fullMs: number; bytes: number; rows: number }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mnemo': '1' }, body: '{}' });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let firstMs = 0;
  let bytes = 0;
  let rows = 0;
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, end)) as { type: string; rows?: unknown[] };
      buffer = buffer.slice(end + 1);
      if (line.type === 'rows') {
        if (rows === 0) firstMs = performance.now() - started;
        rows += line.rows!.length;
      }
    }
  }
  return { firstMs, fullMs: performance.now() - started, bytes, rows };
}

/** Clicks Run all and waits for the view's timings of that run. */
async function runInPage(page: Page): Promise<Timings> {
  const view = page.locator('notebook-view');
  await view.locator('#run-all:has-text("Run all")').waitFor({ timeout: 120_000 });
  await view.locator('#run-all').click();
  const deadline = Date.now() + 180_000;
  for (;;) {
    const timings = await view.evaluate((el) => ({ ...(el as unknown as { timings: Timings }).timings }));
    if (timings.renderedMs !== null && timings.renderedMs > 0) return timings;
    if (Date.now() > deadline) throw new Error('the notebook did not finish in 3 minutes');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

async function main(): Promise<void> {
  console.log(`notebook bench: ${FACES} faces, ${os.cpus().length} CPU cores, node ${process.version}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-notebook-'));
  try {
    const config = join(dir, 'mnemo.yaml');
    writeFileSync(config, 'data: ./data\n');
    const workspace = await Workspace.open({ config, data: join(dir, 'data') });
    await syntheticStore(workspace, FACES);
    mkdirSync(join(dir, 'notebooks'));
    writeFileSync(join(dir, 'notebooks', 'million.md'), MILLION);
    writeFileSync(join(dir, 'notebooks', 'ten-cells.md'), TEN_CELLS);

    const ten = parseNotebook(TEN_CELLS);
    if (ten.problems.length) throw new Error(JSON.stringify(ten.problems));
    for (let i = 1; i <= RUNS; i++) {
      const started = performance.now();
      const results = await runToResults(workspace, ten, await resolveParams(workspace, ten));
      const failed = [...results.values()].filter((result) => result.error);
      if (failed.length) throw new Error(failed.map((result) => `${result.name}: ${result.error!.message}`).join('\n'));
      console.log(`10 cells without the server (as \`mnemo notebook run\`), run ${i}: ${s(performance.now() - started)}`);
    }

    await ensureWebBuild();
    const server = await serve(workspace, { port: 0, logger: false });
    try {
      for (let i = 1; i <= RUNS; i++) {
        const stream = await streamTimes(new URL('/api/notebooks/million.md/run', server.url).href);
        console.log(`1,000,000 rows from the server (NDJSON, fetch), run ${i}: first rows ${s(stream.firstMs)}, all ${s(stream.fullMs)}, ${(stream.bytes / 2 ** 20).toFixed(1)} MB, ${stream.rows.toLocaleString('en')} rows`);
      }
      if (!existsSync(CHROMIUM)) {
        console.log(`browser figures skipped: Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
        return;
      }
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
      try {
        for (const [name, label] of [['million.md', '1,000,000 rows'], ['ten-cells.md', `10 cells over ${FACES.toLocaleString('en')} faces`]] as const) {
          const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          const errors: string[] = [];
          page.on('pageerror', (error) => errors.push(String(error)));
          await page.goto(new URL(`#/notebooks/${name}`, server.url).href);
          for (let i = 1; i <= RUNS; i++) {
            const timings = await runInPage(page);
            const charts = await page.locator('notebook-view figure.chart svg').count();
            console.log(`${label} in Chromium, run ${i}: first rows on screen ${s(timings.firstRowsMs)}, fully rendered ${s(timings.renderedMs)}${charts ? ` (${charts} charts)` : ''}${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
          }
          await page.close();
        }
      } finally {
        await browser.close();
      }
    } finally {
      await server.app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
