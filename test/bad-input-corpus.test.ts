// A corpus of thirty kinds of bad or odd files, made here, through the whole
// default pipeline (pets off, to stay fast): the run succeeds, every good
// file is analysed, every bad one lands in `errors` with a specific reason,
// and no original is changed (bytes and mtimes compared before and after).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { runToEnd } from '../app/pipeline.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { initialSpec } from '../app/spec-template.ts';
import { tempDir } from './helpers.ts';

function png(width: number, height: number, idat: Buffer): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** Every regular file under `dir` (not following links): path -> sha256 and mtime. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile()) continue;
    let content: string;
    try {
      content = createHash('sha256').update(readFileSync(path)).digest('hex');
    } catch (error) {
      content = `unreadable ${(error as NodeJS.ErrnoException).code}`;
    }
    files.set(path, `${content} ${statSync(path).mtimeMs}`);
  }
  return files;
}

test('thirty kinds of bad input: the run completes, each bad file has a clear reason, no original changes', async () => {
  const dir = tempDir();
  const photos = join(dir, 'Фото', 'Архив 2009');
  mkdirSync(photos, { recursive: true });
  const good = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a6' } }).jpeg().toBuffer();
  const big = await sharp({ create: { width: 900, height: 700, channels: 3, background: '#888' } })
    .composite([{ input: Buffer.from('<svg width="900" height="700"><circle cx="450" cy="350" r="200" fill="#c33"/></svg>') }]).jpeg().toBuffer();
  const write = (name: string, data: Buffer | string) => {
    mkdirSync(join(photos, name, '..'), { recursive: true });
    writeFileSync(join(photos, name), data);
  };

  // Files that are fine, some of them odd: they must all be analysed.
  const fine: Record<string, Buffer> = {
    'good.jpg': good,
    'copy of good.jpg': good, // an exact duplicate
    'пляж у моря.jpg': big, // Cyrillic name
    'emoji 🐈 name.jpg': good,
    'tiny.png': await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer(),
    'grey.png': await sharp({ create: { width: 64, height: 64, channels: 3, background: '#777' } }).greyscale().png().toBuffer(),
    'alpha.png': await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer(),
    'sixteen-bit.png': await sharp({ create: { width: 64, height: 64, channels: 3, background: '#345' } }).png().toColourspace('rgb16').toBuffer(),
    'cmyk.jpg': await sharp(big).toColourspace('cmyk').jpeg().toBuffer(),
    'photo.webp': await sharp(big).webp().toBuffer(),
    'photo.tiff': await sharp(big).tiff().toBuffer(),
    'animated.gif': await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } }).gif().toBuffer(),
    'rotated.jpg': await sharp(big).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    'UPPER CASE.JPG': good,
    'deep/a/b/c/d/e/f/g/nested.jpg': good,
    [`${'long-name-'.repeat(20)}.jpg`]: good,
    'name\nwith newline.jpg': good,
  };
  for (const [name, data] of Object.entries(fine)) write(name, data);

  // Files that cannot be analysed: each needs an error that says why.
  const bad: Record<string, RegExp> = {
    'empty.jpg': /empty file \(0 bytes\)/,
    'truncated.jpg': /cannot decode jpeg: /,
    'text.jpg': /not a readable image: /,
    'html.jpg': /not a readable image: /,
    'pdf.jpg': /not a readable image: /,
    'random.png': /not a readable image: /,
    'huge.png': /image too large: 30000x30000 exceeds the 100 MP limit/,
    'header only.jpg': /not a readable image|cannot decode/,
    'truncated.webp': /not a readable image|cannot decode/,
  };
  write('empty.jpg', '');
  write('truncated.jpg', big.subarray(0, Math.floor(big.length / 3)));
  write('text.jpg', 'this is a text file with an image name\n');
  write('html.jpg', '<!doctype html><html><body>not a photo</body></html>');
  write('pdf.jpg', '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  write('random.png', createHash('sha512').update('seed').digest());
  write('huge.png', png(30000, 30000, deflateSync(Buffer.alloc(1000))));
  write('header only.jpg', big.subarray(0, 200));
  write('truncated.webp', (await sharp(big).webp().toBuffer()).subarray(0, 100));
  // Not files at all, or not reachable: scan reports them and goes on.
  symlinkSync(join(photos, 'gone.jpg'), join(photos, 'broken link.jpg'));
  mkdirSync(join(photos, 'loop'));
  symlinkSync(join(photos, 'loop'), join(photos, 'loop', 'again'));
  mkdirSync(join(photos, 'folder.jpg')); // a folder with a photo's name: not a file, skipped silently
  spawnSync('mkfifo', [join(photos, 'pipe.jpg')]); // a named pipe: never opened (it would block)
  write('.hidden.jpg', good); // hidden: excluded by the default rules
  const unreadable = join(photos, 'unreadable.jpg');
  write('unreadable.jpg', good);
  chmodSync(unreadable, 0o000);

  const before = snapshot(join(dir, 'Фото'));
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, initialSpec(join(dir, 'Фото'), './data'));
  const ws = await Workspace.open({ config });
  const summary = await runToEnd(ws, { set: ['images.pets.enabled=false', 'images.workers=2'] });
  assert.equal(summary.status, 'succeeded', summary.message ?? '');

  const rel = (name: string) => `Архив 2009/${name}`;
  const { rows: errors } = await query(ws, `SELECT item, node || ': ' || message AS message FROM run${summary.runId}.errors ORDER BY item, node`);
  const errorOf = (name: string) => errors.filter((row) => row.item === `photos:${rel(name)}`).map((row) => String(row.message)).join(' | ');
  for (const [name, reason] of Object.entries(bad)) assert.match(errorOf(name), reason, name);
  assert.match(errorOf('broken link.jpg'), /scan: broken symbolic link/);
  assert.match(errors.map((row) => `${row.item} ${row.message}`).join('\n'), /loop\/again.*symbolic link loop/);
  if (process.getuid?.() !== 0) assert.match(errorOf('unreadable.jpg'), /permission denied/);

  const { rows: analysed } = await query(ws, `SELECT f.path FROM latest.files f JOIN latest.images i USING (file_id) ORDER BY f.path`);
  const paths = new Set(analysed.map((row) => String(row.path)));
  for (const name of Object.keys(fine)) assert.ok(paths.has(rel(name)), `${name} was analysed`);
  for (const name of Object.keys(bad)) assert.ok(!paths.has(rel(name)), `${name} has no image row`);
  for (const name of ['folder.jpg', 'pipe.jpg', '.hidden.jpg']) assert.ok(!errorOf(name), `${name}: nothing to report (${errorOf(name)})`);
  const { rows: [{ n: exifRows }] } = await query(ws, 'SELECT count(*) AS n FROM latest.exif');
  assert.ok(Number(exifRows) >= Object.keys(fine).length, 'EXIF was read for every readable file');

  // Nothing the user owns changed: same files, same bytes, same mtimes.
  chmodSync(unreadable, 0o644);
  const after = snapshot(join(dir, 'Фото'));
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [path, fingerprint] of before) if (!fingerprint.startsWith('unreadable')) assert.equal(after.get(path), fingerprint, path);
});
