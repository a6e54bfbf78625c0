// What the catalog costs as runs pile up (a year of daily runs is 365): every
// workbench action that writes opens and closes the catalog, and every SQL
// query takes a snapshot of it. A run registers about 20 tables; the figures
// show whether that history makes each open slower.
//
//   npm run bench -- catalog              # 10, 50, 200 runs
//   npm run bench -- catalog --runs=365   # up to 365 runs
//
// The runs go through the Store's own API (startRun, completeNode, finishRun)
// with one node holding 20 tables of one row, so the same file measures any
// version of the store.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scratchConnection } from '../datasets/parquet.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { quoteString } from '../datasets/schema.ts';
import { Store } from '../datasets/store.ts';
import { medianMs } from './lib/timing.ts';

const maxRuns = Number(process.argv.find((arg) => arg.startsWith('--runs='))?.slice('--runs='.length) ?? 200);
const checkpoints = [10, 50, 100, 200, 365, 1000].filter((n) => n < maxRuns).concat(maxRuns);
const TABLES = [
  'files', 'hashes', 'exif', 'images', 'faces', 'pets', 'perceptual_hashes', 'thumbnails', 'clusters', 'person_assignment',
  'umap', 'near_duplicates', 'duplicates', 'events', 'event_photos', 'home', 'undated_photos', 'trips', 'trip_photos',
];

const dir = mkdtempSync(join(tmpdir(), 'mnemo-bench-catalog-'));
const store = new Store(join(dir, 'data'));

try {
  console.log(`catalog growth on ${cpus().length} cores: one node with ${TABLES.length} tables per run; medians of 7 (open) and 5 (query)`);
  // One set of Parquet files that every run's node points at: the catalog's cost is what is measured.
  const outputs: Record<string, string> = {};
  const connection = await scratchConnection();
  for (const table of TABLES) {
    const path = store.tablePath(1, 'all', table);
    mkdirSync(dirname(path), { recursive: true });
    await connection.run(`COPY (SELECT 1 AS file_id) TO ${quoteString(path)} (FORMAT parquet)`);
    outputs[table] = store.relative(path);
  }
  console.log('runs | open+close (write) | sql over run<last> | catalog file');
  let runs = 0;
  let lastRun = 0;
  for (const target of checkpoints) {
    while (runs < target) {
      lastRun = await store.startRun({ nodes: ['all'] }, null);
      const now = Date.now();
      await store.completeNode(lastRun, {
        node: 'all', type: 'bench', version: '1', status: 'done', fingerprint: `bench-${lastRun}`, reusedFrom: null,
        startedAt: now, finishedAt: now, rowsWritten: TABLES.length, outputs, metadata: {}, message: null,
      }, []);
      await store.finishRun(lastRun, 'succeeded', null);
      runs++;
    }
    const open = await medianMs(7, () => store.write(async () => undefined));
    const sql = await medianMs(5, () => readOnlyQuery(store, `SELECT count(*) AS n FROM run${lastRun}.faces JOIN run${lastRun}.files USING (file_id)`));
    const size = statSync(store.catalogPath).size;
    console.log(`${String(runs).padStart(4)} | ${open.toFixed(1).padStart(8)} ms | ${sql.toFixed(1).padStart(8)} ms | ${(size / 1024 / 1024).toFixed(1)} MB`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
