// The photos of the archive as files on disk, for the workbench: a file id
// of the latest run becomes a real path only when it is an active file of a
// source, and its real path (after symlinks) lies inside that source's folder.
// Anything else (an unknown id, a deleted file, a symlink that leads out of
// the source) is not_found: the page learns nothing about the disk.
import { realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Catalog } from '../datasets/catalog.ts';
import { hasRunViews, latestRunId, runById } from '../datasets/run-registry.ts';
import { filePath } from '../files/file-path.ts';
import { notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export interface ArchiveFileRow {
  file_id: string;
  source: string;
  path: string;
  path_bytes: Uint8Array | null;
}

/** Active files of the latest run by id; a deleted file is no longer served. */
export const ARCHIVE_FILES_SQL = `
  SELECT file_id, source, path, path_bytes FROM latest.files
  WHERE list_contains($1::VARCHAR[], file_id) AND status = 'active'`;

export interface ArchiveFile {
  fileId: string;
  /** The real path (symlinks resolved): a string, or bytes for a name that is not valid UTF-8. */
  realPath: string | Buffer;
  /** The readable relative path, for names and content types. */
  path: string;
  size: number;
}

/** Source name -> absolute folder, as the latest run scanned them (its recorded spec). */
export async function sourceRoots(catalog: Catalog): Promise<Map<string, string>> {
  const runId = await latestRunId(catalog);
  const run = runId === null ? null : await runById(catalog, runId);
  const spec = JSON.parse(run?.spec ?? '{}') as { sources?: { name: string; path: string }[] };
  return new Map((spec.sources ?? []).map((source) => [source.name, source.path]));
}

/** Rows of the latest run's files for these ids, with the source roots. */
export async function archiveRows(catalog: Catalog, fileIds: readonly string[]): Promise<{ rows: Map<string, ArchiveFileRow>; roots: Map<string, string> }> {
  if (fileIds.length === 0) return { rows: new Map(), roots: new Map() }; // DuckDB cannot type an empty list
  const { listValue } = await import('@duckdb/node-api');
  if (!(await hasRunViews(catalog, 'latest', ['files']))) return { rows: new Map(), roots: new Map() };
  const rows = await catalog.rows<ArchiveFileRow>(ARCHIVE_FILES_SQL, [listValue([...fileIds])]);
  return { rows: new Map(rows.map((row) => [row.file_id, row])), roots: await sourceRoots(catalog) };
}

/**
 * The real path of a file row, or null when it is missing, not a plain file,
 * or its real path is outside its source's real folder.
 */
export async function realArchivePath(row: ArchiveFileRow, roots: Map<string, string>): Promise<{ realPath: string | Buffer; size: number } | null> {
  const root = roots.get(row.source);
  if (!root) return null;
  try {
    const realRoot = await realpath(root);
    const full = filePath(root, row.path, row.path_bytes);
    const real = typeof full === 'string' ? await realpath(full) : await realpath(full, { encoding: 'buffer' });
    const prefix = Buffer.from(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
    const realBytes = typeof real === 'string' ? Buffer.from(real) : real;
    if (realBytes.length <= prefix.length || !realBytes.subarray(0, prefix.length).equals(prefix)) return null;
    const info = await stat(real);
    return info.isFile() ? { realPath: real, size: info.size } : null;
  } catch {
    return null; // vanished or unreadable: not a file we can serve
  }
}

/** One photo of the archive, ready to stream; not_found for anything else. */
export async function archiveFile(workspace: Workspace, fileId: string): Promise<ArchiveFile> {
  const { rows, roots } = await translated(() => workspace.store.read((catalog) => archiveRows(catalog, [fileId])));
  const row = rows.get(fileId);
  if (!row) throw notFound(`no file ${fileId} in the archive`);
  const real = await realArchivePath(row, roots);
  if (!real) throw notFound(`file ${fileId} is not a readable file inside its source folder`);
  return { fileId, realPath: real.realPath, path: row.path, size: real.size };
}
