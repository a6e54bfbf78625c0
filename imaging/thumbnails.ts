// WebP thumbnails keyed by the file's SHA-256, made from the pixels already
// decoded (and EXIF-rotated) by decodePhoto: no second decode of the original.
// Keyed by content, so a renamed or copied photo reuses its thumbnails, and
// an existing file is never rewritten. The pipeline makes the small one; the
// workbench makes a large one the first time a page asks for it
// (app/photo-thumbnails.ts), into the same cache.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSharp } from './sharp.ts';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import type { RgbImage } from './image.ts';

/**
 * What the images node writes by default. 1024 px was made here too until it
 * proved the largest cost of a run (~30-40 ms of WebP encoding per 2 MP photo,
 * more than decoding it): it is made on demand by the workbench instead.
 */
export const DEFAULT_THUMBNAIL_SIZES: readonly number[] = [256];

/** Effort 2, not libwebp's default 4: on a 1920x1367 demo photo, 256 + 1024 px took ~45 ms at effort 2 and ~125 ms at 4, for files only 4% smaller. */
const WEBP_OPTIONS = { quality: 80, effort: 2 } as const;

export interface Thumbnail {
  /** The requested longer side; the file's longer side is smaller when the image is (never upscaled). */
  size: number;
  path: string;
  /** False when it already existed and was left alone. */
  created: boolean;
}

/** `<cacheDir>/<sha[0..2]>/<sha>-<size>.webp` */
export function thumbnailPath(cacheDir: string, sha256: string, size: number): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a lowercase hex SHA-256: ${JSON.stringify(sha256)}`);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`thumbnail size must be a positive integer, got ${size}`);
  return join(cacheDir, sha256.slice(0, 2), `${sha256}-${size}.webp`);
}

/**
 * Writes the missing thumbnails (longer side = size, aspect kept) and returns
 * all of them in the order of `sizes`. `resized` holds copies already made
 * with resizeInside(image, size) (the photo worker's 256 px copy, which the
 * hashes share): those are encoded as they are, the same pixels a resize here
 * would give. Each file is written under a temporary name in the same folder
 * and renamed into place, so a reader (or a crash) never sees half a file,
 * and two writers of the same photo just race to the same content.
 */
export async function writeThumbnails(
  image: RgbImage,
  sha256: string,
  cacheDir: string,
  sizes: readonly number[] = DEFAULT_THUMBNAIL_SIZES,
  resized: ReadonlyMap<number, RgbImage> = new Map(),
): Promise<Thumbnail[]> {
  const thumbnails: Thumbnail[] = [];
  for (const size of sizes) {
    const path = thumbnailPath(cacheDir, sha256, size);
    if (existsSync(path)) {
      thumbnails.push({ size, path, created: false });
      continue;
    }
    const ready = resized.get(size);
    const source = ready ?? image;
    const sharp = await loadSharp();
    let pipeline = sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } });
    if (!ready) pipeline = pipeline.resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true });
    const webp = await pipeline.webp(WEBP_OPTIONS).toBuffer();
    await writeFileAtomic(path, webp);
    thumbnails.push({ size, path, created: true });
  }
  return thumbnails;
}
