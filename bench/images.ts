// The images node end to end through the engine: images/s and faces/s over
// real photos (the demo photos and face fixtures, each copy made distinct by
// a trailing byte so nothing is served from the cache), per-stage ms, 1 vs 2
// workers, peak RSS; then all analyses together; then 12 MP JPEGs. First of
// all, the whole default pipeline (the spec `mnemo init` writes) on the photos
// up to 2 MP: the 20 photos/s target.
//   node --import tsx bench/images.ts [photos=300] [--skip-12mp] [--faces-only]
//     [--pipeline-only] [--repeat=3] [--set=node.param=value ...]
// --set overrides go to the whole-pipeline runs (as `mnemo run --set`), so a
// variant can be timed beside the default in one invocation, e.g.
//   npm run bench -- images --pipeline-only --set=images.thumbnails.sizes=[256,1024]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runPipeline } from '../dag/executor.ts';
import { initialSpec } from '../app/spec-template.ts';
import { parseSpec } from '../dag/spec.ts';
import { Store } from '../datasets/store.ts';
import { DEFAULT_PIPELINE, NODE_TYPES } from '../nodes/index.ts';
import { demoPhotosDir, facesFixtures } from '../test/fixtures.ts';

const args = process.argv.slice(2);
const photoCount = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
const repeat = Number(args.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 3);
const overrides = args.filter((a) => a.startsWith('--set=')).map((a) => a.slice('--set='.length));
const root = join(tmpdir(), `mnemo-bench-images-${process.pid}`);

function writePhotos(folder: string, sources: string[], count: number): void {
  mkdirSync(folder, { recursive: true });

  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    writeFileSync(join(folder, `${String(i).padStart(4, '0')}-${source.split('/').pop()}`), Buffer.concat([readFileSync(source), Buffer.from(`copy ${i}`)]));
  }

}

/** Peak RSS of this process (worker threads included), sampled every 20 ms. */
function rssSampler() {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss()) / 2 ** 20;
  };
}

/** The exif node over the same photos (its own pass: it reads file headers, not pixels). */
async function runExif(folder: string) {
  const dataDir = join(root, 'data-exif');
  const yaml = `data: ${dataDir}\nsources:\n  - name: photos\n    path: ${folder}\nnodes:\n  scan:\n  hash:\n  exif:\n`;
  const summary = await runPipeline(parseSpec(yaml, join(root, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, new Store(dataDir));
  const node = summary.nodes.find((n) => n.node === 'exif')!;
  console.log(`${'exif node'.padEnd(34)} ${(Number(node.metadata.computed) / (node.durationMs / 1000)).toFixed(1).padStart(6)} images/s  (${String(node.metadata.computed)} photos in ${(node.durationMs / 1000).toFixed(1)} s)`);
  rmSync(dataDir, { recursive: true, force: true });
}

interface ImagesRun {
  label: string;
  /** Whole node, start-up and table writes included. */
  imagesPerSecond: number;
  /** Between the first and the last photo's result: the rate a long run settles at. */
  steadyImagesPerSecond: number;
  line: string;
}

async function runImages(label: string, folder: string, params: string, quiet = false): Promise<ImagesRun> {
  const dataDir = join(root, `data-${label.replace(/\W+/g, '-')}`);
  const yaml = `data: ${dataDir}\nsources:\n  - name: photos\n    path: ${folder}\nnodes:\n  scan:\n  hash:\n  images:\n    params: ${params}\n`;
  const stopRss = rssSampler();
  const summary = await runPipeline(parseSpec(yaml, join(root, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, new Store(dataDir));
  const peak = stopRss();
  if (summary.status !== 'succeeded') throw new Error(summary.message ?? 'failed');
  const node = summary.nodes.find((n) => n.node === 'images')!;
  const seconds = node.durationMs / 1000;
  const m = node.metadata as { decoded: number; faces: number; pets: number; wallMs: { firstResult: number; lastResult: number; tables: number }; msPerDecodedPhoto: Record<string, number | null> };
  const stages = Object.entries(m.msPerDecodedPhoto).filter(([stage, ms]) => ms && stage !== 'write').map(([stage, ms]) => `${stage} ${ms}`).join(', ');
  const steady = (m.decoded - 1) / ((m.wallMs.lastResult - m.wallMs.firstResult) / 1000);
  const line =
    `${label.padEnd(34)} ${(m.decoded / seconds).toFixed(1).padStart(6)} images/s  ${(m.faces / seconds).toFixed(1).padStart(6)} faces/s  ` +
    `${seconds.toFixed(1)} s for ${m.decoded} photos, ${m.faces} faces, ${m.pets} pets; peak RSS ${peak.toFixed(0)} MiB\n` +
    `${''.padEnd(34)} steady ${steady.toFixed(1)} images/s after ${(m.wallMs.firstResult / 1000).toFixed(2)} s to the first result; ms/photo per worker: ${stages}; main thread: write ${m.msPerDecodedPhoto.write}`;
  if (!quiet) console.log(line);
  rmSync(dataDir, { recursive: true, force: true });
  return { label, imagesPerSecond: m.decoded / seconds, steadyImagesPerSecond: steady, line };
}

/** The same run `times` times (this machine's speed drifts by ~10 %): prints the median run and the spread. */
async function runImagesMedian(times: number, label: string, folder: string, params: string): Promise<void> {
  const runs: ImagesRun[] = [];
  for (let i = 0; i < times; i++) runs.push(await runImages(label, folder, params, true));
  runs.sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
  console.log(runs[Math.floor(times / 2)]!.line);
  console.log(`${''.padEnd(34)} median of ${times} runs; all: ${runs.map((r) => r.imagesPerSecond.toFixed(1)).join(', ')} images/s`);
}

interface PipelineRun {
  photosPerSecond: number;
  cpuMsPerPhoto: number;
  line: string;
}

/**
 * The whole default pipeline, as `mnemo init` writes it, over `folder` from an
 * empty data folder: photos/s from start to finish (scan to the last node), each
 * node's seconds (nodes overlap: exif runs beside images), and the images node's
 * ms per photo and stage, summed over its worker threads.
 */
async function runDefaultPipeline(folder: string, setOverrides: string[]): Promise<PipelineRun> {
  const dataDir = join(root, 'data-pipeline');
  rmSync(dataDir, { recursive: true, force: true });
  const spec = parseSpec(initialSpec(folder, dataDir), join(root, 'mnemo.yaml'), NODE_TYPES, { overrides: setOverrides });
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const summary = await runPipeline(spec, NODE_TYPES, new Store(dataDir));
  const seconds = (performance.now() - start) / 1000;
  // This process's CPU time (worker threads and libuv's pool included): what other processes' load disturbs least.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerPhoto = (cpu.user + cpu.system) / 1000 / photoCount;
  if (summary.status !== 'succeeded') throw new Error(summary.message ?? 'failed');
  const images = summary.nodes.find((n) => n.node === 'images')!;
  const m = images.metadata as { decoded: number; faces: number; pets: number; wallMs: { firstResult: number }; msPerDecodedPhoto: Record<string, number | null> };
  rmSync(dataDir, { recursive: true, force: true });
  const nodes = summary.nodes.map((n) => `${n.node} ${(n.durationMs / 1000).toFixed(1)}`).join(', ');
  const stages = Object.entries(m.msPerDecodedPhoto).map(([stage, ms]) => `${stage} ${ms ?? 0}`).join(', ');
  const line =
    `${(photoCount / seconds).toFixed(1).padStart(6)} photos/s: ${seconds.toFixed(1)} s for ${photoCount} photos (${m.decoded} decoded, ${m.faces} faces, ${m.pets} pets); CPU ${cpuMsPerPhoto.toFixed(0)} ms per photo\n` +
    `${''.padEnd(8)}node seconds: ${nodes}\n` +
    `${''.padEnd(8)}images: ${(m.wallMs.firstResult / 1000).toFixed(2)} s to the first result; ms/photo in a worker: ${stages.replace(/, write .*$/, '')}; main thread: write ${m.msPerDecodedPhoto.write}`;
  return { photosPerSecond: photoCount / seconds, cpuMsPerPhoto, line };
}

/** Default pipeline and (with --set) the variant, alternated `times` times so load drifts hit both alike; prints each one's median run. */
async function compareDefaultPipeline(folder: string, times: number): Promise<void> {
  const variants = overrides.length ? [{ label: 'default', sets: [] as string[] }, { label: `--set ${overrides.join(' ')}`, sets: overrides }] : [{ label: 'default', sets: [] as string[] }];
  const runs = variants.map(() => [] as PipelineRun[]);
  for (let i = 0; i < times; i++) {
    for (const [index, variant] of variants.entries()) {
      const run = await runDefaultPipeline(folder, variant.sets);
      runs[index]!.push(run);
      console.log(`  run ${i + 1}, ${variant.label}: ${run.photosPerSecond.toFixed(1)} photos/s, CPU ${run.cpuMsPerPhoto.toFixed(0)} ms per photo`);
    }
  }
  for (const [index, variant] of variants.entries()) {
    const sorted = [...runs[index]!].sort((a, b) => a.photosPerSecond - b.photosPerSecond);
    console.log(`${variant.label}: median of ${times} runs; all: ${runs[index]!.map((r) => r.photosPerSecond.toFixed(1)).join(', ')} photos/s; CPU ${runs[index]!.map((r) => r.cpuMsPerPhoto.toFixed(0)).join(', ')} ms per photo`);
    console.log(sorted[Math.floor(times / 2)]!.line);
  }
}

/**
 * The target is for photos up to 2 MP. The six demo photos are 2.5-3.0 MP,
 * so this set shrinks those (only those) to 2 MP, JPEG quality 90: same scenes, same faces.
 */
async function capAt2Mp(sources: string[], folder: string): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  return Promise.all(sources.map(async (source) => {
    const { width = 0, height = 0 } = await sharp(source).metadata();
    if (width * height <= 2e6) return source;
    const factor = Math.sqrt(2e6 / (width * height));
    const target = join(folder, source.split('/').pop()!);
    await sharp(source).resize(Math.floor(width * factor), Math.floor(height * factor)).jpeg({ quality: 90 }).toFile(target);
    return target;
  }));
}

const megapixels = async (files: string[]) => {
  const sizes = await Promise.all(files.map(async (s) => { const m = await sharp(s).metadata(); return (m.width! * m.height!) / 1e6; }));
  return `mean ${(sizes.reduce((a, b) => a + b, 0) / sizes.length).toFixed(2)} MP, largest ${Math.max(...sizes).toFixed(2)} MP`;
};

const sources = [1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`));
if (existsSync(facesFixtures)) sources.push(...readdirSync(facesFixtures).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(facesFixtures, f)));
console.log(`cpus ${cpus().length}; ${photoCount} photos cycling ${sources.length} real photos (${await megapixels(sources)})`);
const photos = join(root, 'photos');
writePhotos(photos, sources, photoCount);
const capped = await capAt2Mp(sources, join(root, 'capped-sources'));
const photos2mp = join(root, 'photos-2mp');
writePhotos(photos2mp, capped, photoCount);
try {
  console.log(`-- whole default pipeline (mnemo init's spec: ${DEFAULT_PIPELINE.map((node) => node.name).join(', ')}; images with every analysis), ${photoCount} photos up to 2 MP (${await megapixels(capped)}), workers = cores`);
  await compareDefaultPipeline(photos2mp, repeat);
  if (!args.includes('--pipeline-only')) {
    const facesOnly = 'thumbnails: {enabled: false}, hashes: {enabled: false}, pets: {enabled: false}';
    console.log(`-- faces only, the photos as shipped (${await megapixels(sources)})`);
    await runImages('faces only, 1 worker', photos, `{workers: 1, ${facesOnly}}`);
    await runImagesMedian(3, 'faces only, 2 workers', photos, `{workers: 2, ${facesOnly}}`);
    console.log(`-- faces only, photos up to 2 MP as the target says (${await megapixels(capped)})`);
    await runImages('faces only <= 2 MP, 1 worker', photos2mp, `{workers: 1, ${facesOnly}}`);
    await runImagesMedian(3, 'faces only <= 2 MP, 2 workers', photos2mp, `{workers: 2, ${facesOnly}}`);
    if (!args.includes('--faces-only')) {
      console.log('-- other analyses (as shipped)');
      await runImages('all analyses, 2 workers', photos, '{workers: 2}');
      await runImages('hashes + thumbnails, 2 workers', photos, '{workers: 2, faces: {enabled: false}, pets: {enabled: false}}');
      await runExif(photos);
    }
    if (!args.includes('--skip-12mp') && !args.includes('--faces-only')) {
      const big = join(root, 'big');
      mkdirSync(big);
      const base = await sharp(sources[0]).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
      for (let i = 0; i < 60; i++) writeFileSync(join(big, `big-${i}.jpg`), Buffer.concat([base, Buffer.from(`copy ${i}`)]));
      await runImages('12 MP, faces, maxSide 2048', big, `{workers: 2, ${facesOnly}}`);
      await runImages('12 MP, faces, full resolution', big, `{workers: 2, maxSide: 20000, ${facesOnly}}`);
      await runImages('12 MP, faces, maxSide 1000', big, `{workers: 2, maxSide: 1000, ${facesOnly}}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
