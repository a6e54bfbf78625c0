import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { facesFixtures, skipUnless, demoPhotosDir } from './fixtures.ts';
import { decodePhoto, type RgbImage } from '../imaging/image.ts';
import { MODELS, type ModelId, modelVersionId, readOnnxModel, resolveModelPath } from '../models/registry.ts';
import { TINY_WEIGHT_EXPONENT, flushDenormalWeights, protoFields, rewritePRelu } from '../models/onnx-graph.ts';
import { FaceDetector, iou, nms, squareBox, type Detection } from '../models/face-detector.ts';
import { FaceLandmarker, fivePointsFrom68 } from '../models/face-landmarks.ts';
import { FaceEmbedder, cosineSimilarity } from '../models/face-embedder.ts';
import { FaceAnalyzer, type FaceResult, faceAnalyzerVersion, faceIdFor, packFaces, unpackFaces } from '../models/face-analyzer.ts';
import { alignFace } from '../models/face-align.ts';

const skipFaces = { skip: skipUnless(facesFixtures) };

let analyzerPromise: Promise<FaceAnalyzer> | undefined;
function analyzer(): Promise<FaceAnalyzer> {
  analyzerPromise ??= FaceAnalyzer.create();
  return analyzerPromise;
}
after(async () => {
  if (analyzerPromise) await (await analyzerPromise).release();
});

async function facesOf(input: string | Uint8Array, maxSide?: number): Promise<FaceResult[]> {
  const image = await decodePhoto(input, maxSide ? { maxSide } : {});
  return (await (await analyzer()).analyze(image)).faces;
}

const accepted = (faces: FaceResult[]): FaceResult[] => faces.filter((f) => !f.rejected);

// ---- pure functions -------------------------------------------------------

function det(x1: number, y1: number, x2: number, y2: number, score: number): Detection {
  return { x1, y1, x2, y2, score };
}

test('iou of identical, disjoint and half-overlapping boxes', () => {
  assert.equal(iou(det(0, 0, 10, 10, 1), det(0, 0, 10, 10, 1)), 1);
  assert.equal(iou(det(0, 0, 10, 10, 1), det(20, 20, 30, 30, 1)), 0);
  assert.ok(Math.abs(iou(det(0, 0, 10, 10, 1), det(5, 0, 15, 10, 1)) - 50 / 150) < 1e-12);
});

test('nms keeps the best of each overlapping cluster and every separate box', () => {
  const boxes = [
    det(0, 0, 100, 100, 0.8),
    det(5, 5, 105, 105, 0.95), // overlaps the first heavily (IoU ~0.82): wins
    det(200, 0, 300, 100, 0.75), // separate face
    det(50, 5, 150, 105, 0.9), // IoU with the winner 0.38: suppressed at 0.3, kept at 0.5
    det(0, 300, 50, 350, 0.99), // separate, best score overall
  ];
  const kept = nms(boxes, 0.3);
  assert.deepEqual(kept.map((b) => b.score), [0.99, 0.95, 0.75]);
  // A looser threshold keeps the partly overlapping box too.
  assert.deepEqual(nms(boxes, 0.5).map((b) => b.score), [0.99, 0.95, 0.9, 0.75]);
  assert.deepEqual(nms([], 0.3), []);
});

test('squareBox uses the height as side, centred, and clips at the image edge', () => {
  assert.deepEqual(squareBox(det(40, 10, 60, 50, 1), 200, 200), det(30, 10, 70, 50, 1));
  assert.deepEqual(squareBox(det(0, 10, 20, 50, 1), 200, 200), det(0, 10, 30, 50, 1));
});

test('faceIdFor is stable under sub-grid jitter and differs across faces and photos', () => {
  const sha = 'a'.repeat(64);
  const box = { x1: 100.2, y1: 50.1, x2: 200.4, y2: 150.3 };
  const id = faceIdFor(sha, box);
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(faceIdFor(sha, { x1: 101, y1: 49.5, x2: 199.9, y2: 150.9 }), id);
  assert.notEqual(faceIdFor(sha, { ...box, x1: 140 }), id);
  assert.notEqual(faceIdFor('b'.repeat(64), box), id);
});

// ---- registry ---------------------------------------------------------------

test('registry resolves every model file and gives content-hashed version ids', () => {
  for (const id of Object.keys(MODELS) as ModelId[]) {
    const model = MODELS[id];
    assert.ok(resolveModelPath(id).endsWith(model.file), id);
    // ONNX files name their in-memory patches; tfjs models converted to ONNX name the converter.
    const suffix = model.format === 'onnx' ? '\\+prelu-dwconv@1' : model.onnxOutputs ? '\\+tfjs2onnx@3' : '';
    assert.match(modelVersionId(id), new RegExp(`^${model.packageName}@${model.packageVersion}/${model.file}#[0-9a-f]{12}${suffix}$`));
  }
  assert.equal(MODELS['face-detector'].packageName, 'faceplugin-face-recognition-js');
  assert.ok(faceAnalyzerVersion().includes(modelVersionId('face-embedder')));
});

test('flushing tiny weights changes the model bytes but not its output', async () => {
  const original = new Uint8Array(readFileSync(resolveModelPath('face-embedder')));
  const denormalOnly = original.slice();
  assert.ok(flushDenormalWeights(denormalOnly) > 1000, 'thousands of denormal weights');
  const copy = original.slice();
  const flushed = flushDenormalWeights(copy, TINY_WEIGHT_EXPONENT);
  assert.ok(flushed > 100_000, `expected ~190k weights below 2^-40, flushed ${flushed}`);
  const patched = rewritePRelu(copy).bytes;
  assert.deepEqual(readOnnxModel('face-embedder', { convertedDir: null }), patched, 'patched at load');
  // Kept and read back (models/registry.ts keptConversion): the same bytes.
  const kept = mkdtempSync(join(tmpdir(), 'mnemo-kept-models-'));
  try {
    assert.deepEqual(readOnnxModel('face-embedder', { convertedDir: kept }), patched);
    assert.deepEqual(readOnnxModel('face-embedder', { convertedDir: kept }), patched);
    assert.equal(readdirSync(kept).filter((name) => name.startsWith('face-embedder-')).length, 1);
  } finally {
    rmSync(kept, { recursive: true, force: true });
  }
  assert.deepEqual(readOnnxModel('face-embedder'), patched, 'from the default folder');
  assert.equal(flushDenormalWeights(copy, TINY_WEIGHT_EXPONENT), 0, 'a second pass finds none');

  const image = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).map((_, i) => (i * 37) % 251) };
  const [a, b] = await Promise.all([FaceEmbedder.create(original), FaceEmbedder.create(copy)]);
  const [ea, eb] = [await a.embed(image), await b.embed(image)];
  await Promise.all([a.release(), b.release()]);
  for (let i = 0; i < 512; i++) assert.ok(Math.abs(ea.raw[i]! - eb.raw[i]!) < 1e-4, `component ${i}`);
});

/** Aligned 112x112 crops of real faces: the first three of a demo group photo (ships with npm ci). */
async function alignedFixtureFaces(): Promise<RgbImage[]> {
  const image = await decodePhoto(join(demoPhotosDir, 'sample2.jpg'));
  const [detector, landmarker] = await Promise.all([FaceDetector.create(), FaceLandmarker.create()]);
  const crops: RgbImage[] = [];
  for (const box of (await detector.detect(image)).slice(0, 3)) {
    crops.push(alignFace(image, fivePointsFrom68(await landmarker.landmarks(image, box))));
  }
  await Promise.all([detector.release(), landmarker.release()]);
  assert.equal(crops.length, 3, 'sample2.jpg has at least three faces');
  return crops;
}

test('PRelu rewritten into depthwise Convs: no PRelu left, same embeddings to 1e-5', async () => {
  const flushed = new Uint8Array(readFileSync(resolveModelPath('face-embedder')));
  flushDenormalWeights(flushed, TINY_WEIGHT_EXPONENT);
  const opTypes = (model: Uint8Array): string[] => {
    const graph = protoFields(model, 0, model.length).find((f) => f.field === 7)!;
    return protoFields(model, graph.start, graph.end).filter((f) => f.field === 1).map((node) => {
      const op = protoFields(model, node.start, node.end).find((f) => f.field === 4)!;
      return new TextDecoder().decode(model.subarray(op.start, op.end));
    });
  };
  const { bytes, rewritten } = rewritePRelu(flushed);
  const before = opTypes(flushed), after = opTypes(bytes);
  assert.equal(rewritten, before.filter((op) => op === 'PRelu').length);
  assert.ok(rewritten > 30, `the embedder has 33 PRelus, rewrote ${rewritten}`);
  assert.equal(after.filter((op) => op === 'PRelu').length, 0);
  assert.equal(after.length, before.length + 3 * rewritten, 'each PRelu becomes Conv, Relu, Conv, Add');
  assert.equal(rewritePRelu(bytes).rewritten, 0, 'a second pass finds none');
  assert.equal(rewritePRelu(readOnnxModel('face-detector')).rewritten, 0, 'models without PRelu pass through');

  // Real faces: the aligned crops of two fixtures (a constant image would hide sign errors in the rewrite).
  const [plain, patched] = await Promise.all([FaceEmbedder.create(flushed), FaceEmbedder.create(bytes)]);
  const noise = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).map((_, i) => (i * 7919) % 256) };
  for (const image of [noise, ...(await alignedFixtureFaces())]) {
    const [a, b] = [await plain.embed(image), await patched.embed(image)];
    for (let i = 0; i < 512; i++) assert.ok(Math.abs(a.raw[i]! - b.raw[i]!) < 1e-5, `component ${i}: ${a.raw[i]} vs ${b.raw[i]}`);
    assert.ok(Math.abs(a.quality - b.quality) < 1e-5);
  }
  await Promise.all([plain.release(), patched.release()]);
});

// ---- the face fixtures -----------------------------------------------------

interface Label {
  file: string;
  persons: string[];
}

function readLabels(): Label[] {
  const [, ...rows] = readFileSync(join(facesFixtures, 'labels.csv'), 'utf8').trim().split('\n');
  return rows.map((row) => {
    const [file, persons] = row.split(',');
    return { file: file!, persons: persons!.split(';') };
  });
}

test('face fixtures: counts match labels.csv, identities separate by cosine', skipFaces, async () => {
  const labelled: { person: string; file: string; face: FaceResult }[] = [];
  for (const { file, persons } of readLabels()) {
    const faces = accepted(await facesOf(join(facesFixtures, file)));
    assert.equal(faces.length, persons.length, `${file}: ${faces.length} faces, labels say ${persons.length}`);
    faces.forEach((face, i) => labelled.push({ person: persons[i]!, file, face })); // faces come left to right
    for (const face of faces) {
      assert.equal(face.embedding.length, 512);
      assert.ok(Math.abs(Math.hypot(...face.embedding) - 1) < 1e-5, 'embedding is unit length');
      assert.ok(face.quality > 2.5 && face.detScore >= 0.7);
    }
  }

  const byFile = (file: string, index = 0): FaceResult => labelled.filter((l) => l.file === file)[index]!.face;
  const left = byFile('two_people.jpg', 0), right = byFile('two_people.jpg', 1);
  assert.ok(left.x1 < right.x1);
  const obama = byFile('obama.jpg'), biden = byFile('biden.jpg');
  assert.ok(cosineSimilarity(left.embedding, obama.embedding) > cosineSimilarity(left.embedding, biden.embedding), 'left face is obama');
  assert.ok(cosineSimilarity(right.embedding, biden.embedding) > cosineSimilarity(right.embedding, obama.embedding), 'right face is biden');

  const obamas = labelled.filter((l) => l.person === 'obama').map((l) => l.face.embedding);
  const bidens = labelled.filter((l) => l.person === 'biden').map((l) => l.face.embedding);
  assert.equal(obamas.length, 8);
  let minSame = Infinity, maxOther = -Infinity;
  for (const [i, a] of obamas.entries()) {
    for (const [j, b] of obamas.entries()) if (i !== j) minSame = Math.min(minSame, cosineSimilarity(a, b));
    for (const b of bidens) maxOther = Math.max(maxOther, cosineSimilarity(a, b));
  }
  // Measured: lowest obama-obama 0.68, highest obama-biden 0.17 (fixtures README).
  assert.ok(minSame > maxOther, `lowest same-person cosine ${minSame} should exceed highest cross-person ${maxOther}`);
  assert.ok(minSame > 0.5 && maxOther < 0.35, `same ${minSame}, other ${maxOther}`);
});

test('a downscaled decode reports boxes and landmarks in original pixels', skipFaces, async () => {
  const path = join(facesFixtures, 'two_people.jpg');
  const full = accepted(await facesOf(path));
  const small = accepted(await facesOf(path, 560));
  assert.equal(small.length, full.length);
  full.forEach((face, i) => {
    const other = small[i]!, side = face.x2 - face.x1;
    for (const key of ['x1', 'y1', 'x2', 'y2'] as const) {
      assert.ok(Math.abs(face[key] - other[key]) < 0.05 * side, `${key}: ${face[key]} vs ${other[key]}`);
    }
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(face.landmarks5[k]! - other.landmarks5[k]!) < 0.05 * side, `landmark ${k}`);
    assert.ok(cosineSimilarity(face.embedding, other.embedding) > 0.8);
  });
});

test('faces under the quality gate are returned marked rejected, not dropped', skipFaces, async () => {
  const image = await decodePhoto(join(facesFixtures, 'two_people.jpg'));
  const { faces, timings } = await (await analyzer()).analyze(image, { qualityThreshold: 100 });
  assert.equal(faces.length, 2);
  for (const face of faces) {
    assert.equal(face.rejected, true);
    assert.match(face.rejectReason!, /^quality \d+\.\d\d below 100$/);
    assert.equal(face.embedding.length, 512);
  }
  assert.ok(timings.detectMs > 0 && timings.landmarksMs > 0 && timings.embedMs > 0);
});

test('landmarks land on the face: eyes above nose above mouth, inside the box', skipFaces, async () => {
  const [face] = await facesOf(join(facesFixtures, 'obama.jpg'));
  const p = face!.landmarks5;
  assert.ok(p[0]! < p[2]!, 'left eye is left of right eye');
  assert.ok(p[1]! < p[5]! && p[3]! < p[5]!, 'eyes above the nose');
  assert.ok(p[5]! < p[7]! && p[5]! < p[9]!, 'nose above the mouth corners');
  for (let k = 0; k < 10; k += 2) {
    assert.ok(p[k]! > face!.x1 && p[k]! < face!.x2 && p[k + 1]! > face!.y1 && p[k + 1]! < face!.y2, `point ${k / 2} in box`);
  }
});

test('aligned crop of the same face embeds the same as through the analyzer', skipFaces, async () => {
  const image = await decodePhoto(join(facesFixtures, 'obama_small.jpg'));
  const [face] = (await (await analyzer()).analyze(image)).faces;
  const embedder = await FaceEmbedder.create();
  const { embedding } = await embedder.embed(alignFace(image, face!.landmarks5));
  await embedder.release();
  assert.ok(cosineSimilarity(embedding, face!.embedding) > 0.9999);
});

test('packFaces and unpackFaces round-trip every field', skipFaces, async () => {
  const faces = await facesOf(join(facesFixtures, 'two_people.jpg'));
  const back = unpackFaces(packFaces(faces));
  assert.equal(back.length, faces.length);
  back.forEach((face, i) => {
    const orig = faces[i]!;
    assert.ok(Math.abs(face.x1 - orig.x1) < 1e-3 && Math.abs(face.y2 - orig.y2) < 1e-3);
    assert.deepEqual(face.embedding, orig.embedding);
    assert.deepEqual(face.landmarks5, orig.landmarks5);
    assert.equal(face.rejected, orig.rejected);
    assert.equal(face.rejectReason, orig.rejectReason);
  });
});

test('tiled pass on group photos finds at least the same faces, without duplicates', async () => {
  const image = await decodePhoto(join(demoPhotosDir, 'sample4.jpg'));
  const plain = (await (await analyzer()).analyze(image)).faces;
  const tiled = (await (await analyzer()).analyze(image, { tiled: true })).faces;
  assert.ok(plain.length >= 3, `sample4 shows a group; found ${plain.length}`);
  assert.ok(tiled.length >= plain.length);
  for (const face of plain) assert.ok(tiled.some((t) => iou(t, face) > 0.5), 'every plain face is in the tiled result');
  for (const [i, a] of tiled.entries()) for (const b of tiled.slice(i + 1)) assert.ok(iou(a, b) <= 0.3, 'no duplicate boxes');
});

// ---- odd images, generated with sharp --------------------------------------

test('odd images decode and analyse without crashing', skipFaces, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-faces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const obamaPath = join(facesFixtures, 'obama.jpg');
  const obama = sharp(obamaPath).resize(455, 569); // half size keeps the test quick
  const [reference] = accepted(await facesOf(obamaPath));
  const write = async (name: string, pipeline: Sharp): Promise<string> => {
    const path = join(dir, name);
    await pipeline.toFile(path);
    return path;
  };
  const grey = { r: 120, g: 130, b: 140 };

  await t.test('a flat colour image has no faces', async () => {
    const path = await write('flat.png', sharp({ create: { width: 640, height: 480, channels: 3, background: grey } }).png());
    assert.equal((await facesOf(path)).length, 0);
  });

  await t.test('a 32x32 image', async () => {
    const path = await write('tiny.jpg', obama.clone().resize(32, 32).jpeg());
    const faces = await facesOf(path);
    for (const f of faces) assert.ok(f.x2 <= 32 && f.y2 <= 32 && f.x1 >= 0);
  });

  const oneFace = async (name: string, pipeline: Sharp, channelsBefore?: number): Promise<void> => {
    const path = await write(name, pipeline);
    if (channelsBefore !== undefined) assert.equal((await sharp(path).metadata()).channels, channelsBefore);
    const faces = accepted(await facesOf(path));
    assert.equal(faces.length, 1, `${name}: ${faces.length} faces`);
  };

  await t.test('grayscale JPEG', () => oneFace('grey.jpg', obama.clone().toColourspace('b-w').jpeg(), 1));
  await t.test('CMYK JPEG', () => oneFace('cmyk.jpg', obama.clone().toColourspace('cmyk').jpeg(), 4));
  await t.test('16-bit PNG', async () => {
    const path = await write('deep.png', obama.clone().toColourspace('rgb16').png());
    assert.equal((await sharp(path).metadata()).depth, 'ushort');
    assert.equal(accepted(await facesOf(path)).length, 1);
  });
  await t.test('PNG with alpha', () => oneFace('alpha.png', obama.clone().ensureAlpha(0.6).png(), 4));

  await t.test('animated GIF: the first frame is analysed', async () => {
    const face = await obama.clone().png().toBuffer();
    const flat = await sharp({ create: { width: 455, height: 569, channels: 3, background: grey } }).png().toBuffer();
    const faceFirst = await write('face-first.gif', sharp([face, flat], { join: { animated: true } }).gif());
    const flatFirst = await write('flat-first.gif', sharp([flat, face], { join: { animated: true } }).gif());
    assert.equal((await sharp(faceFirst).metadata()).pages, 2);
    assert.equal(accepted(await facesOf(faceFirst)).length, 1);
    assert.equal(accepted(await facesOf(flatFirst)).length, 0);
  });

  await t.test('EXIF-rotated photo: found, box in displayed orientation', async () => {
    // Pixels stored turned 90 degrees anticlockwise; orientation 6 tells viewers to turn them back.
    const path = await write('rotated.jpg', sharp(obamaPath).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }));
    const meta = await sharp(path).metadata();
    assert.equal(meta.orientation, 6);
    assert.equal(meta.width, 1137, 'stored sideways');
    const faces = accepted(await facesOf(path));
    assert.equal(faces.length, 1);
    const side = reference!.x2 - reference!.x1;
    for (const key of ['x1', 'y1', 'x2', 'y2'] as const) {
      assert.ok(Math.abs(faces[0]![key] - reference![key]) < 0.04 * side, `${key}: ${faces[0]![key]} vs ${reference![key]}`);
    }
    assert.ok(cosineSimilarity(faces[0]!.embedding, reference!.embedding) > 0.9);
  });
});
