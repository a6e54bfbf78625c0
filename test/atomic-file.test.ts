import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { temporaryPathFor, withTemporaryPath, writeFileAtomic } from '../datasets/atomic-file.ts';
import { tempDir } from './helpers.ts';

test('writeFileAtomic creates the folder, replaces the file and leaves no temporary file', async () => {
  const dir = tempDir();
  const path = join(dir, 'a', 'b', 'file.bin');
  await writeFileAtomic(path, 'first');
  await writeFileAtomic(path, Buffer.from('second'));
  assert.equal(readFileSync(path, 'utf8'), 'second');
  assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['file.bin']);
});

test('withTemporaryPath: a failed write removes the temporary file and leaves the target untouched', async () => {
  const dir = tempDir();
  const path = join(dir, 'table.parquet');
  writeFileSync(path, 'old');
  let seen = '';
  await assert.rejects(withTemporaryPath(path, async (temporary) => {
    seen = temporary;
    await writeFile(temporary, 'half');
    throw new Error('disk full');
  }), /disk full/);
  assert.equal(readFileSync(path, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['table.parquet']);
  assert.match(seen, /^.*\/\.table\.parquet\.\d+-\d+-\d+\.tmp$/, 'hidden, beside the target');
  assert.equal(await withTemporaryPath(path, async (temporary) => (await writeFile(temporary, 'new'), 42)), 42);
  assert.equal(readFileSync(path, 'utf8'), 'new');
});

test('replace: false never replaces an existing file', async () => {
  const dir = tempDir();
  const path = join(dir, 'IMG_1.JPG');
  await writeFileAtomic(path, 'copy', { replace: false });
  await assert.rejects(writeFileAtomic(path, 'other', { replace: false }), (error: NodeJS.ErrnoException) => error.code === 'EEXIST');
  assert.equal(readFileSync(path, 'utf8'), 'copy');
  assert.deepEqual(readdirSync(dir), ['IMG_1.JPG']);
});

test('temporary names differ on every call', () => {
  const names = new Set(Array.from({ length: 100 }, () => temporaryPathFor('/data/x.parquet')));
  assert.equal(names.size, 100);
});
