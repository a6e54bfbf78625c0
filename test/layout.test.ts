// The layout shows the architecture: no source folder imports a folder that
// imports it back (directly or through others). A new import that closes a
// cycle fails here with the files that make it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './fixtures.ts';

const FOLDERS = ['app', 'bin', 'cloud', 'dag', 'datasets', 'files', 'geo', 'imaging', 'models', 'nodes', 'notebook', 'reports', 'vectors', 'workbench'];

function importsBetweenFolders(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>(); // from folder -> to folder -> an example file
  for (const folder of FOLDERS) {
    for (const entry of readdirSync(join(repoRoot, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(ts|js)$/.test(entry.name) || entry.parentPath.includes('node_modules') || entry.parentPath.includes('dist')) continue;
      const file = join(entry.parentPath, entry.name);
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s+|import\(\s*|new URL\(\s*)'(\.{1,2}\/[^']*)'/g)) {
        const target = relative(repoRoot, resolve(dirname(file), match[1]!)).split('/')[0]!;
        if (target === folder || !FOLDERS.includes(target)) continue;
        if (!edges.has(folder)) edges.set(folder, new Map());
        if (!edges.get(folder)!.has(target)) edges.get(folder)!.set(target, relative(repoRoot, file));
      }
    }
  }
  return edges;
}

test('no folder imports a folder that imports it back', () => {
  const edges = importsBetweenFolders();
  const cycles: string[] = [];
  const path: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string) => {
    state.set(folder, 'open');
    path.push(folder);
    for (const [next, example] of edges.get(folder) ?? []) {
      if (state.get(next) === 'open') cycles.push(`${[...path.slice(path.indexOf(next)), next].join(' -> ')} (e.g. ${example})`);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of FOLDERS) if (!state.has(folder)) visit(folder);
  assert.deepEqual(cycles, []);
  assert.ok(edges.get('bin')?.has('app') && !edges.get('app')?.has('bin'), 'bin/ calls app/, never the other way');
  assert.ok(!edges.get('datasets'), `datasets/ imports no other folder (imports ${[...(edges.get('datasets')?.keys() ?? [])].join(', ')})`);
});
