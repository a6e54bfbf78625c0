// Pets against pets_gold per kind, end to end: the default images node on the
// pet fixtures (one cat), gold that confirms the cat and names a dog the run
// never found; `mnemo metrics` (app/metrics.ts) then gives cat precision and
// recall 1 and dog recall 0; petKindScores on hand-made labels.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsOf } from '../app/metrics.ts';
import { runToEnd } from '../app/pipeline.ts';
import { importGold, query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { petKindScores } from '../reports/accuracy.ts';
import { petsFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

test('petKindScores: of those found as the kind, the share right; of the gold of the kind, the share found', () => {
  const gold = [
    { pet_id: 'a', correct: true, label: 'cat' },
    { pet_id: 'b', correct: true, label: 'dog' }, // found as a cat: wrong for cat, missed for dog
    { pet_id: 'c', correct: false, label: null }, // not a pet, found as a cat
    { pet_id: 'd', correct: true, label: 'cat' }, // missed
  ];
  const labels = ['cat', 'cat', 'cat', null];
  assert.deepEqual(petKindScores(gold, labels, 'cat'), { precision: 1 / 3, recall: 1 / 2, found: 3, known: 2 });
  const dog = petKindScores(gold, labels, 'dog');
  assert.deepEqual([dog.recall, dog.found, dog.known], [0, 0, 1]);
  assert.ok(Number.isNaN(dog.precision), 'nothing found as a dog: no precision');
});

test('mnemo metrics measures pets per kind against pets_gold', { skip: skipUnless(petsFixtures) }, async () => {
  const dir = tempDir();
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, `data: ./data\nsources:\n  - name: pets\n    path: ${JSON.stringify(petsFixtures)}\nnodes:\n  scan:\n  hash:\n  images:\n    params: {thumbnails: {enabled: false}, faces: {enabled: false}}\n`);
  const workspace = await Workspace.open({ config });
  assert.equal((await runToEnd(workspace)).status, 'succeeded');
  const found = (await query(workspace, "SELECT pet_id, label FROM latest.pets p JOIN latest.files f USING (file_id) WHERE f.path = 'chelsea.png'")).rows as { pet_id: string; label: string }[];
  assert.equal(found.length, 1, 'one pet on chelsea.png');
  assert.equal(found[0]!.label, 'cat');
  const csv = join(dir, 'pets.csv');
  writeFileSync(csv, `pet_id,correct,label\n${found[0]!.pet_id},true,cat\nneverfound000000,true,dog\n`);
  await importGold(workspace, 'pets', csv);

  const metrics = await metricsOf(workspace);
  assert.deepEqual(metrics.pets?.byKind, [
    { kind: 'cat', precision: 1, recall: 1, found: 1, known: 1 },
    { kind: 'dog', precision: null, recall: 0, found: 0, known: 1 },
  ]);
});
