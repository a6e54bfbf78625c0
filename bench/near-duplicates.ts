// Near-duplicate benchmark, in three parts:
//   1. distances: dHash/pHash matrices on the real photos plus edited copies,
//      the measurement behind DEFAULT_NEAR_DUPLICATE_OPTIONS;
//   2. grouping: synthetic hashes (random + planted clusters), build/query/total;
//   3. ingestion: images/s for decode + hashes + thumbnails + EXIF on real photos.
//
//   node --import tsx bench/near-duplicates.ts [--hashes 200000] [--photos 300] [--only distances|grouping|ingestion]
// (or MNEMO_BENCH_HASHES / MNEMO_BENCH_PHOTOS). Use small sizes while developing.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodePhoto, resizeInside } from '../imaging/image.ts';
import { readExif } from '../files/exif.ts';
import { HammingIndex } from '../imaging/hamming-index.ts';
import { DEFAULT_NEAR_DUPLICATE_OPTIONS, groupNearDuplicates, type NearDuplicateCandidate } from '../imaging/near-duplicates.ts';
import { HASH_SOURCE_SIDE, hamming, perceptualHashes } from '../imaging/perceptual-hash.ts';
import { writeThumbnails } from '../imaging/thumbnails.ts';
import { demoPhotosDir, facesFixtures, petsFixtures } from '../test/fixtures.ts';

const { values: args } = parseArgs({
  options: {
    hashes: { type: 'string', default: process.env.MNEMO_BENCH_HASHES ?? '200000' },
    photos: { type: 'string', default: process.env.MNEMO_BENCH_PHOTOS ?? '300' },
    only: { type: 'string' },
  },
});
const runs = (part: string): boolean => !args.only || args.only === part;

console.log(`cpus ${os.cpus().length}, sharp concurrency ${sharp.concurrency()}, node ${process.version}`);

const realPhotos = [
  ...listFiles(facesFixtures, '.jpg'),
  ...listFiles(petsFixtures, '.png'),
  ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)).filter(existsSync),
];

function listFiles(dir: string, extension: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(extension)).sort().map((f) => join(dir, f)) : [];
}

const shortName = (path: string): string => path.split('/').pop()!.replace(/\.(jpg|png)$/, '');

// ---------- 1. distances ----------

interface Hashed {
  name: string;
  dhash: bigint;
  phash: bigint;
  /** Photos with the same `original` are true duplicates of each other. */
  original: string;
}

/** The fixtures' labelled duplicate group: the letterboxed copies and obama.jpg show one photo. */
const originalOf = (name: string): string => (/^obama(-\d+p)?$/.test(name) ? 'obama' : name);

/** As the photo worker hashes: the border found on the decode, the bits from its small copy. */
async function hashBuffer(input: string | Buffer): Promise<{ dhash: bigint; phash: bigint }> {
  const photo = await decodePhoto(input);
  return perceptualHashes(photo, undefined, await resizeInside(photo, HASH_SOURCE_SIDE));
}

/** Edits a family archive is full of: re-saved smaller, recompressed, letterboxed, brightened, slightly cropped. */
async function editedCopies(path: string): Promise<Array<{ edit: string; bytes: Buffer }>> {
  const meta = await sharp(path).metadata();
  const width = meta.width!;
  const height = meta.height!;
  const barWidth = Math.round((height * 16) / 9 - width) / 2;
  const crop = { left: Math.round(width * 0.03), top: Math.round(height * 0.03), width: Math.round(width * 0.94), height: Math.round(height * 0.94) };
  return [
    { edit: 'half size q85', bytes: await sharp(path).resize(Math.round(width / 2)).jpeg({ quality: 85 }).toBuffer() },
    { edit: 'jpeg q25', bytes: await sharp(path).jpeg({ quality: 25 }).toBuffer() },
    {
      edit: 'letterboxed',
      bytes: await sharp(path)
        .extend(barWidth > 0 ? { left: Math.floor(barWidth), right: Math.ceil(barWidth), background: '#000' } : { top: 40, bottom: 40, background: '#000' })
        .jpeg()
        .toBuffer(),
    },
    { edit: 'brighter 15%', bytes: await sharp(path).modulate({ brightness: 1.15 }).jpeg().toBuffer() },
    { edit: 'crop 3% each side', bytes: await sharp(path).extract(crop).jpeg().toBuffer() },
  ];
}

function printMatrix(kind: 'dhash' | 'phash', photos: Hashed[]): void {
  console.log(`\n${kind} distance matrix (originals):`);
  console.log('             ' + photos.map((p) => p.name.replace('obama', 'ob').slice(0, 6).padStart(7)).join(''));
  for (const a of photos) console.log(a.name.slice(0, 12).padEnd(13) + photos.map((b) => String(hamming(a[kind], b[kind])).padStart(7)).join(''));
}

async function benchDistances(): Promise<void> {
  if (realPhotos.length === 0) return console.log('distances: fixtures not found, skipped');
  const originals: Hashed[] = [];
  for (const path of realPhotos) {
    const name = shortName(path);
    originals.push({ name, original: originalOf(name), ...(await hashBuffer(path)) });
  }
  printMatrix('dhash', originals);
  printMatrix('phash', originals);

  const largest = { dhash: 0, phash: 0 };
  const smallest = { dhash: 64, phash: 64 };
  for (let i = 0; i < originals.length; i++) {
    for (let j = i + 1; j < originals.length; j++) {
      const a = originals[i];
      const b = originals[j];
      const same = a.original === b.original;
      for (const kind of ['dhash', 'phash'] as const) {
        const d = hamming(a[kind], b[kind]);
        if (same) largest[kind] = Math.max(largest[kind], d);
        else smallest[kind] = Math.min(smallest[kind], d);
      }
    }
  }

  console.log('\nedited copies of the demo photos, distance to their original (dHash/pHash):');
  const demo = originals.filter((p) => p.name.startsWith('sample'));
  const editLargest = new Map<string, { dhash: number; phash: number }>();
  for (const photo of demo) {
    const cells: string[] = [];
    for (const { edit, bytes } of await editedCopies(join(demoPhotosDir, `${photo.name}.jpg`))) {
      const copy = await hashBuffer(bytes);
      const d = hamming(photo.dhash, copy.dhash);
      const p = hamming(photo.phash, copy.phash);
      const worst = editLargest.get(edit) ?? { dhash: 0, phash: 0 };
      editLargest.set(edit, { dhash: Math.max(worst.dhash, d), phash: Math.max(worst.phash, p) });
      cells.push(`${edit} ${d}/${p}`);
      // An edited copy must stay far from every other photo too.
      for (const other of originals) {
        if (other.name === photo.name) continue;
        smallest.dhash = Math.min(smallest.dhash, hamming(other.dhash, copy.dhash));
        smallest.phash = Math.min(smallest.phash, hamming(other.phash, copy.phash));
      }
    }
    console.log(`  ${photo.name}: ${cells.join(', ')}`);
  }
  for (const [edit, worst] of editLargest) console.log(`  largest after "${edit}": dHash ${worst.dhash}, pHash ${worst.phash}`);
  console.log(`\nlabelled duplicates among the originals, largest distance: dHash ${largest.dhash}, pHash ${largest.phash}`);
  console.log(`unrelated pairs (originals and edited copies), smallest distance: dHash ${smallest.dhash}, pHash ${smallest.phash}`);
  const { dhashMaxDistance, phashMaxDistance, rule } = DEFAULT_NEAR_DUPLICATE_OPTIONS;
  console.log(`defaults: dHash <= ${dhashMaxDistance} ${rule === 'both' ? 'AND' : 'OR'} pHash <= ${phashMaxDistance}`);

  const rows = groupNearDuplicates(originals.map((p) => ({ fileId: p.name, dhash: p.dhash, phash: p.phash, width: 1, height: 1, hasExif: false, takenAt: null })));
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.groupId, [...(groups.get(row.groupId) ?? []), row.fileId]);
  console.log(`groups on the originals with the defaults: ${JSON.stringify([...groups.values()])}`);
}

// ---------- 2. grouping synthetic hashes ----------

function splitmix32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function benchGrouping(total: number): void {
  const random = splitmix32(42);
  const hash64 = (): bigint => (BigInt(random()) << 32n) | BigInt(random());
  const flip = (hash: bigint, bits: number): bigint => {
    for (let k = 0; k < bits; k++) hash ^= 1n << BigInt(random() % 64);
    return hash;
  };
  // 1% of the hashes start a planted cluster of 2-4 copies, each a few bits off its original
  // (at most 4 dHash / 6 pHash bits: pairwise at most 8 / 12, inside the defaults).
  const items: NearDuplicateCandidate[] = [];
  const plantedGroups: string[][] = [];
  while (items.length < total) {
    const dhash = hash64();
    const phash = hash64();
    const id = `f${String(items.length).padStart(7, '0')}`;
    items.push({ fileId: id, dhash, phash, width: 4000, height: 3000, hasExif: true, takenAt: null });
    if (random() % 100 === 0) {
      const group = [id];
      const copies = 1 + (random() % 3);
      for (let c = 0; c < copies && items.length < total; c++) {
        const copyId = `${id}-copy${c}`;
        group.push(copyId);
        items.push({ fileId: copyId, dhash: flip(dhash, 1 + (random() % 4)), phash: flip(phash, 1 + (random() % 6)), width: 2000, height: 1500, hasExif: false, takenAt: null });
      }
      if (group.length > 1) plantedGroups.push(group);
    }
  }

  let start = performance.now();
  const index = HammingIndex.build(items.map((item) => item.dhash));
  const buildSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  let pairs = 0;
  index.forEachPairWithin(DEFAULT_NEAR_DUPLICATE_OPTIONS.dhashMaxDistance, () => pairs++);
  const querySeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const cpuBefore = process.cpuUsage();
  const rows = groupNearDuplicates(items);
  const totalSeconds = (performance.now() - start) / 1000;
  const totalCpuSeconds = process.cpuUsage(cpuBefore).user / 1e6;

  const found = new Map<string, string[]>();
  for (const row of rows) found.set(row.groupId, [...(found.get(row.groupId) ?? []), row.fileId]);
  const foundKeys = new Set([...found.values()].map((ids) => ids.sort().join(',')));
  const recovered = plantedGroups.filter((group) => foundKeys.has([...group].sort().join(','))).length;
  console.log(`\ngrouping ${items.length} synthetic hashes (dHash radius ${DEFAULT_NEAR_DUPLICATE_OPTIONS.dhashMaxDistance}, pHash ${DEFAULT_NEAR_DUPLICATE_OPTIONS.phashMaxDistance}):`);
  console.log(`  index build ${buildSeconds.toFixed(2)} s, dHash self-join ${querySeconds.toFixed(2)} s (${pairs} pairs within radius)`);
  console.log(`  groupNearDuplicates total ${totalSeconds.toFixed(2)} s wall, ${totalCpuSeconds.toFixed(2)} s CPU (index + join + pHash check + union-find + keepers)`);
  console.log(`  groups found ${found.size}, planted ${plantedGroups.length}, planted recovered exactly ${recovered}`);
}

// ---------- 3. ingestion throughput ----------

async function benchIngestion(count: number): Promise<void> {
  if (realPhotos.length === 0) return console.log('ingestion: fixtures not found, skipped');
  const files = await Promise.all(realPhotos.map(async (path) => ({ path, bytes: await readFile(path) })));
  const cacheDir = await mkdtemp(join(os.tmpdir(), 'mnemo-bench-thumbs-'));
  const spent = { read: 0, decode: 0, smallCopy: 0, hash: 0, thumbnails: 0, exif: 0 };
  let pixels = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  try {
    for (let n = 0; n < count; n++) {
      const { bytes } = files[n % files.length];
      let t = performance.now();
      // A distinct key per repetition so thumbnails are really written every time.
      const sha = createHash('sha256').update(bytes).update(String(n)).digest('hex');
      spent.read += performance.now() - t;
      t = performance.now();
      const photo = await decodePhoto(bytes);
      spent.decode += performance.now() - t;
      pixels += photo.width * photo.height;
      t = performance.now();
      // The photo worker's way: one small copy for the hashes and the 256 px thumbnail.
      const small = await resizeInside(photo, HASH_SOURCE_SIDE);
      spent.smallCopy += performance.now() - t;
      t = performance.now();
      perceptualHashes(photo, undefined, small);
      spent.hash += performance.now() - t;
      t = performance.now();
      await writeThumbnails(photo, sha, cacheDir, undefined, new Map([[HASH_SOURCE_SIDE, small]]));
      spent.thumbnails += performance.now() - t;
      t = performance.now();
      await readExif(bytes);
      spent.exif += performance.now() - t;
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\ningestion of ${count} photos (${files.length} real files repeated, mean ${(pixels / count / 1e6).toFixed(2)} MP), one at a time:`);
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`  ${(count / seconds).toFixed(1)} images/s, ${seconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (libvips threads included)`);
  for (const [stage, ms] of Object.entries(spent)) console.log(`  ${stage.padEnd(10)} ${(ms / count).toFixed(1)} ms/photo`);
}

if (runs('distances')) await benchDistances();
if (runs('grouping')) benchGrouping(Number(args.hashes));
if (runs('ingestion')) await benchIngestion(Number(args.photos));
