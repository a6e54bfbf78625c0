// scan + hash over a generated tree: 20,000 small files and 200 files of 5 MB.
// First run: files/s and MB/s. Second, unchanged run: must read no file
// contents and finish in under 2 s. Third: hash forced (--from hash) on an
// unchanged tree, served entirely by the (path, size, mtime) cache.
//   node --import tsx bench/scan-hash.ts [smallFiles=20000] [bigFiles=200]
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOptions, RunSummary } from '../dag/executor.ts';
import { timedRun } from './lib/timed-run.ts';
import { Store } from '../datasets/store.ts';

const smallFiles = Number(process.argv[2] ?? 20_000);
const bigFiles = Number(process.argv[3] ?? 200);
const root = join(tmpdir(), `mnemo-bench-scan-${process.pid}`);
const photos = join(root, 'photos');

let totalBytes = 0;
const started = Date.now();
for (let i = 0; i < smallFiles; i++) {
  const folder = join(photos, `Фото ${2000 + (i % 25)}`, `альбом-${Math.floor(i / 500)}`);
  if (i % 500 < 25) mkdirSync(folder, { recursive: true });
  const size = 2048 + ((i * 7919) % 30_000);
  writeFileSync(join(folder, `IMG_${String(i).padStart(6, '0')}.jpg`), randomBytes(size));
  totalBytes += size;
}
mkdirSync(join(photos, 'big'), { recursive: true });
const big = randomBytes(5 * 1024 * 1024);
for (let i = 0; i < bigFiles; i++) {
  big.writeUInt32LE(i, 0); // distinct contents
  writeFileSync(join(photos, 'big', `PANO_${i}.jpg`), big);
  totalBytes += big.length;
}
console.log(`generated ${smallFiles + bigFiles} files, ${(totalBytes / 2 ** 20).toFixed(0)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s (cpus: ${cpus().length})`);

const yaml = `data: ./data\nsources:\n  - name: archive\n    path: ./photos\nnodes:\n  scan:\n  hash:\n`;
const store = new Store(join(root, 'data'));
const timed = (options: RunOptions = {}) => timedRun(yaml, root, store, options);
const files = smallFiles + bigFiles;
const megabytes = totalBytes / 2 ** 20;
const node = (summary: RunSummary, name: string) => summary.nodes.find((n) => n.node === name)!;

try {
  const [first, firstSeconds] = await timed();
  const hashSeconds = node(first, 'hash').durationMs / 1000;
  console.log(`first run:  ${firstSeconds.toFixed(2)} s total; scan ${(node(first, 'scan').durationMs / 1000).toFixed(2)} s; hash ${hashSeconds.toFixed(2)} s = ${(files / hashSeconds).toFixed(0)} files/s, ${(megabytes / hashSeconds).toFixed(0)} MB/s; overall ${(files / firstSeconds).toFixed(0)} files/s, ${(megabytes / firstSeconds).toFixed(0)} MB/s`);
  const [second, secondSeconds] = await timed();
  console.log(`second run (unchanged): ${secondSeconds.toFixed(2)} s; nodes ${second.nodes.map((n) => `${n.node}=${n.status}`).join(', ')} (target < 2 s, no file contents read)`);
  const [third, thirdSeconds] = await timed({ from: 'hash' });
  const hash = node(third, 'hash');
  console.log(`hash forced on unchanged tree: ${thirdSeconds.toFixed(2)} s; ${String(hash.metadata.hashed)} files read, ${String(hash.metadata.fromCache)} from cache, ${String(hash.metadata.bytesRead)} bytes read`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
