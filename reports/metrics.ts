// How good a run's people are, measured against verified labels: pairwise
// precision / recall / F1 and ARI of the person assignment and of the
// clusters, the strangers share, face detection precision / recall, and pet
// precision. The reference is the gold tables (datasets/gold.ts); without
// gold it falls back to the manual decisions of the journal, which the run
// also used as input, so those scores are optimistic and say so.
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { readFacesGold, readPetsGold } from '../datasets/gold.ts';
import { readJournal } from '../datasets/persons.ts';
import { runOutputs } from '../datasets/run-registry.ts';
import type { Store } from '../datasets/store.ts';
import { adjustedRandIndex, pairwiseScores, type PairwiseScores } from '../vectors/cluster-metrics.ts';
import { petKindScores } from './accuracy.ts';

export interface IdentityScores extends PairwiseScores {
  ari: number;
}

export interface RunMetrics {
  runId: number;
  reference: 'gold' | 'manual' | 'none';
  note: string;
  /** Accepted faces (distinct face_id) in the run. */
  faces: number;
  /** Reference faces that are real faces and accepted in the run: what identity scores cover. */
  evaluated: number;
  /** Reference face ids that this run does not have. */
  missing: number;
  clusterCount: number | null;
  strangersShare: number | null;
  assignment: IdentityScores | null;
  clusters: IdentityScores | null;
  detection: { precision: number | null; recall: number | null; truePositives: number; falsePositives: number; falseNegatives: number } | null;
  pets: {
    precision: number | null;
    labelAccuracy: number | null;
    checked: number;
    /** Per kind (cat, dog): of the pets found as the kind, the share right; of the gold pets of the kind, the share found as it. */
    byKind: { kind: string; precision: number | null; recall: number | null; found: number; known: number }[];
  } | null;
}

interface ReferenceFace {
  face_id: string;
  /** Who it is; null = nobody named (a person of their own). */
  person: string | null;
  isFace: boolean;
}

/** Table name -> absolute Parquet path of a run's outputs. */
async function runTables(store: Store, runId: number): Promise<Record<string, string>> {
  const outputs = await store.read((catalog) => runOutputs(catalog, runId));
  return Object.fromEntries(Object.entries(outputs).map(([table, path]) => [table, store.absolute(path)]));
}

export async function runMetrics(store: Store, runId: number): Promise<RunMetrics> {
  const tables = await runTables(store, runId);
  if (Object.keys(tables).length === 0) throw new Error(`run ${runId} has no completed tables`);
  const { gold, petsGold, manual } = await store.read(async (catalog) => {
    const journal = await readJournal(catalog);
    return { gold: await readFacesGold(catalog), petsGold: await readPetsGold(catalog), manual: journal };
  });
  let reference: RunMetrics['reference'] = 'none';
  let note = 'no gold and no manual labels: import gold with `mnemo gold import faces FILE.csv`';
  let referenceFaces: ReferenceFace[] = [];
  if (gold.length > 0) {
    reference = 'gold';
    note = `against ${gold.length} gold faces`;
    referenceFaces = gold.map((row) => ({ face_id: row.face_id, person: row.person_name, isFace: row.is_face }));
  } else {
    for (const [faceId, state] of manual) {
      if (state.decision === null) continue;
      referenceFaces.push({ face_id: faceId, person: typeof state.decision === 'number' ? `person ${state.decision}` : null, isFace: state.decision !== 'not_a_face' });
    }
    if (referenceFaces.length > 0) {
      reference = 'manual';
      note = `no gold: against ${referenceFaces.length} manual labels, which the run also used (optimistic)`;
    }
  }

  const faces = tables.faces
    ? await queryRows<{ face_id: string; accepted: boolean }>(`SELECT face_id, bool_or(NOT coalesce(rejected, false)) AS accepted FROM ${parquetSource(tables.faces)} GROUP BY face_id`)
    : [];
  const accepted = new Set(faces.filter((face) => face.accepted).map((face) => face.face_id));
  const detected = new Map(faces.map((face) => [face.face_id, face.accepted]));
  const personOf = await columnByFace(tables.person_assignment, 'person_id');
  const clusterOf = await columnByFace(tables.clusters, 'cluster_id');
  const strangersShare = tables.person_assignment
    ? ((await queryRows<{ share: number | null }>(`SELECT avg(stranger::INTEGER) AS share FROM ${parquetSource(tables.person_assignment)}`))[0]?.share ?? null)
    : null;
  const clusterCount = clusterOf ? new Set([...clusterOf.values()].filter((id) => id !== null && id >= 0)).size : null;

  const evaluated = referenceFaces.filter((face) => face.isFace && accepted.has(face.face_id));
  const identity = (predictedOf: Map<string, number | null> | null): IdentityScores | null => {
    if (!predictedOf || evaluated.length === 0) return null;
    const names = new Map<string, number>();
    // Nobody-named faces each get a label of their own; unassigned / noise predictions are -1 (alone).
    const truth = Int32Array.from(evaluated, (face, i) => (face.person === null ? -1 - i : names.get(face.person) ?? names.set(face.person, names.size).get(face.person)!));
    const predicted = Int32Array.from(evaluated, (face) => predictedOf.get(face.face_id) ?? -1);
    return { ...pairwiseScores(predicted, truth), ari: adjustedRandIndex(predicted, truth) };
  };

  let detection: RunMetrics['detection'] = null;
  const judged = referenceFaces.filter((face) => detected.has(face.face_id));
  if (judged.length > 0) {
    let truePositives = 0, falsePositives = 0, falseNegatives = 0;
    for (const face of judged) {
      const isAccepted = detected.get(face.face_id)!;
      if (isAccepted && face.isFace) truePositives++;
      else if (isAccepted) falsePositives++;
      else if (face.isFace) falseNegatives++;
    }
    detection = {
      precision: truePositives + falsePositives > 0 ? truePositives / (truePositives + falsePositives) : null,
      recall: truePositives + falseNegatives > 0 ? truePositives / (truePositives + falseNegatives) : null,
      truePositives, falsePositives, falseNegatives,
    };
  }

  let pets: RunMetrics['pets'] = null;
  if (tables.pets && petsGold.length > 0) {
    const labels = new Map((await queryRows<{ pet_id: string; label: string }>(`SELECT pet_id, lower(label) AS label FROM ${parquetSource(tables.pets)}`)).map((row) => [row.pet_id, row.label]));
    const checked = petsGold.filter((pet) => labels.has(pet.pet_id));
    const labelled = checked.filter((pet) => pet.correct && pet.label !== null);
    // Every gold pet counts for the kinds: one the run did not find lowers its kind's recall.
    const runLabels = petsGold.map((pet) => labels.get(pet.pet_id) ?? null);
    const kinds = [...new Set([...petsGold.map((pet) => pet.label), ...runLabels].filter((kind): kind is string => kind !== null))].sort();
    const orNull = (x: number) => (Number.isNaN(x) ? null : x);
    pets = {
      checked: checked.length,
      precision: checked.length ? checked.filter((pet) => pet.correct).length / checked.length : null,
      labelAccuracy: labelled.length ? labelled.filter((pet) => labels.get(pet.pet_id) === pet.label).length / labelled.length : null,
      byKind: kinds.map((kind) => {
        const scores = petKindScores(petsGold, runLabels, kind);
        return { kind, precision: orNull(scores.precision), recall: orNull(scores.recall), found: scores.found, known: scores.known };
      }),
    };
  }

  return {
    runId,
    reference,
    note,
    faces: accepted.size,
    evaluated: evaluated.length,
    missing: referenceFaces.filter((face) => !detected.has(face.face_id)).length,
    clusterCount,
    strangersShare,
    assignment: identity(personOf),
    clusters: identity(clusterOf),
    detection,
    pets,
  };
}

async function columnByFace(path: string | undefined, column: 'person_id' | 'cluster_id'): Promise<Map<string, number | null> | null> {
  if (!path) return null;
  const rows = await queryRows<{ face_id: string; value: number | null }>(`SELECT face_id, ${column} AS value FROM ${parquetSource(path)}`);
  return new Map(rows.map((row) => [row.face_id, row.value]));
}

/** A short human-readable report. */
export function formatMetrics(m: RunMetrics): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
  const scores = (label: string, s: IdentityScores | null) =>
    s ? `${label}: precision ${pct(s.precision)}, recall ${pct(s.recall)}, F1 ${pct(s.f1)}, ARI ${pct(s.ari)} (${s.correctPairs} of ${s.predictedPairs} pairs right, ${s.truePairs} true pairs)` : `${label}: -`;
  const lines = [
    `run ${m.runId}: ${m.note}`,
    `faces ${m.faces} accepted; ${m.evaluated} evaluated${m.missing ? `; ${m.missing} reference faces not in this run` : ''}`,
    `clusters ${m.clusterCount ?? '-'}; strangers share ${pct(m.strangersShare)}`,
    scores('person assignment', m.assignment),
    scores('clusters', m.clusters),
    m.detection ? `detection: precision ${pct(m.detection.precision)}, recall ${pct(m.detection.recall)} (TP ${m.detection.truePositives}, FP ${m.detection.falsePositives}, FN ${m.detection.falseNegatives})` : 'detection: -',
  ];
  if (m.pets) {
    lines.push(`pets: precision ${pct(m.pets.precision)}, label accuracy ${pct(m.pets.labelAccuracy)} (${m.pets.checked} checked)`);
    for (const k of m.pets.byKind) lines.push(`  ${k.kind}: precision ${pct(k.precision)} of ${k.found} found, recall ${pct(k.recall)} of ${k.known} in gold`);
  }
  return lines.join('\n');
}
