// Pet detection speed, pets alone. Two parts, each interleaved so a machine shared
// with other work loads the variants alike:
// 1. The ONNX Runtime run per call (main thread, one ORT thread, no workers): centernet
//    converted op for op (converter version 1), rewritten for ORT's blocked layout with all
//    80 class maps (version 2), and rewritten with the person, cat and dog maps only
//    (version 3, what the detector runs; tfjs-to-onnx.ts), at each input size.
// 2. Throughput on real photos with 1 and 2 worker threads, 80 class maps against 3,
//    warm (detectors loaded and run once before timing), each image decoded from its file
//    and detected as the pipeline node does it, with the median milliseconds of each stage
//    in a worker.
// The tfjs-wasm path ONNX replaced was measured side by side before its removal (docs/pets-onnx.md).
// Usage: npm run bench -- pets [images=90] [--sizes=512,416] [--rounds=3]
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { WorkerPool } from '../dag/worker-pool.ts';
import { createSingleThreadSession } from '../models/onnx-session.ts';
import { isPetTaskFailure, petWorkerUrl, type PetTask, type PetTaskResult, type PetTaskSuccess, type PetTaskTimings, type PetWorkerData } from '../models/pet-worker.ts';
import { getModel, resolveModelPath } from '../models/registry.ts';
import { readTfjsGraphModel } from '../models/tfjs-graph-model.ts';
import { convertTfjsToOnnx } from '../models/tfjs-to-onnx.ts';
import { demoPhotosDir, petsFixtures } from '../test/fixtures.ts';
import { median } from './lib/timing.ts';

const imageCount = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 90);
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sizes = (option('sizes') ?? '512,416').split(',').map(Number);
const rounds = Number(option('rounds') ?? 3);

const photos = [
  ...['chelsea.png', 'coffee.png', 'astronaut.png'].map((f) => join(petsFixtures, f)),
  ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)),
];
const tasks: PetTask[] = Array.from({ length: imageCount }, (_, i) => ({ path: photos[i % photos.length]!, params: { maxSide: 512 } }));

const ms = (v: number) => v.toFixed(1).padStart(6);

console.log(`pets bench: os.cpus().length = ${cpus().length}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

// 1. ORT run per call. The input's content does not change the time (a photo and zeros ran alike).
{
  const model = getModel('pet-centernet');
  const graph = readTfjsGraphModel(resolveModelPath('pet-centernet'));
  const convert = (rewriteForOrt: boolean, keepChannels?: typeof model.onnxOutputChannels) =>
    convertTfjsToOnnx(graph, { outputs: model.onnxOutputs!, referenceInputSize: model.inputShape[1]!, rewriteForOrt, keepChannels });
  const variants = [
    { name: 'op for op (v1)', session: await createSingleThreadSession(convert(false)) },
    { name: 'rewritten (v2)', session: await createSingleThreadSession(convert(true)) },
    { name: 'person/cat/dog (v3)', session: await createSingleThreadSession(convert(true, model.onnxOutputChannels)) },
  ];
  const calls = 5 * rounds;
  // CPU time (process.cpuUsage, this process's threads) counts only the cycles the run itself got,
  // so it moves far less than wall time when other work shares the cores.
  console.log(`\nORT session run per call, main thread, 1 ORT thread, ${calls} calls each, interleaved: median (min) wall ms, median CPU ms`);
  for (const size of sizes) {
    const pixels = Float32Array.from({ length: size * size * 3 }, (_, i) => (i * 7919) % 256);
    const feeds = { [model.inputName]: new ort.Tensor('float32', pixels, [1, size, size, 3]) };
    const wall = variants.map(() => [] as number[]);
    const cpu = variants.map(() => [] as number[]);
    for (const { session } of variants) await session.run(feeds); // warm: ORT plans on the first run
    for (let call = 0; call < calls; call++) {
      // Rotate which variant goes first, so none always runs right after another.
      const order = variants.map((_, i) => (i + call) % variants.length);
      for (const i of order) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await variants[i]!.session.run(feeds);
        wall[i]!.push(performance.now() - start);
        const used = process.cpuUsage(cpuStart);
        cpu[i]!.push((used.user + used.system) / 1000);
      }
    }
    const cpuRatio = (a: number, b: number) => (median(cpu[a]!) / median(cpu[b]!)).toFixed(2);
    console.log(`  ${size}: ${variants.map((v, i) => `${v.name} ${ms(median(wall[i]!))} (${Math.min(...wall[i]!).toFixed(1)}), CPU ${ms(median(cpu[i]!))}`).join('; ')}`);
    console.log(`    CPU v2/v1 ${cpuRatio(1, 0)}, v3/v2 ${cpuRatio(2, 1)}; wall v3/v2 ${(median(wall[2]!) / median(wall[1]!)).toFixed(2)}`);
  }
  for (const { session } of variants) await session.release();
}

// 2. Throughput in workers.
interface Variant {
  name: string;
  workers: number;
  workerData: PetWorkerData;
  photosPerSecond: number[];
  timings: PetTaskTimings[];
}
const variants: Variant[] = [1, 2].flatMap((workers) =>
  sizes.flatMap((inputSize) =>
    [true, false].map((allClasses) => ({
      name: `${inputSize}, ${allClasses ? '80 classes (v2)' : 'person/cat/dog (v3)'}`,
      workers,
      workerData: { inputSize, allClasses },
      photosPerSecond: [],
      timings: [],
    })),
  ),
);
console.log(`\nthroughput: ${imageCount} images (${photos.length} photos repeated, decoded to 512 px), ${rounds} rounds interleaved`);
let failed = 0;
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const pool = new WorkerPool<PetTask, PetTaskResult>(petWorkerUrl, { size: variant.workers, workerData: variant.workerData });
    await Promise.all(photos.slice(0, variant.workers).map((path) => pool.run({ path }))); // warm: every worker started, model loaded
    const start = performance.now();
    const results = await Promise.all(tasks.map((task) => pool.run(task)));
    const seconds = (performance.now() - start) / 1000;
    await pool.close();
    const ok = results.filter((r): r is PetTaskSuccess => !isPetTaskFailure(r));
    failed += results.length - ok.length;
    variant.photosPerSecond.push(results.length / seconds);
    variant.timings.push(...ok.map((r) => r.timings));
  }
}
console.log('  median per photo in a worker, ms: decode = decode file to 512 px; letterbox = resize into the input square + float; model = ORT run; peaks = JS peak decode, decision, NMS');
for (const v of variants) {
  const stage = (key: keyof PetTaskTimings) => ms(median(v.timings.map((t) => t[key])));
  console.log(
    `  ${v.workers} worker(s), ${v.name}: ${median(v.photosPerSecond).toFixed(1).padStart(5)} photos/s (rounds: ${v.photosPerSecond.map((p) => p.toFixed(1)).join(', ')});` +
      ` decode ${stage('decodeMs')}, letterbox ${stage('letterboxMs')}, model ${stage('modelMs')}, peaks ${stage('peaksMs')}`,
  );
}
if (failed > 0) console.log(`  ${failed} photos failed`);
