#!/usr/bin/env node
// Brings in only the model files of two npm packages we do not want whole
// (faceplugin declares ~670 packages / 300 MB of babel, jest, webpack and
// onnxruntime-web; @vladmandic/human is a 28.6 MB tarball of which pets need
// centernet's two files, 4 MB, converted to ONNX at load). We fetch the pinned
// tarball from the npm registry with `npm pack` (same registry, same cache as
// `npm ci`), check its sha512 integrity, and extract only the listed files into
// node_modules/.mnemo-models/<name>@<version>/. Nothing is fetched at run time.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MODEL_PACKAGES = JSON.parse(readFileSync(join(root, 'models', 'packages.json'), 'utf8'));

function packageDir(pkg) {
  return join(root, 'node_modules', '.mnemo-models', `${pkg.name}@${pkg.version}`);
}

function installOne(pkg) {
  const dest = packageDir(pkg);
  const stamp = join(dest, '.integrity');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pkg.integrity) return 'present';
  const work = mkdtempSync(join(tmpdir(), 'mnemo-models-'));
  try {
    const out = execFileSync('npm', ['pack', `${pkg.name}@${pkg.version}`, '--json', '--pack-destination', work],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const filename = JSON.parse(out)[0].filename.replace(/^@[^/]+\//, '').replace(/\//g, '-');
    const tarball = join(work, filename);
    const [algo, expected] = pkg.integrity.split('-');
    const actual = createHash(algo).update(readFileSync(tarball)).digest('base64');
    if (actual !== expected) throw new Error(`${pkg.name}@${pkg.version}: integrity mismatch (expected ${expected}, got ${actual})`);
    const staging = join(work, 'staging');
    mkdirSync(staging);
    execFileSync('tar', ['-xzf', tarball, '-C', staging, ...pkg.files.map((f) => `package/${f}`)]);
    writeFileSync(join(staging, 'package', '.integrity'), pkg.integrity);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(join(staging, 'package'), dest); // atomic: a half-extracted folder is never visible
    return 'installed';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.env.MNEMO_SKIP_MODELS === '1') {
  console.log('mnemo: MNEMO_SKIP_MODELS=1, model files not installed');
} else {
  for (const pkg of MODEL_PACKAGES) {
    const result = installOne(pkg);
    console.log(`mnemo: model files ${pkg.name}@${pkg.version}: ${result} (${pkg.files.length} files)`);
  }
}
