// The ONNX Runtime pet detector against the detections the tfjs-wasm path gave
// before the switch (test/golden/pets-centernet.json, written once by a script
// that went with tfjs; docs/pets-onnx.md): boxes within 1 px, scores within 1e-3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePhoto } from '../imaging/image.ts';
import { centernetPeaks } from '../models/centernet-decode.ts';
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

let detector: Promise<PetDetector> | undefined;
const skipWithoutFixtures = skipUnless(petsFixtures) || skipUnless(demoPhotosDir);

for (const [key, expected] of Object.entries(golden.photos)) {
  test(`ONNX centernet matches the tfjs golden detections on ${key}`, { skip: skipWithoutFixtures }, async () => {
    detector ??= PetDetector.create();
    const pets = await detector;
    const image = await decodePhoto(fixturePath(key), { maxSide: 512 });
    assert.deepEqual([image.width, image.height], [expected.width, expected.height]);

    // The decoded peaks are the graph's own top-100 rows (persons, cats, dogs).
    const peaks = centernetPeaks(await pets.heads(image)).filter((p) => [0, 15, 16].includes(p.cls));
    for (const row of expected.rows) {
      assert.ok(peaks.some((p) => p.cls === row.cls && Math.abs(p.score - row.score) <= SCORE && near(p.box, row.box, BOX_PX)), `row ${JSON.stringify(row)} not decoded`);
    }
    const extra = peaks.filter((p) => p.score >= ROW_MIN_SCORE + SCORE && !expected.rows.some((r) => r.cls === p.cls && near(p.box, r.box, BOX_PX)));
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
});
