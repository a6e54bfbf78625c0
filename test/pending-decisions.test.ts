// Decisions newer than the run, applied to its faces (app/pending-decisions.ts):
// a named face takes the undecided faces of its cluster along, "not this
// person" and stranger take faces off, a cluster named for two persons moves
// no one, noise stays alone, merged persons resolve, untouched clusters keep
// the run's answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPendingDecisions, type RunAssignment } from '../app/pending-decisions.ts';
import { foldJournal, type JournalRow } from '../datasets/persons.ts';

// Faces a0-a2: cluster 0, nobody. b0-b1: cluster 1, person 2 (b0 by hand). c0-c2: cluster 2, person 5 by the cluster vote.
// d0-d1: cluster 3, nobody. n0: noise.
const FACES = ['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'c1', 'c2', 'd0', 'd1', 'n0'];
const run: RunAssignment = {
  faceId: FACES,
  personId: Float64Array.from([NaN, NaN, NaN, 2, 2, 5, 5, 5, NaN, NaN, NaN]),
  manual: Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
  stranger: Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]),
  clusterId: Float64Array.from([0, 0, 0, 1, 1, 2, 2, 2, 3, 3, -1]),
  methods: [null, null, null, 'manual', 'cluster', 'cluster', 'cluster', 'cluster', null, null, null],
};
const rowOf = new Map(FACES.map((id, row) => [id, row]));
let id = 0;
const journal = (...rows: [string, string][]) => foldJournal(rows.map(([face, target]): JournalRow => ({ assignment_id: ++id, face_id: face, target, undoes: null })));
const personOf = (result: ReturnType<typeof applyPendingDecisions>, face: string) => {
  const value = result.personId[rowOf.get(face)!]!;
  return Number.isNaN(value) ? null : value;
};

test('the journal the run already used changes nothing', () => {
  const result = applyPendingDecisions(run, journal(['b0', '2']), rowOf, new Map());
  assert.equal(result.changed, 0);
  assert.deepEqual(FACES.map((face) => personOf(result, face)), [null, null, null, 2, 2, 5, 5, 5, null, null, null]);
});

test('a named face takes its cluster along; not-this-person and stranger take faces off; noise stays alone', () => {
  const result = applyPendingDecisions(run, journal(['b0', '2'], ['a0', '7'], ['a2', 'not:7'], ['c1', 'not:5'], ['c2', 'stranger'], ['n0', '9']), rowOf, new Map());
  assert.deepEqual(FACES.map((face) => personOf(result, face)), [7, 7, null, 2, 2, 5, null, null, null, null, 9]);
  assert.equal(result.methods[rowOf.get('a0')!], 'manual');
  assert.equal(result.methods[rowOf.get('a1')!], 'cluster');
  assert.deepEqual(FACES.filter((face) => result.pending[rowOf.get(face)!]), ['a0', 'a1', 'c1', 'c2', 'n0']);
  assert.equal(result.changed, 5);
});

test('a cluster named for two persons moves no one; merged persons resolve to the one they went into', () => {
  const twoNames = applyPendingDecisions(run, journal(['b0', '2'], ['d0', '3'], ['d1', '4'], ['a0', '3'], ['a1', '4']), rowOf, new Map());
  assert.deepEqual(['a0', 'a1', 'a2', 'd0', 'd1'].map((face) => personOf(twoNames, face)), [3, 4, null, 3, 4]);
  const merged = applyPendingDecisions(run, journal(['b0', '2']), rowOf, new Map([[2, 6], [6, 8]]));
  assert.deepEqual(['b0', 'b1', 'c0'].map((face) => personOf(merged, face)), [8, 8, 5]);
});

test('an undone decision takes the face off the person the run had it on', () => {
  const result = applyPendingDecisions(run, journal(), rowOf, new Map());
  assert.equal(personOf(result, 'b0'), null);
  assert.equal(result.pending[rowOf.get('b0')!], 1);
});
