// People: the person directory, a person's faces and photos, clusters and
// their faces, and every decision (assign, "not this person", merge, split,
// undo) with its journal history. Decisions go to the durable journal
// (datasets/persons.ts) at once; counts and faces come from the latest run's
// tables joined with the directory, so a decision shows in the counts after
// the next cluster + assign run.
import { listValue } from '@duckdb/node-api';
import type { Catalog } from '../datasets/catalog.ts';
import { facesByPerson, Persons, readJournal, type BatchRecord, type BatchResult, type Person } from '../datasets/persons.ts';
import type { ClusterEntry, DirectoryEntry, FaceRow, Page } from './api-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import { resolveRun, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';

export type { ClusterEntry, DirectoryEntry, FaceRow, Page };

export interface Paging {
  offset?: number;
  limit?: number;
}

// One query for the whole directory: face counts and cover faces of every
// person from the latest run, joined to the persons table. Face rows repeat
// when a photo is stored twice, so faces are reduced to one row per face_id.
const DIRECTORY_SQL = `
  WITH faces AS (SELECT face_id, max(quality) AS quality FROM latest.faces GROUP BY face_id),
  assigned AS (
    SELECT a.person_id, count(*) AS faces,
      arg_max(a.face_id, (a.method = 'manual')::INTEGER * 1000 + coalesce(f.quality, 0)) AS cover_face_id
    FROM latest.person_assignment a JOIN faces f USING (face_id)
    WHERE a.person_id IS NOT NULL AND NOT a.stranger
    GROUP BY a.person_id
  )
  SELECT p.person_id, p.name, p.notes, p.hidden, p.merged_into, coalesce(a.faces, 0) AS faces, a.cover_face_id
  FROM persons p LEFT JOIN assigned a USING (person_id)
  ORDER BY p.person_id`;

const DIRECTORY_WITHOUT_RUN_SQL = `
  SELECT person_id, name, notes, hidden, merged_into, 0 AS faces, NULL::VARCHAR AS cover_face_id FROM persons ORDER BY person_id`;

/** Faces of a run with where they are and what the run made of them; callers add WHERE and ORDER. */
const FACE_ROWS_SQL = (schema: string) => `
  WITH faces AS (
    SELECT face_id, arg_min(file_id, file_id) AS file_id, any_value(x1) AS x1, any_value(y1) AS y1, any_value(x2) AS x2, any_value(y2) AS y2,
      max(quality) AS quality, max(det_score) AS det_score
    FROM ${schema}.faces WHERE NOT rejected GROUP BY face_id
  )
  SELECT f.face_id, f.file_id, fi.source, fi.path, f.x1, f.y1, f.x2, f.y2, f.quality, f.det_score,
    a.person_id, a.method, a.confidence, a.stranger, c.cluster_id
  FROM faces f JOIN ${schema}.files fi USING (file_id)
  LEFT JOIN ${schema}.person_assignment a USING (face_id)
  LEFT JOIN ${schema}.clusters c USING (face_id)`;

const CLUSTERS_SQL = (schema: string) => `
  WITH faces AS (SELECT face_id, max(quality) AS quality FROM ${schema}.faces WHERE NOT rejected GROUP BY face_id),
  members AS (
    SELECT c.cluster_id, c.face_id, f.quality, a.person_id
    FROM ${schema}.clusters c JOIN faces f USING (face_id) LEFT JOIN ${schema}.person_assignment a USING (face_id)
    WHERE c.cluster_id >= 0
  ),
  votes AS (
    SELECT cluster_id, person_id, count(*) AS n FROM members WHERE person_id IS NOT NULL GROUP BY ALL
  ),
  top_person AS (SELECT cluster_id, arg_max(person_id, n) AS person_id, max(n) AS person_faces FROM votes GROUP BY cluster_id)
  SELECT m.cluster_id, count(*) AS faces, t.person_id, coalesce(t.person_faces, 0) AS person_faces, arg_max(m.face_id, m.quality) AS cover_face_id
  FROM members m LEFT JOIN top_person t USING (cluster_id)
  GROUP BY m.cluster_id, t.person_id, t.person_faces`;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function pageOf(paging: Paging): { offset: number; limit: number } {
  const offset = paging.offset ?? 0;
  const limit = paging.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`offset must be a whole number >= 0 (got ${offset})`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE} (got ${limit})`);
  return { offset, limit };
}

/** The schema name of a run's views: `latest` or `run<ID>`. */
function schemaOf(ref: RunRef | number): string {
  return ref === 'latest' ? 'latest' : `run${ref}`;
}

async function hasViews(catalog: Catalog, schema: string, views: string[]): Promise<boolean> {
  const [row] = await catalog.rows<{ n: number }>(
    'SELECT count(DISTINCT view_name) AS n FROM duckdb_views() WHERE schema_name = $1 AND list_contains($2::VARCHAR[], view_name)',
    [schema, listValue(views)],
  );
  return (row?.n ?? 0) === views.length;
}

async function requirePersonRow(catalog: Catalog, personId: number): Promise<void> {
  const [row] = await catalog.rows('SELECT 1 FROM persons WHERE person_id = $1', [personId]);
  if (!row) throw notFound(`no person ${personId}`);
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
  private constructor(private readonly workspace: Workspace, private readonly persons: Persons) {}

  /** Opens the directory of a workspace; `author` is recorded with every decision. */
  static async open(workspace: Workspace, options: { author?: string } = {}): Promise<People> {
    return new People(workspace, await translated(() => Persons.open(workspace.store, options)));
  }

  private read<T>(work: (catalog: Catalog) => Promise<T>): Promise<T> {
    return translated(() => this.workspace.store.read(work));
  }

  /** Every person with face counts and a cover face, named first by default. */
  async directory(options: { includeHidden?: boolean; sort?: 'faces' | 'name' } = {}): Promise<DirectoryEntry[]> {
    const entries = await this.read(async (catalog) => {
      const withRun = await hasViews(catalog, 'latest', ['person_assignment', 'faces']);
      const rows = await catalog.rows<{ person_id: number; name: string; notes: string | null; hidden: boolean; merged_into: number | null; faces: number; cover_face_id: string | null }>(
        withRun ? DIRECTORY_SQL : DIRECTORY_WITHOUT_RUN_SQL,
      );
      const manual = facesByPerson(await readJournal(catalog));
      return rows.map((row) => ({
        personId: row.person_id, name: row.name, notes: row.notes, hidden: row.hidden, mergedInto: row.merged_into,
        faces: Number(row.faces), manualFaces: manual.get(row.person_id)?.length ?? 0, coverFaceId: row.cover_face_id,
      }));
    });
    const shown = options.includeHidden ? entries : entries.filter((entry) => !entry.hidden);
    const byName = (a: DirectoryEntry, b: DirectoryEntry) => a.name.localeCompare(b.name);
    return shown.sort(options.sort === 'name' ? byName : (a, b) => b.faces - a.faces || byName(a, b));
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
      if (!(await hasViews(catalog, 'latest', ['person_assignment']))) return null;
      return catalog.rows<{ method: string; faces: number }>('SELECT method, count(*) AS faces FROM latest.person_assignment WHERE person_id = $1 GROUP BY method ORDER BY method', [personId]);
    });
  }

  /** A person's faces in the latest run, manual first, then by confidence and quality. */
  async personFaces(personId: number, paging: Paging = {}): Promise<Page<FaceRow>> {
    return this.facesWhere('latest', 'person_id = $1', [personId], 'method = \'manual\' DESC, confidence DESC NULLS LAST, quality DESC, face_id', paging, (catalog) => requirePersonRow(catalog, personId));
  }

  /** The photos a person is in (latest run), newest path last. */
  async personPhotos(personId: number, paging: Paging = {}): Promise<Page<{ fileId: string; source: string; path: string; faces: number }>> {
    const { offset, limit } = pageOf(paging);
    return this.read(async (catalog) => {
      await requirePersonRow(catalog, personId);
      if (!(await hasViews(catalog, 'latest', ['faces', 'files', 'person_assignment', 'clusters']))) return { total: 0, offset, limit, items: [] };
      const base = `SELECT file_id, source, path, count(*) AS faces FROM (${FACE_ROWS_SQL('latest')}) WHERE person_id = $1 GROUP BY ALL`;
      const [{ total }] = (await catalog.rows<{ total: number }>(`SELECT count(*) AS total FROM (${base})`, [personId])) as [{ total: number }];
      const rows = await catalog.rows<{ file_id: string; source: string; path: string; faces: number }>(`${base} ORDER BY source, path LIMIT ${limit} OFFSET ${offset}`, [personId]);
      return { total: Number(total), offset, limit, items: rows.map((row) => ({ fileId: row.file_id, source: row.source, path: row.path, faces: Number(row.faces) })) };
    });
  }

  /** A run's clusters, largest first; `unnamed` keeps those no face of which is assigned to a person. */
  async clusters(ref: RunRef = 'latest', options: { unnamed?: boolean } = {}): Promise<ClusterEntry[]> {
    const runId = await resolveRun(this.workspace, ref);
    return this.read(async (catalog) => {
      const schema = schemaOf(ref === 'latest' ? 'latest' : runId);
      if (!(await hasViews(catalog, schema, ['clusters', 'faces', 'person_assignment']))) return [];
      const rows = await catalog.rows<{ cluster_id: number; faces: number; person_id: number | null; person_faces: number; cover_face_id: string }>(
        `${CLUSTERS_SQL(schema)} ${options.unnamed ? 'HAVING t.person_id IS NULL' : ''} ORDER BY faces DESC, cluster_id`,
      );
      return rows.map((row) => ({ clusterId: row.cluster_id, faces: Number(row.faces), personId: row.person_id, personFaces: Number(row.person_faces), coverFaceId: row.cover_face_id }));
    });
  }

  /** The faces of one cluster of a run, best quality first. */
  async clusterFaces(ref: RunRef, clusterId: number, paging: Paging = {}): Promise<Page<FaceRow>> {
    const runId = await resolveRun(this.workspace, ref);
    const page = await this.facesWhere(schemaOf(ref === 'latest' ? 'latest' : runId), 'cluster_id = $1', [clusterId], 'quality DESC, face_id', paging);
    if (page.total === 0) throw notFound(`run ${runId} has no cluster ${clusterId}`);
    return page;
  }

  /** A page of a run's faces; `check` runs first on the same catalog open (one open per page, not two). */
  private async facesWhere(schema: string, where: string, values: unknown[], order: string, paging: Paging, check?: (catalog: Catalog) => Promise<void>): Promise<Page<FaceRow>> {
    const { offset, limit } = pageOf(paging);
    return this.read(async (catalog) => {
      await check?.(catalog);
      if (!(await hasViews(catalog, schema, ['faces', 'files', 'person_assignment', 'clusters']))) return { total: 0, offset, limit, items: [] };
      const base = `SELECT * FROM (${FACE_ROWS_SQL(schema)}) WHERE ${where}`;
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
