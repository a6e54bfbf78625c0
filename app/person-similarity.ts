// Person similarity, for the People view: which other persons look like the
// same person (merge candidates, with their closest faces as evidence), which
// pairs across the directory do, and how one person's faces fall into groups
// (split suggestions).
//
// All three read the latest run's face embeddings (L2-normalised) and its
// assignments; a person's faces are its person_assignment rows that are not
// strangers. The embeddings of 100,000 faces are 200 MB and take seconds to
// read, so they are loaded once per latest run and kept, with one
// unit-length centroid per person. Names, hidden and merged come from the
// persons table, read again whenever the catalog files changed (a stat
// decides, as in app/people-snapshot.ts), so a rename or merge shows at once.
//
// Merge candidates: every shown person is scored by centroid cosine (one dot
// product each), the best are shortlisted, and for those the closest face
// pairs are found exactly; the final score is the mean of the centroid cosine
// and the closest pair's cosine, so a person split by age (far centroids,
// but a teenage face close to a young adult one) still ranks high.
//
// Merge suggestions across the directory: the same score for pairs of
// persons whose centroids are among each other's nearest (an exact pass
// over the 2,000 persons with the most faces, once per run).
//
// Sub-clusters: average linkage (vectors/clustering.ts) over the person's
// faces at a tighter threshold than the run's clustering, faces of one photo
// never together. Large persons cluster a sample and the other faces join
// the nearest group, so a 5,000-face person costs little more than a 300-face one.
import { parquetSource } from '../datasets/parquet.ts';
import { latestRunId, runOutputs } from '../datasets/run-registry.ts';
import { averageLinkage } from '../vectors/clustering.ts';
import { dot } from '../vectors/dot.ts';
import { readFaceVectors } from '../vectors/face-vectors.ts';
import { bruteForceKnnGraph } from '../vectors/knn-graph.ts';
import type { MergeSuggestion, MergeSuggestions, PersonSubclusters, SimilarPeople, SimilarPerson, Subcluster } from './api-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export type { MergeSuggestion, MergeSuggestions, PersonSubclusters, SimilarPeople, SimilarPerson, Subcluster };

/** Candidates scored exactly (closest pairs) per answer: limit times this, at least MIN_SHORTLIST. */
const SHORTLIST_FACTOR = 3;
const MIN_SHORTLIST = 30;
/** Face pairs compared per candidate: all when |A| x |B| is at most this, else the faces nearest the other person. */
const PAIR_BUDGET = 4096;
const PAIR_SIDE = 64;
/** Faces projected onto a candidate's centroid to pick PAIR_SIDE of them (a stride sample above this). */
const MAX_PROJECTED = 500;
const EVIDENCE_PAIRS = 3;
/** Nearest persons per person (by centroid) considered for directory-wide merge suggestions. */
const PERSON_NEIGHBOURS = 5;
/** Directory-wide suggestions look among this many persons, those with the most faces (all pairs: about 2 M dot products). */
const MAX_SUGGESTION_PERSONS = 2000;
/** Faces clustered exactly for sub-clusters; the rest join the nearest group. */
const MAX_CLUSTERED = 300;
const SUBCLUSTER_K = 20;
/** Mean cosine distance under which faces stay one group; the run's average linkage defaults to 0.65. */
export const DEFAULT_SUBCLUSTER_THRESHOLD = 0.5;
/** Sub-clusters that get a "most like" person (each costs one pass over every centroid). */
const MAX_NEAREST_LOOKUPS = 20;
/** Below this centroid cosine another person is no "move to" suggestion (different people reach about 0.4). */
const MIN_NEAREST_SIMILARITY = 0.4;

/** The latest run's faces with embeddings, grouped by person, with a centroid per person. */
interface RunFaces {
  runId: number;
  dim: number;
  ids: string[];
  /** ids.length * dim, unit rows. */
  vectors: Float32Array;
  /** Rows of each person's faces (persons with at least one face). */
  rowsOf: Map<number, Int32Array>;
  /** Photo of each row, for "faces of one photo are different people". */
  photoOf: Int32Array;
  /** Persons with faces, and their unit centroids (personIds.length * dim). */
  personIds: Int32Array;
  centroids: Float32Array;
  centroidAt: Map<number, number>;
  /** Pairs of persons whose centroids are among each other's nearest, most alike first (built on first use). */
  neighbourPairs?: Promise<{ a: number; b: number; centroid: number }[]>;
}

interface PersonInfo {
  name: string;
  hidden: boolean;
  mergedInto: number | null;
}

interface CatalogState {
  persons: Map<number, PersonInfo>;
  runId: number | null;
  outputs: Record<string, string>;
}

// Per data folder: what the catalog said, kept while the catalog files are
// unchanged (opening the catalog costs more than answering), and the faces
// of the run `latest` pointed at, until a new latest run (re-match, CLI).
const catalogStates = new Map<string, { signature: string; state: Promise<CatalogState> }>();
const loadedFaces = new Map<string, { key: string; faces: Promise<RunFaces> }>();

function readCatalogState(workspace: Workspace): Promise<CatalogState> {
  return translated(() =>
    workspace.store.read(async (catalog) => {
      const reader = await catalog.connection.runAndReadAll('SELECT person_id, name, hidden, merged_into FROM persons');
      const columns = reader.getColumnsObjectJS() as { person_id: number[]; name: string[]; hidden: boolean[]; merged_into: (number | null)[] };
      const persons = new Map<number, PersonInfo>();
      columns.person_id.forEach((id, i) => persons.set(Number(id), { name: columns.name[i]!, hidden: columns.hidden[i]!, mergedInto: columns.merged_into[i] ?? null }));
      const runId = await latestRunId(catalog);
      return { persons, runId, outputs: runId === null ? {} : await runOutputs(catalog, runId) };
    }),
  );
}

/** Keeps a cached promise only while it has not failed (a failed read is tried again). */
function remember<V>(cache: Map<string, V>, key: string, entry: V, promise: Promise<unknown>): void {
  cache.set(key, entry);
  promise.catch(() => cache.get(key) === entry && cache.delete(key));
}

/** The persons table and, when there is a latest run with faces and assignments, its faces. */
async function snapshot(workspace: Workspace): Promise<{ persons: Map<number, PersonInfo>; run: RunFaces | null }> {
  const { dataDir } = workspace.store;
  const signature = workspace.store.stamp();
  let known = catalogStates.get(dataDir);
  if (known?.signature !== signature) {
    known = { signature, state: readCatalogState(workspace) };
    remember(catalogStates, dataDir, known, known.state);
  }
  const state = await known.state;
  const { faces, person_assignment: assignment } = state.outputs;
  if (state.runId === null || !faces || !assignment) return { persons: state.persons, run: null };
  const key = `${state.runId}\n${faces}\n${assignment}`;
  let entry = loadedFaces.get(dataDir);
  if (entry?.key !== key) {
    entry = { key, faces: loadRunFaces(workspace, state.runId, workspace.store.absolute(faces), workspace.store.absolute(assignment)) };
    remember(loadedFaces, dataDir, entry, entry.faces);
  }
  return { persons: state.persons, run: await entry.faces };
}

async function loadRunFaces(workspace: Workspace, runId: number, facesPath: string, assignmentPath: string): Promise<RunFaces> {
  const [faces, assigned] = await Promise.all([
    translated(() => readFaceVectors(facesPath)),
    translated(() =>
      workspace.store.read(async (catalog) => {
        const reader = await catalog.connection.runAndReadAll(
          `SELECT face_id, person_id FROM ${parquetSource(assignmentPath)} WHERE person_id IS NOT NULL AND NOT coalesce(stranger, false) ORDER BY person_id, face_id`,
        );
        return reader.getColumnsObjectJS() as { face_id: string[]; person_id: number[] };
      }),
    ),
  ]);
  const { dim, ids, vectors } = faces;
  const rowOfId = new Map(ids.map((id, row) => [id, row]));
  const lists = new Map<number, number[]>();
  assigned.face_id.forEach((faceId, i) => {
    const row = rowOfId.get(faceId);
    if (row === undefined) return; // no embedding (should not happen: assign reads the same faces)
    const person = Number(assigned.person_id[i]);
    const list = lists.get(person);
    if (list) list.push(row);
    else lists.set(person, [row]);
  });
  const rowsOf = new Map<number, Int32Array>();
  const personIds = Int32Array.from(lists.keys());
  const centroids = new Float32Array(personIds.length * dim);
  const centroidAt = new Map<number, number>();
  personIds.forEach((person, at) => {
    const rows = Int32Array.from(lists.get(person)!);
    rowsOf.set(person, rows);
    centroidAt.set(person, at);
    centroids.set(unitMean(vectors, dim, rows), at * dim);
  });
  const photoOf = new Int32Array(ids.length).fill(-1);
  (faces.photos ?? []).forEach((rows, photo) => rows.forEach((row) => (photoOf[row] = photo)));
  return { runId, dim, ids, vectors, rowsOf, photoOf, personIds, centroids, centroidAt };
}

/**
 * The persons most likely to be the same person as `personId`, best first,
 * each with its closest face pairs (this person's face, the other's face).
 * Hidden and merged persons are not offered.
 */
export async function similarPersons(workspace: Workspace, personId: number, options: { limit?: number } = {}): Promise<SimilarPeople> {
  const limit = options.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid(`limit must be a whole number from 1 to 100 (got ${limit})`);
  const { persons, run } = await snapshot(workspace);
  if (!persons.has(personId)) throw notFound(`no person ${personId}`);
  const rows = run?.rowsOf.get(personId);
  if (!run || !rows) return { personId, runId: run?.runId ?? null, faces: 0, similar: [] };
  const { dim, centroids } = run;
  const own = run.centroidAt.get(personId)! * dim;

  const shortlist: { person: number; centroid: number }[] = [];
  run.personIds.forEach((person, at) => {
    const info = persons.get(person);
    if (person === personId || !info || info.hidden || info.mergedInto !== null) return;
    shortlist.push({ person, centroid: dot(centroids, own, centroids, at * dim, dim) });
  });
  shortlist.sort((a, b) => b.centroid - a.centroid || a.person - b.person);
  shortlist.length = Math.min(shortlist.length, Math.max(MIN_SHORTLIST, limit * SHORTLIST_FACTOR));

  const similar = shortlist.map(({ person, centroid }) => scored(run, persons, personId, person, centroid));
  similar.sort((a, b) => b.similarity - a.similarity || a.personId - b.personId);
  return { personId, runId: run.runId, faces: rows.length, similar: similar.slice(0, limit) };
}

/** How alike `other` is to `personId`: the centroid cosine, the closest face pairs, and the mean of the two. */
function scored(run: RunFaces, persons: Map<number, PersonInfo>, personId: number, other: number, centroid: number): SimilarPerson {
  const evidence = closestPairs(run, run.rowsOf.get(personId)!, personId, run.rowsOf.get(other)!, other);
  const closest = evidence[0]?.similarity ?? centroid;
  return {
    personId: other, name: persons.get(other)!.name, faces: run.rowsOf.get(other)!.length,
    similarity: round((centroid + closest) / 2), centroidSimilarity: round(centroid), closestSimilarity: round(closest), evidence,
  };
}

/**
 * Pairs of persons most likely to be one person, across the directory, best
 * first: each person's nearest persons by centroid (`neighbourPairs`, once
 * per run), the best pairs scored as `similarPersons` scores them.
 * `personId` is the one with fewer faces (the one to merge), `other` the one
 * to merge it into. Hidden and merged persons are left out.
 */
export async function mergeSuggestions(workspace: Workspace, options: { limit?: number } = {}): Promise<MergeSuggestions> {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid(`limit must be a whole number from 1 to 100 (got ${limit})`);
  const { persons, run } = await snapshot(workspace);
  if (!run) return { runId: null, suggestions: [] };
  run.neighbourPairs ??= neighbourPairs(run);
  const shown = (person: number) => {
    const info = persons.get(person);
    return info !== undefined && !info.hidden && info.mergedInto === null;
  };
  const best = (await run.neighbourPairs).filter((pair) => shown(pair.a) && shown(pair.b)).slice(0, Math.max(MIN_SHORTLIST, limit * SHORTLIST_FACTOR));
  const suggestions = best.map(({ a, b, centroid }): MergeSuggestion => {
    // The smaller person is the one to merge into the larger.
    const [from, into] = run.rowsOf.get(a)!.length < run.rowsOf.get(b)!.length || (run.rowsOf.get(a)!.length === run.rowsOf.get(b)!.length && a > b) ? [a, b] : [b, a];
    return { personId: from, name: persons.get(from)!.name, faces: run.rowsOf.get(from)!.length, other: scored(run, persons, from, into, centroid) };
  });
  suggestions.sort((x, y) => y.other.similarity - x.other.similarity || x.personId - y.personId);
  return { runId: run.runId, suggestions: suggestions.slice(0, limit) };
}

/**
 * Each person's nearest persons by centroid, as unique pairs, most alike
 * first: an exact pass over every pair of the MAX_SUGGESTION_PERSONS persons
 * with the most faces. (An HNSW index of 10,000 centroids took 100 s here:
 * centroids of different people are near-orthogonal, the worst case for it.)
 * It yields to the event loop between rows, so the server keeps answering.
 */
async function neighbourPairs(run: RunFaces): Promise<{ a: number; b: number; centroid: number }[]> {
  const { dim, centroids } = run;
  const size = (at: number) => run.rowsOf.get(run.personIds[at]!)!.length;
  const order = Array.from(run.personIds.keys()).sort((x, y) => size(y) - size(x) || x - y).slice(0, MAX_SUGGESTION_PERSONS);
  const m = order.length;
  // Per person (by position in `order`) its best PERSON_NEIGHBOURS: similarities and positions, best first.
  const best = new Float32Array(m * PERSON_NEIGHBOURS).fill(-Infinity);
  const bestOf = new Int32Array(m * PERSON_NEIGHBOURS).fill(-1);
  const offer = (i: number, j: number, similarity: number) => {
    const row = i * PERSON_NEIGHBOURS;
    if (similarity <= best[row + PERSON_NEIGHBOURS - 1]!) return;
    let at = PERSON_NEIGHBOURS - 1;
    for (; at > 0 && best[row + at - 1]! < similarity; at--) {
      best[row + at] = best[row + at - 1]!;
      bestOf[row + at] = bestOf[row + at - 1]!;
    }
    best[row + at] = similarity;
    bestOf[row + at] = j;
  };
  for (let i = 0; i < m; i++) {
    const a = order[i]! * dim;
    for (let j = i + 1; j < m; j++) {
      const similarity = dot(centroids, a, centroids, order[j]! * dim, dim);
      offer(i, j, similarity);
      offer(j, i, similarity);
    }
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
  const pairs = new Map<string, { a: number; b: number; centroid: number }>();
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < PERSON_NEIGHBOURS; c++) {
      const j = bestOf[i * PERSON_NEIGHBOURS + c]!;
      if (j < 0) continue;
      const [x, y] = [run.personIds[order[i]!]!, run.personIds[order[j]!]!];
      const [a, b] = x < y ? [x, y] : [y, x];
      pairs.set(`${a}:${b}`, { a, b, centroid: best[i * PERSON_NEIGHBOURS + c]! });
    }
  }
  return [...pairs.values()].sort((x, y) => y.centroid - x.centroid || x.a - y.a || x.b - y.b);
}

/** The most similar face pairs of two persons, each face in at most one pair. */
function closestPairs(run: RunFaces, rowsA: Int32Array, personA: number, rowsB: Int32Array, personB: number): SimilarPerson['evidence'] {
  const { dim, vectors, centroids } = run;
  let sideA = rowsA;
  let sideB = rowsB;
  if (rowsA.length * rowsB.length > PAIR_BUDGET) {
    // The closest pair lies, all but surely, among each side's faces nearest the other person's centroid.
    sideA = nearestRows(run, rowsA, centroids, run.centroidAt.get(personB)! * dim);
    sideB = nearestRows(run, rowsB, centroids, run.centroidAt.get(personA)! * dim);
  }
  const pairs: { a: number; b: number; similarity: number }[] = [];
  for (const a of sideA) for (const b of sideB) pairs.push({ a, b, similarity: dot(vectors, a * dim, vectors, b * dim, dim) });
  pairs.sort((x, y) => y.similarity - x.similarity);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const evidence: SimilarPerson['evidence'] = [];
  for (const pair of pairs) {
    if (usedA.has(pair.a) || usedB.has(pair.b)) continue;
    usedA.add(pair.a);
    usedB.add(pair.b);
    evidence.push({ faceId: run.ids[pair.a]!, otherFaceId: run.ids[pair.b]!, similarity: round(pair.similarity) });
    if (evidence.length === EVIDENCE_PAIRS) break;
  }
  return evidence;
}

/** Up to PAIR_SIDE of `rows` nearest a centroid (from a stride sample of MAX_PROJECTED for big persons). */
function nearestRows(run: RunFaces, rows: Int32Array, centroids: Float32Array, centroid: number): Int32Array {
  if (rows.length <= PAIR_SIDE) return rows;
  const step = Math.max(1, rows.length / MAX_PROJECTED);
  const scored: { row: number; similarity: number }[] = [];
  for (let i = 0; i < rows.length; i += step) {
    const row = rows[Math.floor(i)]!;
    scored.push({ row, similarity: dot(run.vectors, row * run.dim, centroids, centroid, run.dim) });
  }
  scored.sort((x, y) => y.similarity - x.similarity);
  return Int32Array.from(scored.slice(0, PAIR_SIDE), (entry) => entry.row);
}

/**
 * A person's faces in groups of look-alike faces, largest first (the first is
 * the person as most of their faces show them). Each other group is a split
 * suggestion, with how like the main group it is and the other person it is
 * most like. Faces that join no group are `looseFaceIds`.
 */
export async function personSubclusters(workspace: Workspace, personId: number, options: { threshold?: number } = {}): Promise<PersonSubclusters> {
  const threshold = options.threshold ?? DEFAULT_SUBCLUSTER_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw invalid(`threshold must be above 0 and at most 1 (got ${threshold})`);
  const { persons, run } = await snapshot(workspace);
  if (!persons.has(personId)) throw notFound(`no person ${personId}`);
  const rows = run?.rowsOf.get(personId);
  if (!run || !rows) return { personId, runId: run?.runId ?? null, faces: 0, threshold, sampled: false, subclusters: [], looseFaceIds: [] };
  const { dim, vectors } = run;

  // Cluster a stride sample (every face of most persons) exactly.
  const step = Math.max(1, rows.length / MAX_CLUSTERED);
  const sample: number[] = [];
  for (let i = 0; i < rows.length; i += step) sample.push(rows[Math.floor(i)]!);
  const sampleVectors = new Float32Array(sample.length * dim);
  sample.forEach((row, i) => sampleVectors.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim));
  const graph = bruteForceKnnGraph(sampleVectors, dim, SUBCLUSTER_K);
  const clustering = averageLinkage(graph, sampleVectors, dim, { threshold, minClusterSize: 2, cannotLink: samePhotoGroups(run, sample) });

  const groups: number[][] = Array.from({ length: clustering.clusterCount }, () => []);
  const loose: number[] = [];
  sample.forEach((row, i) => (clustering.labels[i]! >= 0 ? groups[clustering.labels[i]!]!.push(row) : loose.push(row)));
  // Faces left out of the sample join the group whose mean they are nearest, when near enough.
  if (sample.length < rows.length) {
    const inSample = new Set(sample);
    const means = groups.map((group) => mean(vectors, dim, Int32Array.from(group)));
    for (const row of rows) {
      if (inSample.has(row)) continue;
      let best = -1;
      let bestDistance = threshold;
      means.forEach((m, g) => {
        const distance = 1 - dot(vectors, row * dim, m, 0, dim);
        if (distance < bestDistance) [best, bestDistance] = [g, distance];
      });
      if (best >= 0) groups[best]!.push(row);
      else loose.push(row);
    }
  }
  groups.sort((a, b) => b.length - a.length);

  const centroids = groups.map((group) => unitMean(vectors, dim, Int32Array.from(group)));
  const mainCentroid = centroids[0] ?? unitMean(vectors, dim, rows);
  const subclusters = groups.map((group, g): Subcluster => {
    const centroid = centroids[g]!;
    return {
      faceIds: closestFirst(run, group, centroid),
      similarityToMain: g === 0 ? null : round(dot(centroid, 0, mainCentroid, 0, dim)),
      nearestPerson: g === 0 || g > MAX_NEAREST_LOOKUPS ? null : nearestPerson(run, persons, centroid, personId),
    };
  });
  const looseFaceIds = closestFirst(run, loose, mainCentroid);
  return { personId, runId: run.runId, faces: rows.length, threshold, sampled: sample.length < rows.length, subclusters, looseFaceIds };
}

/** Face ids of rows, the one most like a unit vector first. */
function closestFirst(run: RunFaces, rows: number[], unit: Float32Array): string[] {
  const similarity = new Map(rows.map((row) => [row, dot(run.vectors, row * run.dim, unit, 0, run.dim)]));
  return [...rows].sort((a, b) => similarity.get(b)! - similarity.get(a)!).map((row) => run.ids[row]!);
}

/** Cannot-link groups: sample indices of faces that share a photo (always different people). */
function samePhotoGroups(run: RunFaces, sample: number[]): number[][] {
  const byPhoto = new Map<number, number[]>();
  sample.forEach((row, i) => {
    const photo = run.photoOf[row]!;
    if (photo < 0) return;
    const group = byPhoto.get(photo);
    if (group) group.push(i);
    else byPhoto.set(photo, [i]);
  });
  return [...byPhoto.values()].filter((group) => group.length > 1);
}

/** The shown person (not `except`) whose centroid is most like `centroid`, when like enough. */
function nearestPerson(run: RunFaces, persons: Map<number, PersonInfo>, centroid: Float32Array, except: number): Subcluster['nearestPerson'] {
  let bestAt = -1;
  let bestSimilarity = -Infinity;
  for (let at = 0; at < run.personIds.length; at++) {
    const person = run.personIds[at]!;
    const info = persons.get(person);
    if (person === except || !info || info.hidden || info.mergedInto !== null) continue;
    const similarity = dot(centroid, 0, run.centroids, at * run.dim, run.dim);
    if (similarity > bestSimilarity) [bestAt, bestSimilarity] = [at, similarity];
  }
  if (bestAt < 0 || bestSimilarity < MIN_NEAREST_SIMILARITY) return null;
  const personId = run.personIds[bestAt]!;
  return { personId, name: persons.get(personId)!.name, similarity: round(bestSimilarity) };
}

/** The mean of some rows. Rows as an Int32Array only: one array type keeps this hot loop monomorphic (10,000 persons per load). */
function mean(vectors: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const sum = new Float64Array(dim);
  for (let i = 0; i < rows.length; i++) {
    const at = rows[i]! * dim;
    for (let d = 0; d < dim; d++) sum[d] += vectors[at + d]!;
  }
  const result = new Float32Array(dim);
  const count = Math.max(1, rows.length);
  for (let d = 0; d < dim; d++) result[d] = sum[d]! / count;
  return result;
}

/** The mean of some rows scaled to unit length: its dot with a unit vector is a cosine. */
function unitMean(vectors: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const m = mean(vectors, dim, rows);
  const norm = Math.sqrt(dot(m, 0, m, 0, dim)) || 1;
  for (let d = 0; d < dim; d++) m[d] = m[d]! / norm;
  return m;
}


const round = (value: number): number => Math.round(value * 1000) / 1000;
