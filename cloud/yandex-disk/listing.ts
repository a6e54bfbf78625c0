// Listing a folder tree on the disk, folder by folder with limit/offset
// paging (the API has no change feed, and its flat file list cannot be
// limited to a folder). Items are deduplicated by resource_id, since offsets
// shift when files are added while paging. The cursor (folders still to list
// and the offset in the current one) is saved atomically as it goes, so a
// listing cut off halfway resumes where it stopped on the next run.
import { readFile } from 'node:fs/promises';
import { excludesFolder } from '../../files/glob.ts';
import { writeFileAtomic } from '../../datasets/atomic-file.ts';
import type { DiskClient, DiskResource } from './client.ts';

/** What mnemo keeps of a file on the disk. */
export interface RemoteFile {
  /** Full disk path. */
  path: string;
  resource_id: string;
  md5: string | null;
  sha256: string | null;
  size: number;
  modified: string;
  revision: number | null;
}

export interface ListingState {
  version: 1;
  root: string;
  /** The last complete listing, by path relative to the root; null before the first. */
  files: Record<string, RemoteFile> | null;
  completedAt: string | null;
  /** A listing under way: folders still to list (the first is current), its offset, what was found so far. */
  pending: { folders: string[]; offset: number; files: Record<string, RemoteFile>; folderIds: string[]; startedAt: string } | null;
}

export interface ListingResult {
  files: Record<string, RemoteFile>;
  /** True when this run went on from a listing an earlier run left unfinished. */
  resumed: boolean;
  pages: number;
}

/** A listing stopped by an error; the cursor is saved, so the next run goes on from `folder` at `offset`. */
export class ListingInterruptedError extends Error {
  override name = 'ListingInterruptedError';
  constructor(readonly folder: string, readonly offset: number, readonly reason: unknown) {
    super(`the listing stopped in ${folder} at item ${offset}: ${reason instanceof Error ? reason.message : String(reason)}; the next run goes on from there`);
  }
}

export const PAGE_SIZE = 1000; // rclone's page size; the API's default is 20

export async function readListingState(file: string, root: string): Promise<ListingState> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as ListingState;
    if (state.version === 1 && state.root === root) return state;
  } catch {
    // none yet or damaged: start afresh (nothing is lost but time)
  }
  return { version: 1, root, files: null, completedAt: null, pending: null };
}

/** The path below `root` (`disk:/Фото` + `disk:/Фото/2020/a.jpg` -> `2020/a.jpg`), or null outside it. */
export function relativeTo(root: string, path: string): string | null {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

/**
 * Lists every file under the root (folders that `exclude` rules out are not
 * entered), resuming an unfinished listing; saves the cursor at most every
 * `saveEveryMs` and the result at the end.
 */
export async function listTree(client: DiskClient, stateFile: string, root: string, exclude: readonly string[], options: { pageSize?: number; saveEveryMs?: number } = {}): Promise<ListingResult> {
  const state = await readListingState(stateFile, root);
  const resumed = state.pending !== null;
  const pending = state.pending ?? { folders: [root], offset: 0, files: {}, folderIds: [], startedAt: new Date().toISOString() };
  state.pending = pending;
  const seen = new Set(Object.values(pending.files).map((file) => file.resource_id));
  const folderIds = new Set(pending.folderIds);
  const save = () => writeFileAtomic(stateFile, JSON.stringify({ ...state, pending: { ...pending, folderIds: [...folderIds] } }));
  let lastSave = Date.now();
  let pages = 0;
  while (pending.folders.length > 0) {
    const folder = pending.folders[0]!;
    let page;
    try {
      page = await client.listFolder(folder, pending.offset, options.pageSize ?? PAGE_SIZE);
    } catch (error) {
      await save();
      throw new ListingInterruptedError(folder, pending.offset, error);
    }
    pages++;
    for (const item of page.items) addItem(item);
    pending.offset += page.items.length;
    if (page.items.length === 0 || pending.offset >= page.total) {
      pending.folders.shift();
      pending.offset = 0;
    }
    if (Date.now() - lastSave >= (options.saveEveryMs ?? 5000)) {
      await save();
      lastSave = Date.now();
    }
  }
  const completed: ListingState = { version: 1, root, files: pending.files, completedAt: new Date().toISOString(), pending: null };
  await writeFileAtomic(stateFile, JSON.stringify(completed));
  return { files: pending.files, resumed, pages };

  function addItem(item: DiskResource) {
    const relative = relativeTo(root, item.path);
    if (relative === null) return; // not below the root: the API would not send it, but never trust a path
    if (item.type === 'dir') {
      if (folderIds.has(item.resource_id) || excludesFolder(relative, exclude)) return;
      folderIds.add(item.resource_id);
      pending.folders.push(item.path);
      return;
    }
    if (seen.has(item.resource_id)) return; // seen on an earlier page that shifted
    seen.add(item.resource_id);
    pending.files[relative] = remoteFileOf(item);
  }
}

/** `root` + a path below it (`disk:/` + `a.jpg` -> `disk:/a.jpg`, `disk:/Фото` + `a.jpg` -> `disk:/Фото/a.jpg`). */
export function diskPath(root: string, relative: string): string {
  return root.endsWith('/') ? `${root}${relative}` : `${root}/${relative}`;
}

/** The facts of a file as the API just described it. */
export function remoteFileOf(item: DiskResource): RemoteFile {
  return { path: item.path, resource_id: item.resource_id, md5: item.md5 ?? null, sha256: item.sha256 ?? null, size: item.size ?? 0, modified: item.modified, revision: item.revision ?? null };
}
