// Suggestions "is this Anna?" for the faces nobody is named on, and the
// review queue built from them: in the latest run, each face without a
// person (or a stranger) that no human decided gets the most likely named
// person and a confidence, the higher of its similarity to the person's
// nearest manual face and to the person's centroid. A person a human ruled
// the face out for ("not this person") is never suggested for it.
//
// What is expensive is kept in memory per data folder: the run's face vectors
// (per latest run id) and each open face's best persons (per run and manual
// faces). A decision that only adds manual faces (accepting a suggestion,
// naming) updates the best persons in one pass over the open faces; anything
// else (an undo, a new run) recomputes them. Every request re-reads the
// journal and the persons, so a decided face leaves the queue at once, before
// the background re-match makes a new run.
import hnswlib from 'hnswlib-node';
import type { Catalog } from '../datasets/catalog.ts';
import { facesByPerson, readJournal, type JournalState } from '../datasets/persons.ts';
import { latestRunId, runOutputs } from '../datasets/run-registry.ts';
import { runTables } from '../datasets/run-views.ts';
import { indexOf, readFaceVectors, type FaceVectors } from '../vectors/face-vectors.ts';
import { dot } from '../vectors/dot.ts';
import type { ClusterSuggestion, ReviewItem, ReviewQueue } from './api-types.ts';
import { translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export type { ClusterSuggestion, ReviewItem, ReviewQueue };

/** Below this cosine similarity a suggestion says nothing (different people reach 0.42, the same person rarely falls below 0.39). */
export const MIN_CONFIDENCE = 0.3;
/** Best persons kept per face: room for "not this person" and hidden persons before a face runs out of suggestions. */
const KEPT_PERSONS = 4;
/** Manual faces per person compared (evenly picked): bounds the work for persons with thousands. */
const MAX_MANUAL_REFERENCES = 64;
/** Above this many face-reference products (512 multiply-adds each, about a second in all) an HNSW index of the references answers instead. */
export const EXACT_WORK = 2_000_000;
/** Faces compared between two turns of the event loop: the server answers other requests while a large queue is computed. */
const YIELD_EVERY = 256;
const breather = () => new Promise<void>((resolve) => setImmediate(resolve));
/** References an open face asks the HNSW index for. */
const ANN_NEIGHBOURS = 32;
/** A group in the queue is at most this many faces: small enough to check at a glance. */
export const MAX_GROUP_FACES = 12;
/** Faces of the person shown beside a suggestion for comparison. */
const EVIDENCE_FACES = 4;

/** The latest run's faces: vectors, and what the run made of each. */
interface RunFaces {
  runId: number;
  faces: FaceVectors;
  index: Map<string, number>;
  /** Person of each face row in the run; -1 for none and for strangers. */
  runPerson: Int32Array;
  /** Cluster of each face row; -1 for noise. */
  cluster: Int32Array;
  /** Face rows the run put on each person. */
  rowsOfPerson: Map<number, number[]>;
}

/** KEPT_PERSONS per face, best first: person id (-1 empty) and score. */
export interface BestPersons {
  persons: Int32Array;
  scores: Float32Array;
}

/** The open faces' best persons, computed with a set of manual faces. */
interface ScoreTable extends BestPersons {
  /** `${faceId}\t${personId}` of the manual faces it was computed with. */
  manual: Set<string>;
  /** Faces of the run a human had decided then (left out of `open`): one undone makes a recompute. */
  decided: string[];
  /** Face rows without a person in the run and without a human decision then; `persons` and `scores` in this order. */
  open: Int32Array;
}

interface PersonInfo {
  name: string;
  hidden: boolean;
  mergedInto: number | null;
}

/** What one request reads: cheap, every time. */
interface Decisions {
  runId: number | null;
  journal: JournalState;
  manual: Map<number, string[]>;
  persons: Map<number, PersonInfo>;
}

interface Cache {
  runId: number;
  run: Promise<RunFaces>;
  /** The scores for this run: computed, or being computed (requests that come meanwhile share it). */
  table: Promise<ScoreTable> | null;
}

const caches = new Map<string, Cache>();

/** A face's suggestion after the journal and the persons of now are applied. */
interface Suggestion {
  row: number;
  personId: number;
  confidence: number;
}

export interface QueueOptions {
  /** Items to return (default 10). */
  limit?: number;
  /** Face ids to leave out (the ones the user skipped). */
  skip?: readonly string[];
  /** Group faces of one cluster that point to the same person (default true). */
  groups?: boolean;
  minConfidence?: number;
}

/** The review queue: the best suggestions first, one face or a small group per item. */
export async function reviewQueue(workspace: Workspace, options: QueueOptions = {}): Promise<ReviewQueue> {
  const limit = options.limit ?? 10;
  const state = await openState(workspace);
  if (!state) return { runId: null, total: 0, faces: 0, items: [] };
  const { run, decisions, suggestions } = state;
  const skipped = new Set(options.skip ?? []);
  const shown = suggestions.filter((s) => s.confidence >= (options.minConfidence ?? MIN_CONFIDENCE) && !skipped.has(run.faces.ids[s.row]!));
  const items = options.groups === false ? shown.map((s) => itemOf(run, [s], decisions)) : groupedItems(run, shown, decisions);
  items.sort((a, b) => b.confidence - a.confidence || b.faceIds.length - a.faceIds.length || (a.faceIds[0]! < b.faceIds[0]! ? -1 : 1));
  const page = items.slice(0, limit);
  for (const item of page) item.personFaceIds = evidence(run, decisions, item);
  return { runId: run.runId, total: items.length, faces: shown.length, items: page };
}

/** For each cluster whose open faces all point to one person: that person, for naming the cluster in one action. */
export async function clusterSuggestions(workspace: Workspace, options: { minConfidence?: number } = {}): Promise<ClusterSuggestion[]> {
  const state = await openState(workspace);
  if (!state) return [];
  const { run, decisions, suggestions } = state;
  return [...agreeingClusters(run, suggestions.filter((s) => s.confidence >= (options.minConfidence ?? MIN_CONFIDENCE))).entries()]
    .map(([clusterId, members]) => ({
      clusterId,
      personId: members[0]!.personId,
      personName: decisions.persons.get(members[0]!.personId)?.name ?? `person ${members[0]!.personId}`,
      confidence: Math.min(...members.map((m) => m.confidence)),
      faceIds: members.map((m) => run.faces.ids[m.row]!),
    }))
    .sort((a, b) => b.confidence - a.confidence || a.clusterId - b.clusterId);
}

/** The run, the decisions of now, and each open face's suggestion; null before the first run. */
async function openState(workspace: Workspace): Promise<{ run: RunFaces; decisions: Decisions; suggestions: Suggestion[] } | null> {
  if (!workspace.store.exists()) return null;
  const decisions = await translated(() => workspace.store.read(readDecisions));
  if (decisions.runId === null) return null;
  const run = await runFaces(workspace, decisions.runId);
  const table = await scoreTable(workspace, run, decisions);
  return { run, decisions, suggestions: currentSuggestions(run, table, decisions) };
}

async function readDecisions(catalog: Catalog): Promise<Decisions> {
  const runId = await latestRunId(catalog);
  const journal = await readJournal(catalog);
  const rows = await catalog.rows<{ person_id: number; name: string; hidden: boolean; merged_into: number | null }>('SELECT person_id, name, hidden, merged_into FROM persons');
  const persons = new Map(rows.map((row) => [row.person_id, { name: row.name, hidden: row.hidden, mergedInto: row.merged_into }]));
  return { runId, journal, manual: facesByPerson(journal), persons };
}

/** The latest run's faces, read once per run id (two requests at once share the read). */
function runFaces(workspace: Workspace, runId: number): Promise<RunFaces> {
  const key = workspace.store.dataDir;
  const cached = caches.get(key);
  if (cached?.runId === runId) return cached.run;
  const run = loadRunFaces(workspace, runId);
  caches.set(key, { runId, run, table: null });
  run.catch(() => {
    if (caches.get(key)?.run === run) caches.delete(key); // e.g. the catalog was busy: read again next time
  });
  return run;
}

async function loadRunFaces(workspace: Workspace, runId: number): Promise<RunFaces> {
  const { outputs, assignments, clusters } = await translated(() =>
    workspace.store.read(async (catalog) => {
      const outputs = await runOutputs(catalog, runId);
      const tables = await runTables(catalog, runId);
      const assignments = tables.has(['person_assignment'])
        ? await catalog.rows<{ face_id: string; person_id: number | null; stranger: boolean }>(`SELECT face_id, person_id, stranger FROM ${tables.from('person_assignment')}`)
        : [];
      const clusters = tables.has(['clusters']) ? await catalog.rows<{ face_id: string; cluster_id: number }>(`SELECT face_id, cluster_id FROM ${tables.from('clusters')}`) : [];
      return { outputs, assignments, clusters };
    }),
  );
  const empty: FaceVectors = { n: 0, dim: 512, ids: [], vectors: new Float32Array(0), contentHash: '' };
  const faces = outputs.faces ? await readFaceVectors(workspace.store.absolute(outputs.faces)) : empty;
  const index = indexOf(faces);
  const runPerson = new Int32Array(faces.n).fill(-1);
  const rowsOfPerson = new Map<number, number[]>();
  for (const row of assignments) {
    const i = index.get(row.face_id);
    if (i === undefined || row.person_id === null || row.stranger) continue;
    runPerson[i] = row.person_id;
    const rows = rowsOfPerson.get(row.person_id);
    if (rows) rows.push(i);
    else rowsOfPerson.set(row.person_id, [i]);
  }
  const cluster = new Int32Array(faces.n).fill(-1);
  for (const row of clusters) {
    const i = index.get(row.face_id);
    if (i !== undefined) cluster[i] = row.cluster_id;
  }
  return { runId, faces, index, runPerson, cluster, rowsOfPerson };
}

/** The score table for these decisions: cached, updated in place when manual faces were only added, else recomputed. */
async function scoreTable(workspace: Workspace, run: RunFaces, decisions: Decisions): Promise<ScoreTable> {
  const cache = caches.get(workspace.store.dataDir);
  const mine = cache?.runId === run.runId ? cache : null;
  // Waits for a computation another request started (and for one started while waiting).
  let table: ScoreTable | null = null;
  for (let pending = mine?.table ?? null; ; pending = mine!.table) {
    table = pending ? await pending : null;
    if (!mine || mine.table === pending) break;
  }
  const manual = manualPairs(decisions.manual);
  const stillDecided = (faceId: string) => isDecided(decisions.journal, faceId);
  if (table && [...table.manual].every((pair) => manual.has(pair)) && table.decided.every(stillDecided)) {
    const added = [...manual].filter((pair) => !table.manual.has(pair));
    // Many faces at once (a whole cluster named) cost more in place than a recompute through the index.
    if (table.open.length * added.length <= EXACT_WORK) {
      addManualFaces(run, table, added, decisions.journal);
      table.manual = manual;
      return table;
    }
  }
  const computing = computeScores(run, decisions);
  if (mine) {
    mine.table = computing;
    computing.catch(() => {
      if (mine.table === computing) mine.table = null;
    });
  }
  return computing;
}

function manualPairs(manual: Map<number, string[]>): Set<string> {
  const pairs = new Set<string>();
  for (const [personId, faceIds] of manual) for (const faceId of faceIds) pairs.add(`${faceId}\t${personId}`);
  return pairs;
}


/** Puts (person, score) into a face's best list, which stays sorted, best first, one entry per person. */
function offer(table: BestPersons, slot: number, personId: number, score: number): void {
  const at = slot * KEPT_PERSONS;
  const { persons, scores } = table;
  let from = KEPT_PERSONS - 1; // the entry that gives way: the person's own, else the last
  for (let k = 0; k < KEPT_PERSONS; k++) {
    if (persons[at + k] === personId) {
      if (scores[at + k]! >= score) return;
      from = k;
      break;
    }
  }
  if (persons[at + from] !== personId && persons[at + from] !== -1 && scores[at + from]! >= score) return;
  let k = from;
  while (k > 0 && (persons[at + k - 1] === -1 || scores[at + k - 1]! < score)) {
    persons[at + k] = persons[at + k - 1]!;
    scores[at + k] = scores[at + k - 1]!;
    k--;
  }
  persons[at + k] = personId;
  scores[at + k] = score;
}

/** Every open face against every person's centroid and manual faces. */
async function computeScores(run: RunFaces, decisions: Decisions): Promise<ScoreTable> {
  const { faces, index, runPerson } = run;
  const { dim, vectors } = faces;
  const open: number[] = [];
  const decided: string[] = [];
  for (let i = 0; i < faces.n; i++) {
    if (runPerson[i]! >= 0) continue;
    if (isDecided(decisions.journal, faces.ids[i]!)) decided.push(faces.ids[i]!);
    else open.push(i);
  }
  // References: per person its centroid (the run's faces and the manual ones), then its manual faces.
  const referenceRows: number[] = [];
  const references: number[] = []; // person of each reference
  const centroids: Float32Array[] = [];
  const personIds = new Set([...decisions.manual.keys(), ...run.rowsOfPerson.keys()]);
  for (const personId of personIds) {
    const manualRows = (decisions.manual.get(personId) ?? []).map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    const members = [...new Set([...(run.rowsOfPerson.get(personId) ?? []), ...manualRows])];
    if (members.length === 0) continue;
    centroids.push(centroidOf(vectors, dim, members));
    references.push(personId);
    referenceRows.push(-centroids.length); // negative: a centroid
    const step = Math.max(1, manualRows.length / MAX_MANUAL_REFERENCES);
    for (let r = 0; r < manualRows.length; r += step) {
      referenceRows.push(manualRows[Math.floor(r)]!);
      references.push(personId);
    }
  }
  const packed = new Float32Array(referenceRows.length * dim);
  referenceRows.forEach((row, r) => packed.set(row < 0 ? centroids[-row - 1]! : vectors.subarray(row * dim, (row + 1) * dim), r * dim));
  const openRows = Int32Array.from(open);
  const best = await bestPersons(faces, openRows, { vectors: packed, persons: Int32Array.from(references) }, (row) => decisions.journal.get(faces.ids[row]!)?.not);
  return { manual: manualPairs(decisions.manual), decided, open: openRows, ...best };
}

/**
 * Each open face's best persons against reference vectors (unit length, each
 * a person's), leaving out the persons `blocked` gives for a face row: exact
 * when the work is small, else through an HNSW index of the references (the
 * nearest ANN_NEIGHBOURS references of each face; a person further away than
 * those is not among its best anyway).
 */
export async function bestPersons(
  faces: { vectors: Float32Array; dim: number },
  open: Int32Array,
  references: { vectors: Float32Array; persons: Int32Array },
  blocked: (row: number) => readonly number[] | undefined,
  options: { exactWork?: number } = {},
): Promise<BestPersons> {
  const { vectors, dim } = faces;
  const count = references.persons.length;
  const best: BestPersons = { persons: new Int32Array(open.length * KEPT_PERSONS).fill(-1), scores: new Float32Array(open.length * KEPT_PERSONS) };
  if (count === 0) return best;
  if (open.length * count <= (options.exactWork ?? EXACT_WORK)) {
    const referenceVectors = references.vectors;
    for (let o = 0; o < open.length; o++) {
      if (o % YIELD_EVERY === YIELD_EVERY - 1) await breather();
      const i = open[o]!;
      const ruledOut = blocked(i) ?? [];
      for (let r = 0; r < count; r++) {
        const personId = references.persons[r]!;
        if (ruledOut.includes(personId)) continue;
        let sum = 0;
        for (let d = 0, a = i * dim, b = r * dim; d < dim; d++) sum += vectors[a + d]! * referenceVectors[b + d]!;
        offer(best, o, personId, sum);
      }
    }
    return best;
  }
  // hnswlib-node takes plain arrays: one is refilled per point.
  const point = new Array<number>(dim);
  const load = (source: Float32Array, row: number) => {
    for (let d = 0; d < dim; d++) point[d] = source[row * dim + d]!;
    return point;
  };
  const index = new hnswlib.HierarchicalNSW('ip', dim);
  index.initIndex({ maxElements: count, m: 16, efConstruction: 100, randomSeed: 1 });
  for (let r = 0; r < count; r++) index.addPoint(load(references.vectors, r), r);
  const k = Math.min(ANN_NEIGHBOURS, count);
  index.setEf(Math.max(64, k));
  for (let o = 0; o < open.length; o++) {
    if (o % YIELD_EVERY === YIELD_EVERY - 1) await breather();
    const i = open[o]!;
    const ruledOut = blocked(i) ?? [];
    const { neighbors, distances } = index.searchKnn(load(vectors, i), k);
    for (let j = 0; j < neighbors.length; j++) {
      const personId = references.persons[neighbors[j]!]!;
      if (!ruledOut.includes(personId)) offer(best, o, personId, 1 - distances[j]!); // 'ip' distance is 1 - inner product
    }
  }
  return best;
}

/** Accepted or named faces since the table was computed: each new manual face may raise its person for every open face. */
function addManualFaces(run: RunFaces, table: ScoreTable, added: string[], journal: JournalState): void {
  const { dim, vectors, ids } = run.faces;
  for (const pair of added) {
    const [faceId, person] = pair.split('\t') as [string, string];
    const row = run.index.get(faceId);
    if (row === undefined) continue;
    const personId = Number(person);
    for (let o = 0; o < table.open.length; o++) {
      const i = table.open[o]!;
      if (journal.get(ids[i]!)?.not.includes(personId)) continue;
      offer(table, o, personId, dot(vectors, i * dim, vectors, row * dim, dim));
    }
  }
}

function centroidOf(vectors: Float32Array, dim: number, rows: number[]): Float32Array {
  const sum = new Float32Array(dim);
  for (const row of rows) for (let d = 0; d < dim; d++) sum[d]! += vectors[row * dim + d]!;
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += sum[d]! * sum[d]!;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < dim; d++) sum[d]! /= norm;
  return sum;
}

function isDecided(journal: JournalState, faceId: string): boolean {
  return (journal.get(faceId)?.decision ?? null) !== null;
}

/** The person a person id stands for now: the end of its merges; null when hidden or gone. */
function livePerson(persons: Map<number, PersonInfo>, personId: number): number | null {
  let id = personId;
  for (let hops = 0; hops < 100; hops++) {
    const person = persons.get(id);
    if (!person) return null;
    if (person.mergedInto === null) return person.hidden ? null : id;
    id = person.mergedInto;
  }
  return null;
}

/** Each open face's best person that the journal and the persons of now allow, best first. */
function currentSuggestions(run: RunFaces, table: ScoreTable, decisions: Decisions): Suggestion[] {
  const suggestions: Suggestion[] = [];
  for (let o = 0; o < table.open.length; o++) {
    const row = table.open[o]!;
    const state = decisions.journal.get(run.faces.ids[row]!);
    if (state && state.decision !== null) continue;
    for (let k = 0; k < KEPT_PERSONS; k++) {
      const kept = table.persons[o * KEPT_PERSONS + k]!;
      if (kept < 0) break;
      const personId = livePerson(decisions.persons, kept);
      if (personId === null || state?.not.includes(personId) || state?.not.includes(kept)) continue;
      suggestions.push({ row, personId, confidence: table.scores[o * KEPT_PERSONS + k]! });
      break;
    }
  }
  return suggestions.sort((a, b) => b.confidence - a.confidence || a.row - b.row);
}

/** Clusters (not noise) whose suggested faces all point to one person, their faces best first. */
function agreeingClusters(run: RunFaces, suggestions: Suggestion[]): Map<number, Suggestion[]> {
  const byCluster = new Map<number, Suggestion[]>();
  for (const s of suggestions) {
    const cluster = run.cluster[s.row]!;
    if (cluster < 0) continue;
    const members = byCluster.get(cluster);
    if (members) members.push(s);
    else byCluster.set(cluster, [s]);
  }
  for (const [cluster, members] of byCluster) if (members.some((m) => m.personId !== members[0]!.personId)) byCluster.delete(cluster);
  return byCluster;
}

/** Groups of up to MAX_GROUP_FACES faces of one cluster that point to one person; every other face alone. */
function groupedItems(run: RunFaces, suggestions: Suggestion[], decisions: Decisions): ReviewItem[] {
  const clusters = agreeingClusters(run, suggestions);
  const items: ReviewItem[] = [];
  const grouped = new Set<number>();
  for (const members of clusters.values()) {
    if (members.length < 2) continue;
    for (let at = 0; at < members.length; at += MAX_GROUP_FACES) items.push(itemOf(run, members.slice(at, at + MAX_GROUP_FACES), decisions));
    for (const m of members) grouped.add(m.row);
  }
  for (const s of suggestions) if (!grouped.has(s.row)) items.push(itemOf(run, [s], decisions));
  return items;
}

function itemOf(run: RunFaces, members: Suggestion[], decisions: Decisions): ReviewItem {
  const personId = members[0]!.personId;
  const cluster = run.cluster[members[0]!.row]!;
  return {
    kind: members.length > 1 ? 'group' : 'face',
    faceIds: members.map((m) => run.faces.ids[m.row]!),
    confidences: members.map((m) => round(m.confidence)),
    confidence: round(Math.min(...members.map((m) => m.confidence))),
    personId,
    personName: decisions.persons.get(personId)?.name ?? `person ${personId}`,
    clusterId: cluster >= 0 ? cluster : null,
    personFaceIds: [],
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The person's faces most like the item's first face, manual ones first: what the user compares with. */
function evidence(run: RunFaces, decisions: Decisions, item: ReviewItem): string[] {
  const { dim, vectors } = run.faces;
  const face = run.index.get(item.faceIds[0]!)!;
  const byLikeness = (rows: number[]) =>
    rows.map((row) => ({ row, similarity: dot(vectors, face * dim, vectors, row * dim, dim) })).sort((a, b) => b.similarity - a.similarity).map((r) => r.row);
  const manual = (decisions.manual.get(item.personId) ?? []).map((id) => run.index.get(id)).filter((i): i is number => i !== undefined);
  const ruled = new Set(manual);
  const automatic = (run.rowsOfPerson.get(item.personId) ?? []).filter((row) => !ruled.has(row) && !isDecided(decisions.journal, run.faces.ids[row]!));
  return [...byLikeness(manual), ...byLikeness(automatic)].slice(0, EVIDENCE_FACES).map((row) => run.faces.ids[row]!);
}
