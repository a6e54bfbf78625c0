// One decode per photo: every pixel analysis (hashes, thumbnails, faces, pets)
// works from the RgbImage this returns, so a photo is decoded once per run.
import { readFile } from 'node:fs/promises';
import type { Metadata } from 'sharp';
import { isSrgbProfile } from './icc.ts';
import { loadSharp } from './sharp.ts';

/** Bump when decodePhoto's pixels for the same file change: it is part of every pixel analysis's cache key. */
export const DECODE_VERSION = 'decode@2';

/** Tightly packed 8-bit RGB pixels, row-major, in the displayed (EXIF-rotated) orientation. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedPhoto extends RgbImage {
  /** Displayed size of the original, after EXIF rotation (boxes are reported in these pixels). */
  originalWidth: number;
  originalHeight: number;
  /** data is original scaled by this factor (1 when not downscaled). */
  scale: number;
  format: string;
}

export interface DecodeOptions {
  /** Downscale so that the longer side is at most this (shrink-on-load makes big JPEGs cheap). */
  maxSide?: number;
  /** Refuse images with more pixels than this (decompression-bomb guard). Default 100 MP. */
  maxPixels?: number;
}

/** A photo that cannot be analysed; the message says why in words a user understands. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Decodes a photo: first frame only, EXIF orientation applied, alpha flattened onto white, 8-bit sRGB. */
export async function decodePhoto(source: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodedPhoto> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  // Read the bytes once ourselves: the header probe and the decode share them,
  // and a missing or unreadable file gets its own clear reason.
  const input = typeof source === 'string' ? await readPhotoFile(source) : source;
  if (input.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (error) {
    throw new ImageDecodeError(`not a readable image: ${describeSharpError(error)}`);
  }
  if (!meta.width || !meta.height) throw new ImageDecodeError('image has no pixel size');
  if (meta.width * meta.height > maxPixels) {
    throw new ImageDecodeError(`image too large: ${meta.width}x${meta.height} exceeds the ${maxPixels / 1e6} MP limit`);
  }
  const rotated = (meta.orientation ?? 1) >= 5; // orientations 5-8 swap width and height
  const originalWidth = rotated ? meta.height : meta.width;
  const originalHeight = rotated ? meta.width : meta.height;
  const longer = Math.max(originalWidth, originalHeight);
  const maxSide = options.maxSide && longer > options.maxSide ? options.maxSide : undefined;
  try {
    // An embedded sRGB profile converts sRGB to sRGB: same pixels, ~24 ms of lcms for 2.5 MP. Skip only that one.
    const ignoreIcc = meta.icc !== undefined && isSrgbProfile(meta.icc);
    let pipeline = sharp(input, { limitInputPixels: maxPixels, pages: 1, failOn: 'error', ignoreIcc })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    // A linear (triangle) kernel still averages every source pixel when shrinking; lanczos3 cost
    // 15 ms more on a 12 MP JPEG (64 vs 49 ms) for sharpness no analysis here uses.
    if (maxSide) pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', kernel: 'linear' });
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageDecodeError(`unexpected channel count ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      originalWidth,
      originalHeight,
      scale: info.width / originalWidth,
      format: meta.format ?? 'unknown',
    };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`cannot decode ${meta.format ?? 'image'}: ${describeSharpError(error)}`);
  }
}

/**
 * The image with its longer side at most `maxSide` (never enlarged: a smaller
 * image comes back as it is), resized by libvips with its default lanczos3,
 * as thumbnails are. The photo worker makes one 256 px copy that the small
 * thumbnail and the perceptual hashes share: a pass over a 2 MP decode costs
 * ~6 ms in libvips against ~20 ms for the hashes' own JS pass at full size.
 */
export async function resizeInside(image: RgbImage, maxSide: number): Promise<RgbImage> {
  return Math.max(image.width, image.height) <= maxSide ? image : resizeToFit(image, maxSide);
}

/** The image resized by libvips (lanczos3), down or up, so that its longer side is `side`. */
export async function resizeToFit(image: RgbImage, side: number): Promise<RgbImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: side, height: side, fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * A photo file's bytes; a missing or unreadable file becomes an ImageDecodeError saying why.
 * `path` is a string, or the bytes of a name that is not valid UTF-8 (a Buffer sent to a worker arrives as a Uint8Array).
 */
export async function readPhotoFile(path: string | Uint8Array): Promise<Uint8Array> {
  try {
    return await readFile(typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageDecodeError('the file vanished before it could be decoded (ENOENT)');
    if (code === 'EACCES' || code === 'EPERM') throw new ImageDecodeError(`cannot read: permission denied (${code})`);
    if (code === 'EISDIR') throw new ImageDecodeError('is a folder, not a photo');
    throw new ImageDecodeError(`cannot read: ${(error as Error).message}`);
  }
}

function describeSharpError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // sharp prefixes libvips messages with the input description; keep the first line only.
  return message.split('\n')[0]!.trim();
}
