// Decodes the centernet heads (ONNX outputs, NCHW) into peaks, as the tfjs
// graph's own tail did: a cell is a peak of a class when its score is the
// largest in its 3x3 neighbourhood; the 100 best peaks over the classes given
// are kept; a peak's box is its cell centre minus / plus the four wh distances.
// Pure functions, no model: test/centernet-decode.test.ts checks them on
// synthetic maps.
//
// The heads may hold a selection of the 80 COCO class maps (the pet detector
// converts the model with person, cat and dog only: tfjs-to-onnx.ts
// keepChannels); classIds names each map's COCO class, and peaks carry those
// ids. The top 100 are then taken over the selected classes only: a peak that
// 100 peaks of other classes outscored is now kept. On the fixtures such
// peaks scored under the 80-class graph's 100th peak, 0.025-0.071, far under
// every threshold (test/pets-golden.test.ts compares both graphs).

export interface CenternetHeads {
  /** [classIds.length, height, width] sigmoid scores. */
  keypoints: Float32Array;
  /** [4, height, width]: distances from the cell to the left, top, right and bottom sides, in input pixels. */
  wh: Float32Array;
  /** The COCO class id of each keypoints map, ascending (0..79 for the whole graph). */
  classIds: readonly number[];
  height: number;
  width: number;
  /** Input pixels per cell (4 for centernet). */
  stride: number;
}

export interface CenternetPeak {
  /** COCO class id. */
  cls: number;
  /** Cell index row * width + col. */
  cell: number;
  score: number;
  /** x1, y1, x2, y2 in input pixels. */
  box: [number, number, number, number];
}

/** The graph's TopK: the 100 best peaks, best first. */
export const CENTERNET_TOP_K = 100;

/** The best k peaks over the heads' classes, best first (ties: the graph's order, cell-major then class). */
export function centernetPeaks(heads: CenternetHeads, k = CENTERNET_TOP_K): CenternetPeak[] {
  const { keypoints, classIds, height, width } = heads;
  const plane = height * width;
  const best: { cls: number; cell: number; score: number }[] = [];
  let floor = -Infinity; // the k-th best score at the last trim: anything below it cannot enter
  for (let map = 0; map < classIds.length; map++) {
    const base = map * plane;
    const cls = classIds[map]!;
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) {
        const score = keypoints[base + row * width + col]!;
        if (score < floor || !isPeak(keypoints, base, row, col, height, width, score)) continue;
        best.push({ cls, cell: row * width + col, score });
        if (best.length >= 8 * k) {
          // Trim now and then rather than on every entry: sorting 800 entries rarely beats sorting 101 often.
          best.sort(byScoreThenGraphOrder);
          best.length = k;
          floor = best[k - 1]!.score;
        }
      }
    }
  }
  best.sort(byScoreThenGraphOrder);
  best.length = Math.min(best.length, k);
  return best.map((p) => ({ ...p, box: centernetBox(heads, p.cell) }));
}

/** x1, y1, x2, y2 in input pixels of the object centred on cell. */
export function centernetBox(heads: CenternetHeads, cell: number): [number, number, number, number] {
  const plane = heads.height * heads.width;
  const cx = (cell % heads.width) * heads.stride;
  const cy = Math.floor(cell / heads.width) * heads.stride;
  const wh = heads.wh;
  return [cx - wh[cell]!, cy - wh[plane + cell]!, cx + wh[2 * plane + cell]!, cy + wh[3 * plane + cell]!];
}

/** Score of COCO class cls at cell; the class must be one of the heads' maps. */
export function centernetScore(heads: CenternetHeads, cls: number, cell: number): number {
  const map = heads.classIds.indexOf(cls);
  if (map < 0) throw new Error(`centernet heads hold no map for class ${cls} (they hold ${heads.classIds.join(', ')})`);
  return heads.keypoints[map * heads.height * heads.width + cell]!;
}

/** Max-pool 3x3 (SAME, stride 1) equality: no neighbour is larger. */
function isPeak(values: Float32Array, base: number, row: number, col: number, height: number, width: number, score: number): boolean {
  for (let y = Math.max(0, row - 1); y <= Math.min(height - 1, row + 1); y++) {
    for (let x = Math.max(0, col - 1); x <= Math.min(width - 1, col + 1); x++) {
      if (values[base + y * width + x]! > score) return false;
    }
  }
  return true;
}

/** Best first; ties in the graph's order: cell-major, then class (ids ascend with the maps). */
function byScoreThenGraphOrder(a: { cls: number; cell: number; score: number }, b: { cls: number; cell: number; score: number }): number {
  return b.score - a.score || a.cell - b.cell || a.cls - b.cls;
}
