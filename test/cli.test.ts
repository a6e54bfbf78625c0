// The real `mnemo` command in a child process: init, run, runs, show, sql
// (table, --json, --csv, refusing writes), export, and clear errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog, CatalogBusyError } from '../datasets/catalog.ts';
import { acquireRunLock, RunLockedError } from '../datasets/run-lock.ts';
import { queryRows } from '../datasets/parquet.ts';
import { runCli, tempDir } from './helpers.ts';
import { DEFAULT_PIPELINE } from '../nodes/index.ts';

function workspace() {
  const dir = tempDir();
  const photos = join(dir, 'Фото');
  mkdirSync(photos);
  writeFileSync(join(photos, 'one.jpg'), 'one');
  writeFileSync(join(photos, 'two.jpg'), 'one');
  writeFileSync(join(photos, 'three.png'), 'three');
  return { dir, photos };
}

test('init, run twice, runs, show, sql and export', () => {
  const { dir, photos } = workspace();
  const init = runCli(['init', photos], dir);
  assert.equal(init.code, 0, init.stderr);
  assert.ok(existsSync(join(dir, 'mnemo.yaml')));
  assert.equal(runCli(['init', photos], dir).code, 2, 'init refuses to overwrite');

  const first = runCli(['run'], dir);
  assert.equal(first.code, 0, first.stderr);
  const nodes = DEFAULT_PIPELINE.length;
  const firstId = Number(new RegExp(`run (\\d+) succeeded \\(0 reused, ${nodes} computed`).exec(first.stdout)?.[1]);
  assert.ok(firstId > 0, first.stdout);
  const second = runCli(['run'], dir).stdout;
  const secondId = Number(new RegExp(`run (\\d+) succeeded \\(${nodes} reused, 0 computed`).exec(second)?.[1]);
  assert.ok(secondId > firstId, second);

  const runs = runCli(['runs', '--json'], dir);
  assert.deepEqual(JSON.parse(runs.stdout).map((r: { run_id: number; status: string; reused: number }) => [r.run_id, r.status, r.reused]), [[firstId, 'succeeded', 0], [secondId, 'succeeded', nodes]]);
  const show = runCli(['show', String(secondId)], dir);
  assert.match(show.stdout, new RegExp(`run ${secondId}: succeeded`));
  assert.match(show.stdout, /hash\s+hash\s+reused\s+1/);

  const json = JSON.parse(runCli(['sql', '--json', 'SELECT path, size FROM latest.files ORDER BY path'], dir).stdout);
  assert.deepEqual(json, [{ path: 'one.jpg', size: 3 }, { path: 'three.png', size: 5 }, { path: 'two.jpg', size: 3 }]);
  const csv = runCli(['sql', '--csv', `SELECT d.group_id, f.path FROM run${firstId}.duplicates d JOIN run${firstId}.files f USING (file_id) ORDER BY f.path`], dir);
  assert.equal(csv.stdout.trim(), 'group_id,path\n1,one.jpg\n1,two.jpg');
  assert.match(runCli(['sql', 'SELECT count(*) AS n FROM latest.hashes'], dir).stdout, /^n\s*\n-+\s*\n3\s*\n\(1 row\)/);

  const out = join(dir, 'files.parquet');
  const exported = runCli(['export', String(firstId), 'files', '--out', out], dir);
  assert.equal(exported.code, 0, exported.stderr);
  return queryRows(`SELECT count(*) AS n FROM read_parquet('${out}')`).then((rows) => assert.equal(rows[0]!.n, 3));
});

test('the SQL console cannot write', () => {
  const { dir, photos } = workspace();
  runCli(['init', photos], dir);
  runCli(['run'], dir);
  for (const query of ["COPY (SELECT 1) TO 'out.csv'", 'CREATE TABLE t (a INT)', 'DELETE FROM runs', "ATTACH 'other.duckdb'", 'DROP VIEW latest.files', "SELECT * FROM read_csv('/etc/passwd')"]) {
    const result = runCli(['sql', query], dir);
    assert.equal(result.code === 0, false, `${query} was allowed`);
    assert.match(result.stderr, /read-only|Cannot|not allowed|Permission/i, query);
  }
  assert.equal(existsSync(join(dir, 'out.csv')), false);
  assert.match(runCli(['sql', 'SELECT count(*) AS n FROM runs'], dir).stdout, /\b1\b/);
});

test('mistakes get clear messages and exit code 2', () => {
  const { dir, photos } = workspace();
  assert.match(runCli(['run'], dir).stderr, /mnemo\.yaml: no pipeline spec here; create one with `mnemo init FOLDER`/);
  runCli(['init', photos], dir);
  const typo = runCli(['run', '--set', 'hash.concurency=2'], dir);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /node 'hash': unknown parameter 'concurency' \(did you mean 'concurrency'\?\)/);
  assert.match(runCli(['frobnicate'], dir).stderr, /unknown command 'frobnicate'/);
  assert.match(runCli(['show', '7'], dir).stderr, /no mnemo catalog|no run 7/);
  const help = runCli(['run', '--help'], dir);
  assert.match(help.stdout, /mnemo run \[--config FILE\]/);
});

test('a second writer fails with a message naming the holder', async () => {
  const dir = tempDir();
  const lock = acquireRunLock(dir, 'mnemo run');
  assert.throws(() => acquireRunLock(dir, 'mnemo run'), (error: Error) => error instanceof RunLockedError && new RegExp(`PID ${process.pid}`).test(error.message));
  lock.release();
  acquireRunLock(dir, 'mnemo run').release();

  // Another process holds the DuckDB file open for writing.
  const path = join(dir, 'catalog.duckdb');
  const holder = spawn(process.execPath, ['-e', `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(${JSON.stringify(path)}).then(async (db) => { await (await db.connect()).run('CREATE TABLE x (a INT)'); console.log('HOLDING'); setTimeout(() => {}, 60000); });
  `], { cwd: join(import.meta.dirname, '..') });
  await new Promise<void>((resolve) => holder.stdout.on('data', (chunk) => String(chunk).includes('HOLDING') && resolve()));
  try {
    await assert.rejects(Catalog.open(path, { lockTimeoutMs: 300 }), (error: Error) => error instanceof CatalogBusyError && /open in another process \(PID \d+\)/.test(error.message));
  } finally {
    holder.kill('SIGKILL');
  }
  await new Promise((resolve) => holder.on('close', resolve));
  const catalog = await Catalog.open(path, { lockTimeoutMs: 5000 });
  catalog.close();
});

test('the mnemo.yaml that init writes runs the clustering defaults the node declares', async () => {
  // A template that pins an older default (it once wrote DBSCAN after average linkage won) would
  // quietly give every new archive the clustering the benchmark rejected.
  const { NODE_TYPES } = await import('../nodes/index.ts');
  const cluster = DEFAULT_PIPELINE.find((node) => node.type === 'cluster')!;
  const schema = NODE_TYPES.get('cluster')!.params;
  assert.deepEqual(schema.parse(cluster.params), schema.parse({}));
});
