// The runs a user makes every day, through the `mnemo` command as users start
// it (the compiled dist/ entry): a run where nothing changed, and runs that add
// a few new photos to an archive that has already been analysed. Their cost is
// the pipeline's fixed cost (start-up, catalog work, workers and models, the
// clustering and map of every face), not the per-photo rate `images` measures.
//
//   npm run bench -- rerun            # an archive of 60 photos, 5 rounds
//   npm run bench -- rerun 120 --rounds=3
//
// Each "+N photos" line alternates the default with a fixed worker count, so
// drift in the machine's speed hits both alike.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { ensureFreshDist } from './lib/fresh-dist.ts';
import { demoPhotosDir, facesFixtures } from '../test/fixtures.ts';
import { median } from './lib/timing.ts';

const args = process.argv.slice(2);
const photoCount = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 5);
const root = join(import.meta.dirname, '..');
const mnemo = join(root, 'bin', 'mnemo.js');

ensureFreshDist(root);

const dir = mkdtempSync(join(tmpdir(), 'mnemo-rerun-'));
const photos = join(dir, 'Фото');
const added = join(photos, 'новые');

/** The demo photos and the face fixtures, capped at 2 MP as in the images benchmark. */
async function sourcePhotos(): Promise<Buffer[]> {
  const files = [1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`));
  if (existsSync(facesFixtures)) files.push(...readdirSync(facesFixtures).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(facesFixtures, f)));
  return Promise.all(files.map(async (file) => {
    const { width = 0, height = 0 } = await sharp(file).metadata();
    if (width * height <= 2e6) return readFileSync(file);
    const factor = Math.sqrt(2e6 / (width * height));
    return sharp(file).resize(Math.floor(width * factor), Math.floor(height * factor)).jpeg({ quality: 90 }).toBuffer();
  }));
}

/** Different bytes each time (a trailing note), so every copy is a new photo to the pipeline. */
let copies = 0;
function writeCopies(folder: string, sources: Buffer[], count: number): void {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    copies++;
    writeFileSync(join(folder, `${String(copies).padStart(5, '0')}.jpg`), Buffer.concat([sources[copies % sources.length]!, Buffer.from(`copy ${copies}`)]));
  }
}

interface Timed {
  wall: number;
  nodes: Record<string, number>;
}

function mnemoRun(extra: string[] = []): Timed {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [mnemo, 'run', ...extra], { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  const wall = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`mnemo run exited ${result.status}: ${result.stderr}`);
  const show = spawnSync(process.execPath, [mnemo, 'show', 'latest', '--json'], { cwd: dir, encoding: 'utf8' });
  const [run] = JSON.parse(show.stdout) as { nodes: { node: string; seconds: number }[] }[];
  return { wall, nodes: Object.fromEntries(run!.nodes.map((node) => [node.node, node.seconds])) };
}

const seconds = (xs: number[]): string => `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;

/** Median seconds of the nodes that take more than 0.2 s in the median run. */
function nodeLine(runs: Timed[]): string {
  const names = Object.keys(runs[0]!.nodes);
  return names
    .map((name) => [name, median(runs.map((run) => run.nodes[name] ?? 0))] as const)
    .filter(([, s]) => s >= 0.2)
    .map(([name, s]) => `${name} ${s.toFixed(1)}`)
    .join(', ');
}

/** Opening and closing the catalog, as every unit of work outside `mnemo run` does: it grows with the runs kept. */
async function catalogOpenMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(join(dir, 'data', 'catalog.duckdb'), { access_mode: 'READ_ONLY' });
    instance.closeSync();
    times.push(performance.now() - t0);
  }
  return median(times);
}

try {
  const sources = await sourcePhotos();
  writeCopies(photos, sources, photoCount);
  const init = spawnSync(process.execPath, [mnemo, 'init', photos, '--data', './data'], { cwd: dir, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(init.stderr);
  console.log(`${cpus().length} cores, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; an archive of ${photoCount} photos (${sources.length} real photos up to 2 MP, distinct bytes), the default pipeline of \`mnemo init\``);
  const first = mnemoRun();
  console.log(`first run: ${first.wall.toFixed(1)} s (${nodeLine([first])})`);

  const unchanged: Timed[] = [];
  for (let i = 0; i < rounds; i++) unchanged.push(mnemoRun());
  console.log(`nothing changed:  ${seconds(unchanged.map((r) => r.wall))} wall, median of ${rounds}; every node reused`);

  for (const [count, fixedWorkers] of [[3, 2], [8, 1]] as const) {
    const byDefault: Timed[] = [];
    const fixed: Timed[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [runs, extra] of [[byDefault, []], [fixed, ['--set', `images.workers=${fixedWorkers}`]]] as const) {
        rmSync(added, { recursive: true, force: true });
        writeCopies(added, sources, count);
        runs.push(mnemoRun([...extra]));
      }
    }
    console.log(`+${count} photos, default:   ${seconds(byDefault.map((r) => r.wall))} wall; median node seconds: ${nodeLine(byDefault)}`);
    console.log(`+${count} photos, workers=${fixedWorkers}: ${seconds(fixed.map((r) => r.wall))} wall; median node seconds: ${nodeLine(fixed)}`);
  }
  const runs = spawnSync(process.execPath, [mnemo, 'runs', '--json'], { cwd: dir, encoding: 'utf8' });
  console.log(`catalog open + close with ${(JSON.parse(runs.stdout) as unknown[]).length} runs kept: ${(await catalogOpenMs()).toFixed(0)} ms (median of 7)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
