// The life of a file across scans: added, deleted, restored (and purged by
// `mnemo gc`). A pure function over what the walk saw and what the durable
// registry remembers, so scan can fingerprint it before committing anything.
//
// Deleted files keep their rows (status 'deleted', deleted_at) until gc. A
// file is deleted when it disappears from a readable source, or when it is
// moved into a folder named `_delete` (any depth, any case). A `_delete` copy
// is never a file of its own; it is matched to its original by this rule:
//   same source, same file name, same size and same mtime (a move keeps all
//   three), and among several such candidates the one whose path is the copy's
//   path without the `_delete` segment, else the only one missing from disk,
//   else (nothing missing: copied, not moved) the only candidate at all;
//   anything still ambiguous matches nothing.
// A file that is back at its path (moved out of `_delete`, or reappeared) is
// restored under the same file_id, since file_id derives from (source, path).
// A name that is not valid UTF-8 follows the same rule: its pathBytes travel
// with it and its file_id hashes them (files/file-path.ts); `_delete` matching
// compares readable paths.
import type { WalkedFile } from './walk.ts';

export const DELETE_FOLDER = '_delete';

/** True when a folder on the path (not the file name itself) is named `_delete`. */
export function inDeleteFolder(path: string): boolean {
  return path.split('/').slice(0, -1).some((segment) => segment.toLowerCase() === DELETE_FOLDER);
}

/** The path with its `_delete` folder segments removed: where a moved file most likely came from. */
export function withoutDeleteFolder(path: string): string {
  return path.split('/').filter((segment, index, all) => index === all.length - 1 || segment.toLowerCase() !== DELETE_FOLDER).join('/');
}

/** The SQL condition on a `files` table that keeps only files present on disk: what later nodes analyse. */
export function activeFilesWhere(alias = ''): string {
  return `${alias ? `${alias}.` : ''}status = 'active'`;
}

export interface RegistryEntry {
  file_id: string;
  source: string;
  path: string;
  size: number;
  mtime_ms: number;
  status: 'active' | 'deleted';
  deleted_at_ms: number | null;
  /** The real bytes of path when they are not valid UTF-8. */
  pathBytes?: Buffer | null;
}

export interface FileState {
  file_id: string;
  source: string;
  path: string;
  size: number;
  mtimeMs: number;
  status: 'active' | 'deleted';
  deletedAtMs: number | null;
  /** The real bytes of path when they are not valid UTF-8, else null. */
  pathBytes: Buffer | null;
}

export type LifecycleEventKind = 'added' | 'deleted' | 'restored' | 'purged';

export interface FileEvent {
  file_id: string;
  event: LifecycleEventKind;
  source: string;
  path: string;
  detail: string | null;
}

export interface LifecyclePlan {
  /** Files on disk (active) and remembered deleted files, sorted by source and path. */
  files: FileState[];
  /** State changes to record; empty when the registry already agrees with the disk. */
  events: FileEvent[];
  /** Files found inside `_delete` folders, and those that matched no original. */
  deleteFolderCopies: number;
  unmatchedCopies: string[];
}

export interface LifecycleInput {
  walked: readonly WalkedFile[];
  registry: readonly RegistryEntry[];
  /** Sources of this pipeline: deleted rows of other sources are not shown. */
  sources: readonly string[];
  /** Sources whose root was readable: only their missing files count as deleted. */
  scanned: readonly string[];
  now: number;
  fileId(source: string, path: string, pathBytes?: Buffer | null): string;
}

interface Candidate {
  file_id: string;
  path: string;
  present: boolean;
}

const matchKey = (source: string, path: string, size: number, mtimeMs: number) => `${source}\0${path.slice(path.lastIndexOf('/') + 1)}\0${size}\0${mtimeMs}`;

export function planLifecycle(input: LifecycleInput): LifecyclePlan {
  const registry = new Map(input.registry.map((entry) => [entry.file_id, entry]));
  const present = new Map<string, WalkedFile>();
  const copies: WalkedFile[] = [];
  for (const file of input.walked) {
    if (inDeleteFolder(file.path)) copies.push(file);
    else present.set(input.fileId(file.source, file.path, file.pathBytes), file);
  }

  // Candidates for `_delete` copies: files on disk and remembered files that are gone.
  const candidates = new Map<string, Candidate[]>();
  const addCandidate = (key: string, candidate: Candidate) => candidates.set(key, [...(candidates.get(key) ?? []), candidate]);
  for (const [file_id, file] of present) addCandidate(matchKey(file.source, file.path, file.size, file.mtimeMs), { file_id, path: file.path, present: true });
  for (const entry of input.registry) {
    if (!present.has(entry.file_id)) addCandidate(matchKey(entry.source, entry.path, entry.size, entry.mtime_ms), { file_id: entry.file_id, path: entry.path, present: false });
  }
  const movedTo = new Map<string, string>(); // original file_id -> its `_delete` copy
  const unmatchedCopies: string[] = [];
  for (const copy of copies) {
    const open = (candidates.get(matchKey(copy.source, copy.path, copy.size, copy.mtimeMs)) ?? []).filter((c) => !movedTo.has(c.file_id));
    const original = pickOriginal(open, withoutDeleteFolder(copy.path));
    if (original) movedTo.set(original.file_id, copy.path);
    else unmatchedCopies.push(`${copy.source}:${copy.path}`);
  }

  const files: FileState[] = [];
  const events: FileEvent[] = [];
  const event = (file_id: string, kind: LifecycleEventKind, source: string, path: string, detail: string | null) => events.push({ file_id, event: kind, source, path, detail });
  const deletedNow = (file_id: string, source: string, path: string) => event(file_id, 'deleted', source, path, movedTo.has(file_id) ? `moved to ${movedTo.get(file_id)}` : 'missing');

  for (const [file_id, file] of present) {
    const known = registry.get(file_id);
    const marked = movedTo.has(file_id);
    if (!known) event(file_id, 'added', file.source, file.path, null);
    if (marked) {
      // Copied (not moved) into `_delete`: the copy says the user wants it gone.
      const already = known?.status === 'deleted';
      if (!already) deletedNow(file_id, file.source, file.path);
      files.push({ file_id, source: file.source, path: file.path, size: file.size, mtimeMs: file.mtimeMs, status: 'deleted', deletedAtMs: already ? known.deleted_at_ms : input.now, pathBytes: file.pathBytes ?? null });
      continue;
    }
    if (known?.status === 'deleted') event(file_id, 'restored', file.source, file.path, 'back at its path');
    files.push({ file_id, source: file.source, path: file.path, size: file.size, mtimeMs: file.mtimeMs, status: 'active', deletedAtMs: null, pathBytes: file.pathBytes ?? null });
  }

  const sources = new Set(input.sources);
  const scanned = new Set(input.scanned);
  for (const entry of input.registry) {
    if (present.has(entry.file_id) || !sources.has(entry.source)) continue;
    if (entry.status === 'deleted') {
      files.push({ file_id: entry.file_id, source: entry.source, path: entry.path, size: entry.size, mtimeMs: entry.mtime_ms, status: 'deleted', deletedAtMs: entry.deleted_at_ms, pathBytes: entry.pathBytes ?? null });
    } else if (scanned.has(entry.source)) {
      deletedNow(entry.file_id, entry.source, entry.path);
      files.push({ file_id: entry.file_id, source: entry.source, path: entry.path, size: entry.size, mtimeMs: entry.mtime_ms, status: 'deleted', deletedAtMs: input.now, pathBytes: entry.pathBytes ?? null });
    }
    // An active file of an unreadable source (unplugged disk) is neither shown nor deleted.
  }

  files.sort((a, b) => (a.source === b.source ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.source < b.source ? -1 : 1));
  return { files, events, deleteFolderCopies: copies.length, unmatchedCopies };
}

function pickOriginal(candidates: Candidate[], strippedPath: string): Candidate | null {
  const samePlace = candidates.find((candidate) => candidate.path === strippedPath);
  if (samePlace) return samePlace;
  const missing = candidates.filter((candidate) => !candidate.present);
  if (missing.length === 1) return missing[0]!;
  if (missing.length === 0 && candidates.length === 1) return candidates[0]!;
  return null;
}
