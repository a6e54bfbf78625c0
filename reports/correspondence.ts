// Which cluster of run B each cluster of run A became. The clusters are
// matched one to one by the Hungarian assignment on their shared faces
// (munkres), so "cluster 3 is now cluster 7" is the matching that keeps the
// most faces in place; split, merged, new and vanished are read off the
// overlaps:
//   - the main parent of a B cluster is the A cluster it got most faces from,
//     the main child of an A cluster the B cluster most of its faces went to;
//   - an A cluster is split when two or more B clusters have it as main parent;
//   - a B cluster is merged when it is the main child of two or more A clusters;
//   - vanished: an A cluster none of whose faces is in a B cluster (noise or
//     gone in B); new: a B cluster none of whose faces was in an A cluster;
//   - kept: matched, and neither split nor merged.
// The matching runs per connected part of the overlap graph (clusters that
// share no face never compete), so 10,000 clusters cost what their small
// parts cost; a part larger than HUNGARIAN_LIMIT is matched greedily.
import { munkres } from 'munkres';
import type { ContingencyCell } from './statistics.ts';

export const HUNGARIAN_LIMIT = 400;

export interface ClusterMatch {
  a: number;
  b: number;
  shared: number;
  sizeA: number;
  sizeB: number;
}

export interface Correspondence {
  clustersA: number;
  clustersB: number;
  /** The one-to-one matching, largest overlap first. */
  matches: ClusterMatch[];
  kept: number[];
  split: { a: number; into: number[] }[];
  merged: { b: number; from: number[] }[];
  vanished: number[];
  new: number[];
  /** Faces in a cluster in both runs, but not in the match of their A cluster. */
  facesMoved: number;
  /** Faces in a cluster in A and noise in B, and the other way. */
  facesToNoise: number;
  facesFromNoise: number;
}

/** Correspondence of two clusterings from their contingency cells over the faces both runs have (labels below 0: noise). */
export function correspondenceOf(cells: readonly ContingencyCell[]): Correspondence {
  const sizeA = new Map<number, number>();
  const sizeB = new Map<number, number>();
  const overlaps = cells.filter((cell) => cell.a >= 0 && cell.b >= 0 && cell.count > 0);
  let facesToNoise = 0, facesFromNoise = 0;
  for (const { a, b, count } of cells) {
    if (a >= 0) sizeA.set(a, (sizeA.get(a) ?? 0) + count);
    if (b >= 0) sizeB.set(b, (sizeB.get(b) ?? 0) + count);
    if (a >= 0 && b < 0) facesToNoise += count;
    if (a < 0 && b >= 0) facesFromNoise += count;
  }

  // Main parent / child: the largest overlap, ties to the smaller id.
  const better = (count: number, id: number, best: { count: number; id: number } | undefined) => !best || count > best.count || (count === best.count && id < best.id);
  const childOf = new Map<number, { count: number; id: number }>();
  const parentOf = new Map<number, { count: number; id: number }>();
  for (const { a, b, count } of overlaps) {
    if (better(count, b, childOf.get(a))) childOf.set(a, { count, id: b });
    if (better(count, a, parentOf.get(b))) parentOf.set(b, { count, id: a });
  }
  const childrenOf = new Map<number, number[]>();
  for (const [b, parent] of parentOf) childrenOf.set(parent.id, [...(childrenOf.get(parent.id) ?? []), b]);
  const parentsOf = new Map<number, number[]>();
  for (const [a, child] of childOf) parentsOf.set(child.id, [...(parentsOf.get(child.id) ?? []), a]);

  const split = [...childrenOf].filter(([, into]) => into.length > 1).map(([a, into]) => ({ a, into: into.sort((x, y) => x - y) }));
  const merged = [...parentsOf].filter(([, from]) => from.length > 1).map(([b, from]) => ({ b, from: from.sort((x, y) => x - y) }));
  const isSplit = new Set(split.map((s) => s.a));
  const isMerged = new Set(merged.map((m) => m.b));

  const matches = matchClusters(overlaps).map(({ a, b, shared }) => ({ a, b, shared, sizeA: sizeA.get(a)!, sizeB: sizeB.get(b)! }));
  matches.sort((x, y) => y.shared - x.shared || x.a - y.a);
  const matchOf = new Map(matches.map((m) => [m.a, m.b]));
  let facesMoved = 0;
  for (const { a, b, count } of overlaps) if (matchOf.get(a) !== b) facesMoved += count;

  const byId = (x: number, y: number) => x - y;
  return {
    clustersA: sizeA.size,
    clustersB: sizeB.size,
    matches,
    kept: matches.filter((m) => !isSplit.has(m.a) && !isMerged.has(m.b) && childOf.get(m.a)?.id === m.b && parentOf.get(m.b)?.id === m.a).map((m) => m.a).sort(byId),
    split: split.sort((x, y) => x.a - y.a),
    merged: merged.sort((x, y) => x.b - y.b),
    vanished: [...sizeA.keys()].filter((a) => !childOf.has(a)).sort(byId),
    new: [...sizeB.keys()].filter((b) => !parentOf.has(b)).sort(byId),
    facesMoved,
    facesToNoise,
    facesFromNoise,
  };
}

/** Maximum-overlap one-to-one matching, solved per connected part of the overlap graph. */
export function matchClusters(overlaps: readonly ContingencyCell[]): { a: number; b: number; shared: number }[] {
  const result: { a: number; b: number; shared: number }[] = [];
  for (const part of connectedParts(overlaps)) {
    const rows = [...new Set(part.map((cell) => cell.a))];
    const columns = [...new Set(part.map((cell) => cell.b))];
    // One cluster on either side (kept, or a plain split or merge): the largest overlap is the matching.
    if (rows.length === 1 || columns.length === 1) {
      const best = part.reduce((x, y) => (y.count > x.count || (y.count === x.count && (y.a < x.a || (y.a === x.a && y.b < x.b))) ? y : x));
      result.push({ a: best.a, b: best.b, shared: best.count });
      continue;
    }
    if (rows.length > HUNGARIAN_LIMIT || columns.length > HUNGARIAN_LIMIT) {
      result.push(...greedyMatch(part));
      continue;
    }
    const rowIndex = new Map(rows.map((a, i) => [a, i]));
    const columnIndex = new Map(columns.map((b, i) => [b, i]));
    const shared = rows.map(() => new Array<number>(columns.length).fill(0));
    let most = 0;
    for (const { a, b, count } of part) {
      shared[rowIndex.get(a)!]![columnIndex.get(b)!] = count;
      most = Math.max(most, count);
    }
    // munkres minimises: cost = most - shared.
    for (const [y, x] of munkres(shared.map((row) => row.map((count) => most - count)))) {
      const count = shared[y]![x]!;
      if (count > 0) result.push({ a: rows[y]!, b: columns[x]!, shared: count });
    }
  }
  return result;
}

function greedyMatch(part: readonly ContingencyCell[]): { a: number; b: number; shared: number }[] {
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const result: { a: number; b: number; shared: number }[] = [];
  for (const { a, b, count } of [...part].sort((x, y) => y.count - x.count || x.a - y.a || x.b - y.b)) {
    if (usedA.has(a) || usedB.has(b)) continue;
    usedA.add(a);
    usedB.add(b);
    result.push({ a, b, shared: count });
  }
  return result;
}

/** The overlap cells grouped by connected part (clusters linked by shared faces), by union-find. */
function connectedParts(overlaps: readonly ContingencyCell[]): ContingencyCell[][] {
  // Nodes: A cluster x as 2x, B cluster y as 2y + 1 (both are 0 or more here).
  const parent = new Map<number, number>();
  const find = (key: number): number => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let node = key; node !== root; ) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  for (const { a, b } of overlaps) {
    for (const key of [2 * a, 2 * b + 1]) if (!parent.has(key)) parent.set(key, key);
    const [rootA, rootB] = [find(2 * a), find(2 * b + 1)];
    if (rootA !== rootB) parent.set(rootA, rootB);
  }
  const parts = new Map<number, ContingencyCell[]>();
  for (const cell of overlaps) {
    const root = find(2 * cell.a);
    const part = parts.get(root);
    if (part) part.push(cell);
    else parts.set(root, [cell]);
  }
  return [...parts.values()];
}
