// The whole face pass on one decoded photo: detect, landmarks, align, embed,
// quality gate. Pure library code: a pipeline node (or face-worker.ts) calls it.
import { createHash } from 'node:crypto';
import type { DecodedPhoto, RgbImage } from '../imaging/image.ts';
import { modelVersionId } from './registry.ts';
import { type Box, FaceDetector } from './face-detector.ts';
import { FaceLandmarker, fivePointsFrom68 } from './face-landmarks.ts';
import { alignFace } from './face-align.ts';
import { EMBEDDING_SIZE, FaceEmbedder } from './face-embedder.ts';

/** Entry point for a WorkerPool<FaceWorkerTask, FaceWorkerResult> (types in face-worker.ts). */
export const FACE_WORKER_URL = new URL('./face-worker.ts', import.meta.url);

/** Bump when this file's output for the same photo and params changes. */
export const FACE_ANALYZER_CODE_VERSION = 'face-analyzer@2';

export interface FaceAnalyzerParams {
  /** Detector face-class score threshold. */
  scoreThreshold: number;
  /** Faces whose raw embedding norm is below this are kept but marked rejected. */
  qualityThreshold: number;
  /** IoU above which overlapping detections are merged. */
  nmsIou: number;
  /** Second detector pass on 2x2 overlapping tiles, for small faces in group photos. */
  tiled: boolean;
}

/** Defaults measured in notes/face-models.md (0.7 keeps every real face; 2.5 dropped every false one seen). */
export const FACE_ANALYZER_PARAMS: Readonly<FaceAnalyzerParams> = {
  scoreThreshold: 0.7,
  qualityThreshold: 2.5,
  nmsIou: 0.3,
  tiled: false,
};

export interface FaceResult {
  /** Square face box in the original photo's displayed pixels (after EXIF rotation). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  detScore: number;
  /** Left eye, right eye, nose, left and right mouth corner: flat [x, y] x 5, original pixels. */
  landmarks5: Float32Array;
  /** Raw embedding norm (higher is a clearer face). */
  quality: number;
  rejected: boolean;
  rejectReason: string | null;
  /** Unit-length 512-d embedding (computed for rejected faces too). */
  embedding: Float32Array;
}

export interface FaceTimings {
  detectMs: number;
  landmarksMs: number;
  embedMs: number;
}

export interface FaceAnalysis {
  /** Left to right (by x1, then y1). */
  faces: FaceResult[];
  timings: FaceTimings;
}

export class FaceAnalyzer {
  private constructor(
    private readonly detector: FaceDetector,
    private readonly landmarker: FaceLandmarker,
    private readonly embedder: FaceEmbedder,
  ) {}

  static async create(): Promise<FaceAnalyzer> {
    const [detector, landmarker, embedder] = await Promise.all([FaceDetector.create(), FaceLandmarker.create(), FaceEmbedder.create()]);
    return new FaceAnalyzer(detector, landmarker, embedder);
  }

  async analyze(image: DecodedPhoto | RgbImage, params: Partial<FaceAnalyzerParams> = {}): Promise<FaceAnalysis> {
    const p: FaceAnalyzerParams = { ...FACE_ANALYZER_PARAMS, ...params };
    // Work in the decoded pixels, report in the original's: decodePhoto may have downscaled.
    const toOriginal = 1 / ('scale' in image ? image.scale : 1);
    const timings: FaceTimings = { detectMs: 0, landmarksMs: 0, embedMs: 0 };

    let start = performance.now();
    const detections = await this.detector.detect(image, { scoreThreshold: p.scoreThreshold, nmsIou: p.nmsIou, tiled: p.tiled });
    timings.detectMs = performance.now() - start;

    const faces: FaceResult[] = [];
    for (const box of detections) {
      start = performance.now();
      const points = await this.landmarker.landmarks(image, box);
      const five = fivePointsFrom68(points);
      timings.landmarksMs += performance.now() - start;

      start = performance.now();
      const { quality, embedding } = await this.embedder.embed(alignFace(image, five));
      timings.embedMs += performance.now() - start;

      const rejected = quality < p.qualityThreshold;
      faces.push({
        x1: box.x1 * toOriginal,
        y1: box.y1 * toOriginal,
        x2: box.x2 * toOriginal,
        y2: box.y2 * toOriginal,
        detScore: box.score,
        landmarks5: five.map((v) => v * toOriginal),
        quality,
        rejected,
        rejectReason: rejected ? `quality ${quality.toFixed(2)} below ${p.qualityThreshold}` : null,
        embedding,
      });
    }
    faces.sort((a, b) => a.x1 - b.x1 || a.y1 - b.y1);
    return { faces, timings };
  }

  async release(): Promise<void> {
    await Promise.all([this.detector.release(), this.landmarker.release(), this.embedder.release()]);
  }
}

/** Code version plus every model's content-hashed versionId: part of the face node's fingerprint. */
export function faceAnalyzerVersion(): string {
  return [
    FACE_ANALYZER_CODE_VERSION,
    modelVersionId('face-detector'),
    modelVersionId('face-landmarks'),
    modelVersionId('face-embedder'),
  ].join('|');
}

/** Grid that box corners snap to before hashing: small jitter between runs keeps the id. */
const FACE_ID_GRID_PX = 8;

/**
 * Stable 16-hex face id from the photo's SHA-256 and its box (original pixels)
 * snapped to an 8 px grid. Identical re-runs give identical ids; a model change
 * that moves a box by more than the grid gives a new one.
 */
export function faceIdFor(sha256: string, box: Box): string {
  const snap = (v: number): number => Math.round(v / FACE_ID_GRID_PX);
  const key = `${sha256}:${snap(box.x1)},${snap(box.y1)},${snap(box.x2)},${snap(box.y2)}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Faces as flat typed arrays, for postMessage with transfer (never JSON for embeddings). */
export interface PackedFaces {
  count: number;
  /** x1, y1, x2, y2 per face. */
  boxes: Float32Array;
  detScores: Float32Array;
  /** 10 numbers per face. */
  landmarks5: Float32Array;
  quality: Float32Array;
  /** 1 when rejected. */
  rejected: Uint8Array;
  rejectReasons: (string | null)[];
  /** count x 512, unit-length rows. */
  embeddings: Float32Array;
}

export function packFaces(faces: readonly FaceResult[]): PackedFaces {
  const n = faces.length;
  const packed: PackedFaces = {
    count: n,
    boxes: new Float32Array(n * 4),
    detScores: new Float32Array(n),
    landmarks5: new Float32Array(n * 10),
    quality: new Float32Array(n),
    rejected: new Uint8Array(n),
    rejectReasons: faces.map((f) => f.rejectReason),
    embeddings: new Float32Array(n * EMBEDDING_SIZE),
  };
  faces.forEach((f, i) => {
    packed.boxes.set([f.x1, f.y1, f.x2, f.y2], i * 4);
    packed.detScores[i] = f.detScore;
    packed.landmarks5.set(f.landmarks5, i * 10);
    packed.quality[i] = f.quality;
    packed.rejected[i] = f.rejected ? 1 : 0;
    packed.embeddings.set(f.embedding, i * EMBEDDING_SIZE);
  });
  return packed;
}

/** The ArrayBuffers of a PackedFaces, to pass as postMessage's transfer list. */
export function packedFacesTransferList(packed: PackedFaces): ArrayBuffer[] {
  return [packed.boxes, packed.detScores, packed.landmarks5, packed.quality, packed.rejected, packed.embeddings].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** FaceResults viewing the packed arrays (embeddings are subarrays, not copies). */
export function unpackFaces(packed: PackedFaces): FaceResult[] {
  const faces: FaceResult[] = [];
  for (let i = 0; i < packed.count; i++) {
    faces.push({
      x1: packed.boxes[i * 4]!,
      y1: packed.boxes[i * 4 + 1]!,
      x2: packed.boxes[i * 4 + 2]!,
      y2: packed.boxes[i * 4 + 3]!,
      detScore: packed.detScores[i]!,
      landmarks5: packed.landmarks5.subarray(i * 10, i * 10 + 10),
      quality: packed.quality[i]!,
      rejected: packed.rejected[i] === 1,
      rejectReason: packed.rejectReasons[i] ?? null,
      embedding: packed.embeddings.subarray(i * EMBEDDING_SIZE, (i + 1) * EMBEDDING_SIZE),
    });
  }
  return faces;
}
