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
import { writeParquetColumns } from '../datasets/parquet.ts';
import { acquireRunLock } from '../datasets/run-lock.ts';
import type { ColumnType } from '../datasets/schema.ts';
import { facesFixtures } from '../test/fixtures.ts';
import { buildServer } from '../workbench/server/server.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const PERSONS = Math.max(1, Math.floor(FACES / 10));
/** Person 1 has this many faces: the big person page. */
const BIG_PERSON_FACES = Math.min(5000, FACES);
const FIXTURE_PHOTOS = ['obama.jpg', 'obama2.jpg', 'biden.jpg', 'obama-720p.jpg', 'obama-1080p.jpg'];
const PORT = 7707;
const HOST = `127.0.0.1:${PORT}`;

const table = (columns: Record<string, ColumnType>) => ({ description: 'bench', columns });

function random(seed: number): () => number {
  return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Writes the run's tables and registers them as one succeeded run (latest points at it). */
async function syntheticStore(workspace: Workspace): Promise<void> {
  const store = workspace.store;
  const rand = random(7);
  const files = FACES / 2; // two faces per photo
  const fileIds = Array.from({ length: files }, (_, i) => `file${String(i).padStart(7, '0')}`);
  const faceIds = Array.from({ length: FACES }, (_, i) => i.toString(16).padStart(16, '0'));
  const faceFile = faceIds.map((_, i) => fileIds[Math.floor(i / 2)]!);
  // Every photo entry is one of a few real fixture photos, so crops decode real pixels.
  const box = faceIds.map((_, i) => (i % 2) * 60 + 40 + rand() * 20);
  const person = faceIds.map((_, i) => (i < BIG_PERSON_FACES ? 1 : rand() < 0.1 ? null : 1 + Math.floor(rand() * PERSONS)));
  const dir = join(store.dataDir, 'runs', '1', 'synthetic');
  const outputs: Record<string, string> = {};
  const write = async (name: string, schema: ReturnType<typeof table>, columns: Record<string, unknown[]>, rows: number) => {
    await writeParquetColumns(join(dir, `${name}.parquet`), schema, columns, rows);
    outputs[name] = store.relative(join(dir, `${name}.parquet`));
  };
  await write('files', table({ file_id: 'VARCHAR', source: 'VARCHAR', path: 'VARCHAR', status: 'VARCHAR', path_bytes: 'BLOB' }), {
    file_id: fileIds, source: fileIds.map(() => 'photos'), path: fileIds.map((_, i) => FIXTURE_PHOTOS[i % FIXTURE_PHOTOS.length]!), status: fileIds.map(() => 'active'), path_bytes: fileIds.map(() => null),
  }, files);
  await write('faces', table({ face_id: 'VARCHAR', file_id: 'VARCHAR', x1: 'DOUBLE', y1: 'DOUBLE', x2: 'DOUBLE', y2: 'DOUBLE', det_score: 'DOUBLE', quality: 'DOUBLE', rejected: 'BOOLEAN' }), {
    face_id: faceIds, file_id: faceFile, x1: box, y1: box, x2: box.map((v) => v + 120), y2: box.map((v) => v + 140), det_score: faceIds.map(() => 0.9), quality: faceIds.map(() => rand()), rejected: faceIds.map(() => false),
  }, FACES);
  await write('clusters', table({ face_id: 'VARCHAR', cluster_id: 'INTEGER', is_core: 'BOOLEAN', nn_distance: 'DOUBLE' }), {
    face_id: faceIds, cluster_id: person.map((p) => (p === null ? -1 : p - 1)), is_core: faceIds.map(() => true), nn_distance: faceIds.map(() => rand()),
  }, FACES);
  await write('person_assignment', table({ face_id: 'VARCHAR', person_id: 'INTEGER', method: 'VARCHAR', confidence: 'DOUBLE', margin: 'DOUBLE', stranger: 'BOOLEAN' }), {
    face_id: faceIds, person_id: person, method: person.map((p) => (p === null ? null : 'cluster')), confidence: faceIds.map(() => rand()), margin: faceIds.map(() => rand()), stranger: person.map((p) => p === null),
  }, FACES);
  await write('umap', table({ face_id: 'VARCHAR', x: 'DOUBLE', y: 'DOUBLE' }), {
    face_id: faceIds, x: person.map((p) => (p ?? 0) % 100 + rand() * 3), y: person.map((p) => Math.floor((p ?? 0) / 100) + rand() * 3),
  }, FACES);

  const lock = acquireRunLock(store.dataDir, 'bench workbench-api');
  try {
    const spec = { sources: [{ name: 'photos', path: facesFixtures, include: [], exclude: [], tags: [] }], nodes: [{ name: 'synthetic', params: {} }] };
    const runId = await store.startRun(spec, null);
    const now = Date.now();
    await store.completeNode(runId, {
      node: 'synthetic', type: 'synthetic', version: '1', status: 'done', fingerprint: 'bench', reusedFrom: null, startedAt: now, finishedAt: now, rowsWritten: FACES, outputs, metadata: {}, message: null,
    }, []);
    await store.finishRun(runId, 'succeeded', null);
  } finally {
    lock.release();
  }
  // The directory in one statement (10,000 persons through the journal API would be 10,000 transactions),
  // plus one manual face per person in the journal, as a directory that people have worked on would have.
  await store.write(async (catalog) => {
    await catalog.connection.run(`INSERT INTO persons SELECT i, 'Person ' || i, NULL, now(), false, NULL FROM range(1, ${PERSONS + 1}) t(i)`);
    await catalog.connection.run("INSERT INTO journal_batches VALUES (1, 'assign', 'bench', now(), 'bench', NULL)");
    await catalog.connection.run(`
      INSERT INTO assignments SELECT row_number() OVER (), face_id, person_id::VARCHAR, 'manual', 'bench', now(), NULL, 1
      FROM read_parquet('${join(dir, 'person_assignment.parquet')}') WHERE person_id IS NOT NULL QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY face_id) = 1`);
  });
}

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
    await syntheticStore(workspace);
    console.log(`synthetic store: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const { app } = await buildServer(workspace, { port: PORT, logger: false, staticDir: join(dir, 'none') });
    const get = async (url: string) => {
      const start = performance.now();
      const response = await app.inject({ method: 'GET', url, headers: { host: HOST } });
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
      return { ms: performance.now() - start, bytes: response.rawPayload.length, body: response };
    };
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
