// Geometry for faces in plain typed-array JS: the similarity fit that aligns five
// landmarks onto the ArcFace template, and the bilinear warp that also serves
// the detector's letterbox and the landmark crop (one sampler, no sharp per face).
import type { RgbImage } from '../imaging/image.ts';

/** 2x3 affine matrix, row-major: x' = m[0]x + m[1]y + m[2]; y' = m[3]x + m[4]y + m[5]. */
export type Affine = readonly [number, number, number, number, number, number];

/** Five points (left eye, right eye, nose, left mouth, right mouth) in the 112x112 ArcFace crop. */
export const ARCFACE_REFERENCE_112: readonly number[] = [
  38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041,
];

/**
 * Least-squares similarity (rotation, uniform scale, translation; no reflection)
 * mapping src points onto dst points, as in Umeyama (1991) restricted to 2D.
 * Points are flat [x0, y0, x1, y1, ...]; at least two distinct points.
 */
export function similarityTransform(src: ArrayLike<number>, dst: ArrayLike<number>): Affine {
  const n = src.length / 2;
  if (src.length !== dst.length || src.length % 2 !== 0 || n < 2) {
    throw new Error(`similarityTransform needs two equal-length point lists of at least 2 points (got ${src.length} and ${dst.length} numbers)`);
  }
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[2 * i]!; sy += src[2 * i + 1]!;
    dx += dst[2 * i]!; dy += dst[2 * i + 1]!;
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  // In complex numbers the fit is d = z*s + t with z = a + ib; least squares gives
  // z = sum(conj(s_c) * d_c) / sum(|s_c|^2) for centred points: the 2D Umeyama solution.
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const xs = src[2 * i]! - sx, ys = src[2 * i + 1]! - sy;
    const xd = dst[2 * i]! - dx, yd = dst[2 * i + 1]! - dy;
    dot += xs * xd + ys * yd;
    cross += xs * yd - ys * xd;
    norm += xs * xs + ys * ys;
  }
  if (norm === 0) throw new Error('similarityTransform: source points all coincide');
  const a = dot / norm, b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (det === 0) throw new Error('affine matrix is singular');
  const i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
  return [i0, i1, -(i0 * m[2] + i1 * m[5]), i3, i4, -(i3 * m[2] + i4 * m[5])];
}

export interface WarpOptions {
  /** RGB value for destination pixels that fall outside the source. Default black. */
  fill?: readonly [number, number, number];
  /** Most samples per axis per destination pixel when shrinking (1 = plain bilinear). Default 4. */
  maxSupersample?: number;
}

/**
 * Warps `image` by `matrix` (which maps source pixel coordinates to destination
 * ones) into a width x height RgbImage with bilinear sampling. When the warp
 * shrinks (a 400 px face into 112 px) each destination pixel averages k x k
 * bilinear samples (k up to 4), so a downscale does not alias.
 * Pixel centres are at integer + 0.5 on both sides.
 */
export function warpAffineBilinear(image: RgbImage, matrix: Affine, width: number, height: number, options: WarpOptions = {}): RgbImage {
  const inv = invertAffine(matrix);
  const fill = options.fill ?? [0, 0, 0];
  const maxK = options.maxSupersample ?? 4;
  const shrink = Math.sqrt(Math.abs(inv[0] * inv[4] - inv[1] * inv[3]));
  const k = Math.max(1, Math.min(maxK, Math.round(shrink)));
  if (inv[1] === 0 && inv[3] === 0) return warpAxisAligned(image, inv, width, height, fill, k);
  if (mapsInside(inv, width, height, image.width, image.height)) return warpInterior(image, inv, width, height, k);
  const [a0, a1, a2, a3, a4, a5] = inv;
  const [fillR, fillG, fillB] = fill;
  const out = new Uint8Array(width * height * 3);
  const src = image.data;
  const sw = image.width, sh = image.height, stride = sw * 3, kk = k * k;
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < k; sy++) {
        const py = oy + (sy + 0.5) / k;
        for (let sx = 0; sx < k; sx++) {
          const px = ox + (sx + 0.5) / k;
          // Source position, shifted so that integer coordinates are pixel centres.
          const x = a0 * px + a1 * py + a2 - 0.5;
          const y = a3 * px + a4 * py + a5 - 0.5;
          if (x < -0.5 || y < -0.5 || x > sw - 0.5 || y > sh - 0.5) {
            r += fillR; g += fillG; b += fillB;
            continue;
          }
          // Clamp to the edge pixels for the half-pixel border; then x, y >= 0 so `| 0` floors.
          const xc = x < 0 ? 0 : x > sw - 1 ? sw - 1 : x;
          const yc = y < 0 ? 0 : y > sh - 1 ? sh - 1 : y;
          const x0 = xc | 0, y0 = yc | 0;
          const x1 = x0 + 1 < sw ? x0 + 1 : x0, y1 = y0 + 1 < sh ? y0 + 1 : y0;
          const fx = xc - x0, fy = yc - y0;
          const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
          const i00 = y0 * stride + x0 * 3, i10 = y0 * stride + x1 * 3;
          const i01 = y1 * stride + x0 * 3, i11 = y1 * stride + x1 * 3;
          r += w00 * src[i00]! + w10 * src[i10]! + w01 * src[i01]! + w11 * src[i11]!;
          g += w00 * src[i00 + 1]! + w10 * src[i10 + 1]! + w01 * src[i01 + 1]! + w11 * src[i11 + 1]!;
          b += w00 * src[i00 + 2]! + w10 * src[i10 + 2]! + w01 * src[i01 + 2]! + w11 * src[i11 + 2]!;
        }
      }
      const o = (oy * width + ox) * 3;
      out[o] = Math.round(r / kk);
      out[o + 1] = Math.round(g / kk);
      out[o + 2] = Math.round(b / kk);
    }
  }
  return { data: out, width, height };
}

/** Whether every sample of the output maps strictly inside the source, where no bounds checks are needed. */
function mapsInside(inv: Affine, width: number, height: number, sourceWidth: number, sourceHeight: number): boolean {
  for (const [x, y] of [[0, 0], [width, 0], [0, height], [width, height]] as const) {
    const sx = inv[0] * x + inv[1] * y + inv[2] - 0.5;
    const sy = inv[3] * x + inv[4] * y + inv[5] - 0.5;
    if (!(sx >= 0 && sy >= 0 && sx < sourceWidth - 1 && sy < sourceHeight - 1)) return false;
  }
  return true; // samples lie in the convex hull of the corners
}

/** The general path's result when mapsInside holds (most faces): no clamps or checks, about twice as fast. */
function warpInterior(image: RgbImage, inv: Affine, width: number, height: number, k: number): RgbImage {
  const [a0, a1, a2, a3, a4, a5] = inv;
  const kk = k * k;
  // Source offset of each sub-sample from its output pixel's corner, shifted so integers are pixel centres.
  const offX = new Float64Array(kk), offY = new Float64Array(kk);
  for (let sy = 0; sy < k; sy++) {
    for (let sx = 0; sx < k; sx++) {
      const px = (sx + 0.5) / k, py = (sy + 0.5) / k;
      offX[sy * k + sx] = a0 * px + a1 * py + a2 - 0.5;
      offY[sy * k + sx] = a3 * px + a4 * py + a5 - 0.5;
    }
  }
  const src = image.data, stride = image.width * 3;
  const out = new Uint8Array(width * height * 3);
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      const bx = a0 * ox + a1 * oy, by = a3 * ox + a4 * oy;
      let r = 0, g = 0, b = 0;
      for (let s = 0; s < kk; s++) {
        const x = bx + offX[s]!, y = by + offY[s]!;
        const x0 = x | 0, y0 = y | 0; // x, y >= 0 here, so `| 0` floors
        const fx = x - x0, fy = y - y0;
        const i00 = y0 * stride + x0 * 3, i01 = i00 + stride;
        const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
        r += w00 * src[i00]! + w10 * src[i00 + 3]! + w01 * src[i01]! + w11 * src[i01 + 3]!;
        g += w00 * src[i00 + 1]! + w10 * src[i00 + 4]! + w01 * src[i01 + 1]! + w11 * src[i01 + 4]!;
        b += w00 * src[i00 + 2]! + w10 * src[i00 + 5]! + w01 * src[i01 + 2]! + w11 * src[i01 + 5]!;
      }
      const o = (oy * width + ox) * 3;
      out[o] = Math.round(r / kk);
      out[o + 1] = Math.round(g / kk);
      out[o + 2] = Math.round(b / kk);
    }
  }
  return { data: out, width, height };
}

/** Bilinear taps along one axis for every (output pixel, sub-sample): source indices and weight, or -1 when outside. */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  frac: Float32Array;
}

function axisTaps(outSize: number, k: number, scale: number, offset: number, srcSize: number): AxisTaps {
  const taps: AxisTaps = { i0: new Int32Array(outSize * k), i1: new Int32Array(outSize * k), frac: new Float32Array(outSize * k) };
  for (let o = 0; o < outSize; o++) {
    for (let s = 0; s < k; s++) {
      const v = scale * (o + (s + 0.5) / k) + offset - 0.5;
      const t = o * k + s;
      if (v < -0.5 || v > srcSize - 0.5) {
        taps.i0[t] = -1;
        continue;
      }
      const c = v < 0 ? 0 : v > srcSize - 1 ? srcSize - 1 : v;
      const i0 = Math.floor(c);
      taps.i0[t] = i0;
      taps.i1[t] = i0 + 1 < srcSize ? i0 + 1 : i0;
      taps.frac[t] = c - i0;
    }
  }
  return taps;
}

/**
 * The general path's result for scale+translate matrices (letterbox, box crops),
 * with the per-axis bilinear taps computed once: about twice as fast.
 */
function warpAxisAligned(
  image: RgbImage,
  inv: Affine,
  width: number,
  height: number,
  fill: readonly [number, number, number],
  k: number,
): RgbImage {
  const xs = axisTaps(width, k, inv[0], inv[2], image.width);
  const ys = axisTaps(height, k, inv[4], inv[5], image.height);
  const [fillR, fillG, fillB] = fill;
  const src = image.data, stride = image.width * 3, kk = k * k;
  const out = new Uint8Array(width * height * 3);
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < k; sy++) {
        const ty = oy * k + sy;
        const y0 = ys.i0[ty]!;
        if (y0 < 0) {
          r += fillR * k; g += fillG * k; b += fillB * k;
          continue;
        }
        const row0 = y0 * stride, row1 = ys.i1[ty]! * stride, fy = ys.frac[ty]!;
        for (let sx = 0; sx < k; sx++) {
          const tx = ox * k + sx;
          const x0 = xs.i0[tx]!;
          if (x0 < 0) {
            r += fillR; g += fillG; b += fillB;
            continue;
          }
          const c0 = x0 * 3, c1 = xs.i1[tx]! * 3, fx = xs.frac[tx]!;
          const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
          const i00 = row0 + c0, i10 = row0 + c1, i01 = row1 + c0, i11 = row1 + c1;
          r += w00 * src[i00]! + w10 * src[i10]! + w01 * src[i01]! + w11 * src[i11]!;
          g += w00 * src[i00 + 1]! + w10 * src[i10 + 1]! + w01 * src[i01 + 1]! + w11 * src[i11 + 1]!;
          b += w00 * src[i00 + 2]! + w10 * src[i10 + 2]! + w01 * src[i01 + 2]! + w11 * src[i11 + 2]!;
        }
      }
      const o = (oy * width + ox) * 3;
      out[o] = Math.round(r / kk);
      out[o + 1] = Math.round(g / kk);
      out[o + 2] = Math.round(b / kk);
    }
  }
  return { data: out, width, height };
}

/** The affine that maps the rectangle (x1,y1)-(x2,y2) onto a width x height image (stretching). */
export function rectToSizeAffine(x1: number, y1: number, x2: number, y2: number, width: number, height: number): Affine {
  const sx = width / (x2 - x1), sy = height / (y2 - y1);
  return [sx, 0, -x1 * sx, 0, sy, -y1 * sy];
}

/** Aligns a face to the 112x112 ArcFace crop from its five landmarks (flat, image pixels). */
export function alignFace(image: RgbImage, landmarks5: ArrayLike<number>): RgbImage {
  const matrix = similarityTransform(landmarks5, ARCFACE_REFERENCE_112);
  return warpAffineBilinear(image, matrix, 112, 112);
}
