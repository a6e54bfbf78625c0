// Radius search over 64-bit hashes by multi-index hashing (Norouzi, Punjani
// and Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", 2012).
//
// Why this and not a BK-tree: a BK-tree prunes a child only when its edge
// label is outside [d - r, d + r]; random 64-bit hashes sit at distance
// 32 +- 4 from each other, so at r = 8-12 that window covers almost every
// child and each query visits most of the tree. Measured here (2 busy cores)
// on 200,000 random hashes: a BK-tree radius-10 query took about 35 ms and
// visited two thirds of the nodes (radius 12: 45 ms, 83%), so a self-join
// would take about two hours. This index does the whole self-join in about
// 1 s of CPU at radius 10 (0.2 s at radius 6, 5 s at radius 12, where each
// block is probed at 3 bits: 697 values instead of 137).
//
// How: the 64 bits are cut into 4 blocks of 16 bits. If two hashes are within
// distance r, by pigeonhole at least one block differs in at most
// floor(r / 4) bits. Each block has a table of its 65,536 values (counting
// sort, so buckets are contiguous runs); a query probes, in each table, every
// value within floor(r / 4) bits of its own block and verifies the candidates
// by full distance. Why 4 x 16 rather than r + 1 exact blocks: with 11 blocks
// of 6 bits (r = 10) every bucket of a 200,000-hash table holds about 3,000
// hashes; 16-bit blocks hold about 3, their offset table (256 KB) stays in
// cache, and probing 137 neighbour values per table (r = 10) is cheap.
// Blocks line up with the two 32-bit halves, so no bigint in the hot loop.
import { popcount32, toHalves } from './perceptual-hash.ts';

const BLOCKS = 4;
const BLOCK_VALUES = 1 << 16;

export interface HammingMatch {
  /** Position of the hash in the array the index was built from. */
  index: number;
  distance: number;
}

interface BlockTable {
  /** Bucket of value v is positions offsets[v] .. offsets[v + 1] - 1. */
  offsets: Int32Array;
  /** Per position (bucket order): the hash's index and its halves, contiguous for cache-friendly verification. */
  ids: Int32Array;
  hi: Uint32Array;
  lo: Uint32Array;
}

export class HammingIndex {
  readonly size: number;
  private readonly tables: BlockTable[];

  private constructor(hi: Uint32Array, lo: Uint32Array) {
    this.size = hi.length;
    this.tables = [];
    for (let block = 0; block < BLOCKS; block++) this.tables.push(buildTable(hi, lo, block));
  }

  /** Indexes the hashes (64-bit unsigned); results refer to positions in this array. */
  static build(hashes: readonly bigint[] | BigUint64Array): HammingIndex {
    const hi = new Uint32Array(hashes.length);
    const lo = new Uint32Array(hashes.length);
    for (let i = 0; i < hashes.length; i++) [hi[i], lo[i]] = toHalves(hashes[i]);
    return new HammingIndex(hi, lo);
  }

  /** Every indexed hash within `radius` of `hash`, each once, in no particular order. */
  query(hash: bigint, radius: number): HammingMatch[] {
    const [qHi, qLo] = toHalves(hash);
    const matches: HammingMatch[] = [];
    this.probe(qHi, qLo, radius, (index, distance) => matches.push({ index, distance }));
    return matches;
  }

  /**
   * Calls visit(i, j, distance) once for every pair i < j of indexed hashes
   * within `radius` of each other. Joins buckets with buckets rather than
   * querying hash by hash: each pair of buckets is compared once, in tight
   * loops over contiguous runs, which halves the candidates and skips the
   * per-candidate "already seen" test of a query.
   */
  forEachPairWithin(radius: number, visit: (i: number, j: number, distance: number) => void): void {
    const blockRadius = Math.floor(radius / BLOCKS);
    const masks = masksWithinBits(blockRadius); // masks[0] is 0: the bucket itself
    for (let block = 0; block < BLOCKS; block++) {
      const { offsets, ids, hi, lo } = this.tables[block];
      const report = (p: number, q: number, distance: number): void => {
        // A pair may be close in several blocks; report it from the first one only.
        if (seenInEarlierBlock(hi[p], lo[p], hi[q], lo[q], block, blockRadius)) return;
        if (ids[p] < ids[q]) visit(ids[p], ids[q], distance);
        else visit(ids[q], ids[p], distance);
      };
      // Compares every hash of positions [p0, p1) with every hash of [q0, q1) (q > p when the runs are the same bucket).
      const joinRuns = (p0: number, p1: number, q0: number, q1: number, sameRun: boolean): void => {
        for (let p = p0; p < p1; p++) {
          const pHi = hi[p];
          const pLo = lo[p];
          for (let q = sameRun ? p + 1 : q0; q < q1; q++) {
            const distance = popcount32(pHi ^ hi[q]) + popcount32(pLo ^ lo[q]);
            if (distance <= radius) report(p, q, distance);
          }
        }
      };
      for (let bucket = 0; bucket < BLOCK_VALUES; bucket++) {
        const start = offsets[bucket];
        const end = offsets[bucket + 1];
        if (start === end) continue;
        joinRuns(start, end, start, end, true);
        for (let m = 1; m < masks.length; m++) {
          const other = bucket ^ masks[m];
          if (other > bucket) joinRuns(start, end, offsets[other], offsets[other + 1], false); // smaller: joined from the other side
        }
      }
    }
  }

  /** Reports each hash within radius once. */
  private probe(qHi: number, qLo: number, radius: number, found: (index: number, distance: number) => void): void {
    const blockRadius = Math.floor(radius / BLOCKS);
    const masks = masksWithinBits(blockRadius);
    for (let block = 0; block < BLOCKS; block++) {
      const { offsets, ids, hi, lo } = this.tables[block];
      const key = blockValue(qHi, qLo, block);
      for (let m = 0; m < masks.length; m++) {
        const bucket = key ^ masks[m];
        for (let pos = offsets[bucket], end = offsets[bucket + 1]; pos < end; pos++) {
          const distance = popcount32((hi[pos] ^ qHi) >>> 0) + popcount32((lo[pos] ^ qLo) >>> 0);
          if (distance > radius) continue;
          // A pair may be close in several blocks; report it from the first one only.
          if (seenInEarlierBlock(qHi, qLo, hi[pos], lo[pos], block, blockRadius)) continue;
          found(ids[pos], distance);
        }
      }
    }
  }
}

function blockValue(hi: number, lo: number, block: number): number {
  switch (block) {
    case 0:
      return hi >>> 16;
    case 1:
      return hi & 0xffff;
    case 2:
      return lo >>> 16;
    default:
      return lo & 0xffff;
  }
}

function seenInEarlierBlock(aHi: number, aLo: number, bHi: number, bLo: number, block: number, blockRadius: number): boolean {
  for (let earlier = 0; earlier < block; earlier++) {
    if (popcount32(blockValue(aHi, aLo, earlier) ^ blockValue(bHi, bLo, earlier)) <= blockRadius) return true;
  }
  return false;
}

function buildTable(hiById: Uint32Array, loById: Uint32Array, block: number): BlockTable {
  const n = hiById.length;
  const offsets = new Int32Array(BLOCK_VALUES + 1);
  for (let i = 0; i < n; i++) offsets[blockValue(hiById[i], loById[i], block) + 1]++;
  for (let v = 0; v < BLOCK_VALUES; v++) offsets[v + 1] += offsets[v];
  const next = offsets.slice(0, BLOCK_VALUES);
  const ids = new Int32Array(n);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const pos = next[blockValue(hiById[i], loById[i], block)]++;
    ids[pos] = i;
    hi[pos] = hiById[i];
    lo[pos] = loById[i];
  }
  return { offsets, ids, hi, lo };
}

const maskCache = new Map<number, Uint16Array>();

/** All 16-bit values with at most `bits` bits set (the probes around a block value). */
function masksWithinBits(bits: number): Uint16Array {
  let masks = maskCache.get(bits);
  if (!masks) {
    const list: number[] = [];
    for (let v = 0; v < BLOCK_VALUES; v++) if (popcount32(v) <= bits) list.push(v);
    masks = Uint16Array.from(list);
    maskCache.set(bits, masks);
  }
  return masks;
}
