// Person similarity benchmark: a synthetic store (10,000 persons, 100,000
// faces with 512-d unit embeddings; person 1 has 5,000 faces, the big
// person of bench/workbench-api.ts) registered as one run, then the server's
// merge-candidate, merge-suggestion and sub-cluster routes through inject(),
// for typical persons (about 10 faces) and for the big one. The first call
// reads every embedding (once per latest run), the first merge suggestions
// compare the largest persons' centroids pairwise: both reported apart.
//
//   npm run bench -- similarity [FACES]     (default 100000; persons = faces / 10)
//
// The store is bench/lib/synthetic-store.ts's (the workbench-api bench's),
// with an embedding per face added here: each person a random centre, each
// face its centre plus noise, so two faces of one person have a cosine near
// 0.67 as real ones do.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../app/workspace.ts';
import { parquetSource, writeParquetColumns } from '../datasets/parquet.ts';
import { buildServer } from '../workbench/server/server.ts';
import { timedGet } from './lib/inject.ts';
import { random, syntheticStore } from './lib/synthetic-store.ts';

const FACES = Number(process.argv[2] ?? 100_000);
const DIM = 512;
/** Noise against a person's centre (relative length): faces of one person at cosine ~0.82 to the centre. */
const SPREAD = 0.7;
const PORT = 7707;
const HOST = `127.0.0.1:${PORT}`;


function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Unit vectors: a random centre per person (and one for the unassigned, 0), each face its centre plus noise. */
function embeddings(person: (number | null)[], persons: number, rand: () => number): Float32Array {
  const normal = gaussian(rand);
  const centres = new Float32Array((persons + 1) * DIM);
  for (let i = 0; i < centres.length; i++) centres[i] = normal() / Math.sqrt(DIM);
  const vectors = new Float32Array(person.length * DIM);
  const scale = SPREAD / Math.sqrt(DIM);
  for (let f = 0; f < person.length; f++) {
    const centre = (person[f] ?? 0) * DIM;
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      const value = centres[centre + d]! + normal() * scale;
      vectors[f * DIM + d] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) vectors[f * DIM + d] = vectors[f * DIM + d]! / norm;
  }
  return vectors;
}

/** The workbench store, its faces table written again with an embedding column. */
async function storeWithEmbeddings(workspace: Workspace): Promise<{ persons: number; bigPersonFaces: number }> {
  const made = await syntheticStore(workspace, FACES);
  const dir = join(workspace.store.dataDir, 'runs', '1', 'synthetic');
  const facesPath = join(dir, 'faces.parquet');
  const columns = await workspace.store.read(async (catalog) => {
    const reader = await catalog.connection.runAndReadAll(
      `SELECT f.*, a.person_id FROM ${parquetSource(facesPath)} f LEFT JOIN ${parquetSource(join(dir, 'person_assignment.parquet'))} a USING (face_id) ORDER BY f.face_id`,
    );
    return reader.getColumnsObjectJS() as Record<string, unknown[]>;
  });
  const person = columns.person_id as (number | null)[];
  delete columns.person_id;
  const schema = {
    description: 'bench',
    columns: { face_id: 'VARCHAR', file_id: 'VARCHAR', x1: 'DOUBLE', y1: 'DOUBLE', x2: 'DOUBLE', y2: 'DOUBLE', det_score: 'DOUBLE', quality: 'DOUBLE', rejected: 'BOOLEAN', embedding: `FLOAT[${DIM}]` },
  } as const;
  await writeParquetColumns(facesPath, schema, { ...columns, embedding: embeddings(person, made.persons, random(11)) }, person.length);
  return made;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-similarity-'));
  try {
    const workspace = await Workspace.open({ data: join(dir, 'data') });
    let t = performance.now();
    const { persons: PERSONS, bigPersonFaces: BIG_PERSON_FACES } = await storeWithEmbeddings(workspace);
    console.log(`similarity bench: ${FACES} faces, ${PERSONS} persons (person 1: ${BIG_PERSON_FACES} faces), ${os.cpus().length} CPU cores, node ${process.version}`);
    console.log(`synthetic store: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const { app } = await buildServer(workspace, { port: PORT, logger: false, staticDir: join(dir, 'none') });
    const injected = timedGet(app, HOST);
    const get = async (url: string) => {
      const { ms, body } = await injected(url);
      return { ms, body: body.json() };
    };
    t = performance.now();
    await get('/api/people/2/similar');
    console.log(`first call (reads ${FACES} embeddings, ${PERSONS} centroids): ${(performance.now() - t).toFixed(0)} ms`);

    const rand = random(5);
    const typical = Array.from({ length: 40 }, () => 2 + Math.floor(rand() * (PERSONS - 1)));
    const timed = async (label: string, urls: string[], check?: (body: never) => string) => {
      const ms: number[] = [];
      let note = '';
      for (const url of urls) {
        const result = await get(url);
        ms.push(result.ms);
        note = check ? check(result.body as never) : '';
      }
      console.log(`${label.padEnd(44)} p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms  (${ms.length} calls${note ? `; ${note}` : ''})`);
    };
    await timed('similar persons, typical person (limit 10)', typical.map((id) => `/api/people/${id}/similar`), (body: { similar: { similarity: number }[] }) => `best ${body.similar[0]?.similarity}`);
    await timed(`similar persons, person of ${BIG_PERSON_FACES} faces`, Array.from({ length: 10 }, () => '/api/people/1/similar'));
    t = performance.now();
    const first = await get('/api/people/merge-suggestions');
    console.log(`merge suggestions, first call (nearest among the ${Math.min(PERSONS, 2000)} largest persons): ${(performance.now() - t).toFixed(0)} ms; best ${first.body.suggestions[0]?.other.similarity}`);
    await timed('merge suggestions across the directory', Array.from({ length: 10 }, () => '/api/people/merge-suggestions'));
    await timed('sub-clusters, typical person', typical.map((id) => `/api/people/${id}/subclusters`), (body: { subclusters: unknown[]; faces: number }) => `${body.faces} faces, ${body.subclusters.length} groups`);
    await timed(`sub-clusters, person of ${BIG_PERSON_FACES} faces`, Array.from({ length: 10 }, () => '/api/people/1/subclusters'), (body: { subclusters: { faceIds: string[] }[]; sampled: boolean }) =>
      `${body.subclusters.length} groups, largest ${body.subclusters[0]?.faceIds.length}, sampled ${body.sampled}`);
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
