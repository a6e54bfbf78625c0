// End-to-end face pass throughput: decode + detect + landmarks + align + embed
// over real photos, on 1 and 2 workers, plus the cost of decoding a 12 MP JPEG
// at full size versus shrink-on-load.
//
//   node --import tsx bench/faces.ts [images=300] [--workers=1,2] [--skip-12mp]
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { WorkerPool } from '../dag/worker-pool.ts';
import { FACE_WORKER_URL, FaceAnalyzer } from '../models/face-analyzer.ts';
import type { FaceWorkerResult, FaceWorkerTask } from '../models/face-worker.ts';
import { decodePhoto } from '../imaging/image.ts';
import { demoPhotosDir, facesFixtures } from '../test/fixtures.ts';
import { medianMs } from './lib/timing.ts';

const args = process.argv.slice(2);
const imageCount = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
const workerCounts = (args.find((a) => a.startsWith('--workers='))?.slice(10) ?? '1,2').split(',').map(Number);
const skip12mp = args.includes('--skip-12mp');

function photoSet(): string[] {
  const demo = [1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`));
  const fixtures = existsSync(facesFixtures)
    ? readdirSync(facesFixtures).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(facesFixtures, f))
    : [];
  return [...demo, ...fixtures];
}

/** Samples this process's RSS (workers are threads: one number covers them all). */
function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const f1 = (v: number): string => v.toFixed(1);

async function runPool(size: number, photos: string[]): Promise<void> {
  const pool = new WorkerPool<FaceWorkerTask, FaceWorkerResult>(FACE_WORKER_URL, { size });
  // Warm-up: start every worker and load its models before timing.
  await Promise.all(Array.from({ length: size }, () => pool.run({ path: photos[0]! })));
  const rss = rssSampler();
  const start = performance.now();
  const results = await Promise.all(photos.map((path) => pool.run({ path })));
  const seconds = (performance.now() - start) / 1000;
  const peakRss = rss.stop();
  await pool.close();

  let faces = 0, accepted = 0, errors = 0;
  const sum = { decodeMs: 0, detectMs: 0, landmarksMs: 0, embedMs: 0 };
  for (const r of results) {
    sum.decodeMs += r.timings.decodeMs;
    if (!r.ok) {
      errors++;
      continue;
    }
    faces += r.faces.count;
    accepted += r.faces.rejected.filter((x) => x === 0).length;
    sum.detectMs += r.timings.detectMs;
    sum.landmarksMs += r.timings.landmarksMs;
    sum.embedMs += r.timings.embedMs;
  }
  const n = results.length;
  console.log(
    `${size} worker(s): ${n} images in ${seconds.toFixed(2)} s = ${f1(n / seconds)} images/s, ` +
      `${f1(faces / seconds)} faces/s (${faces} faces, ${accepted} pass the quality gate, ${errors} decode errors), peak RSS ${mb(peakRss)}`,
  );
  console.log(
    `   per image: decode ${f1(sum.decodeMs / n)} ms, detect ${f1(sum.detectMs / n)} ms; ` +
      `per face: landmarks ${f1(sum.landmarksMs / faces)} ms, align+embed ${f1(sum.embedMs / faces)} ms`,
  );
}

async function run12mp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-bench-faces-'));
  try {
    const path = join(dir, 'big.jpg');
    await sharp(join(demoPhotosDir, 'sample1.jpg')).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(path);
    const analyzer = await FaceAnalyzer.create();
    const full = await decodePhoto(path);
    const shrunk = await decodePhoto(path, { maxSide: 2048 });
    const fullMs = await medianMs(3, () => decodePhoto(path));
    const shrunkMs = await medianMs(3, () => decodePhoto(path, { maxSide: 2048 }));
    // libjpeg can only shrink on load by 2, 4 or 8, and sharp uses it only when a further reduce
    // remains (it skips exact integer factors): 4000 -> 2000 decodes in full, 4000 -> 1333 loads at 1/2.
    const halfMs = await medianMs(3, () => decodePhoto(path, { maxSide: 2000 }));
    const thirdMs = await medianMs(3, () => decodePhoto(path, { maxSide: 1333 }));
    const fullFaces = await analyzer.analyze(full);
    const shrunkFaces = await analyzer.analyze(shrunk);
    await analyzer.release();
    const describe = (r: typeof fullFaces): string =>
      `${r.faces.length} faces, detect ${f1(r.timings.detectMs)} ms, landmarks ${f1(r.timings.landmarksMs)} ms, embed ${f1(r.timings.embedMs)} ms`;
    console.log(`12 MP JPEG (4000x3000): decode full ${f1(fullMs)} ms (${mb(full.data.length)} RGB); ${describe(fullFaces)}`);
    console.log(`   decodePhoto maxSide 2048 (${shrunk.width}x${shrunk.height}): ${f1(shrunkMs)} ms; ${describe(shrunkFaces)}`);
    console.log(`   decodePhoto maxSide 2000 (exactly 2x: full decode, then reduce): ${f1(halfMs)} ms`);
    console.log(`   decodePhoto maxSide 1333 (3x: JPEG shrink-on-load to 1/2, then reduce): ${f1(thirdMs)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = photoSet();
const photos = Array.from({ length: imageCount }, (_, i) => base[i % base.length]!);
const sizes = await Promise.all(base.map(async (p) => (await sharp(p).metadata()).width! * (await sharp(p).metadata()).height!));
console.log(`bench/faces: ${cpus().length} CPUs, Node ${process.version}`);
console.log(
  `${imageCount} images cycling ${base.length} real photos (${base.length - 6} face fixtures + 6 demo group photos), ` +
    `${f1(sizes.reduce((a, b) => a + b, 0) / sizes.length / 1e6)} MP mean, largest ${f1(Math.max(...sizes) / 1e6)} MP`,
);
for (const size of workerCounts) await runPool(size, photos);
if (!skip12mp) await run12mp();
