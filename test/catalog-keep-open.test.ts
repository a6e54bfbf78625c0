// `mnemo run` keeps the catalog open between its own units of work, but never
// while a node computes (a node may run long without yielding, and a timer
// cannot close the file meanwhile) and never after the run: another process
// can always open the file then.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { runPipeline } from '../dag/executor.ts';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { parseSpec } from '../dag/spec.ts';
import { catalogOpens, holderPath } from '../datasets/catalog.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { repoRoot } from './fixtures.ts';
import { tempDir } from './helpers.ts';

/**
 * Whether another process can open the catalog for writing at this moment. It
 * blocks this process (spawnSync), as long synchronous work would: a catalog
 * left open here stays open until it returns.
 */
function anotherProcessCanWrite(catalogPath: string): string {
  const script = `import { DuckDBInstance } from '@duckdb/node-api';
try { const db = await DuckDBInstance.create(${JSON.stringify(catalogPath)}); db.closeSync(); console.log('opened'); }
catch (error) { console.log(String(error.message).split('\\n')[0]); }`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
}

const probedWhileComputing: string[] = [];
const types = new Map<string, NodeType>(NODE_TYPES);
types.set('probe', defineNode({
  name: 'probe',
  version: '1',
  description: 'asks another process to open the catalog while this node computes',
  params: z.object({ catalog: z.string(), round: z.number().int().default(0) }).strict(),
  inputs: ['hashes'], // after hash: no other unit of work is in flight while it probes
  outputs: { probe: { description: 'what the other process saw', columns: { seen: 'VARCHAR' } } },
  async run(ctx) {
    const seen = anotherProcessCanWrite(ctx.params.catalog);
    probedWhileComputing.push(seen);
    await ctx.writeTable('probe', [{ seen }]);
  },
}) as NodeType);

function archive() {
  const dir = tempDir();
  const photos = join(dir, 'Фото');
  mkdirSync(photos);
  for (let i = 0; i < 5; i++) writeFileSync(join(photos, `${i}.jpg`), `not really a photo ${i}`);
  const store = new Store(join(dir, 'data'));
  const spec = (round: number) => parseSpec(
    `data: ./data\nsources:\n  - name: photos\n    path: ${JSON.stringify(photos)}\nnodes:\n  scan:\n  hash:\n  probe:\n    params: {catalog: ${JSON.stringify(store.catalogPath)}, round: ${round}}\n`,
    join(dir, 'mnemo.yaml'), types,
  );
  return { store, spec };
}

test('a run that reuses every node opens the catalog once, and leaves it closed for others', async () => {
  const { store, spec } = archive();
  const first = await runPipeline(spec(0), types, store, { keepCatalogOpen: true });
  assert.equal(first.status, 'succeeded', first.message ?? '');
  assert.equal(anotherProcessCanWrite(store.catalogPath), 'opened', 'closed once the run has returned');
  assert.ok(!existsSync(holderPath(store.catalogPath)), 'no holder record left behind');

  let before = catalogOpens();
  const kept = await runPipeline(spec(0), types, store, { keepCatalogOpen: true });
  const keptOpens = catalogOpens() - before;
  assert.deepEqual(kept.nodes.map((node) => node.status), ['reused', 'reused', 'reused']);
  assert.equal(anotherProcessCanWrite(store.catalogPath), 'opened');

  before = catalogOpens();
  const plain = await runPipeline(spec(0), types, store);
  const plainOpens = catalogOpens() - before;
  assert.deepEqual(plain.nodes.map((node) => node.status), ['reused', 'reused', 'reused']);
  assert.equal(keptOpens, 1, `kept open: ${keptOpens} opens`);
  assert.ok(plainOpens >= 5, `opened and closed around each unit: ${plainOpens} opens`);
});

test('while a node computes, the run keeps nothing open: another process can write the catalog', async () => {
  const { store, spec } = archive();
  probedWhileComputing.length = 0;
  // Round 1 computes the probe after scan and hash have committed (and, with keepCatalogOpen, kept the file open).
  for (const round of [0, 1]) {
    const summary = await runPipeline(spec(round), types, store, { keepCatalogOpen: true });
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
  }
  assert.deepEqual(probedWhileComputing, ['opened', 'opened']);
});
