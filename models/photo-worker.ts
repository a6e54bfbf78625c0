// Worker side of the images node: decodes each photo ONCE and runs every
// requested analysis on those pixels (image facts, perceptual hashes,
// thumbnails, faces, pets). The hashes and the 256 px thumbnail share one
// small copy of the decode. Models load lazily, one ORT thread per worker.
// Embeddings and boxes come back as transferred typed arrays, never JSON.
import { serveTasks } from '../dag/worker-pool.ts';
import { HASH_SOURCE_SIDE, perceptualHashes, hashToHex } from '../imaging/perceptual-hash.ts';
import { writeThumbnails } from '../imaging/thumbnails.ts';
import { FaceAnalyzer, packFaces, packedFacesTransferList, type FaceAnalyzerParams, type PackedFaces } from './face-analyzer.ts';
import { decodePhoto, ImageDecodeError, readPhotoFile, resizeInside, type DecodedPhoto, type RgbImage } from '../imaging/image.ts';
import { CHANGED_SINCE_HASHED, sha256OfBytes } from '../files/sha256.ts';
import { PetDetector, type DetectOptions, type PetDetection } from './pet-detector.ts';

export interface PhotoTask {
  /** A string, or the bytes of a name that is not valid UTF-8 (files/file-path.ts); a Buffer arrives as a Uint8Array. */
  path: string | Uint8Array;
  sha256: string;
  maxSide: number;
  maxPixels: number;
  info: boolean;
  hashes?: { trimThreshold: number | null };
  thumbnails?: { dir: string; sizes: number[] };
  faces?: FaceAnalyzerParams;
  pets?: DetectOptions & { inputSize: number };
}

export interface PhotoTimings {
  decodeMs: number;
  /** The small copy (HASH_SOURCE_SIDE px) that the hashes and the same-size thumbnail share. */
  smallCopyMs: number;
  hashMs: number;
  thumbnailMs: number;
  detectMs: number;
  landmarksMs: number;
  embedMs: number;
  petsMs: number;
}

export type PhotoResult =
  | {
      ok: true;
      info: { width: number; height: number; format: string };
      hashes?: { dhash: string; phash: string; contentWidth: number; contentHeight: number };
      thumbnails?: number[];
      faces?: PackedFaces;
      pets?: PetDetection[];
      timings: PhotoTimings;
    }
  | { ok: false; error: string; timings: PhotoTimings };

let faceAnalyzer: Promise<FaceAnalyzer> | undefined;
/** One detector per input size (a run uses one; the map only keeps workers reusable). */
const petDetectors = new Map<number, Promise<PetDetector>>();

serveTasks<PhotoTask, PhotoResult>(async (task) => {
  const timings: PhotoTimings = { decodeMs: 0, smallCopyMs: 0, hashMs: 0, thumbnailMs: 0, detectMs: 0, landmarksMs: 0, embedMs: 0, petsMs: 0 };
  // Start loading the face models now: ORT builds its sessions while sharp decodes on libuv's pool.
  if (task.faces) faceAnalyzer ??= FaceAnalyzer.create();
  let photo: DecodedPhoto;
  let start = performance.now();
  try {
    // Results are stored under task.sha256: decode only bytes that still have that content.
    const bytes = await readPhotoFile(task.path);
    if (sha256OfBytes(bytes) !== task.sha256) return { result: { ok: false, error: CHANGED_SINCE_HASHED, timings } };
    photo = await decodePhoto(bytes, { maxSide: task.maxSide, maxPixels: task.maxPixels });
  } catch (error) {
    if (!(error instanceof ImageDecodeError) && !isFileError(error)) throw error;
    return { result: { ok: false, error: describeFileError(error), timings } };
  }
  timings.decodeMs = performance.now() - start;
  const result: Extract<PhotoResult, { ok: true }> = { ok: true, info: { width: photo.originalWidth, height: photo.originalHeight, format: photo.format }, timings };
  const transfer: ArrayBuffer[] = [];

  // One libvips resize instead of a JS pass over every pixel for the hashes plus a resize for the thumbnail.
  let small: RgbImage | undefined;
  if (task.hashes || task.thumbnails?.sizes.includes(HASH_SOURCE_SIDE)) {
    start = performance.now();
    small = await resizeInside(photo, HASH_SOURCE_SIDE);
    timings.smallCopyMs = performance.now() - start;
  }
  if (task.hashes) {
    start = performance.now();
    const hashes = perceptualHashes(photo, task.hashes.trimThreshold, small);
    // Content size in original pixels: a letterboxed copy must not win the keeper choice by its bars.
    result.hashes = {
      dhash: hashToHex(hashes.dhash),
      phash: hashToHex(hashes.phash),
      contentWidth: Math.round(hashes.hashedBox.width / photo.scale),
      contentHeight: Math.round(hashes.hashedBox.height / photo.scale),
    };
    timings.hashMs = performance.now() - start;
  }
  if (task.thumbnails) {
    start = performance.now();
    const written = await writeThumbnails(photo, task.sha256, task.thumbnails.dir, task.thumbnails.sizes, small ? new Map([[HASH_SOURCE_SIDE, small]]) : undefined);
    result.thumbnails = written.map((thumbnail) => thumbnail.size);
    timings.thumbnailMs = performance.now() - start;
  }
  if (task.faces) {
    faceAnalyzer ??= FaceAnalyzer.create();
    const analysis = await (await faceAnalyzer).analyze(photo, task.faces);
    Object.assign(timings, analysis.timings);
    result.faces = packFaces(analysis.faces);
    transfer.push(...packedFacesTransferList(result.faces));
  }
  if (task.pets) {
    start = performance.now();
    const { inputSize, ...options } = task.pets;
    if (!petDetectors.has(inputSize)) petDetectors.set(inputSize, PetDetector.create({ inputSize }));
    const detections = await (await petDetectors.get(inputSize)!).detect(photo, options);
    // Boxes back to the original photo's displayed pixels.
    result.pets = detections.map((d) => ({ ...d, x1: d.x1 / photo.scale, y1: d.y1 / photo.scale, x2: d.x2 / photo.scale, y2: d.y2 / photo.scale }));
    timings.petsMs = performance.now() - start;
  }
  return { result, transferList: transfer };
});

function isFileError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException)?.code === 'string';
}

function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'the file vanished before it could be decoded (ENOENT)';
  if (code === 'EACCES') return 'cannot read: permission denied (EACCES)';
  return error instanceof Error ? error.message : String(error);
}
