// What a camera-inbox import would do, decided without writing anything: so
// the node and `mnemo import --dry-run` share it. A photo is identified by its
// SHA-256: one already anywhere in the archive (even in a `_delete` folder,
// since the user put it there on purpose) is not copied again, nor is a
// second copy inside the inbox. A new photo goes to the layout path for its
// capture date (EXIF, else the file's mtime in local time); a different file
// already at that path gives the new one a suffix (name-1.jpg). A name that
// is not valid UTF-8 keeps its real bytes in the archive (files/file-path.ts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { sha256OfFile } from './sha256.ts';
import { readExif } from './exif.ts';
import type { CachedHash as HashCacheRow } from '../datasets/hash-cache.ts';
import { filePath, readablePath, type RelativePath } from './file-path.ts';
import { describe, type SourceFolder, type WalkedFile } from './walk.ts';

export const DEFAULT_LAYOUT = '{yyyy}/{yyyy-mm-dd}/{name}';
export const LAYOUT_TOKENS = ['yyyy', 'mm', 'dd', 'yyyy-mm', 'yyyy-mm-dd', 'name', 'stem', 'ext'] as const;

export type ImportAction = 'copied' | 'already_in_archive' | 'renamed_copy';

export interface ImportItem {
  sha256: string;
  /** Relative to the inbox folder (readable form). */
  inboxPath: string;
  /** The real bytes of inboxPath when they are not valid UTF-8, else null. */
  inboxPathBytes: Buffer | null;
  /** Relative to the archive folder: the new copy, or where the content already is (readable form). */
  archivePath: string;
  /** The real bytes of archivePath when they are not valid UTF-8, else null. */
  archivePathBytes: Buffer | null;
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
  inbox: SourceFolder;
  archive: SourceFolder;
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
  return renderLayoutBytes(layout, date, Buffer.from(name)).toString('utf8');
}

/** renderLayout on the name's bytes, so a name that is not valid UTF-8 keeps them. */
function renderLayoutBytes(layout: string, date: string, name: Buffer): Buffer {
  const [yyyy, mm, dd] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10)];
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.subarray(0, dot), name.subarray(dot + 1)] : [name, Buffer.alloc(0)];
  const values: Record<string, Buffer> = { name, stem, ext };
  for (const [token, text] of Object.entries({ yyyy, mm, dd, 'yyyy-mm': `${yyyy}-${mm}`, 'yyyy-mm-dd': `${yyyy}-${mm}-${dd}` })) values[token] = Buffer.from(text);
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of layout.matchAll(/\{([^}]*)\}/g)) {
    parts.push(Buffer.from(layout.slice(last, match.index)), values[match[1]!] ?? Buffer.alloc(0));
    last = match.index + match[0].length;
  }
  parts.push(Buffer.from(layout.slice(last)));
  return Buffer.concat(parts);
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
  const hashAll = async (source: SourceFolder, files: readonly WalkedFile[]) => {
    const shas: (string | null)[] = new Array(files.length).fill(null);
    await forEachLimit(files.length, options.concurrency ?? 4, async (index) => {
      options.signal?.throwIfAborted();
      const file = files[index]!;
      const hit = options.cache.get(`${source.name}\0${file.path}`);
      if (hit && Number(hit.size) === file.size && hit.mtime_ms === file.mtimeMs) shas[index] = hit.sha256;
      else if (file.size === 0) problems.push({ item: `${source.name}:${file.path}`, message: 'empty file (0 bytes): not imported' });
      else {
        try {
          shas[index] = await sha256OfFile(filePath(source.path, file.path, file.pathBytes));
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
  const inArchive = new Map<string, RelativePath>(); // sha256 -> archive path (first in path order)
  const taken = new Set<string>(); // archive paths in lower case: a clash on a case-insensitive disk too
  options.archiveFiles.forEach((file, index) => {
    const sha = archiveShas[index];
    if (sha && !inArchive.has(sha)) inArchive.set(sha, { path: file.path, pathBytes: file.pathBytes ?? null });
    taken.add(file.path.toLowerCase());
  });

  const inboxShas = await hashAll(options.inbox, options.inboxFiles);
  const items: ImportItem[] = [];
  for (const [index, file] of options.inboxFiles.entries()) {
    const sha256 = inboxShas[index];
    if (!sha256) continue;
    const base = { sha256, inboxPath: file.path, inboxPathBytes: file.pathBytes ?? null, size: file.size, mtimeMs: file.mtimeMs };
    const existing = inArchive.get(sha256);
    if (existing !== undefined) {
      items.push({ ...base, archivePath: existing.path, archivePathBytes: existing.pathBytes, action: 'already_in_archive', takenAt: null, dateFrom: null });
      continue;
    }
    // Read the bytes here (readExif takes a Buffer as the photo's bytes, not as a path); unreadable: the mtime decides.
    const bytes = await readFile(filePath(options.inbox.path, file.path, file.pathBytes)).catch(() => null);
    const exifTakenAt = bytes ? (await readExif(bytes)).takenAt : null;
    const takenAt = exifTakenAt ?? localIso(file.mtimeMs);
    const pathBytes = file.pathBytes ?? Buffer.from(file.path);
    const wanted = renderLayoutBytes(options.layout, takenAt, pathBytes.subarray(pathBytes.lastIndexOf('/') + 1));
    const target = freePath(wanted, (candidate) => {
      const { path, pathBytes } = readablePath(candidate);
      return taken.has(path.toLowerCase()) || existsSync(filePath(options.archive.path, path, pathBytes));
    });
    const archive = readablePath(target);
    taken.add(archive.path.toLowerCase());
    inArchive.set(sha256, archive); // a second copy in the inbox is then already in the archive
    items.push({ ...base, archivePath: archive.path, archivePathBytes: archive.pathBytes, action: target.equals(wanted) ? 'copied' : 'renamed_copy', takenAt, dateFrom: exifTakenAt ? 'exif' : 'mtime' });
  }
  return { items, problems, fresh, archiveFiles: options.archiveFiles.length };
}

/** `path`, or the first of path-1, path-2, ... (before the extension) that is not taken. Bytes: see renderLayoutBytes. */
function freePath(path: Buffer, isTaken: (path: Buffer) => boolean): Buffer {
  if (!isTaken(path)) return path;
  const slash = path.lastIndexOf('/') + 1;
  const dot = path.lastIndexOf('.');
  const end = dot > slash ? dot : path.length; // a leading dot is part of the stem, as in splitName
  for (let n = 1; ; n++) {
    const candidate = Buffer.concat([path.subarray(0, end), Buffer.from(`-${n}`), path.subarray(end)]);
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
