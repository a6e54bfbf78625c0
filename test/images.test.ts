// The images node end to end on real photos: one decode per photo, faces
// with real ONNX inference, perceptual hashes and near-duplicate groups, the
// per-photo caches, and bad input that lands in the errors table.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import sharp from 'sharp';
import { runPipeline, type RunSummary } from '../dag/executor.ts';
import { ignoreEvents, type RunEventSink } from '../dag/progress.ts';
import { parseSpec } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { demoPhotosDir, facesFixtures, petsFixtures, skipUnless } from './fixtures.ts';
import { importPetsGold } from '../datasets/gold.ts';
import { runMetrics } from '../reports/metrics.ts';
import { tempDir } from './helpers.ts';

const fast = '{workers: 2, thumbnails: {enabled: false}, pets: {enabled: false}}';

function pipeline(dir: string, sources: string, imagesParams = fast, extra = '  near_duplicates:\n') {
  const yaml = `data: ./data\nsources:\n${sources}nodes:\n  scan:\n  hash:\n  images:\n    params: ${imagesParams}\n${extra}`;
  const store = new Store(join(dir, 'data'));
  const run = async (overrides: string[] = [], onEvent: RunEventSink = ignoreEvents): Promise<RunSummary> => {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES, { overrides }), NODE_TYPES, store, { onEvent });
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary;
  };
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;
  return { run, sql, store };
}

const metadataOf = (summary: RunSummary, node: string) => summary.nodes.find((n) => n.node === node)!;

test('faces, near-duplicates and caches on the labelled fixtures', { skip: skipUnless(facesFixtures) }, async () => {
  const dir = tempDir();
  const extra = join(dir, 'extra');
  mkdirSync(extra);
  const { run, sql } = pipeline(dir, `  - name: fixtures\n    path: ${facesFixtures}\n  - name: extra\n    path: ${extra}\n`);
  const first = await run();
  assert.equal(metadataOf(first, 'images').metadata.decoded, 9);

  // Face counts per file match labels.csv.
  const labels = readFileSync(join(facesFixtures, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
  const counts = await sql(`SELECT f.path, count(*) FILTER (WHERE NOT fa.rejected) AS faces FROM latest.files f LEFT JOIN latest.faces fa USING (file_id) GROUP BY ALL`);
  for (const [file, people] of labels) {
    assert.equal(counts.find((row) => row.path === file)?.faces, people!.split(';').length, file);
  }
  // The left face of two_people.jpg is obama: closer to obama.jpg's face than to biden.jpg's.
  const similarity = await sql(`
    WITH face AS (SELECT f.path, fa.x1, fa.embedding::FLOAT[512] AS e FROM latest.faces fa JOIN latest.files f USING (file_id) WHERE NOT fa.rejected)
    SELECT t.x1, array_cosine_similarity(t.e, o.e) AS to_obama, array_cosine_similarity(t.e, b.e) AS to_biden
    FROM face t, face o, face b WHERE t.path = 'two_people.jpg' AND o.path = 'obama.jpg' AND b.path = 'biden.jpg' ORDER BY t.x1`);
  assert.equal(similarity.length, 2);
  assert.ok(Number(similarity[0]!.to_obama) > Number(similarity[0]!.to_biden), 'left face is obama');
  assert.ok(Number(similarity[1]!.to_biden) > Number(similarity[1]!.to_obama), 'right face is biden');
  const norms = await sql('SELECT min(len(embedding)) AS dims, min(list_dot_product(embedding, embedding)) AS lo, max(list_dot_product(embedding, embedding)) AS hi FROM latest.faces');
  assert.equal(norms[0]!.dims, 512);
  assert.ok(Math.abs(Number(norms[0]!.lo) - 1) < 1e-4 && Math.abs(Number(norms[0]!.hi) - 1) < 1e-4, 'unit-length embeddings');

  // Near-duplicates: the four letterboxed copies are one group; obama2 and biden are not in it.
  const groups = await sql('SELECT n.group_id, f.path, n.is_keeper FROM latest.near_duplicates n JOIN latest.files f USING (file_id) ORDER BY f.path');
  const members = (path: string) => groups.find((row) => row.path === path)?.group_id;
  const letterboxed = ['obama-240p.jpg', 'obama-480p.jpg', 'obama-720p.jpg', 'obama-1080p.jpg'].map(members);
  assert.ok(letterboxed[0] && letterboxed.every((group) => group === letterboxed[0]), 'the four oval-16x9 copies form one group');
  assert.equal(members('obama2.jpg'), undefined);
  assert.equal(members('biden.jpg'), undefined);
  // Honest record: with border trimming obama.jpg (same photo without bars) joins, and as the keeper (no bars, EXIF).
  assert.equal(members('obama.jpg'), letterboxed[0]);
  assert.equal(groups.find((row) => row.is_keeper)?.path, 'obama.jpg');

  // Changing only a downstream parameter reuses images entirely.
  const downstream = await run(['near_duplicates.dhashMaxDistance=8']);
  assert.equal(metadataOf(downstream, 'images').status, 'reused');
  // Changing a face parameter decodes again for faces only; hashes come from their cache.
  const faceParam = await run(['images.faces.scoreThreshold=0.8']);
  assert.equal(metadataOf(faceParam, 'images').status, 'done');
  assert.equal(metadataOf(faceParam, 'images').metadata.decoded, 9);
  assert.equal((metadataOf(faceParam, 'images').metadata.msPerDecodedPhoto as { hashes: number }).hashes, 0, 'hashes from the cache');
  // A new photo costs one decode.
  copyFileSync(join(facesFixtures, 'biden.jpg'), join(extra, 'biden-copy.jpg'));
  await sharp(join(facesFixtures, 'obama2.jpg')).resize(400).jpeg({ quality: 70 }).toFile(join(extra, 'obama2-small.jpg'));
  const added = await run(['images.faces.scoreThreshold=0.8']);
  assert.equal(metadataOf(added, 'images').metadata.decoded, 1, 'the byte-identical copy is not decoded again');
  const copies = await sql(`SELECT count(*) AS n FROM run${added.runId}.faces fa JOIN run${added.runId}.files f USING (file_id) WHERE f.source = 'extra'`);
  assert.equal(copies[0]!.n, 2, 'both new files have their face rows');
  const resized = await sql(`SELECT n.group_id FROM run${added.runId}.near_duplicates n JOIN run${added.runId}.files f USING (file_id) WHERE f.path IN ('obama2.jpg', 'obama2-small.jpg')`);
  assert.equal(resized.length, 2);
  assert.equal(resized[0]!.group_id, resized[1]!.group_id, 'a resized, re-compressed copy is a near-duplicate');
});

/** A PNG whose header says 30000x30000: refused from its metadata, before any pixel is decoded. */
function hugePngHeader(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(30000, 0);
  header.writeUInt32BE(30000, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

test('bad input lands in errors with a clear reason and the run completes', async () => {
  const dir = tempDir();
  const photos = join(dir, 'Фото');
  mkdirSync(photos);
  const good = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } }).jpeg().toBuffer();
  writeFileSync(join(photos, 'good.jpg'), good);
  const real = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#888' } }).composite([{ input: Buffer.from('<svg width="800" height="600"><circle cx="400" cy="300" r="200" fill="#c33"/></svg>') }]).jpeg().toBuffer();
  writeFileSync(join(photos, 'truncated.jpg'), real.subarray(0, Math.floor(real.length / 3)));
  writeFileSync(join(photos, 'notes.jpg'), 'this is a text file with an image name\n');
  writeFileSync(join(photos, 'huge.png'), hugePngHeader());
  writeFileSync(join(photos, 'empty.jpg'), '');
  writeFileSync(join(photos, 'vanishing.jpg'), real);
  symlinkSync(join(photos, 'gone.jpg'), join(photos, 'broken.jpg'));

  const { run, sql } = pipeline(dir, `  - name: archive\n    path: ${photos}\n`, '{workers: 1, pets: {enabled: false}}');
  // The file disappears after scan and hash, just as the images node starts.
  const onEvent: RunEventSink = (event) => {
    if (event.type === 'node-started' && event.node === 'images') unlinkSync(join(photos, 'vanishing.jpg'));
  };
  const summary = await run([], onEvent);
  const errors = Object.fromEntries((await sql(`SELECT item, node || ': ' || message AS m FROM run${summary.runId}.errors`)).map((row) => [row.item, String(row.m)]));
  assert.match(errors['archive:truncated.jpg']!, /^images: cannot decode jpeg: .*(premature|truncat|end of|corrupt)/i);
  assert.match(errors['archive:notes.jpg']!, /^images: not a readable image: .*unsupported image format/i);
  assert.match(errors['archive:huge.png']!, /^images: image too large: 30000x30000 exceeds the 100 MP limit/);
  assert.match(errors['archive:empty.jpg']!, /^hash: empty file \(0 bytes\)/);
  assert.match(errors['archive:vanishing.jpg']!, /^images: the file vanished before it could be decoded \(ENOENT\)/);
  assert.match(errors['archive:broken.jpg']!, /^scan: broken symbolic link/);
  const decoded = await sql(`SELECT f.path, i.width, i.height FROM run${summary.runId}.images i JOIN run${summary.runId}.files f USING (file_id)`);
  assert.deepEqual(decoded, [{ path: 'good.jpg', width: 64, height: 48 }], 'the good photo is analysed');
  const thumbnails = await sql(`SELECT size FROM run${summary.runId}.thumbnails ORDER BY size`);
  assert.deepEqual(thumbnails.map((row) => row.size), [256], 'the small thumbnail for the good photo (the workbench makes 1024 px on demand)');
});

test('source rules: the work folder is hashed and de-duplicated but gets no face or pet recognition', { skip: skipUnless(facesFixtures) }, async () => {
  const dir = tempDir();
  const archive = join(dir, 'Фото');
  const work = join(archive, 'Технологии');
  mkdirSync(work, { recursive: true });
  copyFileSync(join(facesFixtures, 'obama2.jpg'), join(archive, 'obama2.jpg'));
  // A slide with a face on it, kept in the work folder (made distinct so it is analysed on its own).
  writeFileSync(join(work, 'слайд.jpg'), Buffer.concat([readFileSync(join(facesFixtures, 'two_people.jpg')), Buffer.from('work copy')]));
  copyFileSync(join(facesFixtures, 'obama2.jpg'), join(work, 'obama2-copy.jpg'));
  const sources = `  - name: family\n    path: ${archive}\n    exclude: ["Технологии/**"]\n    tags: [family]\n  - name: work\n    path: ${work}\n    tags: [work]\n`;
  const { run, sql } = pipeline(dir, sources, '{workers: 1, thumbnails: {enabled: false}, faces: {skipTags: [work]}, pets: {skipTags: [work]}}');
  const summary = await run();
  const faces = await sql(`SELECT f.source, count(*) AS n FROM run${summary.runId}.faces fa JOIN run${summary.runId}.files f USING (file_id) GROUP BY ALL`);
  assert.deepEqual(faces, [{ source: 'family', n: 1 }], 'no faces from the work folder');
  const hashed = await sql(`SELECT f.source, f.path FROM run${summary.runId}.perceptual_hashes h JOIN run${summary.runId}.files f USING (file_id) ORDER BY f.source, f.path`);
  assert.deepEqual(hashed.map((row) => `${row.source}:${row.path}`), ['family:obama2.jpg', 'work:obama2-copy.jpg', 'work:слайд.jpg']);
  const duplicates = await sql(`SELECT count(DISTINCT group_id) AS groups, count(*) AS files FROM run${summary.runId}.duplicates`);
  assert.deepEqual(duplicates, [{ groups: 1, files: 2 }], 'the copy in the work folder is still found as a duplicate');
});

test('pets through the images node: one pet in chelsea.png, none in the other photos; pets gold gives precision', { skip: skipUnless(petsFixtures) || skipUnless(demoPhotosDir) }, async () => {
  const dir = tempDir();
  const sources = `  - name: pets\n    path: ${petsFixtures}\n  - name: demo\n    path: ${demoPhotosDir}\n    include: ["sample*.jpg"]\n`;
  const { run, sql, store } = pipeline(dir, sources, '{workers: 2, thumbnails: {enabled: false}, hashes: {enabled: false}, faces: {enabled: false}}', '');
  const summary = await run();
  const pets = await sql(`SELECT f.path, p.pet_id, p.label, p.pet_label, p.score, p.cat_score, p.dog_score FROM run${summary.runId}.pets p JOIN run${summary.runId}.files f USING (file_id)`);
  assert.equal(pets.length, 1, JSON.stringify(pets));
  const [chelsea] = pets;
  assert.equal(chelsea!.path, 'chelsea.png');
  assert.equal(chelsea!.pet_label, 'pet');
  assert.ok(['cat', 'dog'].includes(String(chelsea!.label)));
  assert.equal(chelsea!.score, Math.max(Number(chelsea!.cat_score), Number(chelsea!.dog_score)), 'both scores kept, the label is the higher');

  const csv = join(dir, 'pets-gold.csv');
  writeFileSync(csv, `pet_id,correct,label\n${chelsea!.pet_id},true,cat\n`);
  await importPetsGold(store, csv);
  const metrics = await runMetrics(store, summary.runId);
  assert.equal(metrics.pets?.precision, 1);
  assert.equal(metrics.pets?.checked, 1);
});
