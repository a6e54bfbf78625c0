// Walks a source folder: stat only, never reads file contents. Follows
// symbolic links to files and folders, but detects loops by (device, inode)
// and reports broken links instead of failing. Names are read as bytes, so a
// name that is not valid UTF-8 is found too (files/file-path.ts).
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { filePath, readablePath, type RelativePath } from './file-path.ts';
import { excludesFolder, matchesAny } from './glob.ts';

/** A source folder as the walk needs it (the pipeline spec's sources have this shape). */
export interface SourceFolder {
  name: string;
  /** Absolute folder path. */
  path: string;
  include: string[];
  exclude: string[];
}

export interface WalkedFile {
  source: string;
  /** Relative to the source root, '/'-separated, exactly as on disk; readable form (\xHH) when not valid UTF-8. */
  path: string;
  /** The real bytes of path when they are not valid UTF-8 (open the file with files/file-path.ts filePath); null or absent otherwise. */
  pathBytes?: Buffer | null;
  size: number;
  mtimeMs: number;
}

export interface WalkProblem {
  item: string;
  message: string;
}

export interface WalkResult {
  files: WalkedFile[];
  problems: WalkProblem[];
  /** Sources whose root could not be read: their files must not be taken as deleted. */
  unavailableSources: string[];
}

export function walkSources(sources: readonly SourceFolder[], onFile?: () => void): WalkResult {
  const result: WalkResult = { files: [], problems: [], unavailableSources: [] };
  for (const source of sources) walkSource(source, result, onFile);
  result.files.sort((a, b) => (a.source === b.source ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.source < b.source ? -1 : 1));
  return result;
}

function walkSource(source: SourceFolder, result: WalkResult, onFile?: () => void): void {
  let rootStats: Stats;
  try {
    rootStats = statSync(source.path);
    if (!rootStats.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    readdirSync(source.path);
  } catch (error) {
    result.unavailableSources.push(source.name);
    result.problems.push({ item: `${source.name}:`, message: `source '${source.name}' is not readable at ${source.path}: ${describe(error)}; its files are kept as they were` });
    return;
  }
  const visited = new Set<string>([`${rootStats.dev}:${rootStats.ino}`]);
  const pending: RelativePath[] = [{ path: '', pathBytes: null }]; // folders relative to the root
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(filePath(source.path, folder.path, folder.pathBytes), { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      result.problems.push({ item: `${source.name}:${folder.path}`, message: `cannot read folder: ${describe(error)}` });
      continue;
    }
    const folderBytes = folder.pathBytes ?? Buffer.from(folder.path);
    for (const entry of entries) {
      const relative = readablePath(folder.path ? Buffer.concat([folderBytes, SLASH, entry.name]) : entry.name);
      const { path, pathBytes } = relative;
      const absolute = filePath(source.path, path, pathBytes);
      let stats: Stats;
      try {
        stats = statSync(absolute); // follows symbolic links
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const message = entry.isSymbolicLink()
          ? code === 'ELOOP' ? 'symbolic link loop' : `broken symbolic link (${describe(error)})`
          : `cannot stat: ${describe(error)}`;
        if (!excludesFolder(path, source.exclude) && !matchesAny(path, source.exclude)) result.problems.push({ item: `${source.name}:${path}`, message });
        continue;
      }
      if (stats.isDirectory()) {
        if (excludesFolder(path, source.exclude)) continue;
        const key = `${stats.dev}:${stats.ino}`;
        if (visited.has(key)) {
          result.problems.push({ item: `${source.name}:${path}`, message: `symbolic link loop: points back to ${safeRealpath(absolute)}, not followed` });
          continue;
        }
        visited.add(key);
        pending.push(relative);
      } else if (stats.isFile()) {
        if (!matchesAny(path, source.include) || matchesAny(path, source.exclude)) continue;
        result.files.push({ source: source.name, path, pathBytes, size: stats.size, mtimeMs: Math.trunc(stats.mtimeMs) });
        onFile?.();
      }
    }
  }
}

const SLASH = Buffer.from('/');

function safeRealpath(path: string | Buffer): string {
  try {
    return realpathSync(path);
  } catch {
    return path.toString();
  }
}

export function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file',
    ENOTDIR: 'not a folder',
    ELOOP: 'too many symbolic links',
    EISDIR: 'is a folder',
    EIO: 'input/output error',
  };
  return code && reasons[code] ? `${reasons[code]} (${code})` : error instanceof Error ? error.message : String(error);
}
