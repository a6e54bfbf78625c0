// What a camera-inbox import would do, decided without writing anything: so
// the node and `mnemo import --dry-run` share it. A photo is identified by its
// SHA-256: one already anywhere in the archive (even in a `_delete` folder,
// since the user put it there on purpose) is not copied again, nor is a
// second copy inside the inbox. A new photo goes to the layout path for its
// capture date (EXIF, else the file's mtime in local time); a different file
// already at that path gives the new one a suffix (name-1.jpg).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceSpec } from '../dag/node-type.ts';
import { sha256OfFile } from './sha256.ts';
import { readExif } from './exif.ts';
import type { CachedHash as HashCacheRow } from '../datasets/hash-cache.ts';
import { describe, type WalkedFile } from './walk.ts';

export const DEFAULT_LAYOUT = '{yyyy}/{yyyy-mm-dd}/{name}';
export const LAYOUT_TOKENS = ['yyyy', 'mm', 'dd', 'yyyy-mm', 'yyyy-mm-dd', 'name', 'stem', 'ext'] as const;

export type ImportAction = 'copied' | 'already_in_archive' | 'renamed_copy';

export interface ImportItem {
  sha256: string;
  /** Relative to the inbox folder. */
  inboxPath: string;
  /** Relative to the archive folder: the new copy, or where the content already is. */
  archivePath: string;
  action: ImportAction;
  /** Local wall-clock capture time, ISO without zone; null when not needed (already in the archive). */
  takenAt: string | null;
  dateFrom: 'exif' | 'mtime' | null;
  size: number;
  mtimeMs: number;
}

/** What the plan needs of a hash_cache row, and what it adds for files it hashed. */
export type CachedHash = Pick<HashCacheRow, 'size' | 'mtime_ms' | 'sha256'>;
export type FreshHash = HashCacheRow;

export interface ImportPlan {
  items: ImportItem[];
  /** Files that could not be planned (unreadable, empty), with the reason. */
  problems: { item: string; message: string }[];
  /** Hashes read now, for the durable hash cache. */
  fresh: FreshHash[];
  archiveFiles: number;
}

export interface PlanOptions {
  inbox: SourceSpec;
  archive: SourceSpec;
  layout: string;
  inboxFiles: readonly WalkedFile[];
  archiveFiles: readonly WalkedFile[];
  /** hash_cache rows by `${source}\0${path}`: valid while size and mtime match. */
  cache: ReadonlyMap<string, CachedHash>;
  concurrency?: number;
  signal?: AbortSignal;
  onHashed?: () => void;
}

/** Why a layout is unusable, or null when it is fine. */
export function layoutProblem(layout: string): string | null {
  const tokens = [...layout.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!);
  const unknown = tokens.filter((token) => !(LAYOUT_TOKENS as readonly string[]).includes(token));
  if (unknown.length) return `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `{${t}}`).join(', ')}; use ${LAYOUT_TOKENS.map((t) => `{${t}}`).join(', ')}`;
  if (!tokens.includes('name') && !tokens.includes('stem')) return 'must contain {name} (or {stem}) so photos keep distinct names';
  if (layout.startsWith('/') || layout.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return 'must be a relative path inside the archive (no leading /, no . or .. or empty segments)';
  return null;
}

/** The archive path for a photo named `name` taken on `date` (local wall-clock 'YYYY-MM-DD...'). */
export function renderLayout(layout: string, date: string, name: string): string {
  const [yyyy, mm, dd] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10)];
  const { stem, ext } = splitName(name);
  const values: Record<string, string> = { yyyy, mm, dd, 'yyyy-mm': `${yyyy}-${mm}`, 'yyyy-mm-dd': `${yyyy}-${mm}-${dd}`, name, stem, ext: ext.slice(1) };
  return layout.replace(/\{([^}]*)\}/g, (_, token: string) => values[token] ?? '');
}

/** 'IMG_1.JPG' -> { stem: 'IMG_1', ext: '.JPG' }; a leading dot is part of the stem. */
export function splitName(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? { stem: name.slice(0, dot), ext: name.slice(dot) } : { stem: name, ext: '' };
}

/** A local wall-clock ISO time (no zone) for an mtime: what the camera's clock most likely showed. */
export function localIso(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export async function planImport(options: PlanOptions): Promise<ImportPlan> {
  const problems: ImportPlan['problems'] = [];
  const fresh: FreshHash[] = [];
  const hashAll = async (source: SourceSpec, files: readonly WalkedFile[]) => {
    const shas: (string | null)[] = new Array(files.length).fill(null);
    await forEachLimit(files.length, options.concurrency ?? 4, async (index) => {
      options.signal?.throwIfAborted();
      const file = files[index]!;
      const hit = options.cache.get(`${source.name}\0${file.path}`);
      if (hit && Number(hit.size) === file.size && hit.mtime_ms === file.mtimeMs) shas[index] = hit.sha256;
      else if (file.size === 0) problems.push({ item: `${source.name}:${file.path}`, message: 'empty file (0 bytes): not imported' });
      else {
        try {
          shas[index] = await sha256OfFile(join(source.path, file.path));
          fresh.push({ source: source.name, path: file.path, size: file.size, mtime_ms: file.mtimeMs, sha256: shas[index]! });
        } catch (error) {
          problems.push({ item: `${source.name}:${file.path}`, message: `cannot read: ${describe(error)}` });
        }
      }
      options.onHashed?.();
    });
    return shas;
  };

  const archiveShas = await hashAll(options.archive, options.archiveFiles);
  const inArchive = new Map<string, string>(); // sha256 -> archive path (first in path order)
  const taken = new Set<string>(); // archive paths in lower case: a clash on a case-insensitive disk too
  options.archiveFiles.forEach((file, index) => {
    const sha = archiveShas[index];
    if (sha && !inArchive.has(sha)) inArchive.set(sha, file.path);
    taken.add(file.path.toLowerCase());
  });

  const inboxShas = await hashAll(options.inbox, options.inboxFiles);
  const items: ImportItem[] = [];
  for (const [index, file] of options.inboxFiles.entries()) {
    const sha256 = inboxShas[index];
    if (!sha256) continue;
    const base = { sha256, inboxPath: file.path, size: file.size, mtimeMs: file.mtimeMs };
    const existing = inArchive.get(sha256);
    if (existing !== undefined) {
      items.push({ ...base, archivePath: existing, action: 'already_in_archive', takenAt: null, dateFrom: null });
      continue;
    }
    const facts = await readExif(join(options.inbox.path, file.path));
    const takenAt = facts.takenAt ?? localIso(file.mtimeMs);
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const wanted = renderLayout(options.layout, takenAt, name);
    const archivePath = freePath(wanted, (path) => taken.has(path.toLowerCase()) || existsSync(join(options.archive.path, path)));
    taken.add(archivePath.toLowerCase());
    inArchive.set(sha256, archivePath); // a second copy in the inbox is then already in the archive
    items.push({ ...base, archivePath, action: archivePath === wanted ? 'copied' : 'renamed_copy', takenAt, dateFrom: facts.takenAt ? 'exif' : 'mtime' });
  }
  return { items, problems, fresh, archiveFiles: options.archiveFiles.length };
}

/** `path`, or the first of path-1, path-2, ... (before the extension) that is not taken. */
function freePath(path: string, isTaken: (path: string) => boolean): string {
  if (!isTaken(path)) return path;
  const slash = path.lastIndexOf('/') + 1;
  const { stem, ext } = splitName(path.slice(slash));
  for (let n = 1; ; n++) {
    const candidate = `${path.slice(0, slash)}${stem}-${n}${ext}`;
    if (!isTaken(candidate)) return candidate;
  }
}

/** Runs `work(0..count-1)` with at most `limit` in flight. */
export async function forEachLimit(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
