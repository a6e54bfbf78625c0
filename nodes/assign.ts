// Puts a person on each face: manual decisions always win; a cluster whose
// manually assigned faces all belong to one person gives that person to its
// other faces; the remaining faces vote by their nearest manually assigned
// faces. 'not:<person>' blocks that person for the face, and two faces of one
// photo never get the same person (the more confident keeps it). Faces left
// without a person in clusters smaller than minClusterSize are the strangers.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { journalStateKey, readJournal, type JournalState } from '../datasets/persons.ts';
import { indexOf, photoGroups, readFaceVectors, type FaceVectors } from '../vectors/face-vectors.ts';

export const assignParams = z.object({
  /** Cosine similarity a manually assigned face needs to vote (same-person 5th percentile 0.39, different-person max 0.42; face-models.md). */
  knnThreshold: z.number().min(-1).max(1).default(0.45),
  /** How many of the nearest manually assigned faces (above the threshold) vote. */
  voteK: z.number().int().min(1).max(100).default(5),
  /** Faces without a person in clusters smaller than this (noise counts as 1) are strangers. */
  minClusterSize: z.number().int().min(1).max(1000).default(2),
}).strict();
export type AssignParams = z.output<typeof assignParams>;

export const METHODS = ['manual', 'cluster', 'knn'] as const;
export type Method = (typeof METHODS)[number];

export interface Assignment {
  /** Person per face row, -1 = none. */
  personId: Int32Array;
  /** 0 none, 1 manual, 2 cluster, 3 knn (index into METHODS + 1). */
  method: Uint8Array;
  /** Cosine similarity to the nearest manually assigned face of the person (1 for manual); NaN without a person. */
  confidence: Float64Array;
  /** confidence minus the same for the best other person; NaN when there is none. */
  margin: Float64Array;
  stranger: Uint8Array;
}

export interface AssignSummary {
  faces: number;
  assigned: number;
  byMethod: Record<Method, number>;
  unassigned: number;
  strangers: number;
  strangersShare: number;
  /** Automatic assignments withdrawn because a more confident face of the same photo had that person. */
  photoConflicts: number;
}

export interface AssignInput {
  faces: FaceVectors;
  /** Cluster per face row (-1 noise). */
  clusterIds: Int32Array;
  photos: number[][];
  journal: JournalState;
}

/**
 * What the voters say about each face, whatever the clustering: its nearest
 * voters above the threshold and its two most similar persons, leaving out
 * the persons a human said it is not. A sweep's settings share it (VoteCache).
 */
export interface VoteTable {
  k: number;
  /** Entries of each face in sims / slots (nearest first). */
  count: Uint8Array;
  sims: Float64Array;
  slots: Int32Array;
  /** The most similar person (slot, -1 none) and the runner-up, over persons not blocked for the face. */
  first: Int32Array;
  firstSim: Float64Array;
  second: Int32Array;
  secondSim: Float64Array;
}

/** Keeps the last vote table: the settings of a sweep (one process, same faces and journal) compute it once. */
export class VoteCache {
  private last: { key: string; table: VoteTable } | null = null;

  get(key: string, compute: () => VoteTable): VoteTable {
    if (this.last?.key !== key) this.last = { key, table: compute() };
    return this.last.table;
  }
}

interface Voters {
  rows: number[];
  packed: Float32Array;
  /** Person slot of each voter. */
  slot: Int32Array;
  persons: number[];
}

function voteTable(faces: FaceVectors, voters: Voters, decided: Uint8Array, blocked: (number[] | undefined)[], p: AssignParams): VoteTable {
  const { n, dim, vectors } = faces;
  const k = p.voteK;
  const table: VoteTable = {
    k, count: new Uint8Array(n), sims: new Float64Array(n * k), slots: new Int32Array(n * k),
    first: new Int32Array(n).fill(-1), firstSim: new Float64Array(n).fill(-Infinity), second: new Int32Array(n).fill(-1), secondSim: new Float64Array(n).fill(-Infinity),
  };
  if (voters.rows.length === 0) return table;
  const best = new Float64Array(voters.persons.length);
  const similarities = [new Float64Array(voters.rows.length), new Float64Array(voters.rows.length)];
  const top = new TopK(k);
  const open: number[] = [];
  for (let i = 0; i < n; i++) if (!decided[i]) open.push(i);
  for (let o = 0; o < open.length; o++) {
    const i = open[o]!;
    // Faces in pairs: each voter value loaded serves two faces.
    if (o % 2 === 0) similaritiesTo(vectors, i * dim, o + 1 < open.length ? open[o + 1]! * dim : i * dim, voters.packed, dim, similarities[0]!, similarities[1]!);
    const sims = similarities[o % 2]!;
    const isBlocked = (slot: number) => blocked[i]?.includes(voters.persons[slot]!) ?? false;
    best.fill(-Infinity);
    top.clear();
    for (let v = 0; v < voters.rows.length; v++) {
      const similarity = sims[v]!;
      const slot = voters.slot[v]!;
      if (similarity > best[slot]!) best[slot] = similarity;
      if (similarity >= p.knnThreshold && !isBlocked(slot)) top.offer(similarity, slot);
    }
    table.count[i] = top.size;
    table.sims.set(top.similarities.subarray(0, top.size), i * k);
    table.slots.set(top.slots.subarray(0, top.size), i * k);
    for (let slot = 0; slot < best.length; slot++) {
      if (isBlocked(slot)) continue;
      if (best[slot]! > table.firstSim[i]!) {
        [table.second[i], table.secondSim[i]] = [table.first[i]!, table.firstSim[i]!];
        [table.first[i], table.firstSim[i]] = [slot, best[slot]!];
      } else if (best[slot]! > table.secondSim[i]!) [table.second[i], table.secondSim[i]] = [slot, best[slot]!];
    }
  }
  return table;
}

export function assignPersons(input: AssignInput, p: AssignParams, cache?: VoteCache): { assignment: Assignment; summary: AssignSummary } {
  const { faces, clusterIds, photos, journal } = input;
  const { n, dim, vectors } = faces;
  const index = indexOf(faces);
  const personId = new Int32Array(n).fill(-1);
  const method = new Uint8Array(n);
  const confidence = new Float64Array(n).fill(NaN);
  const margin = new Float64Array(n).fill(NaN);
  const stranger = new Uint8Array(n);
  const decided = new Uint8Array(n); // a human decided this face (person, stranger or not a face)
  const blocked: (number[] | undefined)[] = new Array(n);

  // Manual decisions, and the manually assigned faces as voters.
  const voterRows: number[] = [];
  for (const [faceId, state] of journal) {
    const row = index.get(faceId);
    if (row === undefined) continue;
    if (state.not.length) blocked[row] = state.not;
    if (state.decision === null) continue;
    decided[row] = 1;
    method[row] = 1;
    if (typeof state.decision === 'number') {
      personId[row] = state.decision;
      confidence[row] = 1;
      voterRows.push(row);
    } else if (state.decision === 'stranger') stranger[row] = 1;
  }
  voterRows.sort((a, b) => a - b);
  const persons = [...new Set(voterRows.map((row) => personId[row]!))].sort((a, b) => a - b);
  const personSlot = new Map(persons.map((person, slot) => [person, slot]));
  const voters: Voters = { rows: voterRows, packed: packRows(vectors, dim, voterRows), slot: Int32Array.from(voterRows, (row) => personSlot.get(personId[row]!)!), persons };
  const key = `${faces.contentHash}\n${p.knnThreshold}\n${p.voteK}\n${journalStateKey(journal)}`;
  const compute = () => voteTable(faces, voters, decided, blocked, p);
  const table = cache ? cache.get(key, compute) : compute();

  // A cluster inherits a person when its manually assigned faces all agree.
  const clusterPerson = new Map<number, number>(); // cluster -> person, or -2 when they disagree
  for (const row of voterRows) {
    const c = clusterIds[row]!;
    if (c < 0) continue;
    const current = clusterPerson.get(c);
    clusterPerson.set(c, current === undefined || current === personId[row] ? personId[row]! : -2);
  }

  const votes = new Float64Array(persons.length);
  const votedBest = new Float64Array(persons.length);
  for (let i = 0; i < n; i++) {
    if (decided[i] || voterRows.length === 0) continue;
    const inherited = clusterIds[i]! >= 0 ? clusterPerson.get(clusterIds[i]!) : undefined;
    let chosen = -1;
    let similarity = NaN;
    if (inherited !== undefined && inherited >= 0 && !(blocked[i]?.includes(inherited) ?? false)) {
      chosen = personSlot.get(inherited)!;
      method[i] = 2;
      similarity = chosen === table.first[i] ? table.firstSim[i]! : chosen === table.second[i] ? table.secondSim[i]! : bestOf(vectors, i, dim, voters, chosen);
    } else if (table.count[i]! > 0) {
      // Weighted vote of the nearest voters; a tie goes to the person with the nearer face.
      votes.fill(0);
      votedBest.fill(-Infinity);
      for (let t = 0; t < table.count[i]!; t++) {
        const slot = table.slots[i * table.k + t]!;
        const sim = table.sims[i * table.k + t]!;
        votes[slot] = votes[slot]! + sim;
        votedBest[slot] = Math.max(votedBest[slot]!, sim);
      }
      for (let slot = 0; slot < persons.length; slot++) {
        if (votes[slot]! === 0) continue;
        if (chosen < 0 || votes[slot]! > votes[chosen]! || (votes[slot] === votes[chosen] && votedBest[slot]! > votedBest[chosen]!)) chosen = slot;
      }
      method[i] = 3;
      // The nearest voter of a person in the list is its nearest face overall (the list holds the nearest).
      similarity = votedBest[chosen]!;
    }
    if (chosen < 0) continue;
    personId[i] = persons[chosen]!;
    confidence[i] = similarity;
    const runnerUp = chosen === table.first[i] ? table.secondSim[i]! : table.firstSim[i]!;
    margin[i] = Number.isFinite(runnerUp) ? similarity - runnerUp : NaN;
  }

  // One person per photo: manual faces first, then by confidence.
  let photoConflicts = 0;
  for (const group of photos) {
    const holders = new Map<number, number>();
    const order = group.filter((row) => personId[row]! >= 0).sort((a, b) => (method[a] === 1 ? 0 : 1) - (method[b] === 1 ? 0 : 1) || confidence[b]! - confidence[a]!);
    for (const row of order) {
      const person = personId[row]!;
      if (!holders.has(person)) holders.set(person, row);
      else if (method[row] !== 1) {
        personId[row] = -1;
        method[row] = 0;
        confidence[row] = NaN;
        margin[row] = NaN;
        photoConflicts++;
      }
    }
  }

  const clusterSize = new Map<number, number>();
  for (const c of clusterIds) if (c >= 0) clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
  const byMethod: Record<Method, number> = { manual: 0, cluster: 0, knn: 0 };
  let assigned = 0;
  let strangers = 0;
  for (let i = 0; i < n; i++) {
    if (!decided[i] && personId[i]! < 0) {
      const size = clusterIds[i]! >= 0 ? clusterSize.get(clusterIds[i]!)! : 1;
      if (size < p.minClusterSize) stranger[i] = 1;
    }
    if (personId[i]! >= 0) {
      assigned++;
      byMethod[METHODS[method[i]! - 1]!]++;
    }
    strangers += stranger[i]!;
  }
  const summary: AssignSummary = {
    faces: n,
    assigned,
    byMethod,
    unassigned: n - assigned,
    strangers,
    strangersShare: n > 0 ? strangers / n : 0,
    photoConflicts,
  };
  return { assignment: { personId, method, confidence, margin, stranger }, summary };
}

/** The k best (similarity, person slot) pairs seen, best first. */
class TopK {
  readonly similarities: Float64Array;
  readonly slots: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.similarities = new Float64Array(k);
    this.slots = new Int32Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  offer(similarity: number, slot: number): void {
    if (this.size === this.k && similarity <= this.similarities[this.k - 1]!) return;
    let p = Math.min(this.size, this.k - 1);
    if (this.size < this.k) this.size++;
    while (p > 0 && this.similarities[p - 1]! < similarity) {
      this.similarities[p] = this.similarities[p - 1]!;
      this.slots[p] = this.slots[p - 1]!;
      p--;
    }
    this.similarities[p] = similarity;
    this.slots[p] = slot;
  }
}

/** Similarity of face i to the nearest voter of one person (for a cluster's person outside the face's two nearest). */
function bestOf(vectors: Float32Array, i: number, dim: number, voters: Voters, slot: number): number {
  let best = -Infinity;
  for (let v = 0; v < voters.rows.length; v++) {
    if (voters.slot[v] !== slot) continue;
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += vectors[i * dim + d]! * voters.packed[v * dim + d]!;
    best = Math.max(best, sum);
  }
  return best;
}

function packRows(vectors: Float32Array, dim: number, rows: number[]): Float32Array {
  const packed = new Float32Array(rows.length * dim);
  rows.forEach((row, r) => packed.set(vectors.subarray(row * dim, (row + 1) * dim), r * dim));
  return packed;
}

/**
 * Dot products of two rows of `a` (offsets `first`, `second`) with every row
 * of `rows`: the hot loop of voting. Two faces times four voters per pass, so
 * each value loaded serves several multiply-adds (1.5x over one face at a
 * time, 2x over plain dot products, measured here).
 */
function similaritiesTo(a: Float32Array, first: number, second: number, rows: Float32Array, dim: number, outFirst: Float64Array, outSecond: Float64Array): void {
  const count = rows.length / dim;
  let r = 0;
  for (; r + 3 < count; r += 4) {
    const b0 = r * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let d = 0; d < dim; d++) {
      const x = a[first + d]!, y = a[second + d]!;
      const v0 = rows[b0 + d]!, v1 = rows[b1 + d]!, v2 = rows[b2 + d]!, v3 = rows[b3 + d]!;
      s0 += x * v0; s1 += x * v1; s2 += x * v2; s3 += x * v3;
      t0 += y * v0; t1 += y * v1; t2 += y * v2; t3 += y * v3;
    }
    outFirst[r] = s0; outFirst[r + 1] = s1; outFirst[r + 2] = s2; outFirst[r + 3] = s3;
    outSecond[r] = t0; outSecond[r + 1] = t1; outSecond[r + 2] = t2; outSecond[r + 3] = t3;
  }
  for (; r < count; r++) {
    let s = 0, t = 0;
    for (let d = 0; d < dim; d++) {
      s += a[first + d]! * rows[r * dim + d]!;
      t += a[second + d]! * rows[r * dim + d]!;
    }
    outFirst[r] = s;
    outSecond[r] = t;
  }
}

/** Cluster ids in the row order of `faces` (faces missing from the table are noise). */
export async function readClusterIds(clustersParquet: string, faces: FaceVectors): Promise<Int32Array> {
  const rows = await queryRows<{ face_id: string; cluster_id: number }>(`SELECT face_id, cluster_id FROM ${parquetSource(clustersParquet)}`);
  const index = indexOf(faces);
  const ids = new Int32Array(faces.n).fill(-1);
  for (const row of rows) {
    const i = index.get(row.face_id);
    if (i !== undefined) ids[i] = row.cluster_id;
  }
  return ids;
}

// The runs of one process (a sweep's settings) share the cluster-independent voting.
// In memory only, so code can never change under it: no cacheKeys needed.
const voteCache = new VoteCache();

export const assign = defineNode({
  name: 'assign',
  version: '1',
  description: 'Puts a person on each accepted face: manual decisions, then whole clusters, then votes of the nearest manually assigned faces.',
  params: assignParams,
  inputs: ['clusters', 'faces'],
  outputs: {
    person_assignment: {
      description: 'Person of each accepted face (null = none); method manual | cluster | knn; confidence = similarity to the nearest manual face of the person; margin over the runner-up person; stranger: a face of nobody known.',
      columns: { face_id: 'VARCHAR', person_id: 'INTEGER', method: 'VARCHAR', confidence: 'DOUBLE', margin: 'DOUBLE', stranger: 'BOOLEAN' },
    },
  },
  // Every human decision changes the output.
  async inputFingerprint(ctx) {
    const journal = await ctx.readCatalog(readJournal);
    return { fingerprint: createHash('sha256').update(journalStateKey(journal)).digest('hex'), prepared: journal };
  },
  async run(ctx) {
    const faces = await readFaceVectors(ctx.inputs.faces!);
    const clusterIds = await readClusterIds(ctx.inputs.clusters!, faces);
    const photos = photoGroups(faces);
    const { assignment: a, summary } = assignPersons({ faces, clusterIds, photos, journal: ctx.prepared as JournalState }, ctx.params, voteCache);
    const orNull = (x: number) => (Number.isNaN(x) ? null : x);
    await ctx.writeTable('person_assignment', (function* () {
      for (let i = 0; i < faces.n; i++) {
        yield {
          face_id: faces.ids[i],
          person_id: a.personId[i]! >= 0 ? a.personId[i] : null,
          method: a.method[i] ? METHODS[a.method[i]! - 1] : null,
          confidence: orNull(a.confidence[i]!),
          margin: orNull(a.margin[i]!),
          stranger: a.stranger[i] === 1,
        };
      }
    })());
    return { ...summary, strangersShare: Math.round(summary.strangersShare * 10_000) / 10_000 };
  },
});
