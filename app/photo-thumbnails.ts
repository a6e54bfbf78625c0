// Thumbnails of the archive's photos for the workbench. A run writes the small
// one (256 px); a larger one (512, 1024 px) is made here the first time a page
// asks for it, from the original file, into the same content-keyed cache the
// run writes (<data>/cache/thumbnails/<sha[0:2]>/<sha>-<size>.webp, written
// atomically), so every later request is one file read. Making 1024 px in the
// run cost more than decoding the photo, for a view that few photos ever get.
// Only active files of the latest run whose real path lies inside their source
// folder are served (app/archive-files.ts), whatever is in the cache.
import { stat } from 'node:fs/promises';
import type { Catalog } from '../datasets/catalog.ts';
import { hasRunViews } from '../datasets/run-registry.ts';
import { archiveRows, realArchivePath } from './archive-files.ts';
import { AppError, conflict, invalid, notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

/** The sizes kept in the cache: the run's small one, and those the workbench's pages show (trip covers 512, a photo 1024). */
export const CACHED_THUMBNAIL_SIZES = [256, 512, 1024] as const;
/** Photos are decoded at most this large for a thumbnail, as the images node decodes them (big JPEGs shrink on load). */
const DECODE_MAX_SIDE = 2048;

export interface CachedThumbnail {
  fileId: string;
  /** The content the thumbnail shows (it is keyed by it). */
  sha256: string;
  size: number;
  /** The WebP file in the cache. */
  path: string;
  /** False when it was already in the cache. */
  created: boolean;
}

/** Thumbnails being made now, by path: two requests for the same one share one decode. */
const making = new Map<string, Promise<void>>();

/**
 * The thumbnail of one archive file at `size`: from the cache, or made now
 * (and cached) when missing. not_found for anything that is not a readable
 * file inside its source folder; conflict when the file changed after the
 * latest run hashed it (its thumbnail would show other content).
 */
export async function cachedPhotoThumbnail(workspace: Workspace, fileId: string, size: number): Promise<CachedThumbnail> {
  if (!(CACHED_THUMBNAIL_SIZES as readonly number[]).includes(size)) throw invalid(`size must be one of ${CACHED_THUMBNAIL_SIZES.join(', ')} (got ${size})`);
  const { row, roots, sha256 } = await translated(() => workspace.store.read(async (catalog) => {
    const { rows, roots } = await archiveRows(catalog, [fileId]);
    return { row: rows.get(fileId), roots, sha256: await contentOf(catalog, fileId) };
  }));
  if (!row || !sha256) throw notFound(`no file ${fileId} in the archive`);
  const real = await realArchivePath(row, roots);
  if (!real) throw notFound(`file ${fileId} is not a readable file inside its source folder`);

  // Loaded on first use, as sharp is below: the server starts without it.
  const { thumbnailPath } = await import('../imaging/thumbnails.ts');
  const path = thumbnailPath(workspace.store.cacheDir('thumbnails'), sha256, size);
  if (await isFile(path)) return { fileId, sha256, size, path, created: false };
  let made = making.get(path);
  if (!made) {
    made = makeThumbnail(real.realPath, sha256, size, workspace.store.cacheDir('thumbnails')).finally(() => making.delete(path));
    making.set(path, made);
  }
  await made;
  return { fileId, sha256, size, path, created: true };
}

/** The SHA-256 the latest run read for a file (null when it could not be read). */
async function contentOf(catalog: Catalog, fileId: string): Promise<string | null> {
  if (!(await hasRunViews(catalog, 'latest', ['hashes']))) return null;
  const [row] = await catalog.rows<{ sha256: string | null }>('SELECT sha256 FROM latest.hashes WHERE file_id = $1', [fileId]);
  return row?.sha256 ?? null;
}

async function makeThumbnail(realPath: string | Buffer, sha256: string, size: number, cacheDir: string): Promise<void> {
  const { decodePhoto, readPhotoFile, ImageDecodeError } = await import('../imaging/image.ts');
  const { writeThumbnails } = await import('../imaging/thumbnails.ts');
  const { sha256OfBytes } = await import('../files/sha256.ts');
  try {
    const bytes = await readPhotoFile(realPath);
    if (sha256OfBytes(bytes) !== sha256) throw conflict('the file changed after the latest run read it; run mnemo again to see its thumbnail');
    const photo = await decodePhoto(bytes, { maxSide: DECODE_MAX_SIDE });
    await translated(() => writeThumbnails(photo, sha256, cacheDir, [size]));
  } catch (error) {
    if (error instanceof ImageDecodeError) throw new AppError('not_found', `the photo cannot be decoded: ${error.message}`, { cause: error });
    throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
