// 68-point face landmarks (faceplugin fr_landmark.onnx), reduced to the five
// points the ArcFace alignment needs.
import type * as ort from 'onnxruntime-node';
import type { RgbImage } from '../imaging/image.ts';
import { readOnnxModel } from './registry.ts';
import { rectToSizeAffine, warpAffineBilinear } from './face-align.ts';
import type { Box } from './face-detector.ts';
import { createSingleThreadSession, float32Tensor } from './onnx-session.ts';

const CROP = 64;

/** 68 landmarks as flat [x0, y0, ..., x67, y67] in image pixels. */
export type Landmarks68 = Float32Array;

export class FaceLandmarker {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `model`: a path or ONNX bytes; default the registry's file as readOnnxModel patches it (same outputs, faster). */
  static async create(model: string | Uint8Array = readOnnxModel('face-landmarks')): Promise<FaceLandmarker> {
    return new FaceLandmarker(await createSingleThreadSession(model));
  }

  /** The 68 points of the face in `box` (normally the detector's square box), in image pixels. */
  async landmarks(image: RgbImage, box: Box): Promise<Landmarks68> {
    const w = box.x2 - box.x1, h = box.y2 - box.y1;
    // 2x2 samples per pixel at most: 4x4 cost 0.6 ms more per face and moved the five points by < 0.3% of the box.
    const crop = warpAffineBilinear(image, rectToSizeAffine(box.x1, box.y1, box.x2, box.y2, CROP, CROP), CROP, CROP, { maxSupersample: 2 });
    const input = new Float32Array(CROP * CROP);
    for (let i = 0; i < input.length; i++) {
      // ITU-R BT.601 luma, what OpenCV's RGB2GRAY (used by the package's JS) computes.
      const gray = 0.299 * crop.data[3 * i]! + 0.587 * crop.data[3 * i + 1]! + 0.114 * crop.data[3 * i + 2]!;
      input[i] = gray / 256;
    }
    const output = await this.session.run({ input: float32Tensor(input, [1, 1, CROP, CROP]) });
    const raw = output['output']!.data as Float32Array;
    const points = new Float32Array(136);
    for (let i = 0; i < 68; i++) {
      points[2 * i] = raw[2 * i]! * w + box.x1;
      points[2 * i + 1] = raw[2 * i + 1]! * h + box.y1;
    }
    return points;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function meanPoint(points: ArrayLike<number>, indices: readonly number[]): [number, number] {
  let x = 0, y = 0;
  for (const i of indices) {
    x += points[2 * i]!;
    y += points[2 * i + 1]!;
  }
  return [x / indices.length, y / indices.length];
}

/**
 * Five points in ArcFace order (left eye, right eye, nose tip, left and right
 * mouth corner), flat [x, y] x 5. Indices are 0-based into the 68-point scheme:
 * eyes average their four lid points, mouth corners average outer and inner lip.
 */
export function fivePointsFrom68(points: ArrayLike<number>): Float32Array {
  const five = [
    meanPoint(points, [37, 38, 40, 41]),
    meanPoint(points, [43, 44, 46, 47]),
    meanPoint(points, [30]),
    meanPoint(points, [48, 60]),
    meanPoint(points, [54, 64]),
  ];
  return Float32Array.from(five.flat());
}
