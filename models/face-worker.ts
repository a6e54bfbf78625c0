// Worker side of the face pass: one FaceAnalyzer (one ORT thread) per worker,
// decode + analyze per task, faces sent back as typed arrays that are moved,
// not copied. This module is a worker entry point: import only its types.
//   new WorkerPool<FaceWorkerTask, FaceWorkerResult>(FACE_WORKER_URL, { size: 2 })
// with FACE_WORKER_URL from face-analyzer.ts, and unpackFaces(result.faces).
import { performance } from 'node:perf_hooks';
import { serveTasks } from '../dag/worker-pool.ts';
import { type DecodedPhoto, ImageDecodeError, decodePhoto } from '../imaging/image.ts';
import { FaceAnalyzer, type FaceAnalyzerParams, type PackedFaces, packFaces, packedFacesTransferList } from './face-analyzer.ts';

export interface FaceWorkerTask {
  /** A file path, or the file's bytes (moved to the worker if listed in the transfer list). */
  path?: string;
  bytes?: Uint8Array;
  params?: Partial<FaceAnalyzerParams>;
  /** Decode with the longer side at most this many pixels (shrink-on-load; boxes stay in original pixels). */
  maxSide?: number;
}

export interface FaceWorkerTimings {
  decodeMs: number;
  detectMs: number;
  landmarksMs: number;
  embedMs: number;
}

export interface FaceWorkerPhoto {
  originalWidth: number;
  originalHeight: number;
  /** Size that was analysed (after maxSide). */
  width: number;
  height: number;
  format: string;
}

export type FaceWorkerResult =
  | { ok: true; photo: FaceWorkerPhoto; faces: PackedFaces; timings: FaceWorkerTimings }
  /** The photo could not be decoded; the message is for the user. Other failures reject the task. */
  | { ok: false; error: string; timings: FaceWorkerTimings };

// Created once per worker; a failure rejects every task with its message.
const analyzer = FaceAnalyzer.create();
analyzer.catch(() => undefined); // reported per task below, not as an unhandled rejection

serveTasks<FaceWorkerTask, FaceWorkerResult>(async (task) => {
  const timings: FaceWorkerTimings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, embedMs: 0 };
  const input = task.bytes ?? task.path;
  if (input === undefined) throw new Error('face worker task needs a path or bytes');
  const start = performance.now();
  let image: DecodedPhoto;
  try {
    image = await decodePhoto(input, task.maxSide ? { maxSide: task.maxSide } : {});
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    timings.decodeMs = performance.now() - start;
    return { result: { ok: false, error: error.message, timings } };
  }
  timings.decodeMs = performance.now() - start;
  const analysis = await (await analyzer).analyze(image, task.params);
  Object.assign(timings, analysis.timings);
  const faces = packFaces(analysis.faces);
  const photo: FaceWorkerPhoto = {
    originalWidth: image.originalWidth,
    originalHeight: image.originalHeight,
    width: image.width,
    height: image.height,
    format: image.format,
  };
  return { result: { ok: true, photo, faces, timings }, transferList: packedFacesTransferList(faces) };
});
