// What the pet detector adds to node_modules (target: under 60 MB, model files
// included). Since pets run on ONNX Runtime (already there for faces) it adds
// only the extracted centernet files; the tfjs packages are gone (this checks).
//   node --import tsx bench/install-size.ts
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/fixtures.ts';

function bytesUnder(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((sum, entry) => sum + bytesUnder(join(path, entry)), 0);
}

const modules = join(repoRoot, 'node_modules');
const parts = {
  '@tensorflow (should be gone)': bytesUnder(join(modules, '@tensorflow')),
  'pet model files (@vladmandic/human: centernet)': bytesUnder(join(modules, '.mnemo-models', '@vladmandic', 'human@3.3.6')),
};
let total = 0;
for (const [label, bytes] of Object.entries(parts)) {
  total += bytes;
  console.log(`${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${label}`);
}
console.log(`${(total / 2 ** 20).toFixed(1).padStart(7)} MiB  total that pets add (target < 60 MB); whole node_modules ${(bytesUnder(modules) / 2 ** 20).toFixed(0)} MiB`);
if (parts['@tensorflow (should be gone)'] > 0) process.exitCode = 1;
