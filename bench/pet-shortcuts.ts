// Two shortcuts that would make the pet pass cheaper, measured against the detector
// as it runs (512 px letterboxed square), so the decision not to take them can be
// checked again (issue #13, docs/pets-onnx.md "Shortcuts measured and not taken"):
// 1. A screening pass: the same model at a small input (256, 320 px) on every
//    photo, the 512 pass only where the screen's best cat, dog or cat + dog cell
//    reaches a threshold. It is safe only if every photo the 512 pass calls a pet
//    screens higher than every photo without pets.
// 2. A non-square input: the photo at the same scale (long side 512), padded only
//    to the next multiple of 32 instead of to the square; fewer pixels to run.
// The photos: the pet and face fixtures and the demo photos, and composites of the
// fixtures' cat (chelsea.png) pasted at 12-45% of the long side into the
// background photos at three places, so pets of several sizes and positions count.
// Usage: npm run bench -- pet-shortcuts
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { decodePhoto, type RgbImage } from '../imaging/image.ts';
import type { CenternetHeads } from '../models/centernet-decode.ts';
import { createSingleThreadSession } from '../models/onnx-session.ts';
import { decodePets, PAD_RGB, PetDetector, type Candidate } from '../models/pet-detector.ts';
import { getModel, readOnnxModel } from '../models/registry.ts';
import { demoPhotosDir, facesFixtures, petsFixtures, skipUnless } from '../test/fixtures.ts';

const SCREEN_SIZES = [256, 320];
const PET_SHARES = [0.12, 0.2, 0.3, 0.45];
const PLACES = [[0.1, 0.1], [0.5, 0.5], [0.85, 0.8]] as const;
const PAD = { r: PAD_RGB[0], g: PAD_RGB[1], b: PAD_RGB[2] }; // as the detector pads

const skip = skipUnless(petsFixtures) || skipUnless(facesFixtures);
if (skip) {
  console.log(`pet-shortcuts: skipped (${skip})`);
  process.exit(0);
}
console.log(`pet-shortcuts bench: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const imagesIn = (dir: string, pattern = /\.(jpe?g|png)$/i) => readdirSync(dir).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f));
const backgrounds = [...imagesIn(facesFixtures, /\.jpe?g$/i), ...imagesIn(demoPhotosDir, /\.jpe?g$/i)];
const photos: { name: string; source: string | Buffer }[] = [...imagesIn(petsFixtures), ...imagesIn(demoPhotosDir), ...imagesIn(facesFixtures)].map((path) => ({ name: path.split('/').pop()!, source: path }));
for (const background of backgrounds) {
  const { width = 0, height = 0 } = await sharp(background).metadata();
  for (const share of PET_SHARES) {
    const cat = await sharp(join(petsFixtures, 'chelsea.png')).resize({ width: Math.round(Math.max(width, height) * share) }).png().toBuffer();
    const { width: catWidth = 0, height: catHeight = 0 } = await sharp(cat).metadata();
    if (catWidth > width || catHeight > height) continue;
    for (const [x, y] of PLACES) {
      const left = Math.max(0, Math.min(width - catWidth, Math.round(x * width - catWidth / 2)));
      const top = Math.max(0, Math.min(height - catHeight, Math.round(y * height - catHeight / 2)));
      const source = await sharp(background).composite([{ input: cat, left, top }]).jpeg({ quality: 90 }).toBuffer();
      photos.push({ name: `cat ${share} at ${x},${y} in ${background.split('/').pop()}`, source });
    }
  }
}

const detector = await PetDetector.create({ inputSize: 512 });
const screens = new Map<number, PetDetector>();
for (const size of SCREEN_SIZES) screens.set(size, await PetDetector.create({ inputSize: size }));
const classIds = getModel('pet-centernet').onnxOutputChannels!['tower_0/keypoints']!;
const session = await createSingleThreadSession(readOnnxModel('pet-centernet'));

/** The screen's evidence: the best cat, dog and cat + dog (same cell) score anywhere. */
function screenScore(heads: CenternetHeads): number {
  const plane = heads.height * heads.width;
  const cat = heads.classIds.indexOf(15) * plane;
  const dog = heads.classIds.indexOf(16) * plane;
  let best = 0;
  for (let cell = 0; cell < plane; cell++) best = Math.max(best, heads.keypoints[cat + cell]! + heads.keypoints[dog + cell]!);
  return best;
}

/** Pets and people at 512 with the input padded only to multiples of 32 (boxes in input pixels, as the square's). */
async function nonSquare(image: RgbImage): Promise<{ found: Candidate[]; ms: number }> {
  const scale = 512 / Math.max(image.width, image.height);
  const width = Math.ceil(Math.round(image.width * scale) / 32) * 32;
  const height = Math.ceil(Math.round(image.height * scale) / 32) * 32;
  const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(512, 512, { fit: 'contain', position: 'left top', background: PAD })
    .extract({ left: 0, top: 0, width, height })
    .raw()
    .toBuffer();
  const start = performance.now();
  const out = await session.run({ 'tower_0/images': new ort.Tensor('float32', Float32Array.from(pixels), [1, height, width, 3]) });
  const ms = performance.now() - start;
  const keypoints = out['tower_0/keypoints']!;
  const [, , rows, columns] = keypoints.dims as number[];
  const heads = { keypoints: keypoints.data as Float32Array, wh: out['tower_0/wh']!.data as Float32Array, classIds, height: rows!, width: columns!, stride: 4 };
  return { found: decodePets(heads, { personThreshold: 0.3 }), ms };
}

const fixed = (v: number) => v.toFixed(3);
const screen = new Map(SCREEN_SIZES.map((size) => [size, { pets: [] as number[], none: [] as number[], ms: [] as number[] }]));
let squareMs = 0;
let nonSquareMs = 0;
let decisionsDiffer = 0;
let peopleDiffer = 0;
let maxScoreChange = 0;
let worst = '';
for (const photo of photos) {
  const image = await decodePhoto(photo.source);
  const start = performance.now();
  const square = await detector.heads(image);
  squareMs += performance.now() - start;
  const found = decodePets(square, { personThreshold: 0.3 });
  const pets = found.filter((c) => c.label !== 'person');
  for (const [size, screenDetector] of screens) {
    const t = performance.now();
    const score = screenScore(await screenDetector.heads(image));
    const figures = screen.get(size)!;
    figures.ms.push(performance.now() - t);
    (pets.length ? figures.pets : figures.none).push(score);
  }
  const other = await nonSquare(image);
  nonSquareMs += other.ms;
  const otherPets = other.found.filter((c) => c.label !== 'person');
  if (otherPets.length !== pets.length || otherPets.some((c, i) => c.label !== pets[i]!.label)) decisionsDiffer++;
  if (other.found.length - otherPets.length !== found.length - pets.length) peopleDiffer++;
  pets.forEach((c, i) => {
    const o = otherPets[i];
    if (!o) return;
    const change = Math.max(Math.abs(c.catScore - o.catScore), Math.abs(c.dogScore - o.dogScore));
    if (change > maxScoreChange) [maxScoreChange, worst] = [change, `${photo.name}: cat ${fixed(c.catScore)} -> ${fixed(o.catScore)}, dog ${fixed(c.dogScore)} -> ${fixed(o.dogScore)}`];
  });
}

const petCount = screen.get(SCREEN_SIZES[0]!)!.pets.length;
console.log(`${photos.length} photos (${backgrounds.length} backgrounds with the cat at ${PET_SHARES.join(', ')} of the long side, 3 places); the 512 pass calls ${petCount} of them pets`);
console.log('\n1. screening pass (best cat + dog cell), against what the 512 pass decides:');
for (const [size, { pets, none, ms }] of screen) {
  const noneMax = Math.max(...none);
  const missed = pets.filter((s) => s <= noneMax).length;
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(
    `  ${size} px: pets screen ${fixed(Math.min(...pets))}-${fixed(Math.max(...pets))}, photos without pets up to ${fixed(noneMax)};` +
      ` a threshold above every photo without pets misses ${missed} of ${pets.length} pets; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms a photo`,
  );
}
console.log('\n2. non-square input at the same scale, against the square:');
console.log(`  model time ${nonSquareMs.toFixed(0)} ms against ${squareMs.toFixed(0)} ms (x${(nonSquareMs / squareMs).toFixed(2)}; the square's includes its letterbox)`);
console.log(`  pet decisions differ on ${decisionsDiffer} photos, person counts on ${peopleDiffer}; largest pet score change ${fixed(maxScoreChange)} (${worst})`);
