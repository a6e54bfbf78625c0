// Camera-inbox import: 1,000 small JPEGs in the inbox, half of them already in
// the archive under other names. First import: files/s (hashing inbox and
// archive, EXIF dates, verified copies). Second import of the same inbox,
// forced to run: a no-op served by the hash cache (no file read, nothing copied).
//   node --import tsx bench/import.ts [files=1000]
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RunOptions } from '../dag/executor.ts';
import { timedRun } from './lib/timed-run.ts';
import { Store } from '../datasets/store.ts';

const files = Number(process.argv[2] ?? 1000);
const root = join(tmpdir(), `mnemo-bench-import-${process.pid}`);
const inbox = join(root, 'inbox', 'DCIM', '100CAMERA');
const archive = join(root, 'archive');
mkdirSync(inbox, { recursive: true });
mkdirSync(join(archive, 'older'), { recursive: true });

const started = performance.now();
let bytes = 0;
for (let i = 0; i < files; i++) {
  const day = String(1 + (i % 28)).padStart(2, '0');
  const name = `IMG_${String(i).padStart(4, '0')}.JPG`;
  const info = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: i % 256, g: (i >> 8) % 256, b: 77 } } })
    .withExif({ IFD0: { Make: 'Bench', Model: 'Cam' }, IFD2: { DateTimeOriginal: `2023:03:${day} 10:00:00` } })
    .jpeg({ quality: 90 }).toFile(join(inbox, name));
  bytes += info.size;
  if (i % 2 === 0) copyFileSync(join(inbox, name), join(archive, 'older', `renamed-${i}.jpg`)); // already archived
}
console.log(`generated ${files} JPEGs (${(bytes / 2 ** 20).toFixed(1)} MB), ${Math.ceil(files / 2)} already in the archive, in ${((performance.now() - started) / 1000).toFixed(1)} s (cpus: ${cpus().length})`);

const yaml = `data: ./data\nsources:\n  - name: camera\n    path: ./inbox\n  - name: photos\n    path: ./archive\nnodes:\n  import:\n    params: { inbox: camera, archive: photos }\n`;
const store = new Store(join(root, 'data'));
const timed = (options: RunOptions = {}) => timedRun(yaml, root, store, options);

try {
  const [first, firstSeconds] = await timed();
  const node = first.nodes[0]!;
  const nodeSeconds = node.durationMs / 1000;
  console.log(`first import: ${firstSeconds.toFixed(2)} s total, node ${nodeSeconds.toFixed(2)} s = ${(files / nodeSeconds).toFixed(0)} inbox files/s; copied ${String(node.metadata.copied)}, already in archive ${String(node.metadata.alreadyInArchive)}, hashed ${String(node.metadata.hashed)} files`);
  const [second, secondSeconds] = await timed({ only: 'import' });
  const again = second.nodes[0]!;
  console.log(`second import (same inbox, forced): ${secondSeconds.toFixed(2)} s total, node ${(again.durationMs / 1000).toFixed(2)} s; copied ${String(again.metadata.copied)}, hashed ${String(again.metadata.hashed)} (all from the hash cache)`);
  const [third, thirdSeconds] = await timed();
  console.log(`unchanged pipeline run: ${thirdSeconds.toFixed(2)} s; import ${third.nodes[0]!.status}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
