// Face-grouping quality on real labelled photos (issue #18): runs the default
// pipeline through the app layer over the LFW development set
// (../shared/fixtures/lfw/) and the labelled face fixtures, picks each
// photo's subject face, and prints the scores of reports/face-grouping-score.ts
// for the clusters and for the person assignment. Then it simulates a user
// who names one face of each person seen at least three times and re-runs.
//
//   npm run bench -- quality                          # default params
//   npm run bench -- quality --set=cluster.threshold=0.6 --set=cluster.method=average
//   npm run bench -- quality --data=/tmp/q            # the workspace (default: $TMPDIR/mnemo-quality-bench)
//   npm run bench -- quality --sweep                  # in-process sweep of clustering settings (no runs)
//   npm run bench -- quality --no-labels              # skip the labelling simulation
//
// The workspace is kept: detection and embeddings are cached in it, so a
// re-run only re-clusters.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { People } from '../app/people.ts';
import { runToEnd } from '../app/pipeline.ts';
import { Workspace } from '../app/workspace.ts';
import type { JournalState } from '../datasets/persons.ts';
import { runOutputs } from '../datasets/run-registry.ts';
import { clusterParams, clusterWithConstraints, faceConstraints } from '../nodes/cluster.ts';
import { scoreFaceGrouping, scoreNaming, splitPairs, type FaceGroupingScores, type GroupedFace } from '../reports/face-grouping-score.ts';
import { buildKnnGraph } from '../vectors/knn-graph.ts';
import { indexOf, photoGroups, readFaceVectors } from '../vectors/face-vectors.ts';

const shared = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const lfwDir = join(shared, 'lfw');
const facesDir = join(shared, 'faces');

const args = process.argv.slice(2);
const option = (name: string): string[] => args.filter((arg) => arg.startsWith(`--${name}=`)).map((arg) => arg.slice(name.length + 3));
const flag = (name: string): boolean => args.includes(`--${name}`);
const dataRoot = option('data')[0] ?? join(tmpdir(), 'mnemo-quality-bench');
const overrides = option('set');

interface Subject {
  source: string;
  path: string;
  identity: string;
  /** LFW: the subject's face centre as fractions of the width and height. */
  centre?: [number, number];
  /** Face fixtures: the face's place from the left among the photo's faces, and how many it has. */
  leftToRight?: [number, number];
}

function readSubjects(): Subject[] {
  const subjects: Subject[] = [];
  const lfw = readFileSync(join(lfwDir, 'identities.csv'), 'utf8').trim().split('\n').slice(1);
  for (const line of lfw) {
    const [path, identity, cx, cy] = line.split(',') as [string, string, string, string];
    subjects.push({ source: 'lfw', path, identity, centre: [Number(cx), Number(cy)] });
  }
  const fixtures = readFileSync(join(facesDir, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
  for (const line of fixtures) {
    const [file, persons] = line.split(',') as [string, string];
    const people = persons.split(';');
    people.forEach((identity, place) => subjects.push({ source: 'faces', path: file, identity: `fixture:${identity}`, leftToRight: [place, people.length] }));
  }
  return subjects;
}

function specYaml(name: string): string {
  return `data: ${JSON.stringify(join(dataRoot, name))}
sources:
  - name: lfw
    path: ${JSON.stringify(lfwDir)}
  - name: faces
    path: ${JSON.stringify(facesDir)}
nodes:
  scan:
  hash:
  images:
    params: {thumbnails: {enabled: false}, pets: {enabled: false}}
  cluster:
  assign:
`;
}

async function openWorkspace(name: string): Promise<Workspace> {
  const dir = join(dataRoot, name);
  mkdirSync(dir, { recursive: true });
  // mnemo.yaml for the base workspace, mnemo-labelled.yaml for the labelled one (for `mnemo sweep --config`).
  const config = join(dataRoot, name === 'base' ? 'mnemo.yaml' : `mnemo-${name}.yaml`);
  writeFileSync(config, specYaml(name));
  return Workspace.open({ config, data: dir });
}

interface FaceRow {
  face_id: string;
  source: string;
  path: string;
  x1: number; y1: number; x2: number; y2: number;
  width: number; height: number;
  cluster_id: number | null;
  person_id: number | null;
  stranger: boolean | null;
}

async function runFaces(workspace: Workspace, runId: number): Promise<FaceRow[]> {
  return workspace.store.read((catalog) => catalog.rows<FaceRow>(`
    SELECT f.face_id, fl.source, fl.path, f.x1, f.y1, f.x2, f.y2, i.width, i.height, c.cluster_id, a.person_id, a.stranger
    FROM run${runId}.faces f JOIN run${runId}.files fl USING (file_id) JOIN run${runId}.images i USING (file_id)
    LEFT JOIN run${runId}.clusters c USING (face_id) LEFT JOIN run${runId}.person_assignment a USING (face_id)
    WHERE NOT coalesce(f.rejected, false)`));
}

/** The subject's accepted face per subject (or none): the box holding the given centre, else the nearest centre. */
function pickSubjectFaces(subjects: Subject[], faces: FaceRow[]): (FaceRow | null)[] {
  const byPhoto = new Map<string, FaceRow[]>();
  for (const face of faces) {
    const key = `${face.source}/${face.path}`;
    (byPhoto.get(key) ?? byPhoto.set(key, []).get(key)!).push(face);
  }
  return subjects.map((subject) => {
    const photo = byPhoto.get(`${subject.source}/${subject.path}`) ?? [];
    if (subject.leftToRight) {
      const [place, count] = subject.leftToRight;
      if (photo.length !== count) return null;
      return [...photo].sort((a, b) => a.x1 + a.x2 - b.x1 - b.x2)[place]!;
    }
    const [cx, cy] = subject.centre!;
    let best: FaceRow | null = null;
    let bestScore = Infinity;
    for (const face of photo) {
      const x = cx * face.width, y = cy * face.height;
      const inside = x >= face.x1 && x <= face.x2 && y >= face.y1 && y <= face.y2;
      const distance = Math.hypot((face.x1 + face.x2) / 2 - x, (face.y1 + face.y2) / 2 - y);
      // Inside a box beats any box it is outside of; among those, the nearest centre.
      const score = (inside ? 0 : 1e6) + distance;
      if (score < bestScore) [best, bestScore] = [face, score];
    }
    return best;
  });
}

const fixed = (x: number, digits = 3) => x.toFixed(digits);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function printScores(label: string, s: FaceGroupingScores): void {
  console.log(
    `${label}: F1 ${fixed(s.f1, 4)} (precision ${fixed(s.precision, 4)}, recall ${fixed(s.recall, 4)}), ARI ${fixed(s.ari, 4)}; strangers ${pct(s.strangersShare)}, among people seen >= 3 times ${pct(s.strangersShareSeen3)}; ` +
      `seen once grouped ${s.seenOnceGrouped}/${s.seenOnce} (${pct(s.seenOnceGroupedShare)}); seen twice found ${s.seenTwiceFound}/${s.seenTwice}; ` +
      `mixed groups ${s.mixedGroups} (largest ${s.largestMixedGroup}, ${s.groupsMixing3} mixing 3+ people)`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(lfwDir)) {
    console.log(`quality bench: fixtures not found at ${lfwDir}; skipped`);
    return;
  }
  const subjects = readSubjects();
  console.log(`quality bench: ${subjects.length} labelled subject faces, workspace ${dataRoot}${overrides.length ? `, --set ${overrides.join(' ')}` : ''}`);
  const workspace = await openWorkspace('base');
  const t = performance.now();
  const run = await runToEnd(workspace, { set: overrides, command: 'bench quality' });
  if (run.status !== 'succeeded') throw new Error(`run ${run.runId} failed: ${run.message}`);
  const clusterNode = run.nodes.find((node) => node.node === 'cluster');
  console.log(`run ${run.runId}: ${((performance.now() - t) / 1000).toFixed(1)} s (${run.nodes.map((node) => `${node.node} ${node.status}`).join(', ')})`);
  if (clusterNode) console.log(`  cluster: ${JSON.stringify(clusterNode.metadata ?? {})}`);

  const faces = await runFaces(workspace, run.runId);
  const picked = pickSubjectFaces(subjects, faces);
  const found = subjects.map((subject, i) => ({ subject, face: picked[i]! })).filter((entry) => entry.face !== null);
  console.log(`${faces.length} accepted faces; subject face found for ${found.length} of ${subjects.length} subjects`);
  const byCluster: GroupedFace[] = found.map(({ subject, face }) => ({
    identity: subject.identity,
    group: face.cluster_id !== null && face.cluster_id >= 0 ? face.cluster_id : null,
    stranger: face.stranger ?? undefined,
  }));
  // The subjects as gold labels, for `mnemo gold import faces` and `mnemo sweep` (see nodes/cluster.ts).
  writeFileSync(join(dataRoot, 'gold-faces.csv'), `face_id,person_name,is_face\n${found.map(({ subject, face }) => `${face.face_id},${subject.identity},true`).join('\n')}\n`);
  printScores('clusters', scoreFaceGrouping(byCluster));
  printScores('clusters, LFW only', scoreFaceGrouping(byCluster.filter((_, i) => found[i]!.subject.source === 'lfw')));

  if (flag('sweep')) await sweep(workspace, run.runId, found.map(({ subject, face }) => ({ identity: subject.identity, faceId: face.face_id })));
  if (!flag('no-labels')) await labelSimulation(found.map(({ subject, face }) => ({ identity: subject.identity, faceId: face.face_id })), byCluster);
}

/**
 * A user names one face of each person seen at least three times, then
 * re-runs. As in the workbench, the user names a group: the face is one of
 * the person's largest cluster (`--pick=middle`: the middle face of the
 * person's list, which may be an outlier left out of every cluster). Done in
 * a fresh data folder seeded with the base one's caches, so the base stays
 * label-free.
 */
async function labelSimulation(subjectFaces: { identity: string; faceId: string }[], before: GroupedFace[]): Promise<void> {
  const dir = join(dataRoot, 'labelled');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(dataRoot, 'base', 'cache'), join(dir, 'cache'), { recursive: true });
  const workspace = await openWorkspace('labelled');
  let run = await runToEnd(workspace, { set: overrides, command: 'bench quality (labels)' });
  const people = await People.open(workspace, { author: 'bench' });
  const faceIdsOf = new Map<string, string[]>();
  const groupOf = new Map<string, number | null>();
  subjectFaces.forEach(({ identity, faceId }, i) => {
    (faceIdsOf.get(identity) ?? faceIdsOf.set(identity, []).get(identity)!).push(faceId);
    groupOf.set(faceId, before[i]!.group);
  });
  let labelled = 0;
  for (const [identity, faceIds] of faceIdsOf) {
    if (faceIds.length < 3) continue;
    const { personId } = await people.create(identity);
    await people.assign([pickFaceToName(faceIds, groupOf, option('pick')[0] ?? 'cluster')], String(personId));
    labelled++;
  }
  const t = performance.now();
  run = await runToEnd(workspace, { set: overrides, command: 'bench quality (labels)' });
  if (run.status !== 'succeeded') throw new Error(`run ${run.runId} failed: ${run.message}`);
  const names = new Map((await people.list()).map((person) => [person.person_id, person.name]));
  const rows = await runFaces(workspace, run.runId);
  const byFace = new Map(rows.map((row) => [row.face_id, row]));
  const named = subjectFaces.map(({ identity, faceId }) => {
    const personId = byFace.get(faceId)?.person_id ?? null;
    return { identity, name: personId === null ? null : names.get(personId) ?? `#${personId}` };
  });
  const naming = scoreNaming(named);
  const seen3 = named.filter((face) => faceIdsOf.get(face.identity)!.length >= 3);
  const naming3 = scoreNaming(seen3);
  console.log(`\nafter one label for each of ${labelled} people seen >= 3 times (re-run ${((performance.now() - t) / 1000).toFixed(1)} s):`);
  console.log(`  all subjects: named ${pct(naming.namedShare)}, correctly ${pct(naming.namedCorrectlyShare)}, wrongly ${pct(naming.namedWronglyShare)}`);
  console.log(`  people seen >= 3 times: named ${pct(naming3.namedShare)}, correctly ${pct(naming3.namedCorrectlyShare)}, wrongly ${pct(naming3.namedWronglyShare)}`);
  if (flag('detail')) {
    named.forEach((face, i) => {
      const row = byFace.get(subjectFaces[i]!.faceId);
      const seen = faceIdsOf.get(face.identity)!.length;
      if ((seen >= 3 && face.name === null) || (face.name !== null && face.name !== face.identity)) {
        console.log(`    ${face.name === null ? 'unnamed' : `named ${face.name}`}: ${face.identity} (seen ${seen}), cluster ${row?.cluster_id}, stranger ${row?.stranger}`);
      }
    });
  }
  const seenLess = named.filter((face) => faceIdsOf.get(face.identity)!.length < 3);
  console.log(`  people seen 1-2 times (no label exists): wrongly named ${seenLess.filter((face) => face.name !== null).length} of ${seenLess.length}`);
  const after = subjectFaces.map(({ faceId }) => {
    const row = byFace.get(faceId);
    return row?.cluster_id !== undefined && row.cluster_id !== null && row.cluster_id >= 0 ? row.cluster_id : null;
  });
  printScores('  clusters with labels', scoreFaceGrouping(subjectFaces.map(({ identity }, i) => ({ identity, group: after[i]! }))));
  console.log(`  same-person pairs together before the labels and split after: ${splitPairs(before, after)}`);
}

function pickFaceToName(faceIds: string[], groupOf: Map<string, number | null>, pick: string): string {
  const middle = (ids: string[]) => ids[Math.floor(ids.length / 2)]!;
  if (pick === 'middle') return middle(faceIds);
  const members = new Map<number, string[]>();
  for (const faceId of faceIds) {
    const group = groupOf.get(faceId);
    if (group !== null && group !== undefined) (members.get(group) ?? members.set(group, []).get(group)!).push(faceId);
  }
  const largest = [...members.values()].sort((a, b) => b.length - a.length)[0];
  return middle(largest ?? faceIds);
}

/** Settings tried in process on the run's faces (no pipeline runs): for choosing the method and defaults. */
const SWEEP: Record<string, unknown>[] = [
  { method: 'dbscan', eps: 0.5 },
  { method: 'dbscan', eps: 0.45 },
  { method: 'dbscan', eps: 0.5, mutualK: 10 },
  { method: 'average', threshold: 0.6 },
  { method: 'average', threshold: 0.65 },
  { method: 'average', threshold: 0.7 },
];

async function sweep(workspace: Workspace, runId: number, subjectFaces: { identity: string; faceId: string }[]): Promise<void> {
  const outputs = await workspace.store.read((catalog) => runOutputs(catalog, runId));
  const faces = await readFaceVectors(workspace.store.absolute(outputs.faces!));
  const graph = await buildKnnGraph(faces.vectors, faces.dim, 30);
  const constraints = faceConstraints(faces, photoGroups(faces), new Map() as JournalState);
  const index = indexOf(faces);
  const rows = subjectFaces.map(({ faceId }) => index.get(faceId)!);
  const extra = option('try').map((json) => JSON.parse(json) as Record<string, unknown>);
  console.log(`\nsweep over ${faces.n} faces (in process, no labels):`);
  for (const setting of extra.length ? extra : SWEEP) {
    const p = clusterParams.parse(setting);
    const t = performance.now();
    const clustering = clusterWithConstraints(graph, faces, constraints, p);
    const ms = performance.now() - t;
    const grouped = subjectFaces.map(({ identity }, i) => ({ identity, group: clustering.labels[rows[i]!]! >= 0 ? clustering.labels[rows[i]!]! : null }));
    printScores(`${JSON.stringify(setting)} ${ms.toFixed(0)} ms`, scoreFaceGrouping(grouped));
    if (flag('detail')) printErrors(grouped);
  }
}

/** Which people share a group, and which people are split, worst first (for looking at failures). */
function printErrors(grouped: GroupedFace[]): void {
  const groups = new Map<number, string[]>();
  const people = new Map<string, (number | null)[]>();
  for (const face of grouped) {
    if (face.group !== null) (groups.get(face.group) ?? groups.set(face.group, []).get(face.group)!).push(face.identity);
    (people.get(face.identity) ?? people.set(face.identity, []).get(face.identity)!).push(face.group);
  }
  for (const [group, identities] of groups) {
    const counts = new Map<string, number>();
    for (const identity of identities) counts.set(identity, (counts.get(identity) ?? 0) + 1);
    if (counts.size > 1) console.log(`    mixed group ${group}: ${[...counts].map(([identity, count]) => `${identity} x${count}`).join(', ')}`);
  }
  const splits = [...people].map(([identity, groupsOf]) => {
    const counts = new Map<string, number>();
    for (const g of groupsOf) counts.set(String(g), (counts.get(String(g)) ?? 0) + 1);
    const sizes = [...counts.values()].sort((a, b) => b - a);
    const together = [...counts].reduce((sum, [g, c]) => sum + (g === 'null' ? 0 : (c * (c - 1)) / 2), 0);
    return { identity, missed: (groupsOf.length * (groupsOf.length - 1)) / 2 - together, parts: [...counts].map(([g, c]) => `${g}:${c}`).join(' ') };
  }).filter((entry) => entry.missed > 0).sort((a, b) => b.missed - a.missed);
  for (const entry of splits.slice(0, 12)) console.log(`    split ${entry.identity}: ${entry.missed} pairs missed (${entry.parts})`);
}

await main();
