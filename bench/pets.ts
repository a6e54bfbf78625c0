// Pet detection throughput on real photos, pets alone, 1 vs 2 worker threads, warm
// (detectors loaded and run once before timing): centernet on ONNX Runtime (converted
// at load) at several input sizes, interleaved per worker count so a machine shared
// with other work loads them alike. Each image is decoded from its file and detected,
// as the pipeline node does it. The tfjs-wasm path it replaced measured, side by side
// in the same runs before its removal, in docs/pets-onnx.md.
// Usage: npm run bench -- pets [images=90] [--sizes=512,416,384]
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../dag/worker-pool.ts';
import { isPetTaskFailure, petWorkerUrl, type PetTask, type PetTaskResult, type PetTaskSuccess, type PetWorkerData } from '../models/pet-worker.ts';
import { demoPhotosDir, petsFixtures } from '../test/fixtures.ts';

const imageCount = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 90);
const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '512,416').split(',').map(Number);

const photos = [
  ...['chelsea.png', 'coffee.png', 'astronaut.png'].map((f) => join(petsFixtures, f)),
  ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)),
];
const tasks: PetTask[] = Array.from({ length: imageCount }, (_, i) => ({ path: photos[i % photos.length]!, params: { maxSide: 512 } }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

interface Variant {
  name: string;
  workerData: PetWorkerData;
}
const variants: Variant[] = sizes.map((inputSize) => ({ name: `onnx ${inputSize}`, workerData: { inputSize } }));

console.log(`pets bench: ${imageCount} images (${photos.length} photos repeated, decoded to 512 px), centernet, os.cpus().length = ${cpus().length}`);
for (const workers of [1, 2]) {
  for (const variant of variants) {
    const pool = new WorkerPool<PetTask, PetTaskResult>(petWorkerUrl, { size: workers, workerData: variant.workerData });
    await Promise.all(photos.slice(0, workers).map((path) => pool.run({ path }))); // warm: every worker started, model loaded
    const start = performance.now();
    const results = await Promise.all(tasks.map((task) => pool.run(task)));
    const seconds = (performance.now() - start) / 1000;
    await pool.close();
    const ok = results.filter((r): r is PetTaskSuccess => !isPetTaskFailure(r));
    const pets = ok.reduce((n, r) => n + r.detections.filter((d) => d.petLabel === 'pet').length, 0);
    console.log(
      `${workers} worker(s), ${variant.name.padEnd(13)}: ${(results.length / seconds).toFixed(1).padStart(5)} photos/s` +
        ` (${seconds.toFixed(1)} s; per photo in a worker: decode ${median(ok.map((r) => r.timings.decodeMs)).toFixed(0)} ms,` +
        ` detect ${median(ok.map((r) => r.timings.detectMs)).toFixed(0)} ms median; ${pets} pets, ${results.length - ok.length} failed)`,
    );
  }
}
