// The SQL console is read-only for real: no statement it accepts can create,
// change or delete a file or a setting (EXPLAIN ANALYZE of a write included),
// it reads files only where the run tables live, it never holds the catalog
// against a writer, it stops at its time limit, and it streams large results.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { Workspace } from '../app/workspace.ts';
import { Catalog, CatalogBusyError, holderPath } from '../datasets/catalog.ts';
import { queryRows, scratchConnection } from '../datasets/parquet.ts';
import { readOnlyQuery, ReadOnlySqlError } from '../datasets/read-only-sql.ts';
import { quoteString } from '../datasets/schema.ts';
import { Store } from '../datasets/store.ts';
import { repoRoot } from './fixtures.ts';
import { fileDigests, mnemoBin, runCli, runCliAsync, tempDir } from './helpers.ts';

/** A data folder with two finished runs of one node writing one table (no photos, no models: fast). */
async function archive(): Promise<{ store: Store; runIds: number[] }> {
  const store = new Store(join(tempDir(), 'data'));
  const runIds: number[] = [];
  for (const rows of [3, 5]) {
    const runId = await store.startRun({ nodes: ['scan'] }, null);
    const path = store.tablePath(runId, 'scan', 'files');
    const connection = await scratchConnection();
    try {
      mkdirSync(dirname(path), { recursive: true });
      await connection.run(`COPY (SELECT 'f' || range AS file_id, range AS size FROM range(${rows})) TO ${quoteString(path)} (FORMAT parquet)`);
    } finally {
      connection.closeSync();
    }
    const now = Date.now();
    await store.completeNode(runId, {
      node: 'scan', type: 'scan', version: '1', status: 'done', fingerprint: `fp${runId}`, reusedFrom: null, startedAt: now, finishedAt: now,
      rowsWritten: rows, outputs: { files: store.relative(path) }, metadata: {}, message: null,
    }, [{ item: 'x.jpg', message: 'unreadable' }]);
    await store.finishRun(runId, 'succeeded', null);
    runIds.push(runId);
  }
  return { store, runIds };
}

async function counts(store: Store): Promise<Record<string, number>> {
  return store.read(async (catalog) => {
    const result: Record<string, number> = {};
    for (const table of ['runs', 'run_nodes', 'errors', 'meta', 'persons']) result[table] = Number((await catalog.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
    return result;
  });
}

test('no statement the console accepts can write a file or change a setting, and it reads files only under runs/', async () => {
  const { store, runIds } = await archive();
  const data = store.dataDir;
  const runs = join(data, 'runs');
  const parquet = store.tablePath(runIds[0]!, 'scan', 'files');
  const outside = tempDir('mnemo-outside-');
  const before = await counts(store);

  const copies = [
    `COPY (SELECT 'x' AS a) TO ${quoteString(store.catalogPath)} (FORMAT csv)`,
    `COPY (SELECT 'x' AS a) TO ${quoteString(parquet)} (FORMAT parquet)`,
    `COPY (SELECT 1) TO ${quoteString(join(runs, 'new.csv'))}`,
    `COPY (SELECT 1) TO ${quoteString(join(data, 'new.csv'))}`,
    `COPY (SELECT 1) TO ${quoteString(join(outside, 'new.csv'))}`,
    "COPY (SELECT 1) TO 'relative.csv'",
    `COPY runs TO ${quoteString(join(runs, 'runs.csv'))}`,
  ];
  const writes = [
    ...copies,
    'CREATE TABLE t AS SELECT 1 AS a', 'CREATE VIEW v AS SELECT 1 AS a', 'CREATE SCHEMA s', 'CREATE MACRO m() AS 1', 'CREATE SEQUENCE q',
    "INSERT INTO runs (run_id, status) VALUES (99, 'x')", "UPDATE runs SET status = 'failed'", 'DELETE FROM runs', 'DROP TABLE runs', 'DROP VIEW latest.files', 'TRUNCATE runs',
    `ATTACH ${quoteString(join(outside, 'other.duckdb'))} AS other`, `ATTACH ${quoteString(store.catalogPath)} AS again`, 'DETACH memory',
    `SET allowed_directories = ['/']`, 'SET enable_external_access = true', 'RESET allowed_directories', 'SET lock_configuration = false', `SET temp_directory = ${quoteString(runs)}`,
    "PRAGMA enable_profiling = 'json'", `PRAGMA profiling_output = ${quoteString(join(runs, 'profile.json'))}`,
    'INSTALL httpfs', 'LOAD httpfs', `EXPORT DATABASE ${quoteString(join(runs, 'export'))}`, `EXPORT DATABASE ${quoteString(join(outside, 'export'))}`,
    'CHECKPOINT', 'FORCE CHECKPOINT', 'CALL checkpoint()', 'VACUUM', 'ANALYZE', 'USE memory', `COPY runs FROM ${quoteString(join(runs, 'in.csv'))}`,
  ];
  const attempts = [
    ...writes,
    ...writes.flatMap((sql) => [`EXPLAIN ANALYZE ${sql}`, `EXPLAIN ${sql}`, `EXPLAIN (ANALYZE) ${sql}`, `/* note */ EXPLAIN ANALYZE ${sql}`, `explain  analyse\n${sql}`]),
    // A later statement writes.
    ...copies.map((sql) => `SELECT 1; ${sql}`), 'SELECT 1; DELETE FROM runs', `SELECT 1; EXPLAIN ANALYZE ${copies[0]}`,
    // Files outside the runs folder.
    ...['read_text', 'read_blob', 'read_csv', 'read_parquet', 'read_json'].flatMap((reader) => [
      `SELECT * FROM ${reader}(${quoteString(store.catalogPath)})`, `SELECT * FROM ${reader}('/etc/passwd')`, `SELECT * FROM ${reader}(${quoteString(join(runs, '..', 'catalog.duckdb'))})`,
    ]),
    `SELECT * FROM glob(${quoteString(join(data, '*'))})`, `SELECT * FROM glob(${quoteString(join(data, '**'))})`, "SELECT * FROM glob('/etc/*')",
    `SELECT * FROM read_text(${quoteString(holderPath(store.catalogPath))})`, `SELECT * FROM ${quoteString(store.catalogPath)}`,
    "SELECT * FROM query('DELETE FROM runs')", `SELECT * FROM query(${quoteString(copies[0]!)})`,
    'WITH x AS (DELETE FROM runs RETURNING *) SELECT * FROM x',
  ];

  const files = fileDigests(data);
  const outsideFiles = fileDigests(outside);
  const accepted: string[] = [];
  for (const sql of attempts) {
    const error = await readOnlyQuery(store, sql).then(() => null, (thrown: Error) => thrown);
    assert.deepEqual(fileDigests(data), files, `after ${sql}: a file in the data folder appeared, changed or vanished`);
    assert.deepEqual(fileDigests(outside), outsideFiles, `after ${sql}: a file appeared outside the data folder`);
    if (error === null) accepted.push(sql);
    else assert.ok(error instanceof ReadOnlySqlError, `${sql}: ${error.stack}`);
  }
  assert.deepEqual(accepted, [], 'accepted');
  assert.equal(existsSync(join(repoRoot, 'relative.csv')), false);
  assert.deepEqual(await counts(store), before, 'the catalog opens and its row counts are unchanged');
  assert.ok(attempts.length > 250, `${attempts.length} attempts`);
});

test('ordinary queries work: latest.*, run<ID>.*, durable tables, CTEs, EXPLAIN SELECT, DESCRIBE, SUMMARIZE', async () => {
  const { store, runIds } = await archive();
  const [first, second] = runIds as [number, number];
  const one = async (sql: string) => (await readOnlyQuery(store, sql)).rows;
  assert.deepEqual(await one('SELECT count(*) AS n FROM latest.files'), [{ n: 5 }]);
  assert.deepEqual(await one(`SELECT count(*) AS n FROM run${first}.files`), [{ n: 3 }]);
  assert.deepEqual(await one(`SELECT (SELECT count(*) FROM "run${first}"."files") AS a, (SELECT count(*) FROM RUN${second}.FILES) AS b;`), [{ a: 3, b: 5 }]);
  assert.deepEqual(await one('SELECT run_id, status FROM runs ORDER BY run_id'), [{ run_id: first, status: 'succeeded' }, { run_id: second, status: 'succeeded' }]);
  assert.deepEqual(await one(`SELECT item FROM run${first}.errors`), [{ item: 'x.jpg' }]);
  assert.deepEqual(await one("WITH big AS (SELECT * FROM latest.files WHERE size > 2) SELECT count(*) AS n FROM big"), [{ n: 2 }]);
  assert.deepEqual(await one('FROM main.meta SELECT count(*) AS n WHERE key = \'latest_run\''), [{ n: 1 }]);
  assert.deepEqual(await one(`SELECT count(*) AS n FROM read_parquet(${quoteString(store.tablePath(first, 'scan', 'files'))})`), [{ n: 3 }]);
  assert.equal((await one(`SELECT * FROM glob(${quoteString(join(store.dataDir, 'runs', '**'))})`)).length, 2);
  assert.ok((await one('EXPLAIN SELECT * FROM latest.files')).length > 0);
  assert.ok((await one('EXPLAIN ANALYZE SELECT count(*) FROM latest.files')).length > 0);
  assert.ok((await one('-- how big\nEXPLAIN (ANALYZE, FORMAT json) SELECT 1')).length > 0);
  assert.deepEqual((await one('DESCRIBE latest.files')).map((row) => row.column_name), ['file_id', 'size']);
  assert.equal((await one('SUMMARIZE latest.files')).length, 2);
  assert.deepEqual(await one('SELECT range AS x FROM range(10) ORDER BY x DESC LIMIT 1'), [{ x: 9 }]);
  assert.equal((await readOnlyQuery(store, 'SELECT * FROM range(5000)', { maxRows: 10 })).rows.length, 10);
});

test('run<ID> and latest views are built from the run registry when SQL names them (the catalog stores only latest.*), so a moved data folder reads at once', async () => {
  const { store, runIds } = await archive();
  const [first, second] = runIds as [number, number];
  const one = async (s: Store, sql: string) => (await readOnlyQuery(s, sql)).rows;
  const storedSchemas = (s: Store) => s.read(async (catalog) => (await catalog.rows<{ name: string }>(
    'SELECT schema_name AS name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal ORDER BY 1',
  )).map((row) => row.name));
  // Each open of the catalog loads every stored view: a run adds none.
  assert.deepEqual(await storedSchemas(store), ['latest']);
  assert.deepEqual(await one(store, `SELECT (SELECT count(*) FROM run${first}.files) AS a, (SELECT count(*) FROM run${second}.files) AS b, (SELECT count(*) FROM run${second}.errors) AS e`), [{ a: 3, b: 5, e: 1 }]);
  const unknown = await readOnlyQuery(store, 'SELECT * FROM run99.files').then(() => null, (error: Error) => error);
  assert.ok(unknown instanceof ReadOnlySqlError && /run99/.test(unknown.message), String(unknown));
  assert.ok(await readOnlyQuery(store, 'SELECT * FROM run01.files').then(() => false, () => true), 'run01 is not run 1');

  // A moved data folder: SQL reads the new place at once (the stored views held the old absolute paths until the next run) ...
  const moved = join(dirname(store.dataDir), 'перенесено');
  renameSync(store.dataDir, moved);
  const movedStore = new Store(moved);
  assert.deepEqual(await one(movedStore, `SELECT (SELECT count(*) FROM run${first}.files) AS a, (SELECT count(*) FROM latest.files) AS b, (SELECT count(*) FROM latest.errors) AS e`), [{ a: 3, b: 5, e: 1 }]);
  // ... and the workbench, whose pages read latest.* over the catalog, points the stored views there as it starts.
  const latestOverCatalog = () => movedStore.read(async (catalog) => (await catalog.rows<{ n: number }>('SELECT count(*)::INTEGER AS n FROM latest.files'))[0]!.n);
  await assert.rejects(latestOverCatalog(), /No files found|IO Error/);
  const { serve } = await import('../workbench/server/server.ts');
  const live = await serve(await Workspace.open({ data: moved }), { port: 0, logger: false, staticDir: join(moved, 'no-web-app') });
  await live.app.close();
  assert.equal(await latestOverCatalog(), 5);

  // A catalog from before migration 6 stored run<ID> views: SQL still reads it as it is (read-only opens do not migrate) ...
  await movedStore.write(async (catalog) => {
    await catalog.connection.run('DELETE FROM schema_migrations WHERE version = 6');
    await catalog.connection.run(`CREATE SCHEMA run${first}`);
    await catalog.connection.run(`CREATE VIEW run${first}.files AS SELECT * FROM read_parquet(${quoteString(movedStore.tablePath(first, 'scan', 'files'))})`);
    await catalog.connection.run(`CREATE VIEW run${first}.errors AS SELECT * FROM main.errors WHERE run_id = ${first}`);
  });
  assert.deepEqual(await one(movedStore, `SELECT count(*) AS n FROM run${first}.files`), [{ n: 3 }]);
  // ... and its next writable open drops them, while the same queries give the same rows.
  await movedStore.write(async () => undefined);
  assert.deepEqual(await storedSchemas(movedStore), ['latest']);
  assert.deepEqual(await one(movedStore, `SELECT (SELECT count(*) FROM run${first}.files) AS a, (SELECT item FROM run${first}.errors) AS e`), [{ a: 3, e: 'x.jpg' }]);
});

test('mistakes in a query are one clear line', async () => {
  const { store } = await archive();
  const message = async (sql: string) => {
    try {
      await readOnlyQuery(store, sql);
    } catch (error) {
      assert.ok(error instanceof ReadOnlySqlError, `${sql}: ${(error as Error).stack}`);
      assert.doesNotMatch(error.message, /\n/);
      return error.message;
    }
    assert.fail(`${sql} succeeded`);
  };
  assert.match(await message('SELEC 1'), /^Parser Error: syntax error at or near "SELEC"/);
  assert.match(await message('SELECT * FROM latest.nope'), /^Catalog Error: Table with name nope does not exist/);
  assert.match(await message('SELECT nope FROM runs'), /^Binder Error: Referenced column "nope" not found/);
  assert.match(await message('   '), /empty query/);
  assert.match(await message("SELECT 'a'::INTEGER"), /^Conversion Error/);

  const dir = store.dataDir;
  for (const sql of ['SELEC 1', 'SELECT * FROM nope', 'DELETE FROM runs']) {
    const result = runCli(['sql', sql, '--data', dir], dir);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }
});

test('a long query does not hold the catalog against writers, and stops at its time limit', async () => {
  const { store } = await archive();
  const started = Date.now();
  // Far more work than the limit allows: it runs until interrupted.
  const slow = readOnlyQuery(store, 'SELECT sum((a.range * b.range) % 7) AS s FROM range(1000000) a, range(1000000) b, runs', { timeoutMs: 15_000 }).then(
    () => ({ error: null as Error | null, at: Date.now() }),
    (error: Error) => ({ error, at: Date.now() }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the snapshot is long taken
  const writer = await runCliAsync(['person', 'create', 'Anna', '--data', store.dataDir], store.dataDir);
  const wroteAt = Date.now();
  assert.equal(writer.code, 0, writer.stderr);
  const { error, at } = await slow;
  assert.ok(wroteAt < at, `the writer finished ${wroteAt - started} ms after the query began, the query ended at ${at - started} ms: the writer waited for it`);
  assert.ok(error instanceof ReadOnlySqlError && /^query stopped after 15 s \(the limit; raise it with --timeout\)$/.test(error.message), String(error));
  assert.ok(at - started < 25_000, `stopped after ${at - started} ms`);
  assert.deepEqual((await readOnlyQuery(store, 'SELECT name FROM persons')).rows, [{ name: 'Anna' }]);

  const cli = runCli(['sql', '--timeout', '1', '--data', store.dataDir, 'SELECT sum((a.range * b.range) % 7) FROM range(1000000) a, range(1000000) b'], store.dataDir);
  assert.equal(cli.code, 2, cli.stderr);
  assert.equal(cli.stderr.trim(), 'mnemo sql: query stopped after 1 s (the limit; raise it with --timeout)');
});

test('a busy catalog names its holder: PID, command and purpose; a stale holder record is ignored', async () => {
  const { store } = await archive();
  const path = store.catalogPath;
  const child = (code: string) => {
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot });
    return new Promise<typeof holder>((resolve, reject) => {
      holder.stdout.on('data', (chunk) => String(chunk).includes('HOLDING') && resolve(holder));
      holder.on('close', (exitCode) => reject(new Error(`holder exited with ${exitCode}`)));
    });
  };
  const catalogModule = JSON.stringify(join(repoRoot, 'datasets', 'catalog.ts'));
  const writer = await child(`
    const { Catalog } = await import(${catalogModule});
    await Catalog.open(${JSON.stringify(path)}, { purpose: 'committing node scan of run 12' });
    console.log('HOLDING'); setTimeout(() => {}, 60000);`);
  try {
    await assert.rejects(Catalog.open(path, { lockTimeoutMs: 300 }), (error: Error) =>
      error instanceof CatalogBusyError && new RegExp(`in use by PID ${writer.pid} \\(\`[^\`]+\`, committing node scan of run 12, since \\d\\d:\\d\\d:\\d\\d\\)`).test(error.message) || assert.fail(error.message));
  } finally {
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.on('close', resolve));
  }
  // The killed writer's record stays behind; a reader now holds the file.
  assert.ok(existsSync(holderPath(path)));
  const reader = await child(`
    const { DuckDBInstance } = await import('@duckdb/node-api');
    await DuckDBInstance.create(${JSON.stringify(path)}, { access_mode: 'READ_ONLY' });
    console.log('HOLDING'); setTimeout(() => {}, 60000);`);
  try {
    await assert.rejects(Catalog.open(path, { lockTimeoutMs: 300 }), (error: Error) =>
      error instanceof CatalogBusyError && new RegExp(`is open in another process \\(PID ${reader.pid}\\)`).test(error.message) || assert.fail(error.message));
  } finally {
    reader.kill('SIGKILL');
    await new Promise((resolve) => reader.on('close', resolve));
  }
  const catalog = await Catalog.open(path);
  assert.equal(JSON.parse(readFileSync(holderPath(path), 'utf8')).pid, process.pid);
  catalog.close();
  assert.equal(existsSync(holderPath(path)), false, 'closing removes the record');
});

/** The real CLI with a small JavaScript heap: a result held whole in memory would crash it. */
function lowMemoryCli(args: string[], cwd: string): Promise<{ code: number | null; lines: number; tail: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=100', mnemoBin, ...args], { cwd });
    let lines = 0;
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines++;
      tail = (tail + chunk.toString()).slice(-2000);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, lines, tail, stderr }));
  });
}

test('large results stream: CSV, JSON lines and JSON in flat memory, a capped table, --out files', async () => {
  const { store } = await archive();
  const dir = store.dataDir;
  const query = (rows: number) => `SELECT range AS id, 'photo ' || range || '.jpg' AS name, range * 0.5 AS score FROM range(${rows})`;
  // 2 million rows as CSV through a 100 MB heap; the other formats share the
  // same streaming path and get fewer rows (time).
  const csv = await lowMemoryCli(['sql', '--csv', '--data', dir, query(2_000_000)], dir);
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(csv.lines, 2_000_001);
  const rows = 300_000;
  for (const format of ['--jsonl', '--json']) {
    const result = await lowMemoryCli(['sql', format, '--data', dir, query(rows)], dir);
    assert.equal(result.code, 0, `${format}: ${result.stderr}`);
    assert.equal(result.lines, format === '--jsonl' ? rows : rows + 2, format);
  }

  const table = await lowMemoryCli(['sql', '--data', dir, 'SELECT range AS id FROM range(150000)'], dir);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.tail, /\n999\n\(150,000 rows\)\n\.\.\. 149,000 more rows not shown; use --csv, --jsonl or --out FILE\n$/);

  const outside = tempDir('mnemo-out-');
  for (const file of ['result.parquet', 'result.csv', 'result.jsonl']) {
    const path = join(outside, file);
    const result = await lowMemoryCli(['sql', '--data', dir, '--out', path, query(rows)], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.tail, new RegExp(`wrote ${rows} rows to ${path}`));
    assert.ok(statSync(path).size > 0);
  }
  const [parquet] = await queryRows<{ n: bigint; ids: bigint; name: string }>(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(name) AS name FROM read_parquet(${quoteString(join(outside, 'result.parquet'))})`,
  );
  assert.deepEqual([Number(parquet!.n), Number(parquet!.ids), parquet!.name], [rows, rows, 'photo 99999.jpg']);
  assert.deepEqual(readdirSync(outside).sort(), ['result.csv', 'result.jsonl', 'result.parquet'], 'no temporary files left');

  const inside = runCli(['sql', '--data', dir, '--out', join(dir, 'runs', 'x.parquet'), 'SELECT 1'], dir);
  assert.equal(inside.code, 2);
  assert.match(inside.stderr, /outside the data folder/);
});
