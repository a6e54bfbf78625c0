// Builds the web app (workbench/app, Lit + Vite) into workbench/dist when the
// build is missing or older than its sources; the server calls
// ensureWebBuild() before it serves, `npm run build` runs this file.
//
// The build goes to a temporary folder first and is renamed into place, so a
// server never serves half a build. Two calls at once share one build.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder with a package.json (this file also runs compiled, from dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const root = packageRoot();
export const webAppDir = join(root, 'workbench', 'app');
export const webDistDir = join(root, 'workbench', 'dist');
const configFile = join(root, 'vite.config.ts');

export interface WebBuildResult {
  /** True when this call built the app; false when the build was already fresh. */
  built: boolean;
  /** Milliseconds the build took (0 when fresh). */
  ms: number;
  /** workbench/dist */
  dir: string;
}

/** The newest modification time (ms) of a file under a folder. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Why the build is stale (null: workbench/dist/index.html is newer than every source). */
export function webBuildStale(): string | null {
  const index = join(webDistDir, 'index.html');
  if (!existsSync(index)) return 'workbench/dist/index.html is missing';
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(webAppDir), existsSync(configFile) ? statSync(configFile).mtimeMs : 0);
  return sources > built ? 'workbench/app changed since the last build' : null;
}

let inFlight: Promise<WebBuildResult> | undefined;

/**
 * Builds workbench/dist with Vite when it is missing or stale (or always, with
 * `force`). Vite is a dev dependency: without it, a missing build is an error
 * that says how to get one, and a stale one is served as it is.
 */
export function ensureWebBuild(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<WebBuildResult> {
  inFlight ??= buildIfNeeded(options).finally(() => (inFlight = undefined));
  return inFlight;
}

async function buildIfNeeded({ force = false, log = () => {} }: { force?: boolean; log?: (line: string) => void }): Promise<WebBuildResult> {
  const reason = force ? 'forced' : webBuildStale();
  if (!reason) return { built: false, ms: 0, dir: webDistDir };
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    if (existsSync(join(webDistDir, 'index.html'))) return { built: false, ms: 0, dir: webDistDir };
    throw new Error('the web app is not built (workbench/dist) and vite is not installed: run `npm ci` (with dev dependencies), then `npm run build:web`');
  }
  const started = performance.now();
  log(`building the web app (${reason})`);
  const temp = join(root, 'workbench', `.dist-${process.pid}-${Date.now()}`);
  try {
    await vite.build({ configFile, logLevel: 'warn', build: { outDir: temp, emptyOutDir: true } });
    rmSync(webDistDir, { recursive: true, force: true });
    renameSync(temp, webDistDir);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  const ms = performance.now() - started;
  log(`built the web app in ${(ms / 1000).toFixed(1)} s`);
  return { built: true, ms, dir: webDistDir };
}

// `node --import tsx workbench/build-web.ts [--force]`: what `npm run build` runs.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await ensureWebBuild({ force: process.argv.includes('--force'), log: (line) => console.log(`mnemo build: ${line}`) });
  if (!result.built) console.log('mnemo build: the web app is up to date (workbench/dist)');
}
