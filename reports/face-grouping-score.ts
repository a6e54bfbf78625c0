// How well faces were grouped into people, scored against true identities:
// the figures of issue #18's quality benchmark (bench/quality.ts), as pure
// functions for tests and gold reports. Only labelled faces are scored
// (a photo's other faces may be clustered, but nobody says who they are).
import { adjustedRandIndex, pairwiseScores } from '../vectors/cluster-metrics.ts';

export interface GroupedFace {
  /** Who the face really is. */
  identity: string;
  /** The predicted cluster or person; null = left alone (noise, unassigned). */
  group: number | null;
  /** The face was called a stranger (a face of nobody known); default: group is null. */
  stranger?: boolean;
}

export interface FaceGroupingScores {
  faces: number;
  people: number;
  precision: number;
  recall: number;
  f1: number;
  ari: number;
  predictedPairs: number;
  truePairs: number;
  correctPairs: number;
  /** Share of faces called strangers. */
  strangersShare: number;
  /** The same among the faces of people seen at least three times (they should all be found). */
  strangersShareSeen3: number;
  /** People seen once (one face here) who were put in a group with another scored face. */
  seenOnce: number;
  seenOnceGrouped: number;
  seenOnceGroupedShare: number;
  /** People seen exactly twice, and how many of them have both faces in one group. */
  seenTwice: number;
  seenTwiceFound: number;
  /** Groups holding faces of two or more people; the largest such group; groups of three or more people. */
  mixedGroups: number;
  largestMixedGroup: number;
  groupsMixing3: number;
}

export function scoreFaceGrouping(faces: readonly GroupedFace[]): FaceGroupingScores {
  const identityIds = new Map<string, number>();
  const truth = Int32Array.from(faces, (face) => identityIds.get(face.identity) ?? identityIds.set(face.identity, identityIds.size).get(face.identity)!);
  const predicted = Int32Array.from(faces, (face) => face.group ?? -1);
  const pairs = pairwiseScores(predicted, truth);

  const facesOfPerson = new Map<number, number[]>();
  truth.forEach((person, i) => (facesOfPerson.get(person) ?? facesOfPerson.set(person, []).get(person)!).push(i));
  const membersOfGroup = new Map<number, number[]>();
  predicted.forEach((group, i) => {
    if (group >= 0) (membersOfGroup.get(group) ?? membersOfGroup.set(group, []).get(group)!).push(i);
  });
  const isStranger = (i: number) => faces[i]!.stranger ?? faces[i]!.group === null;

  let strangers = 0;
  let seen3 = 0;
  let seen3Strangers = 0;
  for (let i = 0; i < faces.length; i++) {
    const stranger = isStranger(i);
    if (stranger) strangers++;
    if (facesOfPerson.get(truth[i]!)!.length >= 3) {
      seen3++;
      if (stranger) seen3Strangers++;
    }
  }

  let seenOnce = 0, seenOnceGrouped = 0, seenTwice = 0, seenTwiceFound = 0;
  for (const members of facesOfPerson.values()) {
    if (members.length === 1) {
      seenOnce++;
      const group = predicted[members[0]!]!;
      if (group >= 0 && membersOfGroup.get(group)!.length > 1) seenOnceGrouped++;
    } else if (members.length === 2) {
      seenTwice++;
      const [a, b] = members as [number, number];
      if (predicted[a]! >= 0 && predicted[a] === predicted[b]) seenTwiceFound++;
    }
  }

  let mixedGroups = 0, largestMixedGroup = 0, groupsMixing3 = 0;
  for (const members of membersOfGroup.values()) {
    const people = new Set(members.map((i) => truth[i]!)).size;
    if (people < 2) continue;
    mixedGroups++;
    largestMixedGroup = Math.max(largestMixedGroup, members.length);
    if (people >= 3) groupsMixing3++;
  }

  const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
  return {
    faces: faces.length,
    people: identityIds.size,
    ...pairs,
    ari: adjustedRandIndex(predicted, truth),
    strangersShare: share(strangers, faces.length),
    strangersShareSeen3: share(seen3Strangers, seen3),
    seenOnce,
    seenOnceGrouped,
    seenOnceGroupedShare: share(seenOnceGrouped, seenOnce),
    seenTwice,
    seenTwiceFound,
    mixedGroups,
    largestMixedGroup,
    groupsMixing3,
  };
}

export interface NamedFace {
  identity: string;
  /** The name of the person the face was put on; null = nobody. */
  name: string | null;
}

export interface NamingScores {
  faces: number;
  namedShare: number;
  namedCorrectlyShare: number;
  namedWronglyShare: number;
}

/** After naming: the share of faces carrying a name, the right one, a wrong one (persons named by identity). */
export function scoreNaming(faces: readonly NamedFace[]): NamingScores {
  let named = 0, correct = 0;
  for (const face of faces) {
    if (face.name === null) continue;
    named++;
    if (face.name === face.identity) correct++;
  }
  const share = (part: number) => (faces.length > 0 ? part / faces.length : 0);
  return { faces: faces.length, namedShare: share(named), namedCorrectlyShare: share(correct), namedWronglyShare: share(named - correct) };
}

/**
 * Pairs of one person's faces that were together before (same group) and are
 * not after: what a new label must never cause. Indexes line up: face i of
 * `before` is face i of `after`.
 */
export function splitPairs(before: readonly GroupedFace[], after: readonly (number | null)[]): number {
  if (before.length !== after.length) throw new Error(`before has ${before.length} faces, after ${after.length}`);
  let split = 0;
  for (let i = 0; i < before.length; i++) {
    for (let j = i + 1; j < before.length; j++) {
      const a = before[i]!, b = before[j]!;
      if (a.identity !== b.identity || a.group === null || a.group !== b.group) continue;
      if (after[i] === null || after[i] !== after[j]) split++;
    }
  }
  return split;
}
