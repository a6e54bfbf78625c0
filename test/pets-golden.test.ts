// The ONNX Runtime pet detector against the detections the tfjs-wasm path gave
// before the switch (test/golden/pets-centernet.json, written once by a script
// that went with tfjs; docs/pets-onnx.md): boxes within 1 px, scores within 1e-3.
//
// Since converter version 3 the model outputs the person, cat and dog maps only,
// so its 100 best peaks are taken over those three classes, where the graph's
// (and the golden file's) were over 80. The peak check compares the two
// conversions on each photo: every peak the 80-class graph kept is a peak of
// one of the three classes scoring above its 100th peak, and above that score
// the two give the same person, cat and dog peaks. That floor is under 0.08 on
// every photo, below every threshold (0.1 at the lowest), so the detections
// must still match the golden file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePhoto } from '../imaging/image.ts';
import { CENTERNET_TOP_K, centernetPeaks, type CenternetPeak } from '../models/centernet-decode.ts';
import { PetDetector, type DetectOptions, type PetDetection } from '../models/pet-detector.ts';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { demoPhotosDir, petsFixtures, repoRoot, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

interface GoldenDetection {
  label: string;
  box: number[];
  score: number;
  catScore: number;
  dogScore: number;
}
interface GoldenPhoto {
  width: number;
  height: number;
  rows: { box: number[]; score: number; cls: number }[];
  defaultThresholds: GoldenDetection[];
  lowThresholds: GoldenDetection[];
  /** The pets table rows of this photo (boxes in its own pixels), as the images node wrote them on tfjs. */
  pipeline: GoldenDetection[];
}
const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'pets-centernet.json'), 'utf8')) as { photos: Record<string, GoldenPhoto> };

const BOX_PX = 1;
const SCORE = 1e-3;
const ROW_MIN_SCORE = 0.05; // the golden file keeps rows from this score up
/** The 80-class graph's 100th peak must score under this on every photo: clearly below the lowest threshold, 0.1. */
const MAX_PEAK_FLOOR = 0.08;
/** Person, cat and dog peaks of the two conversions differ by float rounding at most. */
const PEAK_SCORE = 1e-5;
const KEPT_CLASSES = [0, 15, 16]; // COCO person, cat, dog
/** The golden file predates the cat + dog rule: compare with it off, then with it on (default). */
const SUM_RULE_OFF: DetectOptions = { petThreshold: Infinity };

const fixturePath = (key: string) => (key.startsWith('pets/') ? join(petsFixtures, key.slice(5)) : join(demoPhotosDir, key.slice(5)));
const near = (a: readonly number[], b: readonly number[], tolerance: number) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
const asGolden = (d: PetDetection) => ({ label: d.label, box: [d.x1, d.y1, d.x2, d.y2], score: d.score, catScore: d.catScore, dogScore: d.dogScore });

function assertSameDetections(actual: PetDetection[], expected: GoldenDetection[], what: string): void {
  const got = actual.map(asGolden);
  assert.equal(got.length, expected.length, `${what}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
  for (const e of expected) {
    const match = got.find((g) => g.label === e.label && near(g.box, e.box, BOX_PX));
    assert.ok(match, `${what}: no ${e.label} at ${e.box} in ${JSON.stringify(got)}`);
    assert.ok(near([match.score, match.catScore, match.dogScore], [e.score, e.catScore, e.dogScore], SCORE), `${what}: ${JSON.stringify(match)} vs ${JSON.stringify(e)}`);
  }
}

/** Every peak of peaks scoring above min has a peak of the same class at the same cell in others, with the same score and box. */
function assertPeaksIn(peaks: CenternetPeak[], others: CenternetPeak[], min: number, what: string): void {
  for (const p of peaks.filter((q) => q.score > min)) {
    const match = others.find((o) => o.cls === p.cls && o.cell === p.cell);
    assert.ok(match && Math.abs(match.score - p.score) <= PEAK_SCORE && near(match.box, p.box, 1e-3), `${what}: ${JSON.stringify(p)} vs ${JSON.stringify(match)}`);
  }
}

let detector: Promise<PetDetector> | undefined;
let allClassesDetector: Promise<PetDetector> | undefined;
const skipWithoutFixtures = skipUnless(petsFixtures) || skipUnless(demoPhotosDir);

for (const [key, expected] of Object.entries(golden.photos)) {
  test(`ONNX centernet matches the tfjs golden detections on ${key}`, { skip: skipWithoutFixtures }, async (t) => {
    detector ??= PetDetector.create();
    allClassesDetector ??= PetDetector.create({ allClasses: true });
    const pets = await detector;
    const image = await decodePhoto(fixturePath(key), { maxSide: 512 });
    assert.deepEqual([image.width, image.height], [expected.width, expected.height]);

    // The 80-class graph's top 100 (converter version 2's output), restricted to person, cat and dog,
    // against the three-class graph's top 100, above the 80-class 100th peak's score.
    const peaks = centernetPeaks(await pets.heads(image));
    const allClassPeaks = centernetPeaks(await (await allClassesDetector).heads(image));
    assert.equal(allClassPeaks.length, CENTERNET_TOP_K);
    const floor = allClassPeaks[CENTERNET_TOP_K - 1]!.score;
    assert.ok(floor < MAX_PEAK_FLOOR, `the 80-class graph's 100th peak scores ${floor}`);
    const keptAllClassPeaks = allClassPeaks.filter((p) => KEPT_CLASSES.includes(p.cls));
    assert.ok(peaks.every((p) => KEPT_CLASSES.includes(p.cls)));
    assertPeaksIn(keptAllClassPeaks, peaks, floor + PEAK_SCORE, 'a person, cat or dog peak of the 80-class graph is missing');
    assertPeaksIn(peaks, keptAllClassPeaks, floor + PEAK_SCORE, 'a peak above the 80-class graph\'s floor that it did not have');
    t.diagnostic(`80-class 100th peak ${floor.toFixed(4)}; person/cat/dog peaks above it: ${keptAllClassPeaks.filter((p) => p.score > floor).length}; three-class peaks between it and ${ROW_MIN_SCORE}: ${peaks.filter((p) => p.score <= floor && p.score >= ROW_MIN_SCORE).length}`);

    // The golden file's rows (the tfjs graph's own top 100, person, cat and dog from 0.05) are all decoded,
    // and above the floor nothing else is.
    for (const row of expected.rows) {
      assert.ok(peaks.some((p) => p.cls === row.cls && Math.abs(p.score - row.score) <= SCORE && near(p.box, row.box, BOX_PX)), `row ${JSON.stringify(row)} not decoded`);
    }
    const extra = peaks.filter((p) => p.score >= Math.max(floor, ROW_MIN_SCORE) + SCORE && !expected.rows.some((r) => r.cls === p.cls && near(p.box, r.box, BOX_PX)));
    assert.deepEqual(extra, [], 'peaks the graph did not have');

    assertSameDetections(await pets.detect(image, SUM_RULE_OFF), expected.defaultThresholds, 'default thresholds');
    assertSameDetections(await pets.detect(image, { ...SUM_RULE_OFF, catThreshold: 0.1, dogThreshold: 0.1, personThreshold: 0.3 }), expected.lowThresholds, 'low thresholds');
    // On these photos no animal is split between cat and dog: the cat + dog rule changes nothing.
    assertSameDetections(await pets.detect(image), expected.defaultThresholds, 'default thresholds, cat + dog rule on');
  });
}

test('a run of the images node on the fixtures gives the pets table the tfjs path gave', { skip: skipWithoutFixtures }, async () => {
  const dir = tempDir();
  const yaml = `data: ./data\nsources:\n  - name: pets\n    path: ${petsFixtures}\n  - name: demo\n    path: ${demoPhotosDir}\n    include: ["sample*.jpg"]\n` +
    'nodes:\n  scan:\n  hash:\n  images:\n    params: {workers: 2, thumbnails: {enabled: false}, hashes: {enabled: false}, faces: {enabled: false}}\n';
  const store = new Store(join(dir, 'data'));
  const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store);
  assert.equal(summary.status, 'succeeded', summary.message ?? '');
  const rows = (await readOnlyQuery(store, `SELECT f.source, f.path, p.* FROM run${summary.runId}.pets p JOIN run${summary.runId}.files f USING (file_id) ORDER BY f.path`)).rows;
  for (const [key, expected] of Object.entries(golden.photos)) {
    const [source, name] = key.split('/') as [string, string];
    const got = rows.filter((r) => r.source === source && r.path === name).map((r) => ({
      label: String(r.label), box: [r.x1, r.y1, r.x2, r.y2].map(Number), score: Number(r.score), catScore: Number(r.cat_score), dogScore: Number(r.dog_score),
    }));
    assert.equal(got.length, expected.pipeline.length, `${key}: ${JSON.stringify(got)}`);
    for (const e of expected.pipeline) {
      const match = got.find((g) => g.label === e.label && near(g.box, e.box, BOX_PX));
      assert.ok(match && near([match.score, match.catScore, match.dogScore], [e.score, e.catScore, e.dogScore], SCORE), `${key}: ${JSON.stringify(got)} vs ${JSON.stringify(e)}`);
    }
  }
});

test.after(async () => {
  if (detector) (await detector).dispose();
  if (allClassesDetector) (await allClassesDetector).dispose();
});
