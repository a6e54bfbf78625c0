// Whether dist/ (the compiled JavaScript, scripts/build.mjs) still matches the
// TypeScript sources: the build's last step writes dist/.build-stamp.json with
// the mtime and size of every file it read (sources, tsconfigs, copied JSON);
// one stat per file here, about a millisecond in all. Used by bin/mnemo.js on
// every start, and by bench/startup.ts.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** null when dist/ is up to date, else why not (for messages). */
export function distStaleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(`${root}dist/.build-stamp.json`, 'utf8'));
  } catch {
    return 'no complete build in dist/ (npm run build)';
  }
  if (stamp.version !== 1 || !Array.isArray(stamp.files)) return 'dist/.build-stamp.json is from another build script';
  for (const [path, mtimeMs, size] of stamp.files) {
    const st = statSync(root + path, { throwIfNoEntry: false });
    if (!st) return `${path} is gone since the build`;
    if (st.mtimeMs !== mtimeMs || st.size !== size) return `${path} changed since the build`;
  }
  return null;
}
