import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodePhoto } from '../imaging/image.ts';
import { PetDetector, petDetectorVersion, type PetDetection, type PetModel } from '../models/pet-detector.ts';
import { WorkerPool } from '../dag/worker-pool.ts';
import { isPetTaskFailure, petWorkerUrl, runPetTask, type PetTask, type PetTaskResult, type PetWorkerData } from '../models/pet-worker.ts';
import { demoPhotosDir, petsFixtures, skipUnless } from './fixtures.ts';

// centernet, converted to ONNX at load (the golden comparison with tfjs is test/pets-golden.test.ts).
const MODELS: PetModel[] = ['centernet'];
const demoPhotos = [1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`));

const detectors = new Map<PetModel, Promise<PetDetector>>();
function detectorFor(model: PetModel): Promise<PetDetector> {
  let detector = detectors.get(model);
  if (!detector) detectors.set(model, (detector = PetDetector.create()));
  return detector;
}

async function detectFile(model: PetModel, path: string, personThreshold?: number): Promise<PetDetection[]> {
  const detector = await detectorFor(model);
  const image = await decodePhoto(path, { maxSide: detector.inputSize });
  return detector.detect(image, { personThreshold });
}

const pets = (detections: PetDetection[]) => detections.filter((d) => d.petLabel === 'pet');

for (const model of MODELS) {
  test(`${model}: the cat close-up is exactly one pet, with both cat and dog scores`, { skip: skipUnless(petsFixtures) }, async () => {
    const image = await decodePhoto(join(petsFixtures, 'chelsea.png'), { maxSide: (await detectorFor(model)).inputSize });
    const found = await (await detectorFor(model)).detect(image);
    assert.equal(found.length, 1, JSON.stringify(found));
    const [pet] = found;
    assert.ok(pet);
    assert.ok(pet.label === 'cat' || pet.label === 'dog');
    assert.equal(pet.petLabel, 'pet');
    assert.equal(pet.score, Math.max(pet.catScore, pet.dogScore));
    assert.ok(pet.score >= 0.35 && pet.score <= 1);
    assert.ok(pet.catScore >= 0 && pet.dogScore >= 0);
    // The cat fills the frame: the box must cover most of it and stay inside it.
    assert.ok(pet.x1 >= 0 && pet.y1 >= 0 && pet.x2 <= image.width && pet.y2 <= image.height);
    assert.ok((pet.x2 - pet.x1) * (pet.y2 - pet.y1) > 0.5 * image.width * image.height);
  });

  test(`${model}: one cat stays one detection when its dog score passes too`, { skip: skipUnless(petsFixtures) }, async () => {
    const image = await decodePhoto(join(petsFixtures, 'chelsea.png'), { maxSide: (await detectorFor(model)).inputSize });
    const found = await (await detectorFor(model)).detect(image, { catThreshold: 0.15, dogThreshold: 0.15 });
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.ok(found[0]!.catScore >= 0.15 && found[0]!.dogScore >= 0.15, 'both classes fired, so NMS across cat and dog was needed');
  });

  test(`${model}: coffee and astronaut have no pet; the astronaut is a person when people are asked for`, { skip: skipUnless(petsFixtures) }, async () => {
    assert.deepEqual(await detectFile(model, join(petsFixtures, 'coffee.png')), []);
    assert.deepEqual(await detectFile(model, join(petsFixtures, 'astronaut.png')), [], 'people are off by default');
    const withPeople = await detectFile(model, join(petsFixtures, 'astronaut.png'), 0.3);
    assert.deepEqual(pets(withPeople), []);
    assert.ok(withPeople.some((d) => d.label === 'person' && d.petLabel === null), JSON.stringify(withPeople));
  });

  test(`${model}: the six group photos have no pet`, { skip: skipUnless(demoPhotosDir) }, async () => {
    for (const path of demoPhotos) assert.deepEqual(pets(await detectFile(model, path, 0.3)), [], path);
  });
}

test('petDetectorVersion names the code version, the model file hash and the converter', () => {
  assert.match(petDetectorVersion(), /^pets-v2\+@vladmandic\/human@[\d.]+\/models\/centernet\.json#[0-9a-f]{12}\+tfjs2onnx@\d+$/);
});

test('the input size is a parameter: 416 runs and still finds the cat; sizes off the 32 grid are refused', { skip: skipUnless(petsFixtures) }, async () => {
  const small = await PetDetector.create({ inputSize: 416 });
  try {
    const image = await decodePhoto(join(petsFixtures, 'chelsea.png'), { maxSide: 512 });
    const found = pets(await small.detect(image));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.ok((found[0]!.x2 - found[0]!.x1) * (found[0]!.y2 - found[0]!.y1) > 0.5 * image.width * image.height);
  } finally {
    small.dispose();
  }
  await assert.rejects(PetDetector.create({ inputSize: 500 }), /multiple of 32/);
});

test('runPetTask reports boxes in the original pixels whatever the decode size', { skip: skipUnless(petsFixtures) }, async () => {
  const detector = await detectorFor('centernet');
  const path = join(petsFixtures, 'chelsea.png'); // 451x300
  const small = await runPetTask(detector, { path, params: { maxSide: 200 } });
  const full = await runPetTask(detector, { path, params: { maxSide: 1024 } });
  assert.ok(!isPetTaskFailure(small) && !isPetTaskFailure(full));
  assert.equal(small.width, 451);
  assert.equal(small.height, 300);
  assert.equal(small.detections.length, 1);
  assert.equal(full.detections.length, 1);
  const [a, b] = [small.detections[0]!, full.detections[0]!];
  for (const key of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(a[key] - b[key]) < 0.1 * 451, `${key}: ${a[key]} vs ${b[key]}`);
  assert.ok(small.timings.decodeMs > 0 && small.timings.detectMs > 0);
});

test('runPetTask returns an unreadable photo as an error result', { skip: skipUnless(petsFixtures) }, async () => {
  const detector = await detectorFor('centernet');
  const result = await runPetTask(detector, { path: join(petsFixtures, 'README.md') });
  assert.ok(isPetTaskFailure(result));
  assert.match(result.error, /not a readable image/);
});

test('pet workers in a WorkerPool answer each task, unreadable photos as error results', { skip: skipUnless(petsFixtures) }, async () => {
  const workerData: PetWorkerData = { inputSize: 512 };
  const pool = new WorkerPool<PetTask, PetTaskResult>(petWorkerUrl, { size: 2, workerData });
  try {
    const tasks: PetTask[] = ['chelsea.png', 'missing.png', 'coffee.png'].map((f) => ({ path: join(petsFixtures, f) }));
    const [chelsea, missing, coffee] = await Promise.all(tasks.map((task) => pool.run(task)));
    assert.ok(chelsea && !isPetTaskFailure(chelsea) && chelsea.detections.length === 1, JSON.stringify(chelsea));
    assert.equal(chelsea.path, tasks[0]!.path);
    assert.ok(missing && isPetTaskFailure(missing));
    assert.ok(coffee && !isPetTaskFailure(coffee) && coffee.detections.length === 0);
  } finally {
    await pool.close();
  }
});

test.after(async () => {
  for (const detector of detectors.values()) (await detector).dispose();
});
