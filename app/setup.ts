// Setting up a workspace: a commented mnemo.yaml over a folder (`init`), and
// the built-in demo over real photos that ship inside an installed package.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SqlResult } from '../datasets/read-only-sql.ts';
import { conflict, invalid } from './errors.ts';
import { query } from './store-tools.ts';
import { Workspace } from './workspace.ts';

/** Writes a commented spec with the default pipeline for one folder. */
export async function initWorkspace(folder: string, options: { config?: string; data?: string; force?: boolean } = {}): Promise<{ config: string; source: string }> {
  const config = resolve(options.config ?? 'mnemo.yaml');
  if (existsSync(config) && !options.force) throw conflict(`${config} already exists (use --force to overwrite)`);
  const source = resolve(folder);
  if (!existsSync(source)) throw invalid(`folder not found: ${source}`);
  const { initialSpec } = await import('./spec-template.ts');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, initialSpec(source, options.data ?? './mnemo-data'));
  return { config, source };
}

/** Writes the demo workspace (spec over the packaged sample photos) into `dir`. */
export async function prepareDemo(dir: string): Promise<{ workspace: Workspace; config: string; photos: string; count: number }> {
  const { createRequire } = await import('node:module');
  const { initialSpec } = await import('./spec-template.ts');
  // Six real group photos (EXIF, GPS) inside the installed @vladmandic/face-api package.
  const photos = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const config = join(target, 'mnemo.yaml');
  writeFileSync(config, initialSpec(photos, './mnemo-data', ['sample*.jpg']));
  const count = readdirSync(photos).filter((name) => /^sample.*\.jpg$/.test(name)).length;
  const workspace = await Workspace.open({ config });
  // A few notebooks to start from (faces per run, cluster sizes, ...); a file already there is the user's and stays.
  const { writeDemoNotebooks } = await import('./notebooks.ts');
  await writeDemoNotebooks(workspace);
  return { workspace, config, photos, count };
}

// What the demo prints after its run: per photo, and the people found.
const DEMO_PHOTOS_SQL = `
  SELECT f.path, i.width || 'x' || i.height AS pixels, e.taken_at, round(e.lat, 4) AS lat, round(e.lon, 4) AS lon,
    count(fa.face_id) FILTER (WHERE NOT fa.rejected) AS faces, count(fa.face_id) FILTER (WHERE fa.rejected) AS rejected_faces,
    (SELECT count(*) FROM latest.pets p WHERE p.file_id = f.file_id) AS pets
  FROM latest.files f JOIN latest.images i USING (file_id) LEFT JOIN latest.exif e USING (file_id) LEFT JOIN latest.faces fa USING (file_id)
  GROUP BY ALL ORDER BY f.path`;

const DEMO_PEOPLE_SQL = `
  SELECT count(DISTINCT cluster_id) FILTER (WHERE cluster_id >= 0) AS clusters,
    count(*) FILTER (WHERE cluster_id < 0) AS unclustered_faces,
    round((SELECT avg(stranger::INT) FROM latest.person_assignment), 2) AS strangers_share
  FROM latest.clusters`;

export async function demoSummary(workspace: Workspace): Promise<{ photos: SqlResult; people: SqlResult }> {
  return { photos: await query(workspace, DEMO_PHOTOS_SQL), people: await query(workspace, DEMO_PEOPLE_SQL) };
}
