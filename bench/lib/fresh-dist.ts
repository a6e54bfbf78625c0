// The benches that start `mnemo` as users do measure the compiled dist/ entry
// (bin/mnemo.js falls back to tsx when dist/ is stale, seconds slower): build it
// first when the sources have changed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { distStaleReason } from '../../bin/dist-fresh.js';

export function ensureFreshDist(root: string): void {
  const stale = distStaleReason();
  if (!stale) return;
  console.log(`dist/ is not up to date (${stale}): building it first`);
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0 || distStaleReason()) throw new Error('build failed, or the sources changed during it');
}
