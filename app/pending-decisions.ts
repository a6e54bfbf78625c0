// Decisions made since the latest run, applied to its faces at once, so a
// person sees the effect of a click before the background re-match (cluster
// + assign, seconds to a minute on a big archive) has finished: the face
// named moves, and the other faces of its cluster that no one decided follow
// it, as the assign node's cluster vote would put them. Faces ruled out
// ("not this person", stranger, not a face) leave the person. Only clusters a
// new decision touches change; the re-run's answer replaces all of it.
import type { JournalState } from '../datasets/persons.ts';

/** What the pages need of a run's faces. */
export interface RunAssignment {
  faceId: string[];
  /** NaN: no person. */
  personId: Float64Array;
  /** 1: the run had a human's decision for the face. */
  manual: Uint8Array;
  /** 1: a stranger. */
  stranger: Uint8Array;
  /** NaN: not clustered (noise is -1). */
  clusterId: Float64Array;
  methods: (string | null)[];
}

/** The faces' persons as the pages show them; `pending` marks faces whose person comes from a decision newer than the run. */
export interface EffectiveAssignment {
  personId: Float64Array;
  methods: (string | null)[];
  pending: Uint8Array;
  /** How many faces the new decisions moved (0: the run is up to date). */
  changed: number;
}

/**
 * The run's assignment with the journal's newer decisions applied.
 * `mergedInto` maps a merged person to the one it went into.
 */
export function applyPendingDecisions(run: RunAssignment, journal: JournalState, rowOf: Map<string, number>, mergedInto: Map<number, number>): EffectiveAssignment {
  const n = run.faceId.length;
  const personId = Float64Array.from(run.personId, (id, row) => (run.stranger[row] === 1 ? NaN : id));
  const methods = [...run.methods];
  const pending = new Uint8Array(n);
  const touchedClusters = new Set<number>();
  const decided = new Uint8Array(n);
  const final = (id: number): number => {
    for (let hops = 0; mergedInto.has(id) && hops < 100; hops++) id = mergedInto.get(id)!;
    return id;
  };

  for (const [faceId, state] of journal) {
    const row = rowOf.get(faceId);
    if (row === undefined) continue; // a face of another run
    if (state.decision !== null) decided[row] = 1;
    const before = personId[row]!;
    let after = before;
    if (typeof state.decision === 'number') after = final(state.decision);
    else if (state.decision === 'stranger' || state.decision === 'not_a_face') after = NaN;
    else if (run.manual[row] === 1) after = NaN; // the decision the run used was undone
    if (!Number.isNaN(after) && state.not.includes(after)) after = NaN;
    const sameAsRun = typeof state.decision === 'number' ? run.manual[row] === 1 && before === after : Number.isNaN(after) === Number.isNaN(before) && (Number.isNaN(after) || after === before);
    if (sameAsRun) continue;
    personId[row] = after;
    methods[row] = typeof state.decision === 'number' ? 'manual' : null;
    pending[row] = 1;
    if (run.clusterId[row]! >= 0) touchedClusters.add(run.clusterId[row]!);
  }

  // Faces the run had by a human's decision that the journal no longer holds (undone).
  for (let row = 0; row < n; row++) {
    if (run.manual[row] !== 1 || journal.has(run.faceId[row]!)) continue;
    personId[row] = NaN;
    methods[row] = null;
    pending[row] = 1;
    if (run.clusterId[row]! >= 0) touchedClusters.add(run.clusterId[row]!);
  }

  // A touched cluster whose human decisions name one person: its undecided faces follow.
  if (touchedClusters.size > 0) {
    const named = new Map<number, Set<number>>();
    for (const [faceId, state] of journal) {
      const row = rowOf.get(faceId);
      if (row === undefined || typeof state.decision !== 'number' || !touchedClusters.has(run.clusterId[row]!)) continue;
      const set = named.get(run.clusterId[row]!) ?? new Set<number>();
      set.add(final(state.decision));
      named.set(run.clusterId[row]!, set);
    }
    for (let row = 0; row < n; row++) {
      const cluster = run.clusterId[row]!;
      if (decided[row] || !touchedClusters.has(cluster)) continue;
      const persons = named.get(cluster);
      const target = persons?.size === 1 ? [...persons][0]! : NaN;
      if (Number.isNaN(target) || journal.get(run.faceId[row]!)?.not.includes(target) || personId[row] === target) continue;
      personId[row] = target;
      methods[row] = 'cluster';
      pending[row] = 1;
    }
  }

  // Faces the run put on a person since merged into another.
  for (let row = 0; row < n; row++) {
    const id = personId[row]!;
    if (!Number.isNaN(id) && mergedInto.has(id)) {
      personId[row] = final(id);
      pending[row] = 1;
    }
  }
  let changed = 0;
  for (let row = 0; row < n; row++) changed += pending[row]!;
  return { personId, methods, pending, changed };
}
