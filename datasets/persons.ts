// The person directory and the assignment journal: every human decision
// about faces, durable in the catalog (migration 3) and never tied to a run.
//
// assignments is append-only. A face's state is the fold of its effective
// rows in order: a person id, 'stranger' or 'not_a_face' sets the decision
// (newest wins); 'not:<id>' adds a person the face is not (and clears the
// decision if it was that person). An undo appends rows whose `undoes`
// retracts an earlier row, so undoing an undo brings the row back. Person
// changes (create, rename, hide, merge) update `persons` and append to
// `person_events` in the same transaction. Every operation is one batch in
// `journal_batches`, and `undo` reverts a whole batch by appending its inverse.
import { userInfo } from 'node:os';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { Catalog } from './catalog.ts';
import type { Store } from './store.ts';
import { hasRunViews } from './run-registry.ts';

export type Target =
  | { kind: 'person'; personId: number }
  | { kind: 'stranger' }
  | { kind: 'not_a_face' }
  | { kind: 'not'; personId: number };

export type Decision = number | 'stranger' | 'not_a_face' | null;

export interface FaceState {
  /** Person id, 'stranger', 'not_a_face', or null (none, or cleared by a 'not:'). */
  decision: Decision;
  /** Persons a human said this face is not, ascending. */
  not: number[];
}

/** The journal folded: face_id -> state, for faces with any effective row. */
export type JournalState = Map<string, FaceState>;

export interface Person {
  person_id: number;
  name: string;
  notes: string | null;
  created_at: Date;
  hidden: boolean;
  merged_into: number | null;
}

export interface JournalRow {
  assignment_id: number;
  face_id: string;
  target: string;
  undoes: number | null;
}

export class PersonsError extends Error {
  override name = 'PersonsError';
}

/** A person or journal batch id that does not exist. */
export class PersonNotFoundError extends PersonsError {
  override name = 'PersonNotFoundError';
}

export function parseTarget(text: string): Target {
  if (text === 'stranger' || text === 'not_a_face') return { kind: text };
  const not = /^not:(\d+)$/.exec(text);
  if (not) return { kind: 'not', personId: Number(not[1]) };
  if (/^\d+$/.test(text)) return { kind: 'person', personId: Number(text) };
  throw new PersonsError(`unknown target '${text}': expected a person id, 'stranger', 'not_a_face' or 'not:<person id>'`);
}

/** Folds journal rows (ascending assignment_id) into each face's state. */
export function foldJournal(rows: readonly JournalRow[]): JournalState {
  // A row is retracted by a later undo row that is itself not retracted; walking
  // backwards settles each undo row before the row it points at.
  const retracted = new Set<number>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.undoes !== null && !retracted.has(row.assignment_id)) retracted.add(row.undoes);
  }
  const state: JournalState = new Map();
  for (const row of rows) {
    if (row.undoes !== null || retracted.has(row.assignment_id)) continue;
    const face = state.get(row.face_id) ?? { decision: null, not: [] };
    const target = parseTarget(row.target);
    if (target.kind === 'not') {
      if (!face.not.includes(target.personId)) face.not = [...face.not, target.personId].sort((a, b) => a - b);
      if (face.decision === target.personId) face.decision = null;
    } else if (target.kind === 'person') {
      face.decision = target.personId;
      face.not = face.not.filter((id) => id !== target.personId);
    } else {
      face.decision = target.kind;
    }
    state.set(row.face_id, face);
  }
  return state;
}

/** Reads and folds the journal (works on a read-only catalog). */
export async function readJournal(catalog: Catalog): Promise<JournalState> {
  const rows = await catalog.rows<JournalRow>('SELECT assignment_id, face_id, target, undoes FROM assignments ORDER BY assignment_id');
  return foldJournal(rows);
}

/** Faces whose decision is a person, grouped by person (ascending face ids). */
export function facesByPerson(state: JournalState): Map<number, string[]> {
  const byPerson = new Map<number, string[]>();
  for (const [faceId, face] of [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof face.decision !== 'number') continue;
    const list = byPerson.get(face.decision);
    if (list) list.push(faceId);
    else byPerson.set(face.decision, [faceId]);
  }
  return byPerson;
}

/**
 * A canonical text of the journal state for fingerprints. `constraintsOnly`
 * leaves out 'stranger' decisions, which do not change clustering.
 */
export function journalStateKey(state: JournalState, options: { constraintsOnly?: boolean } = {}): string {
  const lines: string[] = [];
  for (const [faceId, face] of state) {
    const decision = options.constraintsOnly && face.decision === 'stranger' ? null : face.decision;
    if (decision === null && face.not.length === 0) continue;
    lines.push(`${faceId}\t${decision ?? ''}\t${face.not.join(',')}`);
  }
  return lines.sort().join('\n');
}

/** Who a decision is recorded as when the caller names nobody: the OS user. */
export function defaultAuthor(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

interface EventRow {
  event_id: number;
  person_id: number;
  event: string;
  old_value: string | null;
  new_value: string | null;
  other_person_id: number | null;
}

/** One batch being written: allocates ids and appends rows inside the open transaction. */
class BatchWriter {
  private nextAssignment = 0;
  private nextEvent = 0;
  assignmentRows = 0;
  eventRows = 0;
  /** What the batch row will say; set by the work when it knows better than the caller. */
  summary: string | null = null;
  undoesBatch: number | null = null;

  constructor(readonly connection: DuckDBConnection, readonly catalog: Catalog, readonly batchId: number, readonly author: string) {}

  async init(): Promise<void> {
    const [ids] = await this.catalog.rows<{ a: number; e: number }>(
      'SELECT (SELECT coalesce(max(assignment_id), 0) FROM assignments) AS a, (SELECT coalesce(max(event_id), 0) FROM person_events) AS e',
    );
    this.nextAssignment = ids!.a + 1;
    this.nextEvent = ids!.e + 1;
  }

  async assignment(faceId: string, target: string, source: 'manual' | 'import', undoes: number | null = null): Promise<void> {
    await this.connection.run('INSERT INTO assignments VALUES ($1, $2, $3, $4, $5, now(), $6, $7)', [
      this.nextAssignment++, faceId, target, source, this.author, undoes, this.batchId,
    ]);
    this.assignmentRows++;
  }

  /** Appends a person event and applies it to `persons`. */
  async event(e: Omit<EventRow, 'event_id'>, undoes: number | null = null): Promise<void> {
    await this.connection.run('INSERT INTO person_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())', [
      this.nextEvent++, this.batchId, e.person_id, e.event, e.old_value, e.new_value, e.other_person_id, undoes, this.author,
    ]);
    this.eventRows++;
    switch (e.event) {
      case 'created':
        await this.connection.run('INSERT INTO persons VALUES ($1, $2, $3, now(), false, NULL)', [e.person_id, e.new_value, e.old_value]);
        return;
      case 'renamed':
        await this.connection.run('UPDATE persons SET name = $1 WHERE person_id = $2', [e.new_value, e.person_id]);
        return;
      case 'hidden':
      case 'shown':
        await this.connection.run('UPDATE persons SET hidden = $1 WHERE person_id = $2', [e.new_value === 'true', e.person_id]);
        return;
      case 'merged':
        await this.connection.run('UPDATE persons SET hidden = $1, merged_into = $2 WHERE person_id = $3', [e.new_value === 'true', e.other_person_id, e.person_id]);
        return;
      case 'unmerged':
        await this.connection.run('UPDATE persons SET hidden = $1, merged_into = NULL WHERE person_id = $2', [e.new_value === 'true', e.person_id]);
        return;
      default:
        throw new PersonsError(`unknown person event '${e.event}'`);
    }
  }
}

/** The event that reverts `e` (created reverts to hidden: a person is never deleted). */
function inverseEvent(e: EventRow): Omit<EventRow, 'event_id'> {
  const swapped = { person_id: e.person_id, old_value: e.new_value, new_value: e.old_value, other_person_id: e.other_person_id };
  switch (e.event) {
    case 'created': return { ...swapped, event: 'hidden', old_value: 'false', new_value: 'true' };
    case 'renamed': return { ...swapped, event: 'renamed' };
    case 'hidden': return { ...swapped, event: 'shown' };
    case 'shown': return { ...swapped, event: 'hidden' };
    case 'merged': return { ...swapped, event: 'unmerged' };
    case 'unmerged': return { ...swapped, event: 'merged' };
    default: throw new PersonsError(`cannot undo person event '${e.event}'`);
  }
}

export interface BatchResult {
  batchId: number;
  assignments: number;
  events: number;
}

export interface BatchRecord {
  batch_id: number;
  action: string;
  author: string;
  created_at: Date;
  summary: string | null;
  undoes_batch: number | null;
  /** True when a later undo (not itself undone) reverted this batch. */
  undone: boolean;
}

/** The person directory and assignment journal of one store; every write is one catalog transaction. */
export class Persons {
  private constructor(private readonly store: Store, readonly author: string) {}

  /** Opens the directory (creating and migrating the catalog when needed). */
  static async open(store: Store, options: { author?: string } = {}): Promise<Persons> {
    await store.write(async () => undefined); // opening writable applies pending migrations
    return new Persons(store, options.author ?? defaultAuthor());
  }

  async list(options: { includeHidden?: boolean } = {}): Promise<(Person & { manual_faces: number })[]> {
    return this.store.read(async (catalog) => {
      const persons = await catalog.rows<Person>(`SELECT * FROM persons ${options.includeHidden ? '' : 'WHERE NOT hidden'} ORDER BY person_id`);
      const byPerson = facesByPerson(await readJournal(catalog));
      return persons.map((person) => ({ ...person, manual_faces: byPerson.get(person.person_id)?.length ?? 0 }));
    });
  }

  async get(personId: number): Promise<Person | null> {
    return this.store.read(async (catalog) => (await catalog.rows<Person>('SELECT * FROM persons WHERE person_id = $1', [personId]))[0] ?? null);
  }

  async journal(): Promise<JournalState> {
    return this.store.read(readJournal);
  }

  /** A person's row, history and the faces humans put on them. */
  async show(personId: number): Promise<{ person: Person; events: Record<string, unknown>[]; faces: string[]; notFaces: string[] }> {
    return this.store.read(async (catalog) => {
      const [person] = await catalog.rows<Person>('SELECT * FROM persons WHERE person_id = $1', [personId]);
      if (!person) throw new PersonNotFoundError(`no person ${personId}`);
      const events = await catalog.rows(
        'SELECT event_id, batch_id, event, old_value, new_value, other_person_id, undoes, author, created_at FROM person_events WHERE person_id = $1 OR other_person_id = $1 ORDER BY event_id',
        [personId],
      );
      const state = await readJournal(catalog);
      const faces = facesByPerson(state).get(personId) ?? [];
      const notFaces = [...state.entries()].filter(([, face]) => face.not.includes(personId)).map(([faceId]) => faceId).sort();
      return { person, events, faces, notFaces };
    });
  }

  async create(name: string, options: { notes?: string } = {}): Promise<BatchResult & { personId: number }> {
    const trimmed = name.trim();
    if (!trimmed) throw new PersonsError('a person needs a name');
    let personId = 0;
    const result = await this.batch('create', `create '${trimmed}'`, async (writer, catalog) => {
      const [row] = await catalog.rows<{ next: number }>('SELECT coalesce(max(person_id), 0) + 1 AS next FROM persons');
      personId = row!.next;
      // created: new_value = name, old_value carries the notes.
      await writer.event({ person_id: personId, event: 'created', old_value: options.notes ?? null, new_value: trimmed, other_person_id: null });
    });
    return { ...result, personId };
  }

  /** Creates a person and puts faces on them in one batch (a split: one undo reverts both). */
  async createWithFaces(name: string, faceIds: readonly string[], options: { notes?: string } = {}): Promise<BatchResult & { personId: number }> {
    const trimmed = name.trim();
    if (!trimmed) throw new PersonsError('a person needs a name');
    const unique = [...new Set(faceIds)];
    if (unique.length === 0) throw new PersonsError('no faces to split off');
    let personId = 0;
    const result = await this.batch('split', `split ${unique.length} face${unique.length === 1 ? '' : 's'} into '${trimmed}'`, async (writer, catalog) => {
      await requireKnownFaces(catalog, unique);
      const [row] = await catalog.rows<{ next: number }>('SELECT coalesce(max(person_id), 0) + 1 AS next FROM persons');
      personId = row!.next;
      await writer.event({ person_id: personId, event: 'created', old_value: options.notes ?? null, new_value: trimmed, other_person_id: null });
      for (const faceId of unique) await writer.assignment(faceId, String(personId), 'manual');
    });
    return { ...result, personId };
  }

  async rename(personId: number, name: string): Promise<BatchResult> {
    const trimmed = name.trim();
    if (!trimmed) throw new PersonsError('a person needs a name');
    return this.batch('rename', `rename ${personId} to '${trimmed}'`, async (writer, catalog) => {
      const person = await requirePerson(catalog, personId);
      await writer.event({ person_id: personId, event: 'renamed', old_value: person.name, new_value: trimmed, other_person_id: null });
    });
  }

  async hide(personId: number): Promise<BatchResult> {
    return this.batch('hide', `hide ${personId}`, async (writer, catalog) => {
      const person = await requirePerson(catalog, personId);
      if (person.hidden) throw new PersonsError(`person ${personId} is already hidden`);
      await writer.event({ person_id: personId, event: 'hidden', old_value: 'false', new_value: 'true', other_person_id: null });
    });
  }

  async unhide(personId: number): Promise<BatchResult> {
    return this.batch('show', `show ${personId}`, async (writer, catalog) => {
      const person = await requirePerson(catalog, personId);
      if (!person.hidden) throw new PersonsError(`person ${personId} is not hidden`);
      if (person.merged_into !== null) throw new PersonsError(`person ${personId} was merged into ${person.merged_into}; undo the merge instead`);
      await writer.event({ person_id: personId, event: 'shown', old_value: 'true', new_value: 'false', other_person_id: null });
    });
  }

  /**
   * Merges `from` into `into`: every face decided as `from` is re-assigned to
   * `into`, every 'not:from' becomes 'not:into' as well, and `from` is hidden
   * with merged_into set. One batch, so one undo restores all of it.
   */
  async merge(from: number, into: number): Promise<BatchResult> {
    if (from === into) throw new PersonsError('cannot merge a person into itself');
    return this.batch('merge', `merge ${from} into ${into}`, async (writer, catalog) => {
      const source = await requirePerson(catalog, from);
      await requirePerson(catalog, into, { assignable: true });
      if (source.merged_into !== null) throw new PersonsError(`person ${from} was already merged into ${source.merged_into}`);
      const state = await readJournal(catalog);
      for (const [faceId, face] of [...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (face.decision === from) await writer.assignment(faceId, String(into), 'manual');
        else if (face.not.includes(from) && !face.not.includes(into) && face.decision !== into) await writer.assignment(faceId, `not:${into}`, 'manual');
      }
      await writer.event({ person_id: from, event: 'merged', old_value: String(source.hidden), new_value: 'true', other_person_id: into });
    });
  }

  /** Puts faces on a target (person id, stranger, not_a_face, not:<id>) as one batch. */
  async assign(faceIds: readonly string[], target: string, options: { source?: 'manual' | 'import'; checkFaces?: boolean } = {}): Promise<BatchResult> {
    const parsed = parseTarget(target);
    const unique = [...new Set(faceIds)];
    if (unique.length === 0) throw new PersonsError('no faces to assign');
    return this.batch('assign', `${unique.length === 1 ? unique[0] : `${unique.length} faces`} -> ${target}`, async (writer, catalog) => {
      if (parsed.kind === 'person') await requirePerson(catalog, parsed.personId, { assignable: true });
      if (parsed.kind === 'not') await requirePerson(catalog, parsed.personId);
      if (options.checkFaces ?? options.source !== 'import') await requireKnownFaces(catalog, unique);
      for (const faceId of unique) await writer.assignment(faceId, target, options.source ?? 'manual');
    });
  }

  /** Reverts a batch (default: the newest one not undone) by appending its inverse as a new batch. */
  async undo(batchId?: number): Promise<BatchResult & { undid: number }> {
    let undid = 0;
    const result = await this.batch('undo', null, async (writer, catalog) => {
      const batches = await batchRecords(catalog);
      const target = batchId === undefined ? [...batches].reverse().find((b) => b.action !== 'undo' && !b.undone) : batches.find((b) => b.batch_id === batchId);
      if (!target) throw batchId === undefined ? new PersonsError('nothing to undo') : new PersonNotFoundError(`no batch ${batchId}`);
      if (target.undone) throw new PersonsError(`batch ${target.batch_id} (${target.summary}) is already undone`);
      undid = target.batch_id;
      writer.undoesBatch = target.batch_id;
      writer.summary = `undo batch ${target.batch_id} (${target.summary})`;
      const rows = await catalog.rows<JournalRow & { source: 'manual' | 'import' }>('SELECT assignment_id, face_id, target, source, undoes FROM assignments WHERE batch_id = $1 ORDER BY assignment_id', [target.batch_id]);
      for (const row of rows) await writer.assignment(row.face_id, row.target, 'manual', row.assignment_id);
      const events = await catalog.rows<EventRow>('SELECT event_id, person_id, event, old_value, new_value, other_person_id FROM person_events WHERE batch_id = $1 ORDER BY event_id DESC', [target.batch_id]);
      for (const event of events) await writer.event(inverseEvent(event), event.event_id);
    });
    return { ...result, undid };
  }

  /** Batches newest first, with whether each is currently undone. */
  async history(limit = 50): Promise<BatchRecord[]> {
    return this.store.read(async (catalog) => (await batchRecords(catalog)).reverse().slice(0, limit));
  }

  private async batch(action: string, summary: string | null, work: (writer: BatchWriter, catalog: Catalog) => Promise<void>): Promise<BatchResult> {
    return this.store.write((catalog) =>
      catalog.transaction(async (connection) => {
        const [row] = await catalog.rows<{ next: number }>('SELECT coalesce(max(batch_id), 0) + 1 AS next FROM journal_batches');
        const writer = new BatchWriter(connection, catalog, row!.next, this.author);
        writer.summary = summary;
        await writer.init();
        await work(writer, catalog);
        // The batch row goes in last, so it records what the work decided (an undo names its batch).
        await connection.run('INSERT INTO journal_batches VALUES ($1, $2, $3, now(), $4, $5)', [writer.batchId, action, this.author, writer.summary, writer.undoesBatch]);
        return { batchId: writer.batchId, assignments: writer.assignmentRows, events: writer.eventRows };
      }),
    );
  }
}

async function batchRecords(catalog: Catalog): Promise<BatchRecord[]> {
  const rows = await catalog.rows<Omit<BatchRecord, 'undone'>>('SELECT batch_id, action, author, created_at, summary, undoes_batch FROM journal_batches ORDER BY batch_id');
  // An undo batch that is itself undone no longer counts (newest settles first).
  const undone = new Set<number>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.undoes_batch !== null && !undone.has(row.batch_id)) undone.add(row.undoes_batch);
  }
  return rows.map((row) => ({ ...row, undone: undone.has(row.batch_id) }));
}

async function requirePerson(catalog: Catalog, personId: number, options: { assignable?: boolean } = {}): Promise<Person> {
  const [person] = await catalog.rows<Person>('SELECT * FROM persons WHERE person_id = $1', [personId]);
  if (!person) throw new PersonNotFoundError(`no person ${personId}`);
  if (options.assignable && person.merged_into !== null) throw new PersonsError(`person ${personId} (${person.name}) was merged into ${person.merged_into}; use that person`);
  return person;
}

/** Refuses face ids that the newest run's faces table does not know (typos); skipped before any run has faces. */
async function requireKnownFaces(catalog: Catalog, faceIds: string[]): Promise<void> {
  if (!(await hasRunViews(catalog, 'latest', ['faces']))) return;
  const known = await catalog.rows<{ face_id: string }>('SELECT DISTINCT face_id FROM latest.faces WHERE list_contains($1::VARCHAR[], face_id)', [listValue(faceIds)]);
  const knownIds = new Set(known.map((row) => row.face_id));
  const unknown = faceIds.filter((id) => !knownIds.has(id));
  if (unknown.length) throw new PersonsError(`unknown face id${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''} (not in latest.faces)`);
}
