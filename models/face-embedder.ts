// ArcFace-style 512-d embedding (faceplugin fr_feature.onnx) of an aligned
// 112x112 face. The raw output's length doubles as a quality signal.
import type * as ort from 'onnxruntime-node';
import type { RgbImage } from '../imaging/image.ts';
import { readOnnxModel } from './registry.ts';
import { rgbToNormalisedChw } from './face-detector.ts';
import { createSingleThreadSession, float32Tensor } from './onnx-session.ts';

export const EMBEDDING_SIZE = 512;
const CROP = 112;

export interface FaceEmbedding {
  /** The model's output as is. */
  raw: Float32Array;
  /** L2 norm of `raw`: real faces measured 2.6-4.9, false detections 1.6-2.4. */
  quality: number;
  /** `raw` scaled to unit length: compare by dot product (cosine). */
  embedding: Float32Array;
}

export class FaceEmbedder {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `model`: a path or ONNX bytes; default the registry's file as readOnnxModel patches it (same outputs, faster). */
  static async create(model: string | Uint8Array = readOnnxModel('face-embedder')): Promise<FaceEmbedder> {
    return new FaceEmbedder(await createSingleThreadSession(model));
  }

  /** Embeds a face already aligned to the 112x112 ArcFace template (see alignFace). */
  async embed(aligned: RgbImage): Promise<FaceEmbedding> {
    if (aligned.width !== CROP || aligned.height !== CROP) {
      throw new Error(`embedder needs a ${CROP}x${CROP} aligned face, got ${aligned.width}x${aligned.height}`);
    }
    const tensor = float32Tensor(rgbToNormalisedChw(aligned), [1, 3, CROP, CROP]);
    const output = await this.session.run({ input: tensor });
    const raw = Float32Array.from(output['output']!.data as Float32Array);
    const quality = l2Norm(raw);
    const embedding = new Float32Array(raw.length);
    if (quality > 0) for (let i = 0; i < raw.length; i++) embedding[i] = raw[i]! / quality;
    return { raw, quality, embedding };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function l2Norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** Cosine similarity of two vectors (not assumed normalised). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine of vectors of different lengths ${a.length} and ${b.length}`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  const norms = l2Norm(a) * l2Norm(b);
  return norms > 0 ? dot / norms : 0;
}
