// Near-duplicate groups from perceptual hashes: edges between photos whose
// hashes are close, groups = connected components, one keeper per group.
import { HammingIndex } from './hamming-index.ts';
import { hamming } from './perceptual-hash.ts';

export interface NearDuplicateCandidate {
  fileId: string;
  dhash: bigint;
  phash: bigint;
  /**
   * Pixel size used to pick the keeper. Pass the content size (hashedBox from
   * perceptualHashes, divided by the decode's scale): with the full size, a
   * letterboxed 1920x1080 copy would beat its 910x1137 original by its bars.
   */
  width: number;
  height: number;
  hasExif: boolean;
  /** Capture time in ms (any consistent clock), null when unknown. */
  takenAt: number | null;
}

export type HashKind = 'dhash' | 'phash' | 'both';

/**
 * 'both': an edge needs dHash AND pHash within their thresholds (default).
 * 'either': one suffices; use stricter thresholds then (e.g. 8 and 10).
 */
export type EdgeRule = 'both' | 'either';

export interface NearDuplicateOptions {
  dhashMaxDistance: number;
  phashMaxDistance: number;
  rule?: EdgeRule;
}

/**
 * Defaults measured on the fixtures and demo photos (bench/near-duplicates.ts
 * prints the matrices, plus resized, recompressed, letterboxed and cropped
 * copies): true duplicates were at most dHash 5 / pHash 10 apart (obama.jpg
 * vs its letterboxed copies, after border trim), unrelated photos at least
 * dHash 19 / pHash 22 (obama2 vs obama_small, same person). Both defaults
 * sit near the middle of those gaps. Requiring both is what keeps false
 * merges rare at archive scale: for random 64-bit hashes P(d <= 10) is 1e-8
 * per pair, which over the 2e10 pairs of 200,000 photos is ~200 false edges
 * from dHash alone; also requiring pHash <= 16 (P ~ 4e-5) leaves ~0.01.
 * No true duplicate on the fixtures passed one hash but failed the other, so
 * the AND costs no recall there.
 */
export const DEFAULT_NEAR_DUPLICATE_OPTIONS: Required<NearDuplicateOptions> = {
  dhashMaxDistance: 10,
  phashMaxDistance: 16,
  rule: 'both',
};

export interface NearDuplicateRow {
  /** The smallest fileId of the group: stable whichever member is the keeper. */
  groupId: string;
  fileId: string;
  /** Which hash(es) link this member (its link: see linkedFileId); 'both' for the keeper. */
  hashKind: HashKind;
  /** Distance of the link in the hash named by hashKind (dHash when 'both'); 0 for the keeper. */
  distance: number;
  dhashDistance: number;
  phashDistance: number;
  /** The keeper when this member is directly within the thresholds of it; otherwise the closest member it is linked to (the group formed by chaining); null for the keeper. */
  linkedFileId: string | null;
  isKeeper: boolean;
}

interface Edge {
  a: number;
  b: number;
  dhash: number;
  phash: number;
}

/** Groups of two or more near-duplicate photos, sorted by groupId, keeper first, then fileId. */
export function groupNearDuplicates(
  items: readonly NearDuplicateCandidate[],
  options: NearDuplicateOptions = DEFAULT_NEAR_DUPLICATE_OPTIONS,
): NearDuplicateRow[] {
  const thresholds = { ...DEFAULT_NEAR_DUPLICATE_OPTIONS, ...options };
  const edges = findEdges(items, thresholds);
  const components = new UnionFind(items.length);
  for (const edge of edges) components.union(edge.a, edge.b);

  const edgesByItem = new Map<number, Edge[]>(); // only items with an edge: the grouped ones
  for (const edge of edges) {
    for (const i of [edge.a, edge.b]) {
      const list = edgesByItem.get(i);
      if (list) list.push(edge);
      else edgesByItem.set(i, [edge]);
    }
  }
  const members = new Map<number, number[]>(); // component root -> item indexes
  for (const i of edgesByItem.keys()) {
    const root = components.find(i);
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }

  const rows: NearDuplicateRow[] = [];
  for (const group of members.values()) {
    const sorted = group.map((i) => items[i]).sort(compareKeeperPreference);
    const keeper = sorted[0];
    const keeperIndex = group.find((i) => items[i] === keeper)!;
    const groupId = group.map((i) => items[i].fileId).reduce((a, b) => (b < a ? b : a));
    for (const i of group) {
      if (i === keeperIndex) {
        rows.push({ groupId, fileId: keeper.fileId, hashKind: 'both', distance: 0, dhashDistance: 0, phashDistance: 0, linkedFileId: null, isKeeper: true });
        continue;
      }
      const link = linkOf(i, keeperIndex, items, edgesByItem.get(i) ?? [], thresholds);
      const kind = kindOf(link.dhash, link.phash, thresholds);
      rows.push({
        groupId,
        fileId: items[i].fileId,
        hashKind: kind,
        distance: kind === 'phash' ? link.phash : link.dhash,
        dhashDistance: link.dhash,
        phashDistance: link.phash,
        linkedFileId: items[link.to].fileId,
        isKeeper: false,
      });
    }
  }
  return rows.sort(
    (x, y) => compareStrings(x.groupId, y.groupId) || Number(y.isKeeper) - Number(x.isKeeper) || compareStrings(x.fileId, y.fileId),
  );
}

/**
 * Keeper order: largest resolution, then has EXIF (the original rather than
 * a re-export), then oldest capture (unknown last), then fileId.
 */
export function compareKeeperPreference(a: NearDuplicateCandidate, b: NearDuplicateCandidate): number {
  return (
    b.width * b.height - a.width * a.height ||
    Number(b.hasExif) - Number(a.hasExif) ||
    compareCaptureTimes(a.takenAt, b.takenAt) ||
    compareStrings(a.fileId, b.fileId)
  );
}

/** Older first; unknown after any known time. */
function compareCaptureTimes(a: number | null, b: number | null): number {
  if (a === null || b === null) return Number(a === null) - Number(b === null);
  return a - b;
}

/** Code-unit order, independent of locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function passes(dhash: number, phash: number, t: Required<NearDuplicateOptions>): boolean {
  const d = dhash <= t.dhashMaxDistance;
  const p = phash <= t.phashMaxDistance;
  return t.rule === 'both' ? d && p : d || p;
}

function kindOf(dhash: number, phash: number, t: Required<NearDuplicateOptions>): HashKind {
  const d = dhash <= t.dhashMaxDistance;
  const p = phash <= t.phashMaxDistance;
  return d && p ? 'both' : d ? 'dhash' : 'phash'; // only called for links that pass the rule
}

/** The member's direct link to the keeper when within thresholds, else its closest edge. */
function linkOf(
  i: number,
  keeper: number,
  items: readonly NearDuplicateCandidate[],
  edges: Edge[],
  t: Required<NearDuplicateOptions>,
): { to: number; dhash: number; phash: number } {
  const dhash = hamming(items[i].dhash, items[keeper].dhash);
  const phash = hamming(items[i].phash, items[keeper].phash);
  if (passes(dhash, phash, t)) return { to: keeper, dhash, phash };
  let best = edges[0];
  for (const edge of edges) if (edge.dhash + edge.phash < best.dhash + best.phash) best = edge;
  return { to: best.a === i ? best.b : best.a, dhash: best.dhash, phash: best.phash };
}

/**
 * Every pair that passes the rule. Exact hash copies are collapsed first
 * (a thousand identical black frames would otherwise be a million pairs);
 * the others are found by a radius self-join on the multi-index.
 */
function findEdges(items: readonly NearDuplicateCandidate[], t: Required<NearDuplicateOptions>): Edge[] {
  const edges: Edge[] = [];
  const representatives: number[] = [];
  const firstWithHashes = new Map<bigint, number>();
  for (let i = 0; i < items.length; i++) {
    const key = (items[i].dhash << 64n) | items[i].phash;
    const first = firstWithHashes.get(key);
    if (first === undefined) {
      firstWithHashes.set(key, i);
      representatives.push(i);
    } else {
      edges.push({ a: first, b: i, dhash: 0, phash: 0 });
    }
  }
  const repHashes = (kind: 'dhash' | 'phash'): bigint[] => representatives.map((i) => items[i][kind]);
  const addEdge = (ra: number, rb: number): void => {
    const a = representatives[ra];
    const b = representatives[rb];
    const dhash = hamming(items[a].dhash, items[b].dhash);
    const phash = hamming(items[a].phash, items[b].phash);
    if (passes(dhash, phash, t)) edges.push({ a, b, dhash, phash });
  };

  if (t.rule === 'both') {
    // Join on the hash with the smaller radius (fewer probes), check the other.
    const kind = t.dhashMaxDistance <= t.phashMaxDistance ? 'dhash' : 'phash';
    const radius = kind === 'dhash' ? t.dhashMaxDistance : t.phashMaxDistance;
    HammingIndex.build(repHashes(kind)).forEachPairWithin(radius, addEdge);
  } else {
    HammingIndex.build(repHashes('dhash')).forEachPairWithin(t.dhashMaxDistance, addEdge);
    // Pairs close in dHash were already added by the first join.
    HammingIndex.build(repHashes('phash')).forEachPairWithin(t.phashMaxDistance, (ra, rb) => {
      const a = representatives[ra];
      const b = representatives[rb];
      if (hamming(items[a].dhash, items[b].dhash) > t.dhashMaxDistance) addEdge(ra, rb);
    });
  }
  return edges;
}

class UnionFind {
  private readonly parent: Int32Array;

  constructor(size: number) {
    this.parent = new Int32Array(size);
    for (let i = 0; i < size; i++) this.parent[i] = i;
  }

  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]]; // path halving
      i = this.parent[i];
    }
    return i;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}
