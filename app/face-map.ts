// The face map: a run's UMAP positions with what the run made of each face
// (cluster, person, stranger, quality), as typed columns for the workbench's
// scatter. Positions are scaled into [-1, 1] (the scatter's clip space) with
// one factor for both axes, so the map keeps its shape. A run's tables never
// change, so the columns of the last runs asked for stay in memory, and the
// map goes to the browser as Arrow IPC: 100,000 faces are 8.9 MB of JSON
// that take seconds to build and parse, against 3.9 MB of Arrow that
// the page reads in milliseconds.
import { makeData, makeVector, Table, tableToIPC, Utf8 } from 'apache-arrow';
import { readColumns } from '../datasets/column-reader.ts';
import type { FaceMap, FaceMapColumns } from './api-types.ts';
import { translated } from './errors.ts';
import { resolveRun, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';
import { runTables, type RunTables } from '../datasets/run-views.ts';

export type { FaceMap, FaceMapColumns };

/** One row per face of the UMAP (duplicated photos repeat a face in `faces`: reduced first). */
export const FACE_MAP_SQL = (tables: Pick<RunTables, 'from'>) => `
  WITH faces AS (SELECT face_id, max(quality) AS quality FROM ${tables.from('faces')} WHERE NOT rejected GROUP BY face_id)
  SELECT u.face_id, u.x::DOUBLE AS x, u.y::DOUBLE AS y, coalesce(c.cluster_id, -1)::INTEGER AS cluster_id,
    coalesce(a.person_id, -1)::INTEGER AS person_id, coalesce(a.stranger, false)::INTEGER AS stranger, coalesce(f.quality, 0)::FLOAT AS quality
  FROM ${tables.from('umap')} u
  LEFT JOIN ${tables.from('clusters')} c USING (face_id)
  LEFT JOIN ${tables.from('person_assignment')} a USING (face_id)
  LEFT JOIN faces f USING (face_id)
  ORDER BY u.face_id`;

const NEEDED_TABLES = ['umap', 'clusters', 'person_assignment', 'faces'];
/** Maps kept in memory: the latest run's and one more (a run being compared, the previous latest). */
const KEPT_MAPS = 2;
const kept = new Map<string, Promise<FaceMapColumns>>();

function emptyMap(runId: number): FaceMapColumns {
  return { runId, faceIds: [], x: new Float32Array(0), y: new Float32Array(0), cluster: new Int32Array(0), person: new Int32Array(0), stranger: new Uint8Array(0), quality: new Float32Array(0) };
}

async function loadColumns(workspace: Workspace, runId: number): Promise<FaceMapColumns> {
  const columns = await translated(() =>
    workspace.store.read(async (catalog) => {
      const tables = await runTables(catalog, runId);
      return tables.has(NEEDED_TABLES) ? readColumns(catalog.connection, FACE_MAP_SQL(tables)) : null;
    }),
  );
  if (!columns) return emptyMap(runId);
  const [x, y] = normalise(columns.x as Float64Array, columns.y as Float64Array);
  return {
    runId, faceIds: columns.face_id as string[], x, y, cluster: columns.cluster_id as Int32Array, person: columns.person_id as Int32Array,
    stranger: Uint8Array.from(columns.stranger as Int32Array), quality: columns.quality as Float32Array,
  };
}

/** The UMAP of a run as typed columns; empty columns when the run has no umap. */
export async function faceMapColumns(workspace: Workspace, ref: RunRef = 'latest'): Promise<FaceMapColumns> {
  const runId = await resolveRun(workspace, ref);
  const key = `${workspace.store.catalogPath}#${runId}`;
  let columns = kept.get(key);
  if (!columns) {
    columns = loadColumns(workspace, runId);
    columns.catch(() => kept.delete(key)); // a failed read is not kept
    kept.set(key, columns);
    while (kept.size > KEPT_MAPS) kept.delete(kept.keys().next().value!);
  } else {
    kept.delete(key); // most recently used last
    kept.set(key, columns);
  }
  return columns;
}

/** The UMAP of a run as JSON-friendly columns (for scripts; the web app reads the Arrow form). */
export async function faceMap(workspace: Workspace, ref: RunRef = 'latest'): Promise<FaceMap> {
  const columns = await faceMapColumns(workspace, ref);
  return {
    runId: columns.runId, faceIds: columns.faceIds, x: [...columns.x], y: [...columns.y], cluster: [...columns.cluster],
    person: [...columns.person].map((p) => (p < 0 ? null : p)), stranger: [...columns.stranger].map(Boolean), quality: [...columns.quality],
  };
}

/** The columns as an Arrow IPC stream (schema metadata carries the run id). */
export function faceMapArrow(columns: FaceMapColumns): Uint8Array {
  const table = new Table({
    face_id: makeVector(utf8Data(columns.faceIds)), x: makeVector(columns.x), y: makeVector(columns.y), cluster: makeVector(columns.cluster),
    person: makeVector(columns.person), stranger: makeVector(columns.stranger), quality: makeVector(columns.quality),
  });
  table.schema.metadata.set('run_id', String(columns.runId));
  return tableToIPC(table, 'stream');
}

/** Strings as an Arrow Utf8 column: one buffer and offsets (face ids are ASCII: no per-string encoding). */
function utf8Data(values: string[]) {
  const offsets = new Int32Array(values.length + 1);
  const joined = values.join('');
  let bytes: Uint8Array;
  if (Buffer.byteLength(joined) === joined.length) {
    for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i]! + values[i]!.length;
    bytes = Buffer.from(joined, 'latin1');
  } else {
    const encoded = values.map((value) => Buffer.from(value, 'utf8'));
    for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
    bytes = Buffer.concat(encoded);
  }
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data: bytes });
}

/** Centres the points and scales both axes by the same factor into [-1, 1]. */
export function normalise(x: ArrayLike<number>, y: ArrayLike<number>): [Float32Array, Float32Array] {
  const n = x.length;
  const nx = new Float32Array(n);
  const ny = new Float32Array(n);
  if (n === 0) return [nx, ny];
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, x[i]!); maxX = Math.max(maxX, x[i]!);
    minY = Math.min(minY, y[i]!); maxY = Math.max(maxY, y[i]!);
  }
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY) / 2 || 1; // one point, or all at one place: put them at 0
  const clamp = (v: number) => Math.max(-1, Math.min(1, v));
  for (let i = 0; i < n; i++) {
    nx[i] = clamp((x[i]! - cx) / half);
    ny[i] = clamp((y[i]! - cy) / half);
  }
  return [nx, ny];
}
