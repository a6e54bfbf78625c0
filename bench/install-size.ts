// What the pet detector adds to node_modules (target: under 60 MB, model files
// included): the tfjs packages after the install-time prune, their small
// dependencies, and the extracted model files.
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
  '@tensorflow (4 packages, pruned)': bytesUnder(join(modules, '@tensorflow')),
  'their dependencies (seedrandom, long, node-fetch, @types/*, @webgpu/types...)': ['seedrandom', 'long', 'node-fetch', 'whatwg-url', 'tr46', 'webidl-conversions', '@types/long', '@types/seedrandom', '@types/offscreencanvas', '@types/emscripten', '@webgpu/types'].reduce((sum, name) => sum + bytesUnder(join(modules, name)), 0),
  'pet model files (centernet + nanodet)': bytesUnder(join(modules, '.mnemo-models', '@vladmandic')),
};
let total = 0;
for (const [label, bytes] of Object.entries(parts)) {
  total += bytes;
  console.log(`${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${label}`);
}
console.log(`${(total / 2 ** 20).toFixed(1).padStart(7)} MiB  total that pets add (target < 60 MB); whole node_modules ${(bytesUnder(modules) / 2 ** 20).toFixed(0)} MiB`);
