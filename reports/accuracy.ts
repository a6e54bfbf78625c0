// Accuracy of one or two runs against gold, each number with a seeded 95 %
// bootstrap interval over the gold items, and for two runs the paired
// difference and an exact McNemar test on the same items.
//
// Sections: faces put with the right person (pairwise precision / recall / F1
// of person_assignment, and of clusters), face detection (gold face ids are
// boxes: a gold face the run did not detect or rejected is missed), and pets
// per kind. An item is "right" for the paired test when:
//   - identity: its group's most common gold person is its own and its
//     person's faces are mostly in its group (a face left alone is right only
//     when it is a person of its own);
//   - detection: accepted exactly when gold says it is a face;
//   - pets: found with the gold label when correct, absent when not.
import { BOOTSTRAP_DEFAULTS, bootstrapIntervals, mcnemar, type BootstrapOptions } from './statistics.ts';
import type { Accuracy, AccuracySection, Estimate } from './report-schema.ts';
import type { FaceGold, PetGold } from '../datasets/gold.ts';

/** What one run says about the gold items; a null map = the run has no such table. */
export interface RunGoldView {
  /** face_id -> accepted (not rejected); absent = not detected. */
  accepted: Map<string, boolean> | null;
  person: Map<string, number | null> | null;
  cluster: Map<string, number | null> | null;
  /** pet_id -> label (lower case). */
  pets: Map<string, string> | null;
}

export interface GoldSet {
  faces: FaceGold[];
  pets: PetGold[];
}

interface SectionSpec {
  key: string;
  title: string;
  items: number;
  metrics: string[];
  /** Per run: the metrics for item weights (all ones = the point estimate). */
  evaluate: ((weights: Uint32Array) => number[])[];
  /** Per run: which items it gets right. */
  right: boolean[][];
}

export function accuracyOf(gold: GoldSet, runs: RunGoldView[], options: BootstrapOptions = {}): Accuracy {
  const settings = { ...BOOTSTRAP_DEFAULTS, ...options };
  const missing: string[] = [];
  const sections: AccuracySection[] = [];
  const realFaces = gold.faces.filter((face) => face.is_face);
  if (gold.faces.length === 0) missing.push('no face gold: import verified faces with `mnemo gold import faces FILE.csv` (face_id, person_name, is_face) to measure faces');
  else {
    for (const [key, title, pick] of [['faces.persons', 'faces with the right person (person_assignment)', (v: RunGoldView) => v.person], ['faces.clusters', 'faces with the right person (clusters)', (v: RunGoldView) => v.cluster]] as const) {
      if (runs.some((run) => pick(run) === null)) missing.push(`${key}: a run has no ${key === 'faces.persons' ? 'person_assignment' : 'clusters'} table`);
      else if (realFaces.length === 0) missing.push(`${key}: no gold face is a real face`);
      else sections.push(section(identitySpec(key, title, realFaces, runs.map((run) => groupsOf(realFaces, run, pick(run)!))), settings));
    }
    if (runs.some((run) => run.accepted === null)) missing.push('faces.detection: a run has no faces table');
    else sections.push(section(detectionSpec(gold.faces, runs), settings));
  }
  if (gold.pets.length === 0) missing.push('no pet gold: import verified pets with `mnemo gold import pets FILE.csv` (pet_id, correct, label) to measure pets');
  else if (runs.some((run) => run.pets === null)) missing.push('pets: a run has no pets table (pets disabled?)');
  else sections.push(section(petsSpec(gold.pets, runs), settings));
  return { goldFaces: gold.faces.length, goldPets: gold.pets.length, bootstrap: settings, sections, missing };
}

function section(spec: SectionSpec, options: Required<BootstrapOptions>): AccuracySection {
  const ones = new Uint32Array(spec.items).fill(1);
  const points = spec.evaluate.map((evaluate) => evaluate(ones));
  const paired = spec.evaluate.length === 2;
  const statistic = (weights: Uint32Array) => {
    const values = spec.evaluate.map((evaluate) => evaluate(weights));
    return [...values.flat(), ...(paired ? values[1]!.map((b, i) => b - values[0]![i]!) : [])];
  };
  const intervals = bootstrapIntervals(spec.items, statistic, options);
  const width = spec.metrics.length;
  const estimate = (value: number, index: number): Estimate =>
    Number.isFinite(value) ? { value, low: finite(intervals[index]?.[0]), high: finite(intervals[index]?.[1]) } : { value: null, low: null, high: null };
  return {
    key: spec.key,
    title: spec.title,
    items: spec.items,
    metrics: spec.metrics.map((name, m) => ({
      name,
      runs: points.map((values, r) => estimate(values[m]!, r * width + m)),
      difference: paired ? estimate(points[1]![m]! - points[0]![m]!, 2 * width + m) : null,
    })),
    itemsRight: spec.right.map((right) => (right.length ? right.filter(Boolean).length / right.length : 0)),
    test: paired ? mcnemar(spec.right[0]!, spec.right[1]!) : null,
  };
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
const ratio = (num: number, den: number) => (den > 0 ? num / den : NaN);

/** Predicted group per real gold face: its person / cluster, or a label of its own when left alone. */
function groupsOf(faces: FaceGold[], run: RunGoldView, groupOf: Map<string, number | null>): Int32Array {
  return Int32Array.from(faces, (face, i) => {
    const group = run.accepted?.get(face.face_id) ? groupOf.get(face.face_id) : null;
    return group === null || group === undefined || group < 0 ? -1 - i : group;
  });
}

function identitySpec(key: string, title: string, faces: FaceGold[], predicted: Int32Array[]): SectionSpec {
  const names = new Map<string, number>();
  // A face with no person name is a person of its own.
  const truth = Int32Array.from(faces, (face, i) => (face.person_name === null ? -1 - i : names.get(face.person_name) ?? names.set(face.person_name, names.size).get(face.person_name)!));
  return {
    key, title, items: faces.length, metrics: ['precision', 'recall', 'f1'],
    evaluate: predicted.map((labels) => pairwiseCounter(labels, truth)),
    right: predicted.map((labels) => rightByMajority(labels, truth)),
  };
}

/** Dense codes once, then weighted pairwise precision / recall / F1 per resample: pairs of distinct items, w_i * w_j each. */
export function pairwiseCounter(predicted: ArrayLike<number>, truth: ArrayLike<number>): (weights: Uint32Array) => number[] {
  const n = predicted.length;
  const codes = (key: (i: number) => string) => {
    const index = new Map<string, number>();
    const coded = Uint32Array.from({ length: n }, (_, i) => index.get(key(i)) ?? index.set(key(i), index.size).get(key(i))!);
    return { coded, sum: new Float64Array(index.size), squares: new Float64Array(index.size) };
  };
  // Groups: predicted, true, and both (the correct pairs); their sums are reused by every resample.
  const groups = [codes((i) => String(predicted[i])), codes((i) => String(truth[i])), codes((i) => `${predicted[i]}|${truth[i]}`)];
  return (weights) => {
    const [predictedPairs, truePairs, correct] = groups.map(({ coded, sum, squares }) => {
      sum.fill(0);
      squares.fill(0);
      for (let i = 0; i < n; i++) {
        const w = weights[i]!;
        if (w === 0) continue;
        sum[coded[i]!] += w;
        squares[coded[i]!] += w * w;
      }
      let pairs = 0;
      for (let g = 0; g < sum.length; g++) pairs += (sum[g]! * sum[g]! - squares[g]!) / 2;
      return pairs;
    }) as [number, number, number];
    const precision = predictedPairs === 0 ? 1 : correct / predictedPairs;
    const recall = truePairs === 0 ? 1 : correct / truePairs;
    return [precision, recall, precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)];
  };
}

/** Right: the face's group is mostly its person, and its person is mostly in that group (ties to the smaller label). */
export function rightByMajority(predicted: ArrayLike<number>, truth: ArrayLike<number>): boolean[] {
  const together = new Map<string, number>();
  for (let i = 0; i < predicted.length; i++) together.set(`${predicted[i]}|${truth[i]}`, (together.get(`${predicted[i]}|${truth[i]}`) ?? 0) + 1);
  const mainTruthOf = new Map<number, [number, number]>(); // group -> [person, count]
  const mainGroupOf = new Map<number, [number, number]>(); // person -> [group, count]
  for (const [key, count] of together) {
    const [group, person] = key.split('|').map(Number) as [number, number];
    const byGroup = mainTruthOf.get(group);
    if (!byGroup || count > byGroup[1] || (count === byGroup[1] && person < byGroup[0])) mainTruthOf.set(group, [person, count]);
    const byPerson = mainGroupOf.get(person);
    if (!byPerson || count > byPerson[1] || (count === byPerson[1] && group < byPerson[0])) mainGroupOf.set(person, [group, count]);
  }
  return Array.from({ length: predicted.length }, (_, i) => mainTruthOf.get(predicted[i]!)![0] === truth[i] && mainGroupOf.get(truth[i]!)![0] === predicted[i]);
}

function detectionSpec(faces: FaceGold[], runs: RunGoldView[]): SectionSpec {
  const isFace = faces.map((face) => face.is_face);
  const acceptedBy = runs.map((run) => faces.map((face) => run.accepted!.get(face.face_id) === true));
  return {
    key: 'faces.detection', title: 'face detection (gold face ids are the boxes)', items: faces.length, metrics: ['precision', 'recall'],
    evaluate: acceptedBy.map((accepted) => (weights) => {
      let tp = 0, fp = 0, fn = 0;
      for (let i = 0; i < faces.length; i++) {
        if (accepted[i] && isFace[i]) tp += weights[i]!;
        else if (accepted[i]) fp += weights[i]!;
        else if (isFace[i]) fn += weights[i]!;
      }
      return [ratio(tp, tp + fp), ratio(tp, tp + fn)];
    }),
    right: acceptedBy.map((accepted) => accepted.map((a, i) => a === isFace[i])),
  };
}

/**
 * Precision and recall of one kind of pet against gold: of the pets the run
 * labelled `kind`, the share gold says are right; of the pets gold says are
 * that kind, the share the run found as it. `labels[i]` is the run's label of
 * `pets[i]` (null: not found); `weights` repeat items (the bootstrap). NaN: nothing to divide by.
 */
export function petKindScores(pets: readonly PetGold[], labels: readonly (string | null)[], kind: string, weights?: ArrayLike<number>): { precision: number; recall: number; found: number; known: number } {
  let found = 0, foundRight = 0, known = 0, knownFound = 0;
  pets.forEach((pet, i) => {
    const weight = weights ? weights[i]! : 1;
    const right = pet.correct && (pet.label === null || pet.label === kind);
    if (labels[i] === kind) {
      found += weight;
      if (right) foundRight += weight;
    }
    if (pet.correct && pet.label === kind) {
      known += weight;
      if (labels[i] === kind) knownFound += weight;
    }
  });
  return { precision: ratio(foundRight, found), recall: ratio(knownFound, known), found, known };
}

function petsSpec(pets: PetGold[], runs: RunGoldView[]): SectionSpec {
  const labelsBy = runs.map((run) => pets.map((pet) => run.pets!.get(pet.pet_id) ?? null));
  const kinds = [...new Set([...pets.map((pet) => pet.label), ...labelsBy.flat()].filter((kind): kind is string => kind !== null))].sort();
  return {
    key: 'pets', title: 'pets per kind', items: pets.length, metrics: kinds.flatMap((kind) => [`${kind} precision`, `${kind} recall`]),
    evaluate: labelsBy.map((labels) => (weights) => kinds.flatMap((kind) => {
      const { precision, recall } = petKindScores(pets, labels, kind, weights);
      return [precision, recall];
    })),
    right: labelsBy.map((labels) => pets.map((pet, i) => (pet.correct ? labels[i] !== null && (pet.label === null || labels[i] === pet.label) : labels[i] === null))),
  };
}
