// Ultra-Light RFB-320 face detector (faceplugin fr_detect.onnx). The graph already
// softmaxes scores and decodes anchors into normalised corner boxes, so the JS
// here is letterbox in, threshold + IoU NMS + squaring out.
import type * as ort from 'onnxruntime-node';
import type { RgbImage } from '../imaging/image.ts';
import { readOnnxModel } from './registry.ts';
import { createSingleThreadSession, float32Tensor } from './onnx-session.ts';
import { type Affine, warpAffineBilinear } from './face-align.ts';

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection extends Box {
  score: number;
}

export interface DetectOptions {
  /** Minimum face-class score. Default 0.7 (notes/face-models.md). */
  scoreThreshold?: number;
  /** IoU above which the lower-scoring box is suppressed. Default 0.3. */
  nmsIou?: number;
  /** Also run on 2x2 overlapping tiles to find small faces in group photos. Default false. */
  tiled?: boolean;
}

const INPUT_WIDTH = 320;
const INPUT_HEIGHT = 240;
/** Letterbox padding: 127 becomes 0 after (px-127)/128, what the network's own zero padding looks like. */
const PAD_GREY = 127;
/** Tiles cover this fraction of each side, so neighbouring tiles overlap by 20% of the image. */
const TILE_FRACTION = 0.6;

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression by IoU; returns the kept boxes, highest score first. */
export function nms<T extends Detection>(boxes: readonly T[], iouThreshold = 0.3): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const box of sorted) {
    if (kept.every((k) => iou(k, box) <= iouThreshold)) kept.push(box);
  }
  return kept;
}

/** Square box of side = box height centred on the box, clipped to the image. */
export function squareBox<T extends Box>(box: T, imageWidth: number, imageHeight: number): T {
  const side = box.y2 - box.y1;
  const cx = (box.x1 + box.x2) / 2;
  return {
    ...box,
    x1: Math.max(0, cx - side / 2),
    y1: Math.max(0, box.y1),
    x2: Math.min(imageWidth, cx + side / 2),
    y2: Math.min(imageHeight, box.y2),
  };
}

/** A rectangle of the image, in pixels. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class FaceDetector {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `model`: a path or ONNX bytes; default the registry's file as readOnnxModel patches it (same outputs, faster). */
  static async create(model: string | Uint8Array = readOnnxModel('face-detector')): Promise<FaceDetector> {
    return new FaceDetector(await createSingleThreadSession(model));
  }

  /** Faces in image pixels: thresholded, NMS'd and squared, highest score first. */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
    const scoreThreshold = options.scoreThreshold ?? 0.7;
    const nmsIou = options.nmsIou ?? 0.3;
    const whole: Region = { x: 0, y: 0, width: image.width, height: image.height };
    let candidates = await this.detectRegion(image, whole, scoreThreshold);
    if (options.tiled) {
      for (const tile of overlappingTiles(image.width, image.height)) {
        const found = await this.detectRegion(image, tile, scoreThreshold);
        candidates = candidates.concat(found.filter((box) => !touchesInnerEdge(box, tile, image)));
      }
    }
    return nms(candidates, nmsIou).map((box) => squareBox(box, image.width, image.height));
  }

  /** Raw detections (before NMS) of one region of the image, in image pixels. */
  async detectRegion(image: RgbImage, region: Region, scoreThreshold: number): Promise<Detection[]> {
    const scale = Math.min(INPUT_WIDTH / region.width, INPUT_HEIGHT / region.height);
    const padX = (INPUT_WIDTH - region.width * scale) / 2;
    const padY = (INPUT_HEIGHT - region.height * scale) / 2;
    const tensor = float32Tensor(letterboxTensor(image, region, scale, padX, padY), [1, 3, INPUT_HEIGHT, INPUT_WIDTH]);
    const output = await this.session.run({ input: tensor });
    const scores = output['scores']!.data as Float32Array;
    const boxes = output['boxes']!.data as Float32Array;
    const found: Detection[] = [];
    for (let i = 0; i < scores.length / 2; i++) {
      const score = scores[2 * i + 1]!;
      if (score < scoreThreshold) continue;
      // Undo the letterbox: normalised 320x240 coordinates back to image pixels.
      const x1 = (boxes[4 * i]! * INPUT_WIDTH - padX) / scale + region.x;
      const y1 = (boxes[4 * i + 1]! * INPUT_HEIGHT - padY) / scale + region.y;
      const x2 = (boxes[4 * i + 2]! * INPUT_WIDTH - padX) / scale + region.x;
      const y2 = (boxes[4 * i + 3]! * INPUT_HEIGHT - padY) / scale + region.y;
      found.push({
        x1: Math.max(0, x1),
        y1: Math.max(0, y1),
        x2: Math.min(image.width, x2),
        y2: Math.min(image.height, y2),
        score,
      });
    }
    return found.filter((b) => b.x2 > b.x1 && b.y2 > b.y1);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The detector's input, (px-127)/128 CHW floats: `region` of the image scaled
 * by `scale` and placed at (padX, padY) on a 320x240 grey canvas.
 * Shrinking 2x or more (every photo over 640x480), each input pixel averages
 * 2x2 source pixels taken on a grid inside the area it covers: nearest
 * samples with precomputed offsets, ~1 ms for a 2 MP photo where bilinear
 * supersampling took ~4.5. Smaller images take the bilinear warp.
 */
export function letterboxTensor(image: RgbImage, region: Region, scale: number, padX: number, padY: number): Float32Array {
  if (scale > 0.5) {
    const letterbox: Affine = [scale, 0, padX - region.x * scale, 0, scale, padY - region.y * scale];
    return rgbToNormalisedChw(warpAffineBilinear(image, letterbox, INPUT_WIDTH, INPUT_HEIGHT, { fill: [PAD_GREY, PAD_GREY, PAD_GREY], maxSupersample: 2 }));
  }
  const k = 2;
  // Byte offset of each (output column, sub-sample) in a source row, and of each (output row, sub-sample): -1 on the canvas.
  const taps = (outSize: number, pad: number, start: number, length: number, limit: number, step: number): Int32Array => {
    const out = new Int32Array(outSize * k);
    for (let o = 0; o < outSize; o++) {
      for (let s = 0; s < k; s++) {
        const v = start + (o + (s + 0.5) / k - pad) / scale;
        out[o * k + s] = v < start || v >= start + length ? -1 : Math.min(Math.floor(v), limit - 1) * step;
      }
    }
    return out;
  };
  const columns = taps(INPUT_WIDTH, padX, region.x, region.width, image.width, 3);
  const rows = taps(INPUT_HEIGHT, padY, region.y, region.height, image.height, image.width * 3);
  const plane = INPUT_WIDTH * INPUT_HEIGHT;
  const out = new Float32Array(plane * 3); // zeros: (127 - 127) / 128, the canvas grey
  const src = image.data;
  const norm = 1 / (128 * k * k);
  for (let oy = 0; oy < INPUT_HEIGHT; oy++) {
    const row0 = rows[oy * k]!, row1 = rows[oy * k + 1]!;
    if (row0 < 0 && row1 < 0) continue;
    for (let ox = 0; ox < INPUT_WIDTH; ox++) {
      const c0 = columns[ox * k]!, c1 = columns[ox * k + 1]!;
      if (c0 < 0 && c1 < 0) continue;
      let r = 0, g = 0, b = 0;
      if (row0 >= 0 && row1 >= 0 && c0 >= 0 && c1 >= 0) {
        // Inside the image: the common case, no checks per sample.
        const i00 = row0 + c0, i01 = row0 + c1, i10 = row1 + c0, i11 = row1 + c1;
        r = src[i00]! + src[i01]! + src[i10]! + src[i11]!;
        g = src[i00 + 1]! + src[i01 + 1]! + src[i10 + 1]! + src[i11 + 1]!;
        b = src[i00 + 2]! + src[i01 + 2]! + src[i10 + 2]! + src[i11 + 2]!;
      } else {
        for (let t = 0; t < 4; t++) {
          const row = t < 2 ? row0 : row1, column = t % 2 === 0 ? c0 : c1;
          if (row < 0 || column < 0) {
            r += PAD_GREY; g += PAD_GREY; b += PAD_GREY;
          } else {
            r += src[row + column]!; g += src[row + column + 1]!; b += src[row + column + 2]!;
          }
        }
      }
      const o = oy * INPUT_WIDTH + ox;
      out[o] = (r - 127 * k * k) * norm;
      out[plane + o] = (g - 127 * k * k) * norm;
      out[2 * plane + o] = (b - 127 * k * k) * norm;
    }
  }
  return out;
}

/** RGB HWC bytes to a CHW float tensor of (px-127)/128, the normalisation both faceplugin RGB models use. */
export function rgbToNormalisedChw(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  const data = image.data;
  for (let i = 0; i < plane; i++) {
    out[i] = (data[3 * i]! - 127) / 128;
    out[plane + i] = (data[3 * i + 1]! - 127) / 128;
    out[2 * plane + i] = (data[3 * i + 2]! - 127) / 128;
  }
  return out;
}

function overlappingTiles(width: number, height: number): Region[] {
  const tw = Math.round(width * TILE_FRACTION), th = Math.round(height * TILE_FRACTION);
  const tiles: Region[] = [];
  for (const y of [0, height - th]) {
    for (const x of [0, width - tw]) tiles.push({ x, y, width: tw, height: th });
  }
  return tiles;
}

/** A box cut by a tile edge that lies inside the image is a partial face: the whole-image pass or another tile has it whole. */
function touchesInnerEdge(box: Box, tile: Region, image: RgbImage): boolean {
  const margin = 0.01 * Math.max(tile.width, tile.height);
  return (
    (tile.x > 0 && box.x1 <= tile.x + margin) ||
    (tile.y > 0 && box.y1 <= tile.y + margin) ||
    (tile.x + tile.width < image.width && box.x2 >= tile.x + tile.width - margin) ||
    (tile.y + tile.height < image.height && box.y2 >= tile.y + tile.height - margin)
  );
}
