// Pet detection throughput on real photos, 1 vs 2 worker threads, warm (detectors loaded
// and run once before timing). Each image is decoded from its file and detected, as the
// pipeline node will do it.
// Usage: node --import tsx bench/pets.ts [images=120] [model=centernet]
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../dag/worker-pool.ts';
import { DEFAULT_PET_MODEL, type PetModel } from '../models/pet-detector.ts';
import { isPetTaskFailure, petWorkerUrl, type PetTask, type PetTaskResult, type PetTaskSuccess, type PetWorkerData } from '../models/pet-worker.ts';
import { demoPhotosDir, petsFixtures } from '../test/fixtures.ts';

const imageCount = Number(process.argv[2] ?? 120);
const model = (process.argv[3] ?? DEFAULT_PET_MODEL) as PetModel;

const photos = [
  ...['chelsea.png', 'coffee.png', 'astronaut.png'].map((f) => join(petsFixtures, f)),
  ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)),
];
const tasks: PetTask[] = Array.from({ length: imageCount }, (_, i) => ({ path: photos[i % photos.length]! }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

console.log(`pets bench: ${imageCount} images (${photos.length} photos repeated), model ${model}, os.cpus().length = ${cpus().length}`);
for (const size of [1, 2]) {
  const workerData: PetWorkerData = { model };
  const pool = new WorkerPool<PetTask, PetTaskResult>(petWorkerUrl, { size, workerData });
  await Promise.all(photos.slice(0, size).map((path) => pool.run({ path }))); // warm: every worker started, model loaded
  const start = performance.now();
  const results = await Promise.all(tasks.map((task) => pool.run(task)));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  const ok = results.filter((r): r is PetTaskSuccess => !isPetTaskFailure(r));
  const failed = results.length - ok.length;
  const pets = ok.reduce((n, r) => n + r.detections.filter((d) => d.petLabel === 'pet').length, 0);
  console.log(
    `${size} worker(s): ${(results.length / seconds).toFixed(1)} images/s` +
      ` (${seconds.toFixed(1)} s; per image in a worker: decode ${median(ok.map((r) => r.timings.decodeMs)).toFixed(0)} ms,` +
      ` detect ${median(ok.map((r) => r.timings.detectMs)).toFixed(0)} ms median; ${pets} pets, ${failed} failed)`,
  );
}
