#!/usr/bin/env node
// Compiles the TypeScript sources to JavaScript in dist/ (tsconfig.build.json),
// so that bin/mnemo.js starts without transpiling every file through tsx. Run by
// `npm ci` (the `prepare` script) and by `npm run build`.
//
// Only syntax and emit errors fail the build; type errors are `npm run
// typecheck`'s job (tsx runs code with type errors too, so dist/ does the same).
// The last step writes dist/.build-stamp.json: the mtime and size of every file
// the build read. bin/mnemo.js runs dist/ only while all of them still match;
// a build that stops half-way leaves no stamp, and bin/mnemo.js uses tsx.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const stampPath = join(outDir, '.build-stamp.json');
/** JSON files that modules read next to themselves at run time (`new URL('./x.json', import.meta.url)`). */
const assetFolders = ['models'];

let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  console.log('mnemo build: typescript is not installed (npm ci --omit=dev?); bin/mnemo.js will run the sources through tsx');
  process.exit(0);
}

const started = performance.now();
rmSync(stampPath, { force: true });

const toPosix = (path) => relative(root, path).split(sep).join('/');
/** [path relative to the root, mtimeMs, size] of every file the build depends on. */
const inputs = [];
const record = (path) => {
  const st = statSync(path);
  inputs.push([toPosix(path), st.mtimeMs, st.size]);
};

// The config files first: stat before read, so a change made during the build shows as a mismatch later.
const configPath = join(root, 'tsconfig.build.json');
record(configPath);
record(join(root, 'tsconfig.json'));
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) });
if (config.errors.length) fail(config.errors);

const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
const written = new Set();
const emitted = program.emit(undefined, (fileName, text) => {
  mkdirSync(dirname(fileName), { recursive: true });
  writeFileSync(fileName, text);
  written.add(fileName);
});
const errors = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...emitted.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length || emitted.emitSkipped) fail(errors);

// Every source the program read: stat, then check the text is still what was compiled.
const sources = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
for (const source of sources) {
  const path = ts.sys.resolvePath(source.fileName);
  record(path);
  if (ts.sys.readFile(path) !== source.text) inputs[inputs.length - 1][1] = -1; // edited while compiling: stale at once
}

for (const folder of assetFolders) {
  for (const name of readdirSync(join(root, folder))) {
    if (!name.endsWith('.json')) continue;
    const from = join(root, folder, name);
    const to = join(outDir, folder, name);
    record(from);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, readFileSync(from));
    written.add(to);
  }
}

// Drop what an earlier build left for sources that no longer exist.
let pruned = 0;
const prune = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmdirSync(path);
    } else if (!written.has(path) && path !== stampPath) {
      rmSync(path);
      pruned++;
    }
  }
};
if (existsSync(outDir)) prune(outDir);

const tmp = `${stampPath}.${process.pid}`;
writeFileSync(tmp, `${JSON.stringify({ version: 1, typescript: ts.version, files: inputs })}\n`);
renameSync(tmp, stampPath);
const js = [...written].filter((f) => f.endsWith('.js')).length;
console.log(`mnemo build: ${js} modules from ${sources.length} sources into dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s${pruned ? ` (${pruned} stale files removed)` : ''}`);

function fail(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  console.error(ts.formatDiagnostics(diagnostics, host) || 'mnemo build: emit skipped');
  console.error('mnemo build: failed; bin/mnemo.js will run the sources through tsx');
  process.exit(1);
}
