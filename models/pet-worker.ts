// Pet detection in a worker_threads pool (dag/worker-pool.ts): a detector runs
// synchronously on its thread, so using more cores needs one detector per worker.
// workerData is PetWorkerData; each task is a PetTask answered by a PetTaskResult.
// Only the main thread or this file's own workers should import it: in any other
// worker it would start serving pet tasks.
import { isMainThread, workerData } from 'node:worker_threads';
import { serveTasks } from '../dag/worker-pool.ts';
import { decodePhoto, ImageDecodeError, type DecodedPhoto } from '../imaging/image.ts';
import { PetDetector, type DetectOptions, type PetDetection, type PetDetectorOptions, type PetDetectTimings } from './pet-detector.ts';

/** Pass to WorkerPool as the worker file. */
export const petWorkerUrl = new URL(import.meta.url);

/** The detector each worker loads (its input size). */
export type PetWorkerData = PetDetectorOptions;

export interface PetTaskParams extends DetectOptions {
  /** Decode so the longer side is at most this; default the model's input side, as more only adds a resample. */
  maxSide?: number;
}

export interface PetTask {
  path: string;
  params?: PetTaskParams;
}

export interface PetTaskTimings extends PetDetectTimings {
  decodeMs: number;
  /** letterboxMs + modelMs + peaksMs and what lies between them. */
  detectMs: number;
}

export interface PetTaskSuccess {
  path: string;
  /** Displayed size of the photo (EXIF rotation applied); detections are in these pixels. */
  width: number;
  height: number;
  detections: PetDetection[];
  timings: PetTaskTimings;
}

export interface PetTaskFailure {
  path: string;
  /** Why the photo could not be read, in a user's words. */
  error: string;
}

export type PetTaskResult = PetTaskSuccess | PetTaskFailure;

export function isPetTaskFailure(result: PetTaskResult): result is PetTaskFailure {
  return 'error' in result;
}

/** Decodes and detects one photo. Unreadable photos become failures; anything else is a bug and throws. */
export async function runPetTask(detector: PetDetector, task: PetTask): Promise<PetTaskResult> {
  const { maxSide = detector.inputSize, ...detectOptions } = task.params ?? {};
  const t0 = performance.now();
  let image: DecodedPhoto;
  try {
    image = await decodePhoto(task.path, { maxSide });
  } catch (error) {
    if (error instanceof ImageDecodeError) return { path: task.path, error: error.message };
    throw error;
  }
  const t1 = performance.now();
  const { detections: found, timings } = await detector.detectTimed(image, detectOptions);
  const t2 = performance.now();
  // Back to the original's displayed pixels: the caller never sees the decode size.
  const detections = found.map((d) => ({ ...d, x1: d.x1 / image.scale, y1: d.y1 / image.scale, x2: d.x2 / image.scale, y2: d.y2 / image.scale }));
  return {
    path: task.path,
    width: image.originalWidth,
    height: image.originalHeight,
    detections,
    timings: { decodeMs: t1 - t0, detectMs: t2 - t1, ...timings },
  };
}

// Worker side, started by dag/worker-pool.ts: new WorkerPool<PetTask, PetTaskResult>(petWorkerUrl, { workerData }).
if (!isMainThread) {
  const detectorReady = PetDetector.create(workerData as PetWorkerData | undefined);
  detectorReady.catch(() => undefined); // a load failure is reported by each task, not as a worker crash
  serveTasks<PetTask, PetTaskResult>(async (task) => ({ result: await runPetTask(await detectorReady, task) }));
}
