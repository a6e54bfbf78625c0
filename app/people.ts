// People: the person directory, a person's faces and photos, clusters and
// their faces, and every decision (assign, "not this person", merge, split,
// undo) with its journal history. Decisions go to the durable journal
// (datasets/persons.ts) at once. The directory and person pages come from an
// in-memory snapshot (people-snapshot.ts): the latest run's faces with the
// decisions made since applied, so a decision shows at once and the
// background cluster + assign run confirms it; clusters come from the run.
import type { Catalog } from '../datasets/catalog.ts';
import { Persons, type BatchRecord, type BatchResult, type Person } from '../datasets/persons.ts';
import type { ClusterEntry, DirectoryEntry, FaceRow, Page } from './api-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import { FACE_ROW_VIEWS, FACE_ROWS_SQL, faceRowAt, PeopleSnapshots, type PeopleSnapshot } from './people-snapshot.ts';
import { resolveRun, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';
import { hasRunViews } from '../datasets/run-registry.ts';
import { runTables, type RunTables } from '../datasets/run-views.ts';

export type { ClusterEntry, DirectoryEntry, FaceRow, Page };

export interface Paging {
  offset?: number;
  limit?: number;
}

const CLUSTERS_SQL = (tables: RunTables) => `
  WITH faces AS (SELECT face_id, max(quality) AS quality FROM ${tables.from('faces')} WHERE NOT rejected GROUP BY face_id),
  members AS (
    SELECT c.cluster_id, c.face_id, f.quality, a.person_id
    FROM ${tables.from('clusters')} c JOIN faces f USING (face_id) LEFT JOIN ${tables.from('person_assignment')} a USING (face_id)
    WHERE c.cluster_id >= 0
  ),
  votes AS (
    SELECT cluster_id, person_id, count(*) AS n FROM members WHERE person_id IS NOT NULL GROUP BY ALL
  ),
  top_person AS (SELECT cluster_id, arg_max(person_id, n) AS person_id, max(n) AS person_faces FROM votes GROUP BY cluster_id)
  SELECT m.cluster_id, count(*) AS faces, t.person_id, coalesce(t.person_faces, 0) AS person_faces, arg_max(m.face_id, m.quality) AS cover_face_id
  FROM members m LEFT JOIN top_person t USING (cluster_id)
  GROUP BY m.cluster_id, t.person_id, t.person_faces`;

/** One collator for every name comparison: String.localeCompare builds one per call. */
const NAME_ORDER = new Intl.Collator();

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function pageOf(paging: Paging): { offset: number; limit: number } {
  const offset = paging.offset ?? 0;
  const limit = paging.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`offset must be a whole number >= 0 (got ${offset})`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE} (got ${limit})`);
  return { offset, limit };
}

function requirePerson(snapshot: PeopleSnapshot, personId: number): void {
  if (!snapshot.persons.some((person) => person.person_id === personId)) throw notFound(`no person ${personId}`);
}

function faceRow(row: Record<string, unknown>): FaceRow {
  return {
    faceId: String(row.face_id), fileId: String(row.file_id), source: String(row.source), path: String(row.path),
    box: [Number(row.x1), Number(row.y1), Number(row.x2), Number(row.y2)], quality: Number(row.quality), detScore: Number(row.det_score),
    personId: (row.person_id as number | null) ?? null, method: (row.method as string | null) ?? null, confidence: (row.confidence as number | null) ?? null,
    stranger: (row.stranger as boolean | null) ?? null, clusterId: (row.cluster_id as number | null) ?? null,
  };
}

export class People {
  /** The directory and person pages are answered from memory while the catalog is unchanged. */
  private readonly snapshots: PeopleSnapshots;
  private readonly directories = new WeakMap<PeopleSnapshot, Map<string, DirectoryEntry[]>>();

  private constructor(private readonly workspace: Workspace, private readonly persons: Persons) {
    this.snapshots = new PeopleSnapshots(workspace.store, (work) => this.read(work));
  }

  /** Opens the directory of a workspace; `author` is recorded with every decision. */
  static async open(workspace: Workspace, options: { author?: string } = {}): Promise<People> {
    return new People(workspace, await translated(() => Persons.open(workspace.store, options)));
  }

  private read<T>(work: (catalog: Catalog) => Promise<T>): Promise<T> {
    return translated(() => this.workspace.store.read(work));
  }

  /** Every person with face counts and a cover face, by face count (default) or name. */
  async directory(options: { includeHidden?: boolean; sort?: 'faces' | 'name' } = {}): Promise<DirectoryEntry[]> {
    const snapshot = await this.snapshot();
    // The same snapshot and options give the same array (the server keeps its JSON text for it).
    const key = `${options.includeHidden ? 'all' : 'shown'}:${options.sort ?? 'faces'}`;
    const memo = this.directories.get(snapshot) ?? new Map<string, DirectoryEntry[]>();
    this.directories.set(snapshot, memo);
    const known = memo.get(key);
    if (known) return known;
    const entries = snapshot.persons
      .filter((person) => options.includeHidden || !person.hidden)
      .map((person): DirectoryEntry => {
        const onPerson = snapshot.index?.byPerson.get(person.person_id);
        return {
          personId: person.person_id, name: person.name, notes: person.notes, hidden: person.hidden, mergedInto: person.merged_into,
          faces: onPerson?.rows.length ?? 0, manualFaces: snapshot.manualFaces.get(person.person_id) ?? 0, coverFaceId: onPerson?.coverFaceId ?? null,
        };
      });
    const byName = (a: DirectoryEntry, b: DirectoryEntry) => NAME_ORDER.compare(a.name, b.name);
    const sorted = entries.sort(options.sort === 'name' ? byName : (a, b) => b.faces - a.faces || byName(a, b));
    memo.set(key, sorted);
    return sorted;
  }

  /** Loads what the people pages show, or hands back the one in memory when the catalog is unchanged. */
  snapshot(): Promise<PeopleSnapshot> {
    return translated(() => this.snapshots.get());
  }

  /** The directory rows as `mnemo person list` shows them (persons and their manual faces). */
  list(options: { includeHidden?: boolean } = {}): Promise<(Person & { manual_faces: number })[]> {
    return translated(() => this.persons.list(options));
  }

  async person(personId: number): Promise<Person> {
    const person = await translated(() => this.persons.get(personId));
    if (!person) throw notFound(`no person ${personId}`);
    return person;
  }

  /** A person's row, history and the faces humans put on them or ruled out. */
  show(personId: number): ReturnType<Persons['show']> {
    return translated(() => this.persons.show(personId));
  }

  /** How the latest run assigned a person's faces: faces per method. */
  async methodsOf(personId: number): Promise<{ method: string; faces: number }[] | null> {
    return this.read(async (catalog) => {
      if (!(await hasRunViews(catalog, 'latest', ['person_assignment']))) return null;
      return catalog.rows<{ method: string; faces: number }>('SELECT method, count(*) AS faces FROM latest.person_assignment WHERE person_id = $1 GROUP BY method ORDER BY method', [personId]);
    });
  }

  /** A person's faces in the latest run, manual first, then by confidence and quality. */
  async personFaces(personId: number, paging: Paging = {}): Promise<Page<FaceRow>> {
    const { offset, limit } = pageOf(paging);
    const snapshot = await this.snapshot();
    requirePerson(snapshot, personId);
    const { run, index } = snapshot;
    const rows = index?.byPerson.get(personId)?.rows ?? new Int32Array(0);
    return { total: rows.length, offset, limit, items: run && index ? [...rows.subarray(offset, offset + limit)].map((row) => faceRowAt(run, index, row)) : [] };
  }

  /** The photos a person is in (latest run), by source and path. */
  async personPhotos(personId: number, paging: Paging = {}): Promise<Page<{ fileId: string; source: string; path: string; faces: number }>> {
    const { offset, limit } = pageOf(paging);
    const snapshot = await this.snapshot();
    requirePerson(snapshot, personId);
    const photos = new Map<number, { fileId: string; source: string; path: string; faces: number }>();
    const run = snapshot.run;
    for (const row of snapshot.index?.byPerson.get(personId)?.rows ?? []) {
      const file = run!.file[row]!;
      const photo = photos.get(file);
      if (photo) photo.faces++;
      else photos.set(file, { fileId: run!.files.fileId[file]!, source: run!.files.source[file]!, path: run!.files.path[file]!, faces: 1 });
    }
    const sorted = [...photos.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { total: sorted.length, offset, limit, items: sorted.slice(offset, offset + limit) };
  }

  /** A run's clusters, largest first; `unnamed` keeps those no face of which is assigned to a person. */
  async clusters(ref: RunRef = 'latest', options: { unnamed?: boolean } = {}): Promise<ClusterEntry[]> {
    const runId = await resolveRun(this.workspace, ref);
    return this.read(async (catalog) => {
      const tables = await runTables(catalog, ref === 'latest' ? 'latest' : runId);
      if (!tables.has(['clusters', 'faces', 'person_assignment'])) return [];
      const rows = await catalog.rows<{ cluster_id: number; faces: number; person_id: number | null; person_faces: number; cover_face_id: string }>(
        `${CLUSTERS_SQL(tables)} ${options.unnamed ? 'HAVING t.person_id IS NULL' : ''} ORDER BY faces DESC, cluster_id`,
      );
      return rows.map((row) => ({ clusterId: row.cluster_id, faces: Number(row.faces), personId: row.person_id, personFaces: Number(row.person_faces), coverFaceId: row.cover_face_id }));
    });
  }

  /** The faces of one cluster of a run, best quality first. */
  async clusterFaces(ref: RunRef, clusterId: number, paging: Paging = {}): Promise<Page<FaceRow>> {
    const runId = await resolveRun(this.workspace, ref);
    const page = await this.facesWhere(ref === 'latest' ? 'latest' : runId, 'cluster_id = $1', [clusterId], 'quality DESC, face_id', paging);
    if (page.total === 0) throw notFound(`run ${runId} has no cluster ${clusterId}`);
    return page;
  }

  /** A page of a run's faces. */
  private async facesWhere(run: 'latest' | number, where: string, values: unknown[], order: string, paging: Paging): Promise<Page<FaceRow>> {
    const { offset, limit } = pageOf(paging);
    return this.read(async (catalog) => {
      const tables = await runTables(catalog, run);
      if (!tables.has(FACE_ROW_VIEWS)) return { total: 0, offset, limit, items: [] };
      const base = `SELECT * FROM (${FACE_ROWS_SQL(tables)}) WHERE ${where}`;
      const [{ total }] = (await catalog.rows<{ total: number }>(`SELECT count(*) AS total FROM (${base})`, values)) as [{ total: number }];
      const rows = await catalog.rows(`${base} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, values);
      return { total: Number(total), offset, limit, items: rows.map(faceRow) };
    });
  }

  // ---- decisions: each is one journal batch, durable before it returns ----

  create(name: string, options: { notes?: string } = {}): Promise<BatchResult & { personId: number }> {
    return translated(() => this.persons.create(name, options));
  }

  rename(personId: number, name: string): Promise<BatchResult> {
    return translated(() => this.persons.rename(personId, name));
  }

  hide(personId: number): Promise<BatchResult> {
    return translated(() => this.persons.hide(personId));
  }

  unhide(personId: number): Promise<BatchResult> {
    return translated(() => this.persons.unhide(personId));
  }

  merge(from: number, into: number): Promise<BatchResult> {
    return translated(() => this.persons.merge(from, into));
  }

  /** Puts faces on a person id, 'stranger', 'not_a_face' or 'not:<person id>'. */
  assign(faceIds: readonly string[], target: string): Promise<BatchResult> {
    return translated(() => this.persons.assign(faceIds, target));
  }

  /** "Not this person" on faces: they will not be put on that person again. */
  notThisPerson(faceIds: readonly string[], personId: number): Promise<BatchResult> {
    return this.assign(faceIds, `not:${personId}`);
  }

  /** Splits faces off into a new person (one batch: one undo restores them). */
  split(faceIds: readonly string[], name: string, options: { notes?: string } = {}): Promise<BatchResult & { personId: number }> {
    return translated(() => this.persons.createWithFaces(name, faceIds, options));
  }

  undo(batchId?: number): Promise<BatchResult & { undid: number }> {
    return translated(() => this.persons.undo(batchId));
  }

  /** Journal batches, newest first. */
  history(limit = 100): Promise<BatchRecord[]> {
    return translated(() => this.persons.history(limit));
  }
}
