// Report benchmark: two synthetic runs of FACES faces each (FACES / 10 true
// persons, two faces per photo, pets), where run B re-clusters run A: some
// clusters split, some merged, some faces moved or left as noise. Gold: 2,000
// faces and 500 pets. Times `mnemo report compare` (model, Markdown, HTML
// with charts) end to end through app/, as the CLI does.
//
//   npm run bench -- report [FACES]     (default 100000; target: under 10 s)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { compareReportOf, preloadRenderer, renderReport } from '../app/reports.ts';
import { Workspace } from '../app/workspace.ts';
import { writeParquetColumns } from '../datasets/parquet.ts';
import { acquireRunLock } from '../datasets/run-lock.ts';
import type { ColumnType } from '../datasets/schema.ts';
import type { Store } from '../datasets/store.ts';
import { random } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const PERSONS = Math.max(2, Math.floor(FACES / 10));
const PETS = Math.floor(FACES / 20);
const GOLD_FACES = Math.min(2000, FACES);
const GOLD_PETS = Math.min(500, PETS);

const table = (columns: Record<string, ColumnType>) => ({ description: 'bench', columns });


interface Clustering {
  cluster: (number | null)[];
  person: (number | null)[];
}

/** Writes one run's tables and registers it as a succeeded run with cluster and assign nodes (eps differs). */
async function registerRun(store: Store, runId: number, eps: number, faceIds: string[], fileIds: string[], c: Clustering, rand: () => number): Promise<void> {
  const dir = join(store.dataDir, 'runs', String(runId), 'synthetic');
  const outputs: Record<string, string> = {};
  const write = async (name: string, schema: ReturnType<typeof table>, columns: Record<string, unknown[]>, rows: number) => {
    await writeParquetColumns(join(dir, `${name}.parquet`), schema, columns, rows);
    outputs[name] = store.relative(join(dir, `${name}.parquet`));
  };
  await write('files', table({ file_id: 'VARCHAR', status: 'VARCHAR' }), { file_id: fileIds, status: fileIds.map((_, i) => (i % 500 === 0 ? 'deleted' : 'active')) }, fileIds.length);
  await write('faces', table({ face_id: 'VARCHAR', file_id: 'VARCHAR', det_score: 'DOUBLE', quality: 'DOUBLE', rejected: 'BOOLEAN' }), {
    face_id: faceIds, file_id: faceIds.map((_, i) => fileIds[Math.floor(i / 2)]!), det_score: faceIds.map(() => 0.7 + 0.3 * rand()), quality: faceIds.map(() => 2 + 2 * rand()), rejected: faceIds.map((_, i) => i % 97 === 0),
  }, faceIds.length);
  await write('clusters', table({ face_id: 'VARCHAR', cluster_id: 'INTEGER' }), { face_id: faceIds, cluster_id: c.cluster.map((x) => x ?? -1) }, faceIds.length);
  await write('person_assignment', table({ face_id: 'VARCHAR', person_id: 'INTEGER', stranger: 'BOOLEAN' }), { face_id: faceIds, person_id: c.person, stranger: c.person.map((p) => p === null) }, faceIds.length);
  const petIds = Array.from({ length: PETS }, (_, i) => `pet${String(i).padStart(7, '0')}`);
  await write('pets', table({ pet_id: 'VARCHAR', file_id: 'VARCHAR', label: 'VARCHAR', score: 'DOUBLE' }), {
    pet_id: petIds, file_id: petIds.map((_, i) => fileIds[i]!), label: petIds.map((_, i) => (i % 3 === 0 ? 'dog' : 'cat')), score: petIds.map(() => 0.5 + 0.5 * rand()),
  }, PETS);
  const lock = acquireRunLock(store.dataDir, 'bench report');
  try {
    const spec = { sources: [{ name: 'photos', path: '/bench/photos' }], nodes: [{ name: 'synthetic', params: {} }, { name: 'cluster', params: { method: 'dbscan', eps, minPts: 2 } }] };
    const id = await store.startRun(spec, null);
    const now = Date.now();
    await store.completeNode(id, { node: 'synthetic', type: 'synthetic', version: '1', status: 'done', fingerprint: `bench-${runId}`, reusedFrom: null, startedAt: now, finishedAt: now + 1500, rowsWritten: faceIds.length, outputs, metadata: {}, message: null }, []);
    await store.finishRun(id, 'succeeded', null);
  } finally {
    lock.release();
  }
}

async function syntheticStore(workspace: Workspace): Promise<void> {
  const rand = random(11);
  const faceIds = Array.from({ length: FACES }, (_, i) => i.toString(16).padStart(16, '0'));
  const fileIds = Array.from({ length: Math.ceil(FACES / 2) }, (_, i) => `file${String(i).padStart(7, '0')}`);
  const truth = faceIds.map(() => Math.floor(rand() * PERSONS));
  // A: each person one cluster; 8 % noise; persons from clusters with 10 % unassigned.
  const a: Clustering = { cluster: truth.map((t) => (rand() < 0.08 ? null : t)), person: truth.map((t) => (rand() < 0.1 ? null : t + 1)) };
  // B: every 20th cluster split in two, every 25th merged into its neighbour, 2 % of faces moved at random, 3 % more noise.
  const b: Clustering = {
    cluster: a.cluster.map((x, i) => {
      if (x === null) return rand() < 0.3 ? truth[i]! : null;
      if (rand() < 0.02) return Math.floor(rand() * PERSONS);
      if (rand() < 0.03) return null;
      if (x % 20 === 0 && i % 2 === 0) return PERSONS + x;
      return x % 25 === 0 && x + 1 < PERSONS ? x + 1 : x;
    }),
    person: a.person.map((p, i) => (rand() < 0.03 ? truth[i]! + 1 : p)),
  };
  await registerRun(workspace.store, 1, 0.5, faceIds, fileIds, a, rand);
  await registerRun(workspace.store, 2, 0.45, faceIds, fileIds, b, rand);
  await workspace.store.write(async (catalog) => {
    await catalog.connection.run(`INSERT INTO persons SELECT i, 'Person ' || i, NULL, now(), false, NULL FROM range(1, ${PERSONS + 1}) t(i)`);
    const goldFaces = Array.from({ length: GOLD_FACES }, (_, k) => Math.floor((k * FACES) / GOLD_FACES));
    const values = goldFaces.map((i) => `('${faceIds[i]}', 'person ${truth[i]}', ${i % 97 !== 0}, now())`).join(', ');
    await catalog.connection.run(`INSERT INTO faces_gold VALUES ${values}`);
    const pets = Array.from({ length: GOLD_PETS }, (_, i) => `('pet${String(i * 3 + 1).padStart(7, '0')}', ${i % 10 !== 0}, ${i % 4 === 0 ? "'dog'" : "'cat'"}, now())`).join(', ');
    await catalog.connection.run(`INSERT INTO pets_gold VALUES ${pets}`);
  });
}

const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-report-'));
try {
  const workspace = await Workspace.open({ data: join(dir, 'data') });
  let t0 = performance.now();
  await syntheticStore(workspace);
  console.log(`synthetic store: 2 runs x ${FACES.toLocaleString('en-US')} faces, ${PERSONS.toLocaleString('en-US')} persons, ${GOLD_FACES} gold faces, ${GOLD_PETS} gold pets (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  t0 = performance.now();
  preloadRenderer('html'); // as `mnemo report --format html` does
  const report = await compareReportOf(workspace, '1', '2');
  const model = (performance.now() - t0) / 1000;
  let t1 = performance.now();
  const markdown = await renderReport(report, 'md');
  const md = (performance.now() - t1) / 1000;
  t1 = performance.now();
  const html = await renderReport(report, 'html');
  const htmlSeconds = (performance.now() - t1) / 1000;
  const total = (performance.now() - t0) / 1000;
  const c = report.clusters!.correspondence;
  console.log(`clusters: ${c.clustersA} -> ${c.clustersB}: ${c.kept.length} kept, ${c.split.length} split, ${c.merged.length} merged, ${c.new.length} new, ${c.vanished.length} vanished; ARI ${report.clusters!.ari!.toFixed(3)}, NMI ${report.clusters!.nmi!.toFixed(3)}; ${report.persons!.moved} faces changed person`);
  for (const section of report.accuracy.sections) console.log(`${section.key}: ${section.test!.verdict}`);
  console.log(`report compare: model ${model.toFixed(2)} s, markdown ${md.toFixed(2)} s (${markdown.length.toLocaleString('en-US')} chars), html ${htmlSeconds.toFixed(2)} s (${html.length.toLocaleString('en-US')} bytes)`);
  console.log(`report compare, ${FACES.toLocaleString('en-US')} faces per run: ${total.toFixed(2)} s (target < 10 s) ${total < 10 ? 'OK' : 'SLOW'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
