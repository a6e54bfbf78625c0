// Crash safety: a run killed with SIGKILL leaves the store consistent, and
// --resume finishes it without redoing completed nodes; its tables equal
// those of an uninterrupted run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../dag/executor.ts';
import { loadSpecFile } from '../dag/spec.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { facesFixtures, repoRoot, skipUnless } from './fixtures.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { tempDir } from './helpers.ts';
import { crashRegistry } from './support/crash-child.ts';

function setup() {
  const dir = tempDir();
  const photos = join(dir, 'photos', 'Фото');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(join(photos, `img-${String(i).padStart(4, '0')}.jpg`), `photo ${i % 250}`.repeat(200));
  const block = join(dir, 'block');
  const config = (data: string) => {
    const path = join(dir, `${data}.yaml`);
    writeFileSync(path, `data: ./${data}\nsources:\n  - name: archive\n    path: ./photos\nnodes:\n  scan:\n  hash:\n  twostep:\n    params: {blockFile: ${JSON.stringify(block)}}\n`);
    return path;
  };
  return { dir, block, config };
}

/** Starts the child and SIGKILLs it `delayMs` after `trigger` matches its output. */
function runAndKill(config: string, trigger: RegExp, delayMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/crash-child.ts'), config], { cwd: repoRoot });
    let output = '';
    let armed = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!armed && trigger.test(output)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('close', () => resolve(output));
  });
}

async function tables(store: Store, runId: number) {
  const read = async (table: string, order: string) => (await readOnlyQuery(store, `SELECT * FROM run${runId}.${table} ORDER BY ${order}`)).rows;
  return {
    files: await read('files', 'file_id'),
    hashes: await read('hashes', 'file_id'),
    duplicates: await read('duplicates', 'group_id, file_id'),
    sizes: await read('sizes', 'file_id'),
    summary: await read('summary', 'files'),
  };
}

test('SIGKILL in the middle of a node: --resume redoes only that node and the tables equal an uninterrupted run', async () => {
  const { block, config } = setup();
  const reference = loadSpecFile(config('reference'), crashRegistry);
  const referenceStore = new Store(reference.dataDir);
  const expected = await runPipeline(reference, crashRegistry, referenceStore);
  assert.equal(expected.status, 'succeeded');

  writeFileSync(block, '');
  const output = await runAndKill(config('data'), /HALF/);
  assert.match(output, /hash: done/);
  rmSync(block);

  const spec = loadSpecFile(config('data'), crashRegistry);
  const store = new Store(spec.dataDir);
  const [interrupted] = await store.read((catalog) => catalog.rows<{ run_id: number; status: string }>('SELECT run_id, status FROM runs ORDER BY run_id DESC LIMIT 1'));
  assert.equal(interrupted!.status, 'running');
  const runId = interrupted!.run_id;
  const before = await store.read((catalog) => catalog.rows<{ node: string; status: string; finished_at: Date }>('SELECT node, status, finished_at FROM run_nodes WHERE run_id = $1 ORDER BY node', [runId]));
  assert.deepEqual(before.map((row) => [row.node, row.status]), [['hash', 'done'], ['scan', 'done']], 'the killed node left no record');

  const resumed = await runPipeline(spec, crashRegistry, store, { resume: true });
  assert.equal(resumed.runId, runId);
  assert.equal(resumed.status, 'succeeded');
  assert.equal(resumed.nodes.find((n) => n.node === 'twostep')!.status, 'done');
  const after = await store.read((catalog) => catalog.rows<{ node: string; finished_at: Date }>("SELECT node, finished_at FROM run_nodes WHERE run_id = $1 AND node IN ('scan', 'hash') ORDER BY node", [runId]));
  assert.deepEqual(after.map((row) => row.finished_at), before.map((row) => row.finished_at), 'scan and hash were not redone');
  assert.deepEqual(await tables(store, runId), await tables(referenceStore, expected.runId));
  await assert.rejects(runPipeline(spec, crashRegistry, store, { resume: true }), new RegExp(`nothing to resume: the newest run \\(${runId}\\) succeeded`));
});

test('SIGKILL at arbitrary moments never corrupts the store, and --resume always finishes', async () => {
  const { config } = setup();
  const reference = loadSpecFile(config('reference'), crashRegistry);
  const referenceStore = new Store(reference.dataDir);
  const expected = await tables(referenceStore, (await runPipeline(reference, crashRegistry, referenceStore)).runId);
  const moments: [RegExp, number][] = [[/run \d+ started/, 0], [/run \d+ started/, 40], [/scan: done/, 0], [/scan: done/, 30], [/hash: done/, 0], [/twostep: done/, 0]];
  for (const [index, [trigger, delayMs]] of moments.entries()) {
    const name = `data${index}`;
    const output = await runAndKill(config(name), trigger, delayMs);
    if (process.env.DEBUG_CRASH) console.log(trigger, delayMs, JSON.stringify(output));
    const spec = loadSpecFile(config(name), crashRegistry);
    const store = new Store(spec.dataDir);
    let runId: number;
    try {
      runId = (await runPipeline(spec, crashRegistry, store, { resume: true })).runId;
    } catch (error) {
      // Killed before the run started, or after it finished: a plain run (or nothing) remains.
      assert.match(String(error), /nothing to resume/);
      runId = (await runPipeline(spec, crashRegistry, store)).runId;
    }
    assert.deepEqual(await tables(store, runId), expected, `killed ${delayMs} ms after ${trigger}`);
  }
});

test('a run killed inside the images node keeps the photos it analysed; --resume decodes only the rest', { skip: skipUnless(facesFixtures) }, async () => {
  const dir = tempDir();
  const config = (data: string) => {
    const path = join(dir, `${data}.yaml`);
    writeFileSync(path, `data: ./${data}\nsources:\n  - name: photos\n    path: ${facesFixtures}\nnodes:\n  scan:\n  hash:\n  images:\n    params: {workers: 1, flushEvery: 1, thumbnails: {enabled: false}, hashes: {enabled: false}, pets: {enabled: false}}\n`);
    return path;
  };
  const reference = loadSpecFile(config('reference'), NODE_TYPES);
  const referenceStore = new Store(reference.dataDir);
  const expected = await runPipeline(reference, NODE_TYPES, referenceStore);

  // Kill as soon as three photos' faces are in the cache.
  const facesCache = join(dir, 'data', 'cache', 'images', 'analyses');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/run-child.ts'), config('data')], { cwd: repoRoot });
  const parts = () => (existsSync(facesCache) ? readdirSync(facesCache).filter((name) => name.startsWith('faces-')).flatMap((name) => readdirSync(join(facesCache, name)).filter((file) => file.endsWith('.parquet'))) : []);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (parts().length >= 3) child.kill('SIGKILL');
    }, 10);
    child.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
  const analysed = parts().length;
  assert.ok(analysed >= 3 && analysed < 9, `killed with ${analysed} photos analysed`);

  const spec = loadSpecFile(config('data'), NODE_TYPES);
  const store = new Store(spec.dataDir);
  const resumed = await runPipeline(spec, NODE_TYPES, store, { resume: true });
  assert.equal(resumed.status, 'succeeded');
  assert.equal(resumed.nodes.find((n) => n.node === 'images')!.metadata.decoded, 9 - analysed, 'only the photos not yet cached are decoded');
  const faces = async (s: Store, runId: number) => (await readOnlyQuery(s, `SELECT face_id, file_id, round(x1) AS x1, rejected FROM run${runId}.faces ORDER BY face_id, file_id`)).rows;
  assert.deepEqual(await faces(store, resumed.runId), await faces(referenceStore, expected.runId));
});
