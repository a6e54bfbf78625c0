// A synthetic store for the workbench benchmarks: FACES faces on FACES / 10
// persons (person 1 has the big page), two faces per photo, clusters,
// assignments and a UMAP, registered as one succeeded run that `latest`
// points at, plus a directory of persons with one manual face each in the
// journal. No face detection: every photo entry is one of a few real fixture
// photos, so crops decode real pixels.
import { join } from 'node:path';
import type { Workspace } from '../../app/workspace.ts';
import { writeParquetColumns } from '../../datasets/parquet.ts';
import { acquireRunLock } from '../../datasets/run-lock.ts';
import type { ColumnType } from '../../datasets/schema.ts';
import { facesFixtures } from '../../test/fixtures.ts';

const FIXTURE_PHOTOS = ['obama.jpg', 'obama2.jpg', 'biden.jpg', 'obama-720p.jpg', 'obama-1080p.jpg'];

const table = (columns: Record<string, ColumnType>) => ({ description: 'bench', columns });

/** A seeded linear congruential generator in [0, 1): the benches' stores are the same every time. */
export function random(seed: number): () => number {
  return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Writes the run's tables and registers them as one succeeded run (latest points at it). */
export async function syntheticStore(workspace: Workspace, FACES: number): Promise<{ persons: number; bigPersonFaces: number }> {
  const PERSONS = Math.max(1, Math.floor(FACES / 10));
  /** Person 1 has this many faces: the big person page. */
  const BIG_PERSON_FACES = Math.min(5000, FACES);
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
  return { persons: PERSONS, bigPersonFaces: BIG_PERSON_FACES };
}
