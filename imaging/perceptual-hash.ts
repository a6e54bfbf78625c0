// Perceptual hashes (dHash, pHash) computed from the already-decoded photo:
// no second decode. The grayscale area average is plain JS: ~20 ms over a
// 2 MP decode, under 1 ms over the small copy (HASH_SOURCE_SIDE on the longer
// side) that the 256 px thumbnail is made from, so the bits come from that
// copy. The border is found on the full decode (the content size stays
// exact); a photo with a border is averaged over its content in the full
// decode, since a copy's edge pixels blend bar and content (that moved
// letterboxed copies by up to 4 dHash bits). From the copy, the bits differ
// from the full decode's by 0-2 of 64 on the fixtures and their edited copies
// (test/perceptual-hash.test.ts holds that), far inside the near-duplicate distances.
import type { RgbImage } from './image.ts';

/**
 * Bump when the bits produced for the same pixels change (trim rule,
 * grayscale weights, resampling, the copy's size, bit order): stored hashes
 * of another version must not be compared with new ones.
 * 2: bits from the HASH_SOURCE_SIDE copy (photos without a border) instead of the full decode.
 */
export const PERCEPTUAL_HASH_VERSION = 2;

/** The longer side of the small copy the bits are computed from (the default small thumbnail's size, so one resize serves both). */
export const HASH_SOURCE_SIDE = 256;

/** A colour distance (0-255, largest channel difference) under which a pixel counts as border. Same scale as sharp's trim threshold, 20 worked on the fixtures. */
export const DEFAULT_TRIM_THRESHOLD = 20;

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PerceptualHashes {
  /** 64-bit difference hash: 9x8 grayscale, bit = left pixel brighter than its right neighbour. */
  dhash: bigint;
  /** 64-bit DCT hash: 32x32 grayscale, DCT-II, 8x8 low frequencies, bit = above their median. */
  phash: bigint;
  /** The region hashed, after the uniform border was trimmed (the full image when there is none). */
  hashedBox: PixelBox;
}

/**
 * Computes both hashes of a decoded photo, its uniform border trimmed first
 * (trimThreshold null: hash the whole image). `small` is the same picture
 * resized (resizeInside(image, HASH_SOURCE_SIDE)): when no border was
 * trimmed, the bits come from it. Without it, or with a border, they come
 * from `image`.
 */
export function perceptualHashes(image: RgbImage, trimThreshold: number | null = DEFAULT_TRIM_THRESHOLD, small: RgbImage = image): PerceptualHashes {
  const whole = { left: 0, top: 0, width: image.width, height: image.height };
  const box = trimThreshold === null ? whole : findContentBox(image, trimThreshold);
  const bordered = box.width !== image.width || box.height !== image.height;
  // One pass over the pixels into a 288x32 grid, which both outputs divide
  // exactly (288 = 32x9 = 9x32, 32 = 8x4), so both stay exact area averages.
  const grid = bordered ? grayAreaResize(image, box, 288, 32) : grayAreaResize(small, { left: 0, top: 0, width: small.width, height: small.height }, 288, 32);
  const gray32 = blockMeans(grid, 288, 32, 9, 1);
  const gray9x8 = blockMeans(grid, 288, 32, 32, 4);
  return { dhash: dhashFromGray9x8(gray9x8), phash: phashFromGray32(gray32), hashedBox: box };
}

// ---------- border trim ----------

/** A row or column is border when at most this share of its pixels differ from the background (tolerates JPEG noise in the bars). */
const BORDER_NOISE_SHARE = 0.01;
/** Below this many pixels per side the "content" is a speck in a blank image: hash the whole image instead. */
const MIN_CONTENT_SIDE = 8;

/**
 * The bounding box of the content inside a uniform border whose colour is the
 * top-left pixel (sharp's trim rule). Letterbox bars, scanner margins and
 * photo frames move every bit of a whole-image hash, so they are cut first.
 * Scans inwards from each side and stops at the first content line, so the
 * cost is proportional to the border, not to the image.
 */
export function findContentBox(image: RgbImage, threshold = DEFAULT_TRIM_THRESHOLD): PixelBox {
  const { data, width, height } = image;
  const full = { left: 0, top: 0, width, height };
  if (width === 0 || height === 0) return full;
  const bg = [data[0], data[1], data[2]] as const;
  const differs = (x: number, y: number): boolean => {
    const i = (y * width + x) * 3;
    return (
      Math.abs(data[i] - bg[0]) > threshold ||
      Math.abs(data[i + 1] - bg[1]) > threshold ||
      Math.abs(data[i + 2] - bg[2]) > threshold
    );
  };
  const rowIsBorder = (y: number, x0: number, x1: number): boolean => {
    const allowed = Math.floor((x1 - x0) * BORDER_NOISE_SHARE);
    let count = 0;
    for (let x = x0; x < x1; x++) if (differs(x, y) && ++count > allowed) return false;
    return true;
  };
  const columnIsBorder = (x: number, y0: number, y1: number): boolean => {
    const allowed = Math.floor((y1 - y0) * BORDER_NOISE_SHARE);
    let count = 0;
    for (let y = y0; y < y1; y++) if (differs(x, y) && ++count > allowed) return false;
    return true;
  };

  let top = 0;
  while (top < height && rowIsBorder(top, 0, width)) top++;
  if (top === height) return full; // a uniform image: nothing to trim to
  let bottom = height; // exclusive
  while (bottom > top && rowIsBorder(bottom - 1, 0, width)) bottom--;
  let left = 0;
  while (left < width && columnIsBorder(left, top, bottom)) left++;
  let right = width; // exclusive
  while (right > left && columnIsBorder(right - 1, top, bottom)) right--;

  if (right - left < MIN_CONTENT_SIDE || bottom - top < MIN_CONTENT_SIDE) return full;
  return { left, top, width: right - left, height: bottom - top };
}

// ---------- grayscale + area-average resize ----------

/** For each output cell along one axis, the source pixels it covers and their overlap weights (summing to 1). */
interface AxisWeights {
  first: Int32Array; // first source index of each output cell
  offsets: Int32Array; // weights of cell j are weights[offsets[j] .. offsets[j+1])
  weights: Float64Array;
}

function areaWeights(sourceLength: number, outputLength: number): AxisWeights {
  const step = sourceLength / outputLength;
  const first = new Int32Array(outputLength);
  const offsets = new Int32Array(outputLength + 1);
  const weights: number[] = [];
  for (let j = 0; j < outputLength; j++) {
    const start = j * step;
    const end = (j + 1) * step;
    first[j] = Math.floor(start);
    offsets[j] = weights.length;
    for (let x = Math.floor(start); x < end && x < sourceLength; x++) {
      const overlap = Math.min(end, x + 1) - Math.max(start, x);
      weights.push(overlap / step); // > 0: x < end and x + 1 > start
    }
  }
  offsets[outputLength] = weights.length;
  return { first, offsets, weights: Float64Array.from(weights) };
}

/**
 * Grayscale (ITU-R BT.601 luma, as PIL's "L") of the box, resized to outWidth
 * x outHeight by exact area averaging: every source pixel contributes by the
 * share of it each output cell covers. Works for down- and upscaling.
 */
export function grayAreaResize(image: RgbImage, box: PixelBox, outWidth: number, outHeight: number): Float64Array {
  const { data, width } = image;
  const horizontal = areaWeights(box.width, outWidth);
  const vertical = areaWeights(box.height, outHeight);
  const out = new Float64Array(outWidth * outHeight);
  const row = new Float64Array(outWidth);
  for (let v = 0; v < outHeight; v++) {
    for (let k = vertical.offsets[v], y = vertical.first[v]; k < vertical.offsets[v + 1]; k++, y++) {
      // A source row straddling two output rows is reduced twice: at most outHeight extra rows.
      const rowStart = ((box.top + y) * width + box.left) * 3;
      for (let j = 0; j < outWidth; j++) {
        let sum = 0;
        let i = rowStart + horizontal.first[j] * 3;
        for (let h = horizontal.offsets[j]; h < horizontal.offsets[j + 1]; h++, i += 3) {
          sum += horizontal.weights[h] * (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
        }
        row[j] = sum;
      }
      const w = vertical.weights[k];
      for (let j = 0; j < outWidth; j++) out[v * outWidth + j] += w * row[j];
    }
  }
  return out;
}

/** Means of blockWidth x blockHeight blocks: an exact area average when the block sizes divide the grid. */
function blockMeans(grid: Float64Array, gridWidth: number, gridHeight: number, blockWidth: number, blockHeight: number): Float64Array {
  const outWidth = gridWidth / blockWidth;
  const out = new Float64Array(outWidth * (gridHeight / blockHeight));
  const scale = 1 / (blockWidth * blockHeight);
  for (let y = 0; y < gridHeight; y++) {
    for (let x = 0; x < gridWidth; x++) {
      out[Math.floor(y / blockHeight) * outWidth + Math.floor(x / blockWidth)] += grid[y * gridWidth + x] * scale;
    }
  }
  return out;
}

// ---------- the hashes ----------

/** Bit i (counting from the most significant) is row i>>3, comparison i&7. */
export function dhashFromGray9x8(gray: Float64Array): bigint {
  let hi = 0;
  let lo = 0;
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++) {
      const bit = gray[row * 9 + col] > gray[row * 9 + col + 1] ? 1 : 0;
      const index = row * 8 + col;
      if (index < 32) hi = (hi << 1) | bit;
      else lo = (lo << 1) | bit;
    }
  }
  return fromHalves(hi >>> 0, lo >>> 0);
}

// cos((2x+1) u pi / 64) for u = 0..8, x = 0..31: the DCT-II basis for a 32-point row.
const DCT_SIZE = 32;
const DCT_BASIS: Float64Array = (() => {
  const basis = new Float64Array(9 * DCT_SIZE);
  for (let u = 0; u < 9; u++) {
    for (let x = 0; x < DCT_SIZE; x++) basis[u * DCT_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * DCT_SIZE));
  }
  return basis;
})();

/**
 * The 8x8 block of DCT coefficients at frequencies 1..8 in both directions,
 * as the reference pHash library takes them: this leaves out DC (the mean
 * brightness) and gives exactly 64 informative bits. Bit = coefficient above
 * the median of the 64. The DCT's normalisation factors are constant over
 * this block, so they are skipped.
 */
export function phashFromGray32(gray: Float64Array): bigint {
  // Rows first: for each of the 32 rows, coefficients v = 1..8.
  const rowCoefficients = new Float64Array(DCT_SIZE * 8);
  for (let y = 0; y < DCT_SIZE; y++) {
    for (let v = 1; v <= 8; v++) {
      let sum = 0;
      for (let x = 0; x < DCT_SIZE; x++) sum += gray[y * DCT_SIZE + x] * DCT_BASIS[v * DCT_SIZE + x];
      rowCoefficients[y * 8 + v - 1] = sum;
    }
  }
  // Then columns: u = 1..8.
  const block = new Float64Array(64);
  for (let u = 1; u <= 8; u++) {
    for (let v = 0; v < 8; v++) {
      let sum = 0;
      for (let y = 0; y < DCT_SIZE; y++) sum += rowCoefficients[y * 8 + v] * DCT_BASIS[u * DCT_SIZE + y];
      block[(u - 1) * 8 + v] = sum;
    }
  }
  const sorted = Float64Array.from(block).sort();
  const median = (sorted[31] + sorted[32]) / 2;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 64; i++) {
    const bit = block[i] > median ? 1 : 0;
    if (i < 32) hi = (hi << 1) | bit;
    else lo = (lo << 1) | bit;
  }
  return fromHalves(hi >>> 0, lo >>> 0);
}

// ---------- 64-bit helpers ----------

const MASK_32 = 0xffffffffn;

export function fromHalves(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The high and low 32 bits as unsigned numbers (bigint arithmetic is slow in hot loops). */
export function toHalves(hash: bigint): [hi: number, lo: number] {
  return [Number((hash >> 32n) & MASK_32), Number(hash & MASK_32)];
}

/** Bits set in a 32-bit integer (SWAR popcount). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between two 64-bit hashes. */
export function hamming(a: bigint, b: bigint): number {
  const x = a ^ b;
  return popcount32(Number(x >> 32n) >>> 0) + popcount32(Number(x & MASK_32));
}

/** 16 lowercase hex digits, zero-padded (the form stored in tables). */
export function hashToHex(hash: bigint): string {
  return BigInt.asUintN(64, hash).toString(16).padStart(16, '0');
}

export function hexToHash(hex: string): bigint {
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) throw new Error(`not a 16-digit hex hash: ${JSON.stringify(hex)}`);
  return BigInt(`0x${hex}`);
}
