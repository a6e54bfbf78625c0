// Write a temporary file beside the target, then rename it into place, so a
// reader (or a crash) never sees half a file. The files mnemo writes for
// others to read (per-run Parquet, caches, thumbnails, imported photos) go
// through here.
import { link, mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

export interface TemporaryPathOptions {
  /**
   * false: never replace a file already at `path` (hard link into place, then
   * drop the temporary name); fails with code 'EEXIST' instead. Default true:
   * rename, replacing whatever is there.
   */
  replace?: boolean;
}

let counter = 0;

/**
 * A fresh temporary name in the folder of `path`: hidden (walks that skip dot
 * files never list it), and unique per process, worker thread and call, so
 * concurrent writers of the same target never share one.
 */
export function temporaryPathFor<P extends string | Buffer>(path: P): P {
  const suffix = `.${process.pid}-${threadId}-${++counter}.tmp`;
  if (typeof path === 'string') return join(dirname(path), `.${basename(path)}${suffix}`) as P;
  // A path as bytes (a file name that is not valid UTF-8, files/file-path.ts): the same name, byte for byte.
  const slash = path.lastIndexOf('/');
  return Buffer.concat([path.subarray(0, slash + 1), Buffer.from('.'), path.subarray(slash + 1), Buffer.from(suffix)]) as P;
}

/** The folder of a path given as text or as bytes (a name that is not valid UTF-8). */
export function parentOf(path: string | Buffer): string | Buffer {
  return typeof path === 'string' ? dirname(path) : path.subarray(0, Math.max(path.lastIndexOf('/'), 1));
}

/**
 * Creates the parent folder, lets `write` fill a temporary path beside `path`,
 * then moves it into place. On any failure (in `write` or in the move) the
 * temporary file is removed and the error rethrown; `path` is then untouched.
 */
export async function withTemporaryPath<T, P extends string | Buffer = string>(path: P, write: (temporary: P) => Promise<T>, options: TemporaryPathOptions = {}): Promise<T> {
  await mkdir(parentOf(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    const result = await write(temporary);
    if (options.replace === false) await moveWithoutReplacing(temporary, path);
    else await rename(temporary, path);
    return result;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Writes `data` to `path` atomically (see withTemporaryPath). */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: TemporaryPathOptions = {}): Promise<void> {
  return withTemporaryPath(path, (temporary) => writeFile(temporary, data), options);
}

/**
 * Moves `from` to `path`, failing with code 'EEXIST' rather than replace a file there: a hard link
 * then unlink (link() fails on an existing name, and the file keeps its dates), or a check and a
 * rename on file systems without hard links.
 */
export async function moveWithoutReplacing(from: string | Buffer, path: string | Buffer): Promise<void> {
  try {
    await link(from, path);
    await unlink(from);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
    // File systems without hard links (exFAT, some network shares): check, then rename.
    if (await stat(path).then(() => true, () => false)) throw Object.assign(new Error(`${path} already exists`), { code: 'EEXIST' });
    await rename(from, path);
  }
}
