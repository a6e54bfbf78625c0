// The person directory and the append-only assignment journal, on a real
// DuckDB catalog: every operation is auditable and undo reverts whole batches.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { foldJournal, Persons, PersonsError, type JournalRow } from '../datasets/persons.ts';
import { Store } from '../datasets/store.ts';
import { tempDir } from './helpers.ts';

async function fresh(): Promise<{ store: Store; persons: Persons }> {
  const store = new Store(join(tempDir(), 'data'));
  return { store, persons: await Persons.open(store, { author: 'tester' }) };
}

const rows = (store: Store, sql: string) => store.read((catalog) => catalog.rows<Record<string, unknown>>(sql));

test('fold: newest decision wins, not:<person> blocks and clears, undo retracts and undo of undo restores', () => {
  const journal: JournalRow[] = [
    { assignment_id: 1, face_id: 'a', target: '1', undoes: null },
    { assignment_id: 2, face_id: 'a', target: '2', undoes: null },
    { assignment_id: 3, face_id: 'b', target: '1', undoes: null },
    { assignment_id: 4, face_id: 'b', target: 'not:1', undoes: null },
    { assignment_id: 5, face_id: 'c', target: 'stranger', undoes: null },
  ];
  let state = foldJournal(journal);
  assert.deepEqual(state.get('a'), { decision: 2, not: [] });
  assert.deepEqual(state.get('b'), { decision: null, not: [1] });
  assert.deepEqual(state.get('c'), { decision: 'stranger', not: [] });

  // Undo row 2: face a is person 1 again. Undo the undo: person 2 again.
  state = foldJournal([...journal, { assignment_id: 6, face_id: 'a', target: '2', undoes: 2 }]);
  assert.equal(state.get('a')!.decision, 1);
  state = foldJournal([...journal, { assignment_id: 6, face_id: 'a', target: '2', undoes: 2 }, { assignment_id: 7, face_id: 'a', target: '2', undoes: 6 }]);
  assert.equal(state.get('a')!.decision, 2);
  // Retracting the not: brings back the decision it had cleared.
  state = foldJournal([...journal, { assignment_id: 6, face_id: 'b', target: 'not:1', undoes: 4 }]);
  assert.deepEqual(state.get('b'), { decision: 1, not: [] });
  // A later positive decision for the blocked person lifts the block.
  state = foldJournal([...journal, { assignment_id: 6, face_id: 'b', target: '1', undoes: null }]);
  assert.deepEqual(state.get('b'), { decision: 1, not: [] });
});

test('create, rename, hide: persons change, person_events and journal_batches keep the history', async () => {
  const { store, persons } = await fresh();
  const ann = await persons.create('Ann', { notes: 'aunt' });
  const bob = await persons.create('  Bob ');
  assert.deepEqual([ann.personId, bob.personId], [1, 2]);
  await persons.rename(1, 'Ann Smith');
  await persons.hide(2);
  assert.deepEqual((await persons.list()).map((p) => p.name), ['Ann Smith']);
  assert.deepEqual((await persons.list({ includeHidden: true })).map((p) => [p.name, p.hidden, p.notes]), [['Ann Smith', false, 'aunt'], ['Bob', true, null]]);
  const events = await rows(store, 'SELECT person_id, event, old_value, new_value, author FROM person_events ORDER BY event_id');
  assert.deepEqual(events, [
    { person_id: 1, event: 'created', old_value: 'aunt', new_value: 'Ann', author: 'tester' },
    { person_id: 2, event: 'created', old_value: null, new_value: 'Bob', author: 'tester' },
    { person_id: 1, event: 'renamed', old_value: 'Ann', new_value: 'Ann Smith', author: 'tester' },
    { person_id: 2, event: 'hidden', old_value: 'false', new_value: 'true', author: 'tester' },
  ]);
  // Undo the hide, then the rename (newest first).
  assert.equal((await persons.undo()).undid, 4);
  assert.equal((await persons.undo()).undid, 3);
  assert.deepEqual((await persons.list()).map((p) => p.name), ['Ann', 'Bob']);
  assert.deepEqual((await persons.history()).map((b) => [b.batch_id, b.action, b.undone]), [[6, 'undo', false], [5, 'undo', false], [4, 'hide', true], [3, 'rename', true], [2, 'create', false], [1, 'create', false]]);
  await assert.rejects(persons.undo(3), /already undone/);
  await assert.rejects(persons.rename(9, 'X'), PersonsError);
  await assert.rejects(persons.create('   '), /needs a name/);
});

test('merge moves faces and not: marks in one batch; undo restores both persons; the journal is never updated', async () => {
  const { store, persons } = await fresh();
  await persons.create('Ann');
  await persons.create('Ann (duplicate)');
  await persons.create('Carl');
  await persons.assign(['f1', 'f2'], '1');
  await persons.assign(['f3'], '2');
  await persons.assign(['f4'], 'not:2');
  await persons.assign(['f5'], '3');
  const before = await rows(store, 'SELECT * FROM assignments ORDER BY assignment_id');

  const merge = await persons.merge(2, 1);
  assert.equal(merge.assignments, 2); // f3 -> 1, f4 -> not:1
  let state = await persons.journal();
  assert.deepEqual([state.get('f3'), state.get('f4')], [{ decision: 1, not: [] }, { decision: null, not: [1, 2] }]);
  const merged = (await persons.list({ includeHidden: true })).find((p) => p.person_id === 2)!;
  assert.deepEqual([merged.hidden, merged.merged_into], [true, 1]);
  assert.equal((await persons.list()).find((p) => p.person_id === 1)!.manual_faces, 3);
  await assert.rejects(persons.assign(['f9'], '2'), /was merged into 1/);
  await assert.rejects(persons.merge(2, 3), /already merged/);

  const undo = await persons.undo();
  assert.deepEqual([undo.undid, undo.assignments, undo.events], [merge.batchId, 2, 1]);
  state = await persons.journal();
  assert.deepEqual([state.get('f3'), state.get('f4')], [{ decision: 2, not: [] }, { decision: null, not: [2] }]);
  const restored = (await persons.list({ includeHidden: true })).find((p) => p.person_id === 2)!;
  assert.deepEqual([restored.hidden, restored.merged_into], [false, null]);

  // Append-only: the rows from before the merge are exactly as they were; undo rows point at what they retract.
  assert.deepEqual((await rows(store, `SELECT * FROM assignments WHERE assignment_id <= ${before.length} ORDER BY assignment_id`)), before);
  const undoRows = await rows(store, `SELECT face_id, target, undoes, batch_id FROM assignments WHERE batch_id = ${undo.batchId} ORDER BY assignment_id`);
  const mergeIds = (await rows(store, `SELECT assignment_id FROM assignments WHERE batch_id = ${merge.batchId} ORDER BY assignment_id`)).map((r) => r.assignment_id);
  assert.deepEqual(undoRows.map((r) => [r.face_id, r.target, r.undoes]), [['f3', '1', mergeIds[0]], ['f4', 'not:1', mergeIds[1]]]);

  // Redo: undoing the undo batch merges again.
  await persons.undo(undo.batchId);
  assert.equal((await persons.journal()).get('f3')!.decision, 1);
  assert.equal((await persons.get(2))!.merged_into, 1);
});

test('a failing operation writes nothing: bad targets and unknown persons leave the journal as it was', async () => {
  const { store, persons } = await fresh();
  await persons.create('Ann');
  await assert.rejects(persons.assign(['f1'], 'nobody'), /unknown target 'nobody'/);
  await assert.rejects(persons.assign(['f1', 'f2'], '7'), /no person 7/);
  await assert.rejects(persons.assign(['f1'], 'not:7'), /no person 7/);
  await assert.rejects(persons.merge(1, 1), /itself/);
  assert.deepEqual(await rows(store, 'SELECT count(*) AS n FROM assignments'), [{ n: 0 }]);
  assert.deepEqual(await rows(store, 'SELECT count(*) AS n FROM journal_batches'), [{ n: 1 }]);
  await persons.assign(['f1'], 'not_a_face');
  await persons.assign(['f2'], 'stranger');
  const state = await persons.journal();
  assert.deepEqual([state.get('f1')!.decision, state.get('f2')!.decision], ['not_a_face', 'stranger']);
  await assert.rejects(persons.undo(99), /no batch 99/);
});
