// The people pages' read model: the persons, their manual faces and the
// latest run's faces, held in memory and answered from there. Opening the
// catalog costs about 33 ms and the queries over the run's Parquet hundreds
// more at 100,000 faces, far over a page's budget (directory p95 < 50 ms,
// a person page of 500 faces < 100 ms). A snapshot stays valid while the
// catalog files are unchanged (`Store.stamp()`: every write, a decision from
// this server or the CLI or a run finishing, changes the size or mtime of the
// database file or its WAL), so a `stat` decides, not a query. A
// run's tables never change once written, so the faces of a run are kept
// across snapshots and loaded again only when `latest` moves. Decisions made
// since the run are applied to its faces here (pending-decisions.ts), so the
// pages show a decision's effect at once, before the re-match confirms it.
import type { Catalog } from '../datasets/catalog.ts';
import { facesByPerson, readJournal, type JournalState, type Person } from '../datasets/persons.ts';
import { readColumns } from '../datasets/column-reader.ts';
import { hasRunViews, latestRunId } from '../datasets/run-registry.ts';
import { LATEST_TABLES, type RunTables } from '../datasets/run-views.ts';
import type { Store } from '../datasets/store.ts';
import type { FaceRow } from './api-types.ts';
import { applyPendingDecisions, type EffectiveAssignment } from './pending-decisions.ts';

/** Faces of a run with where they are and what the run made of them; callers add WHERE and ORDER. */
export const FACE_ROWS_SQL = (tables: Pick<RunTables, 'from'>) => `
  WITH faces AS (
    SELECT face_id, arg_min(file_id, file_id) AS file_id, any_value(x1) AS x1, any_value(y1) AS y1, any_value(x2) AS x2, any_value(y2) AS y2,
      max(quality) AS quality, max(det_score) AS det_score
    FROM ${tables.from('faces')} WHERE NOT rejected GROUP BY face_id
  )
  SELECT f.face_id, f.file_id, fi.source, fi.path, f.x1, f.y1, f.x2, f.y2, f.quality, f.det_score,
    a.person_id, a.method, a.confidence, a.stranger, c.cluster_id
  FROM faces f JOIN ${tables.from('files')} fi USING (file_id)
  LEFT JOIN ${tables.from('person_assignment')} a USING (face_id)
  LEFT JOIN ${tables.from('clusters')} c USING (face_id)`;

export const FACE_ROW_VIEWS = ['faces', 'files', 'person_assignment', 'clusters'];

/** The faces on one person: rows of `RunFaces`. */
export interface PersonFaces {
  /** Manual first, then by confidence (none last), quality, face id: the person page's order. */
  rows: Int32Array;
  /** The face to show for the person: a manual one first, then the best quality. */
  coverFaceId: string;
}

/**
 * The faces of one run as columns (a row per face), indexed by person. Rows
 * become FaceRow objects only for the page asked for: 100,000 objects with
 * their paths would take seconds to build and most would never be shown.
 */
export interface RunFaces {
  runId: number;
  faceId: string[];
  /** Row in `files` of each face's photo. */
  file: Int32Array;
  files: { fileId: string[]; source: string[]; path: string[] };
  x1: Float64Array; y1: Float64Array; x2: Float64Array; y2: Float64Array;
  quality: Float64Array; detScore: Float64Array;
  /** NaN: no person. */
  personId: Float64Array;
  manual: Uint8Array;
  /** NaN: none. */
  confidence: Float64Array;
  /** 1: a stranger, 0: not, 2: no assignment row. */
  stranger: Uint8Array;
  /** NaN: not clustered. */
  clusterId: Float64Array;
  /** The assignment method of each face ('manual', 'cluster', 'knn', ...). */
  methods: (string | null)[];
  /** Face id -> row. */
  rowOf: Map<string, number>;
}

/** The faces on each person: the run's assignment with the decisions made since (pending-decisions.ts). */
export interface PeopleIndex extends EffectiveAssignment {
  byPerson: Map<number, PersonFaces>;
}

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : value);

/** One face of a run as the API shows it, on the person the index puts it on. */
export function faceRowAt(run: RunFaces, index: PeopleIndex, row: number): FaceRow {
  const file = run.file[row]!;
  return {
    faceId: run.faceId[row]!, fileId: run.files.fileId[file]!, source: run.files.source[file]!, path: run.files.path[file]!,
    box: [run.x1[row]!, run.y1[row]!, run.x2[row]!, run.y2[row]!], quality: run.quality[row]!, detScore: run.detScore[row]!,
    personId: orNull(index.personId[row]!), method: index.methods[row] ?? null,
    confidence: index.pending[row] ? null : orNull(run.confidence[row]!), stranger: run.stranger[row] === 2 ? null : Number.isNaN(index.personId[row]!) && run.stranger[row] === 1,
    clusterId: orNull(run.clusterId[row]!), pending: index.pending[row] === 1,
  };
}

export interface PeopleSnapshot {
  persons: Person[];
  /** Faces a human put on each person (the journal's current decisions). */
  manualFaces: Map<number, number>;
  /** The latest run's faces, or null before the first run with faces. */
  run: RunFaces | null;
  /** Who each face of the run is on now; null with `run`. */
  index: PeopleIndex | null;
}

/** Every face of the latest run: numbers as typed columns, the photos' paths once per photo. */
async function loadRunFaces(catalog: Catalog, runId: number): Promise<RunFaces> {
  const files = await readColumns(catalog.connection, 'SELECT file_id, source, path FROM latest.files ORDER BY file_id');
  const fileIds = files.file_id as string[];
  const faces = await readColumns(catalog.connection, `
    WITH rows AS (${FACE_ROWS_SQL(LATEST_TABLES)}), numbered AS (SELECT file_id, (row_number() OVER (ORDER BY file_id) - 1)::INTEGER AS file FROM latest.files)
    SELECT r.face_id, n.file, r.x1, r.y1, r.x2, r.y2, r.quality, r.det_score, r.person_id::DOUBLE AS person_id, r.method,
      r.confidence, CASE WHEN r.stranger IS NULL THEN 2 WHEN r.stranger THEN 1 ELSE 0 END::INTEGER AS stranger, r.cluster_id::DOUBLE AS cluster_id
    FROM rows r JOIN numbered n USING (file_id)`);
  const f64 = (name: string) => Float64Array.from(faces[name] as ArrayLike<number>);
  const method = faces.method as (string | null)[];
  const faceIds = faces.face_id as string[];
  return {
    runId, faceId: faceIds, file: Int32Array.from(faces.file as Int32Array),
    files: { fileId: fileIds, source: files.source as string[], path: files.path as string[] },
    x1: f64('x1'), y1: f64('y1'), x2: f64('x2'), y2: f64('y2'), quality: f64('quality'), detScore: f64('det_score'),
    personId: f64('person_id'), manual: Uint8Array.from(method, (m) => (m === 'manual' ? 1 : 0)), methods: method,
    confidence: f64('confidence'), stranger: Uint8Array.from(faces.stranger as Int32Array), clusterId: f64('cluster_id'),
    rowOf: new Map(faceIds.map((id, row) => [id, row])),
  };
}

/** The faces on each person in page order, with the decisions made since the run applied. */
function indexPeople(run: RunFaces, journal: JournalState, persons: Person[]): PeopleIndex {
  const mergedInto = new Map(persons.filter((person) => person.merged_into !== null).map((person) => [person.person_id, person.merged_into!]));
  const effective = applyPendingDecisions(run, journal, run.rowOf, mergedInto);
  const manual = Uint8Array.from(effective.methods, (m) => (m === 'manual' ? 1 : 0));
  const rowsOf = new Map<number, number[]>();
  for (let row = 0; row < run.faceId.length; row++) {
    const personId = effective.personId[row]!;
    if (Number.isNaN(personId)) continue;
    const list = rowsOf.get(personId);
    if (list) list.push(row);
    else rowsOf.set(personId, [row]);
  }
  const byPerson = new Map<number, PersonFaces>();
  for (const [personId, rows] of rowsOf) {
    rows.sort((a, b) => pageOrder(run, manual, a, b));
    byPerson.set(personId, { rows: Int32Array.from(rows), coverFaceId: run.faceId[coverOf(run, manual, rows)]! });
  }
  return { ...effective, byPerson };
}

const conf = (run: RunFaces, row: number) => (Number.isNaN(run.confidence[row]!) ? -Infinity : run.confidence[row]!);

/** Manual first, then confidence descending (none last), quality descending, face id. */
function pageOrder(run: RunFaces, manual: Uint8Array, a: number, b: number): number {
  const idA = run.faceId[a]!, idB = run.faceId[b]!;
  return manual[b]! - manual[a]! || conf(run, b) - conf(run, a) || run.quality[b]! - run.quality[a]! || (idA < idB ? -1 : idA > idB ? 1 : 0);
}

/** The cover: a manual face first, then the best quality. */
function coverOf(run: RunFaces, manual: Uint8Array, rows: number[]): number {
  let best = rows[0]!;
  for (const row of rows) if (manual[row]! - manual[best]! > 0 || (manual[row] === manual[best] && run.quality[row]! > run.quality[best]!)) best = row;
  return best;
}

/** Keeps the snapshot of one store; `get()` answers from memory while the catalog is unchanged. */
export class PeopleSnapshots {
  private current: { stamp: string; snapshot: PeopleSnapshot } | null = null;
  private loading: Promise<PeopleSnapshot> | null = null;

  constructor(private readonly store: Store, private readonly read: <T>(work: (catalog: Catalog) => Promise<T>) => Promise<T>) {}

  async get(): Promise<PeopleSnapshot> {
    const stamp = this.store.stamp();
    if (this.current?.stamp === stamp) return this.current.snapshot;
    // Concurrent requests share one load.
    this.loading ??= this.load(stamp).finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(stamp: string): Promise<PeopleSnapshot> {
    const previousRun = this.current?.snapshot.run ?? null;
    const snapshot = await this.read(async (catalog): Promise<PeopleSnapshot> => {
      const persons = await catalog.rows<Person>('SELECT person_id, name, notes, created_at, hidden, merged_into FROM persons ORDER BY person_id');
      const journal = await readJournal(catalog);
      const manualFaces = new Map([...facesByPerson(journal)].map(([personId, faces]) => [personId, faces.length]));
      const runId = await latestRunId(catalog);
      let run: RunFaces | null = null;
      if (runId !== null && previousRun?.runId === runId) run = previousRun;
      else if (runId !== null && (await hasRunViews(catalog, 'latest', FACE_ROW_VIEWS))) run = await loadRunFaces(catalog, runId);
      return { persons, manualFaces, run, index: run ? indexPeople(run, journal, persons) : null };
    });
    // A write during the load leaves the new stamp unequal to the files: the next get() loads again.
    this.current = { stamp, snapshot };
    return snapshot;
  }
}
