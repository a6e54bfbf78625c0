// Accuracy against gold on constructed runs: the paired test through the
// whole accuracy model (B fixes 30 of A's 40 detection errors; equal runs),
// pets per kind, and what the report says when there is no gold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracyOf, type GoldSet, type RunGoldView } from '../reports/accuracy.ts';

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

/** 200 gold faces, 100 persons of two faces each; `accepted` decides detection. */
function facesRun(faceIds: string[], accepted: (i: number) => boolean): RunGoldView {
  return {
    accepted: new Map(faceIds.map((id, i) => [id, accepted(i)])),
    person: new Map(faceIds.map((id, i) => [id, Math.floor(i / 2)])),
    cluster: new Map(faceIds.map((id, i) => [id, Math.floor(i / 2)])),
    pets: new Map(),
  };
}

test('B fixes 30 of the 40 detection errors of A: significant, and the verdict says B is better', () => {
  const faceIds = ids(200, 'face');
  const gold: GoldSet = { faces: faceIds.map((face_id, i) => ({ face_id, person_name: `p${Math.floor(i / 2)}`, is_face: i >= 20 })), pets: [] };
  // A: accepts the 20 non-faces (false positives) and rejects faces 20..39 (misses): 40 errors. B fixes 15 + 15.
  const a = facesRun(faceIds, (i) => i < 20 || i >= 40);
  const b = facesRun(faceIds, (i) => (i < 20 ? i < 5 : i < 40 ? i >= 25 : true));
  const report = accuracyOf(gold, [a, b]);
  const detection = report.sections.find((s) => s.key === 'faces.detection')!;
  assert.deepEqual([detection.test!.onlyA, detection.test!.onlyB, detection.test!.bothWrong], [0, 30, 10]);
  assert.ok(detection.test!.significant && detection.test!.pValue < 1e-8);
  assert.match(detection.test!.verdict, /^B is really better than A: it gets 30 items right that A gets wrong, against 0/);
  const [precision, recall] = detection.metrics;
  assert.deepEqual([precision!.runs[0]!.value, recall!.runs[0]!.value], [160 / 180, 160 / 180]);
  assert.deepEqual([precision!.runs[1]!.value, recall!.runs[1]!.value], [175 / 180, 175 / 180]);
  assert.ok(precision!.difference!.low! > 0, 'the paired interval of B - A excludes 0');
  assert.deepEqual(detection.itemsRight, [160 / 200, 190 / 200]);

  const same = accuracyOf(gold, [a, a]).sections.find((s) => s.key === 'faces.detection')!;
  assert.equal(same.test!.pValue, 1);
  assert.equal(same.test!.significant, false);
  assert.deepEqual([same.metrics[0]!.difference!.value, same.metrics[0]!.difference!.low, same.metrics[0]!.difference!.high], [0, 0, 0]);
});

test('pets: precision and recall per kind, and the paired test on the gold pets', () => {
  const pets: GoldSet['pets'] = [
    { pet_id: 'p1', correct: true, label: 'cat' },
    { pet_id: 'p2', correct: true, label: 'cat' },
    { pet_id: 'p3', correct: true, label: 'dog' },
    { pet_id: 'p4', correct: false, label: null },
  ];
  const run = (labels: Record<string, string>): RunGoldView => ({ accepted: new Map(), person: new Map(), cluster: new Map(), pets: new Map(Object.entries(labels)) });
  // A: p1 cat, p2 dog (wrong kind), p4 cat (not a pet); B: p1 cat, p2 cat, p3 dog.
  const report = accuracyOf({ faces: [], pets }, [run({ p1: 'cat', p2: 'dog', p4: 'cat' }), run({ p1: 'cat', p2: 'cat', p3: 'dog' })]);
  const section = report.sections.find((s) => s.key === 'pets')!;
  const value = (name: string, r: number) => section.metrics.find((m) => m.name === name)!.runs[r]!.value;
  assert.deepEqual([value('cat precision', 0), value('cat recall', 0), value('dog precision', 0), value('dog recall', 0)], [1 / 2, 1 / 2, 0, 0]);
  assert.deepEqual([value('cat precision', 1), value('cat recall', 1), value('dog precision', 1), value('dog recall', 1)], [1, 1, 1, 1]);
  assert.deepEqual([section.test!.onlyA, section.test!.onlyB, section.test!.bothRight], [0, 3, 1]);
  assert.ok(report.missing.some((line) => /no face gold/.test(line)));
});

test('no gold at all: no sections, and the missing lines say how to import it', () => {
  const report = accuracyOf({ faces: [], pets: [] }, [facesRun([], () => true)]);
  assert.deepEqual(report.sections, []);
  assert.equal(report.missing.length, 2);
  assert.match(report.missing[0]!, /mnemo gold import faces FILE\.csv/);
  assert.match(report.missing[1]!, /mnemo gold import pets FILE\.csv/);
  // A run without the table a section needs: said, not scored as zero.
  const gold: GoldSet = { faces: [{ face_id: 'f', person_name: 'x', is_face: true }], pets: [{ pet_id: 'p', correct: true, label: 'cat' }] };
  const bare = accuracyOf(gold, [{ accepted: null, person: null, cluster: null, pets: null }]);
  assert.deepEqual(bare.sections, []);
  assert.deepEqual(bare.missing, [
    'faces.persons: a run has no person_assignment table',
    'faces.clusters: a run has no clusters table',
    'faces.detection: a run has no faces table',
    'pets: a run has no pets table (pets disabled?)',
  ]);
});
