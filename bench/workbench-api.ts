// Workbench API benchmark: a synthetic store (10,000 persons, 100,000 faces
// with clusters, assignments and a UMAP; no face detection) registered as one
// run, then the server's routes through inject(): the people directory, a
// person page of 500 faces, a grid of 200 crops cold and from the cache, and
// the map of every face.
//
//   npm run bench -- workbench-api [FACES]     (default 100000; persons = faces / 10)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../app/workspace.ts';
import { buildServer } from '../workbench/server/server.ts';
import { timedGet } from './lib/inject.ts';
import { syntheticStore } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const PERSONS = Math.max(1, Math.floor(FACES / 10));
const PORT = 7707;
const HOST = `127.0.0.1:${PORT}`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  console.log(`workbench API bench: ${FACES} faces, ${PERSONS} persons, ${os.cpus().length} CPU cores, node ${process.version}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-api-'));
  try {
    const workspace = await Workspace.open({ data: join(dir, 'data') });
    let t = performance.now();
    await syntheticStore(workspace, FACES);
    console.log(`synthetic store: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const { app } = await buildServer(workspace, { port: PORT, logger: false, staticDir: join(dir, 'none') });
    const get = timedGet(app, HOST);
    const timed = async (label: string, url: string, times: number, target?: number) => {
      await get(url); // first call: opens the people service, warms DuckDB
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < times; i++) {
        const result = await get(url);
        ms.push(result.ms);
        bytes = result.bytes;
      }
      const p95 = percentile(ms, 95);
      console.log(`${label.padEnd(34)} median ${percentile(ms, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB${target ? `  (target < ${target} ms: ${p95 < target ? 'met' : 'MISSED'})` : ''}`);
    };
    await timed(`people directory (${PERSONS} persons)`, '/api/people', 20, 50);
    await timed('person page, 500 faces', '/api/people/1/faces?limit=500', 20, 100);
    await timed('person photos, 500', '/api/people/1/photos?limit=500', 10);

    const grid = (await get('/api/people/1/faces?limit=200')).body.json().items.map((face: { faceId: string }) => face.faceId) as string[];
    t = performance.now();
    const cold = await get(`/api/crops?ids=${grid.join(',')}&size=128`);
    console.log(`grid of 200 crops, cold               ${(performance.now() - t).toFixed(0)} ms, ${(cold.bytes / 1024).toFixed(0)} KiB (100 photos decoded)`);
    await timed('grid of 200 crops, from the cache', `/api/crops?ids=${grid.join(',')}&size=128`, 10, 300);

    t = performance.now();
    const map = await get('/api/map');
    console.log(`map of ${map.body.json().faceIds.length} faces                 ${(performance.now() - t).toFixed(0)} ms, ${(map.bytes / 2 ** 20).toFixed(1)} MB of JSON`);
    await timed('map again', '/api/map', 3);
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
