// Merge candidates and split suggestions over a real store: the face
// fixtures (two real people) run through the people pipeline, then persons
// made by hand from them. A holds some of Obama's faces, B others of his, C
// Biden's: B must be A's most similar person, with evidence faces of A and
// B, and A and B the best pair across the directory. Then Biden's faces are
// moved onto A: A's sub-clusters must separate the two real people. Unknown
// persons are 404s, bad values 400s naming the field.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MergeSuggestions, PersonSubclusters, SimilarPeople } from '../app/api-types.ts';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { buildServer } from '../workbench/server/server.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';
import { fixturePeopleYaml } from './support/people-spec.ts';
import { injectGet as get, injectPost as post } from './support/inject.ts';

const skip = skipUnless(facesFixtures);
const PORT = 7707;
const root = skip ? '' : tempDir('mnemo-similarity-');
type App = Awaited<ReturnType<typeof buildServer>>['app'];


function errorOf(response: { statusCode: number; json(): unknown }, status: number, kind: string, pattern: RegExp): void {
  assert.equal(response.statusCode, status, JSON.stringify(response.json()));
  const { error } = response.json() as { error: { kind: string; message: string } };
  assert.equal(error.kind, kind);
  assert.match(error.message, pattern);
}

/** Face id per photo name; two_people.jpg gives 'two_people.jpg:left' (Obama) and ':right' (Biden). */
async function facesByPhoto(workspace: Workspace): Promise<Map<string, string>> {
  const { rows } = await query(workspace, 'SELECT name, face_id, x1 FROM latest.faces JOIN latest.files USING (file_id) WHERE NOT rejected ORDER BY name, x1');
  const faces = new Map<string, string>();
  for (const row of rows as { name: string; face_id: string }[]) {
    if (row.name !== 'two_people.jpg') faces.set(row.name, row.face_id);
    else faces.set(faces.has('two_people.jpg:left') ? 'two_people.jpg:right' : 'two_people.jpg:left', row.face_id);
  }
  return faces;
}

async function facesOf(app: App, personId: number): Promise<string[]> {
  return ((await get(app, `/api/people/${personId}/faces?limit=100`)).json().items as { faceId: string }[]).map((face) => face.faceId);
}

test('merge candidates and split suggestions on the face fixtures', { skip }, async () => {
  const config = join(root, 'mnemo.yaml');
  writeFileSync(config, fixturePeopleYaml(facesFixtures));
  const workspace = await Workspace.open({ config });
  assert.equal((await runToEnd(workspace)).status, 'succeeded');
  const face = await facesByPhoto(workspace);
  const faces = (...names: string[]) => names.map((name) => face.get(name)!);
  const obama = faces('obama.jpg', 'obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama-1080p.jpg', 'obama_small.jpg', 'obama2.jpg', 'two_people.jpg:left');
  const biden = faces('biden.jpg', 'two_people.jpg:right');
  assert.ok([...obama, ...biden].every(Boolean), `every fixture face found: ${JSON.stringify([...face])}`);

  const { app } = await buildServer(workspace, { port: PORT, logger: false, rematchDebounceMs: 600_000, staticDir: join(root, 'no-web-app') });
  try {
    const split = async (name: string, faceIds: string[]) => {
      const response = await post(app, '/api/people/split', { faceIds, name });
      assert.equal(response.statusCode, 201, response.body);
      return response.json().personId as number;
    };
    const a = await split('A', obama.slice(0, 3));
    const b = await split('B', obama.slice(3, 6));
    const c = await split('C', biden.slice(0, 1));
    const nobody = (await post(app, '/api/people', { name: 'Nobody' })).json().personId as number;

    // Before the re-run the latest run has no faces on them: empty answers, not errors.
    assert.deepEqual((await get(app, `/api/people/${a}/similar`)).json().similar, []);
    assert.equal((await runToEnd(workspace)).status, 'succeeded');

    const similar = (await get(app, `/api/people/${a}/similar`)).json() as SimilarPeople;
    assert.equal(similar.personId, a);
    assert.ok(similar.faces >= 3, `A has its faces: ${similar.faces}`);
    assert.deepEqual(similar.similar.map((p) => p.personId).slice(0, 2), [b, c], 'B (the same real person) first, then C');
    const [best, other] = similar.similar as [SimilarPeople['similar'][0], SimilarPeople['similar'][0]];
    assert.equal(best.name, 'B');
    assert.ok(best.similarity > 0.6 && best.similarity <= 1, `B's similarity ${best.similarity}`);
    assert.ok(other.similarity < 0.4, `C's similarity ${other.similarity}`);
    const [facesA, facesB, facesC] = [await facesOf(app, a), await facesOf(app, b), await facesOf(app, c)];
    assert.ok(best.evidence.length >= 1 && best.evidence.length <= 3);
    for (const pair of best.evidence) {
      assert.ok(facesA.includes(pair.faceId), `evidence ${pair.faceId} is A's`);
      assert.ok(facesB.includes(pair.otherFaceId), `evidence ${pair.otherFaceId} is B's`);
    }
    const similarities = best.evidence.map((pair) => pair.similarity);
    assert.deepEqual(similarities, [...similarities].sort((x, y) => y - x), 'closest pair first');
    assert.equal(best.closestSimilarity, similarities[0]);
    assert.ok(other.evidence.every((pair) => facesC.includes(pair.otherFaceId)));
    assert.equal((await get(app, `/api/people/${a}/similar?limit=1`)).json().similar.length, 1);

    // Across the directory: A and B are the best pair, merge the smaller (B: fewer faces, or the higher id) into the other.
    const suggested = (await get(app, '/api/people/merge-suggestions')).json() as MergeSuggestions;
    assert.equal(suggested.runId, similar.runId);
    const [top] = suggested.suggestions;
    assert.ok(top, JSON.stringify(suggested));
    assert.deepEqual([top.personId, top.other.personId].sort(), [a, b].sort(), 'A and B first');
    assert.ok(top.faces <= top.other.faces);
    const facesOfPair = new Map([[a, facesA], [b, facesB]]);
    for (const pair of top.other.evidence) {
      assert.ok(facesOfPair.get(top.personId)!.includes(pair.faceId));
      assert.ok(facesOfPair.get(top.other.personId)!.includes(pair.otherFaceId));
    }
    assert.ok(suggested.suggestions.every((s) => s.personId !== nobody && s.other.personId !== nobody), 'no faces, no suggestion');
    assert.equal((await get(app, '/api/people/merge-suggestions?limit=1')).json().suggestions.length, 1);

    // Every face of A is one real person: one group, nothing to split.
    const whole = (await get(app, `/api/people/${a}/subclusters`)).json() as PersonSubclusters;
    assert.equal(whole.subclusters.length, 1, JSON.stringify(whole));
    assert.deepEqual([...whole.subclusters[0]!.faceIds].sort(), [...facesA].sort());
    assert.equal(whole.subclusters[0]!.similarityToMain, null);

    // Biden's faces moved onto A: A's sub-clusters separate the two real people.
    assert.equal((await post(app, '/api/assignments', { faceIds: biden, target: String(a) })).statusCode, 200);
    assert.equal((await runToEnd(workspace)).status, 'succeeded');
    const mixed = (await get(app, `/api/people/${a}/subclusters`)).json() as PersonSubclusters;
    assert.equal(mixed.faces, (await facesOf(app, a)).length);
    assert.equal(mixed.threshold, 0.5);
    assert.equal(mixed.sampled, false);
    const groups = mixed.subclusters.map((group) => [...group.faceIds].sort());
    assert.ok(groups[0]!.every((id) => obama.includes(id)) && groups[0]!.length >= 3, `the main group is Obama: ${JSON.stringify(mixed)}`);
    const bidenGroup = mixed.subclusters.find((group) => group.faceIds.some((id) => biden.includes(id)));
    assert.ok(bidenGroup, `a group of Biden's faces: ${JSON.stringify(mixed)}`);
    assert.deepEqual([...bidenGroup.faceIds].sort(), [...biden].sort(), 'Biden alone, both faces (one is in a photo with Obama)');
    assert.ok(bidenGroup.similarityToMain! < 0.4, `unlike the main group: ${bidenGroup.similarityToMain}`);
    assert.deepEqual(mixed.looseFaceIds, []);
    // A tighter threshold than any two faces: every face alone.
    const tight = (await get(app, `/api/people/${a}/subclusters?threshold=0.01`)).json() as PersonSubclusters;
    assert.equal(tight.subclusters.length + tight.looseFaceIds.length > 2, true, JSON.stringify(tight));

    // A person with no faces in the run.
    assert.deepEqual((await get(app, `/api/people/${nobody}/similar`)).json(), { personId: nobody, runId: mixed.runId, faces: 0, similar: [] });
    assert.deepEqual((await get(app, `/api/people/${nobody}/subclusters`)).json().subclusters, []);

    // Unknown persons and bad values.
    errorOf(await get(app, '/api/people/9999/similar'), 404, 'not_found', /no person 9999/);
    errorOf(await get(app, '/api/people/9999/subclusters'), 404, 'not_found', /no person 9999/);
    errorOf(await get(app, '/api/people/abc/similar'), 400, 'invalid', /^id must be a whole number/);
    errorOf(await get(app, '/api/people/0/subclusters'), 400, 'invalid', /^id must be from 1/);
    errorOf(await get(app, `/api/people/${a}/similar?limit=0`), 400, 'invalid', /^limit must be from 1 to 100/);
    errorOf(await get(app, `/api/people/${a}/similar?limit=ten`), 400, 'invalid', /^limit must be a whole number/);
    errorOf(await get(app, `/api/people/${a}/similar?offset=3`), 400, 'invalid', /offset/);
    errorOf(await get(app, `/api/people/${a}/subclusters?threshold=2`), 400, 'invalid', /^threshold must be a number above 0 and at most 1 \(got '2'\)/);
    errorOf(await get(app, `/api/people/${a}/subclusters?threshold=0`), 400, 'invalid', /^threshold/);
    errorOf(await get(app, `/api/people/${a}/subclusters?threshold=abc`), 400, 'invalid', /^threshold/);
    errorOf(await get(app, '/api/people/merge-suggestions?limit=101'), 400, 'invalid', /^limit must be from 1 to 100/);
    errorOf(await get(app, '/api/people/merge-suggestions?sort=name'), 400, 'invalid', /sort/);
  } finally {
    await app.close();
  }
});
