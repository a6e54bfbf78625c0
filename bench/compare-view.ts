// Compare view benchmark: the synthetic store of the workbench benches
// (bench/lib/synthetic-store.ts: FACES faces, FACES / 10 persons, one run),
// plus a second run that re-clusters the first (every 20th cluster split,
// every 25th merged into its neighbour, 2 % of faces moved, 3 % to noise,
// 3 % of faces given another person) and 2,000 gold faces. Times
// GET /api/compare?a=1&b=2 through the real server (inject(): the report, the
// flow and the JSON), cold and warm, and, where Chromium is installed, the
// Compare page from navigation to the flow and the count deltas drawn.
//
//   npm run bench -- compare-view [FACES]     (default 50000)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { compareReportOf } from '../app/reports.ts';
import { Workspace } from '../app/workspace.ts';
import { parquetSource, queryRows, writeParquetColumns } from '../datasets/parquet.ts';
import { acquireRunLock } from '../datasets/run-lock.ts';
import { runOutputs } from '../datasets/run-registry.ts';
import { buildServer } from '../workbench/server/server.ts';
import { timedGet } from './lib/inject.ts';
import { random, syntheticStore } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 50_000);
const GOLD_FACES = Math.min(2000, FACES);
const table = (columns: Record<string, 'VARCHAR' | 'INTEGER' | 'BOOLEAN' | 'DOUBLE'>) => ({ description: 'bench', columns });

/** Run 2: run 1's tables, with clusters and persons changed as the header says. */
async function secondRun(workspace: Workspace): Promise<void> {
  const store = workspace.store;
  const outputs = await store.read((catalog) => runOutputs(catalog, 1));
  const rows = await queryRows<{ face_id: string; cluster_id: number; person_id: number | null }>(
    `SELECT c.face_id, c.cluster_id, p.person_id FROM ${parquetSource(store.absolute(outputs.clusters!))} c JOIN ${parquetSource(store.absolute(outputs.person_assignment!))} p USING (face_id) ORDER BY c.face_id`,
  );
  const rand = random(23);
  const top = Math.max(...rows.map((r) => r.cluster_id)) + 1;
  const cluster = rows.map((row, i) => {
    const x = row.cluster_id;
    if (x < 0) return rand() < 0.3 ? Math.floor(rand() * top) : -1;
    if (rand() < 0.02) return Math.floor(rand() * top);
    if (rand() < 0.03) return -1;
    if (x % 20 === 0 && i % 2 === 0) return top + x;
    return x % 25 === 0 && x + 1 < top ? x + 1 : x;
  });
  const person = rows.map((row) => (rand() < 0.03 ? 1 + Math.floor(rand() * (FACES / 10)) : row.person_id));
  const dir = join(store.dataDir, 'runs', '2', 'synthetic');
  const faceIds = rows.map((r) => r.face_id);
  await writeParquetColumns(join(dir, 'clusters.parquet'), table({ face_id: 'VARCHAR', cluster_id: 'INTEGER', is_core: 'BOOLEAN', nn_distance: 'DOUBLE' }), { face_id: faceIds, cluster_id: cluster, is_core: faceIds.map(() => true), nn_distance: faceIds.map(() => rand()) }, rows.length);
  await writeParquetColumns(join(dir, 'person_assignment.parquet'), table({ face_id: 'VARCHAR', person_id: 'INTEGER', method: 'VARCHAR', confidence: 'DOUBLE', margin: 'DOUBLE', stranger: 'BOOLEAN' }), {
    face_id: faceIds, person_id: person, method: person.map(() => 'cluster'), confidence: faceIds.map(() => rand()), margin: faceIds.map(() => rand()), stranger: person.map((p) => p === null),
  }, rows.length);
  const lock = acquireRunLock(store.dataDir, 'bench compare-view');
  try {
    const run = await store.read(async (catalog) => (await catalog.rows<{ spec: string }>('SELECT spec FROM runs WHERE run_id = 1'))[0]!);
    const spec = JSON.parse(run.spec) as { nodes: { name: string; params: Record<string, unknown> }[] };
    spec.nodes = [...spec.nodes, { name: 'cluster', params: { method: 'average', threshold: 0.55 } }];
    const runId = await store.startRun(spec, null);
    const now = Date.now();
    const mine = { clusters: store.relative(join(dir, 'clusters.parquet')), person_assignment: store.relative(join(dir, 'person_assignment.parquet')) };
    await store.completeNode(runId, {
      node: 'synthetic', type: 'synthetic', version: '1', status: 'done', fingerprint: 'bench-2', reusedFrom: null, startedAt: now, finishedAt: now, rowsWritten: rows.length, outputs: { ...outputs, ...mine }, metadata: {}, message: null,
    }, []);
    await store.finishRun(runId, 'succeeded', null);
  } finally {
    lock.release();
  }
  // Gold: every (FACES / GOLD_FACES)th face, named after its run-1 cluster (the synthetic truth).
  await store.write(async (catalog) => {
    const values = Array.from({ length: GOLD_FACES }, (_, k) => rows[Math.floor((k * rows.length) / GOLD_FACES)]!)
      .map((row) => `('${row.face_id}', 'person ${row.cluster_id}', true, now())`).join(', ');
    await catalog.connection.run(`INSERT INTO faces_gold VALUES ${values}`);
  });
}

const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-compare-'));
try {
  const workspace = await Workspace.open({ data: join(dir, 'data') });
  let t0 = performance.now();
  await syntheticStore(workspace, FACES);
  await secondRun(workspace);
  console.log(`synthetic store: 2 runs x ${FACES.toLocaleString('en-US')} faces, ${GOLD_FACES} gold faces (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // The report alone (what `mnemo report compare 1 2 --format json` computes), for the share of it in the view's time.
  t0 = performance.now();
  await compareReportOf(workspace, '1', '2');
  console.log(`the comparison report alone: ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  const { app } = await buildServer(workspace, { port: 7707, logger: false, rematchDebounceMs: 600_000 });
  const get = timedGet(app, '127.0.0.1:7707');
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const { ms, bytes: size, body } = await get('/api/compare?a=1&b=2');
    times.push(ms);
    bytes = size;
    if (i === 0) {
      const view = body.json() as { report: { clusters: { correspondence: { clustersA: number; clustersB: number; split: unknown[]; merged: unknown[] } } }; flow: { links: unknown[]; otherLinks: number } };
      const c = view.report.clusters.correspondence;
      console.log(`clusters ${c.clustersA} -> ${c.clustersB}: ${c.split.length} split, ${c.merged.length} merged; flow: ${view.flow.links.length} links drawn, ${view.flow.otherLinks} left out`);
    }
  }
  console.log(`GET /api/compare (report + flow + JSON), ${FACES.toLocaleString('en-US')} faces per run: first ${(times[0]! / 1000).toFixed(2)} s, then ${times.slice(1).map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')}; ${(bytes / 1024).toFixed(0)} KB`);
  await app.close();

  const chromium = process.env.MNEMO_CHROMIUM ?? '/usr/lib/chromium/chromium';
  if (existsSync(chromium)) {
    const { ensureWebBuild } = await import('../workbench/build-web.ts');
    await ensureWebBuild();
    const { serve } = await import('../workbench/server/server.ts');
    const { chromium: playwright } = await import('playwright-core');
    const server = await serve(workspace, { port: 0, rematchDebounceMs: 600_000, logger: false }); // quiet: crops still being cut when the bench ends fail noisily
    const browser = await playwright.launch({ executablePath: chromium, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const apiTimes: string[] = [];
      page.on('requestfinished', (request) => {
        const url = new URL(request.url());
        if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/crops')) apiTimes.push(`${url.pathname} ${Math.round(request.timing().responseEnd)} ms`);
      });
      for (let i = 0; i < 2; i++) {
        t0 = performance.now();
        let answered = 0;
        const response = page.waitForResponse((r) => r.url().includes('/api/compare?'), { timeout: 120_000 }).then(() => (answered = performance.now() - t0));
        await page.goto(new URL('#/compare/1/2', server.url).href);
        if (i > 0) await page.reload();
        await page.locator('compare-view cluster-flow path.link').first().waitFor({ timeout: 120_000 });
        await page.locator('compare-view table.counts tbody tr').first().waitFor();
        await response;
        console.log(`Compare page, navigation to flow and deltas drawn (Chromium, ${i === 0 ? 'first' : 'again'}): ${((performance.now() - t0) / 1000).toFixed(2)} s (/api/compare answered at ${(answered / 1000).toFixed(2)} s; requests: ${apiTimes.splice(0).join(', ')})`);
      }
      // A look at the flow of a re-clustering with splits and merges (the fixtures' runs are too small to show one).
      const { repoRoot } = await import('../test/fixtures.ts');
      await page.setViewportSize({ width: 1280, height: 2000 });
      await page.locator('compare-view cluster-flow').scrollIntoViewIfNeeded();
      await page.locator('compare-view cluster-flow').screenshot({ path: join(repoRoot, 'test-output', 'screenshots', 'compare-view-bench-flow.png') });
    } finally {
      await browser.close();
      await server.app.close();
    }
  } else {
    console.log(`Chromium not found at ${chromium}: the page load is not timed`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
