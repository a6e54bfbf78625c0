// The face map: a run's UMAP positions with what the run made of each face
// (cluster, person, stranger, quality), as columns for the workbench's
// scatter. Positions are scaled into [-1, 1] (the scatter's clip space) with
// one factor for both axes, so the map keeps its shape.
import type { Catalog } from '../datasets/catalog.ts';
import type { FaceMap } from './api-types.ts';
import { translated } from './errors.ts';
import { resolveRun, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';

export type { FaceMap };

/** One row per face of the UMAP (duplicated photos repeat a face in `faces`: reduced first). */
export const FACE_MAP_SQL = (schema: string) => `
  WITH faces AS (SELECT face_id, max(quality) AS quality FROM ${schema}.faces WHERE NOT rejected GROUP BY face_id)
  SELECT u.face_id, u.x, u.y, coalesce(c.cluster_id, -1) AS cluster_id, a.person_id, coalesce(a.stranger, false) AS stranger,
    coalesce(f.quality, 0) AS quality
  FROM ${schema}.umap u
  LEFT JOIN ${schema}.clusters c USING (face_id)
  LEFT JOIN ${schema}.person_assignment a USING (face_id)
  LEFT JOIN faces f USING (face_id)
  ORDER BY u.face_id`;

const NEEDED_VIEWS = ['umap', 'clusters', 'person_assignment', 'faces'];

async function hasViews(catalog: Catalog, schema: string): Promise<boolean> {
  const rows = await catalog.rows<{ view_name: string }>('SELECT DISTINCT view_name FROM duckdb_views() WHERE schema_name = $1', [schema]);
  const names = new Set(rows.map((row) => row.view_name));
  return NEEDED_VIEWS.every((view) => names.has(view));
}

/** The UMAP of a run as columns; empty columns when the run has no umap. */
export async function faceMap(workspace: Workspace, ref: RunRef = 'latest'): Promise<FaceMap> {
  const runId = await resolveRun(workspace, ref);
  const schema = ref === 'latest' ? 'latest' : `run${runId}`;
  const columns = await translated(() =>
    workspace.store.read(async (catalog) => {
      if (!(await hasViews(catalog, schema))) return null;
      // Columns straight from DuckDB's vectors: no row objects for 100,000 faces.
      const reader = await catalog.connection.runAndReadAll(FACE_MAP_SQL(schema));
      return reader.getColumnsObjectJS() as Record<string, unknown[]>;
    }),
  );
  if (!columns) return { runId, faceIds: [], x: [], y: [], cluster: [], person: [], stranger: [], quality: [] };
  const x = (columns.x as number[]).map(Number);
  const y = (columns.y as number[]).map(Number);
  const [nx, ny] = normalise(x, y);
  return {
    runId,
    faceIds: columns.face_id as string[],
    x: nx,
    y: ny,
    cluster: (columns.cluster_id as number[]).map(Number),
    person: (columns.person_id as (number | null)[]).map((value) => (value === null ? null : Number(value))),
    stranger: columns.stranger as boolean[],
    quality: (columns.quality as number[]).map(Number),
  };
}

/** Centres the points and scales both axes by the same factor into [-1, 1]. */
export function normalise(x: number[], y: number[]): [number[], number[]] {
  if (x.length === 0) return [[], []];
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    minX = Math.min(minX, x[i]!); maxX = Math.max(maxX, x[i]!);
    minY = Math.min(minY, y[i]!); maxY = Math.max(maxY, y[i]!);
  }
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY) / 2 || 1; // one point, or all at one place: put them at 0
  const clamp = (v: number) => Math.max(-1, Math.min(1, v));
  return [x.map((v) => clamp((v - cx) / half)), y.map((v) => clamp((v - cy) / half))];
}
