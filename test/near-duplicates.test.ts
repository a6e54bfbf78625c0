import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodePhoto, resizeInside } from '../imaging/image.ts';
import { HammingIndex } from '../imaging/hamming-index.ts';
import {
  DEFAULT_NEAR_DUPLICATE_OPTIONS,
  compareKeeperPreference,
  groupNearDuplicates,
  type NearDuplicateCandidate,
} from '../imaging/near-duplicates.ts';
import { HASH_SOURCE_SIDE, hamming, perceptualHashes } from '../imaging/perceptual-hash.ts';
import { demoPhotosDir, facesFixtures, petsFixtures, skipUnless } from './fixtures.ts';

/** Deterministic 64-bit values (splitmix32 on two halves) so failures reproduce. */
function randomHashes(count: number, seed: number): bigint[] {
  let state = seed;
  const next = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  return Array.from({ length: count }, () => (BigInt(next()) << 32n) | BigInt(next()));
}

function flipBits(hash: bigint, bits: number[]): bigint {
  return bits.reduce((h, bit) => h ^ (1n << BigInt(bit)), hash);
}

function candidate(fileId: string, dhash: bigint, phash: bigint, extra: Partial<NearDuplicateCandidate> = {}): NearDuplicateCandidate {
  return { fileId, dhash, phash, width: 100, height: 100, hasExif: false, takenAt: null, ...extra };
}

test('HammingIndex finds exactly the pairs and matches brute force finds', () => {
  const base = randomHashes(1500, 7);
  // Plant near neighbours at 1..14 bits so every radius has something to find.
  const hashes = [...base, ...base.slice(0, 300).map((h, i) => flipBits(h, Array.from({ length: 1 + (i % 14) }, (_, k) => (i * 7 + k * 5) % 64)))];
  const index = HammingIndex.build(hashes);
  for (const radius of [0, 3, 6, 10, 12]) {
    const expected = new Set<string>();
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) if (hamming(hashes[i], hashes[j]) <= radius) expected.add(`${i}-${j}`);
    }
    const found: string[] = [];
    index.forEachPairWithin(radius, (i, j, distance) => {
      assert.ok(i < j);
      assert.equal(distance, hamming(hashes[i], hashes[j]));
      found.push(`${i}-${j}`);
    });
    assert.equal(found.length, new Set(found).size, `radius ${radius}: a pair reported twice`);
    assert.deepEqual(new Set(found), expected, `radius ${radius}`);
    assert.ok(radius < 6 || expected.size > 0, 'the test plants pairs');

    const query = hashes[1234 % hashes.length];
    const bruteForce = hashes.flatMap((h, i) => (hamming(h, query) <= radius ? [i] : [])).sort((a, b) => a - b);
    assert.deepEqual(index.query(query, radius).map((m) => m.index).sort((a, b) => a - b), bruteForce);
  }
});

test('keeper order: resolution, then EXIF, then oldest capture, then fileId', () => {
  const ordered = [
    candidate('z', 0n, 0n, { width: 4000, height: 3000 }),
    candidate('y', 0n, 0n, { width: 2000, height: 1500, hasExif: true, takenAt: 1000 }),
    candidate('x', 0n, 0n, { width: 2000, height: 1500, hasExif: true, takenAt: 2000 }),
    candidate('w', 0n, 0n, { width: 2000, height: 1500, hasExif: true, takenAt: null }),
    candidate('a', 0n, 0n, { width: 2000, height: 1500 }),
    candidate('b', 0n, 0n, { width: 2000, height: 1500 }),
  ];
  assert.deepEqual([...ordered].reverse().sort(compareKeeperPreference).map((c) => c.fileId), ['z', 'y', 'x', 'w', 'a', 'b']);
});

test('groups: components of size 2+, chained members, deterministic whatever the input order', () => {
  const [d1, p1, d2, p2, d3, p3] = randomHashes(6, 11);
  const items = [
    candidate('b', d1, p1, { width: 1000, height: 800, hasExif: true }),
    candidate('a', flipBits(d1, [1, 2]), flipBits(p1, [3, 4, 5, 6]), { width: 500, height: 400 }),
    // c is 8 dHash bits from the keeper b; d is 16 from b and joins only through c.
    candidate('c', flipBits(d1, [10, 11, 12, 13, 14, 15, 16, 17]), p1),
    candidate('d', flipBits(d1, [10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27]), p1),
    candidate('lonely', d2, p2),
    candidate('e', d3, p3),
    candidate('f', d3, p3), // exact copy of e
  ];
  const rows = groupNearDuplicates(items);
  const shuffled = groupNearDuplicates([...items].reverse());
  assert.deepEqual(shuffled, rows);

  assert.deepEqual(
    rows.map((r) => [r.groupId, r.fileId, r.isKeeper]),
    [
      ['a', 'b', true],
      ['a', 'a', false],
      ['a', 'c', false],
      ['a', 'd', false],
      ['e', 'e', true],
      ['e', 'f', false],
    ],
  );
  const byId = new Map(rows.map((r) => [r.fileId, r]));
  assert.equal(byId.get('a')!.linkedFileId, 'b');
  assert.equal(byId.get('a')!.distance, 2);
  assert.equal(byId.get('a')!.phashDistance, 4);
  assert.equal(byId.get('a')!.hashKind, 'both');
  assert.equal(byId.get('c')!.linkedFileId, 'b');
  assert.equal(byId.get('d')!.linkedFileId, 'c', 'd is 16 from the keeper: linked through c');
  assert.equal(byId.get('d')!.distance, 8);
  assert.equal(byId.get('f')!.distance, 0);
  assert.ok(!byId.has('lonely'));
});

test('rule both needs both hashes close; rule either reports which hash linked', () => {
  const [d, p] = randomHashes(2, 5);
  const farP = flipBits(p, Array.from({ length: 20 }, (_, k) => k * 3));
  const items = [candidate('a', d, p), candidate('b', flipBits(d, [0, 9]), farP)];
  assert.deepEqual(groupNearDuplicates(items), [], 'pHash 20 apart: not a near duplicate by default');
  const either = groupNearDuplicates(items, { dhashMaxDistance: 8, phashMaxDistance: 10, rule: 'either' });
  assert.deepEqual(either.map((r) => [r.fileId, r.hashKind, r.distance]), [['a', 'both', 0], ['b', 'dhash', 2]]);
  const phashOnly = groupNearDuplicates([candidate('a', d, p), candidate('b', ~d & 0xffffffffffffffffn, flipBits(p, [1]))], {
    dhashMaxDistance: 8,
    phashMaxDistance: 10,
    rule: 'either',
  });
  assert.deepEqual(phashOnly.map((r) => [r.fileId, r.hashKind, r.distance]), [['a', 'both', 0], ['b', 'phash', 1]]);
});

test('fixtures + demo photos: the letterboxed copies and obama.jpg form the only group', { skip: skipUnless(facesFixtures) }, async () => {
  const files = [
    ...readdirSync(facesFixtures).filter((f) => f.endsWith('.jpg')).map((f) => join(facesFixtures, f)),
    ...(existsSync(petsFixtures) ? readdirSync(petsFixtures).filter((f) => f.endsWith('.png')).map((f) => join(petsFixtures, f)) : []),
    ...[1, 2, 3, 4, 5, 6].map((i) => join(demoPhotosDir, `sample${i}.jpg`)),
  ];
  const items: NearDuplicateCandidate[] = [];
  for (const file of files) {
    const photo = await decodePhoto(file);
    // As the photo worker hashes: bits from the small copy the 256 px thumbnail is made from.
    const { dhash, phash, hashedBox } = perceptualHashes(photo, undefined, await resizeInside(photo, HASH_SOURCE_SIDE));
    const name = file.split('/').pop()!;
    // Content size (bars trimmed, in original pixels), so black bars do not make a copy "larger".
    const width = Math.round(hashedBox.width / photo.scale);
    const height = Math.round(hashedBox.height / photo.scale);
    items.push({ fileId: name, dhash, phash, width, height, hasExif: false, takenAt: null });
  }
  const rows = groupNearDuplicates(items, DEFAULT_NEAR_DUPLICATE_OPTIONS);
  const groups = new Set(rows.map((r) => r.groupId));
  assert.equal(groups.size, 1, JSON.stringify(rows));
  assert.deepEqual(rows.map((r) => r.fileId).sort(), ['obama-1080p.jpg', 'obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama.jpg']);
  // obama.jpg has the most content pixels (910x1137 vs 910x1080 inside the 1080p bars): the keeper.
  assert.equal(rows.find((r) => r.isKeeper)!.fileId, 'obama.jpg');
  assert.ok(rows.every((r) => r.dhashDistance <= 6 && r.phashDistance <= 12), JSON.stringify(rows));
});
