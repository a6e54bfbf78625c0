// The notebook routes over a real store (two runs of real Parquet, no photos):
// a notebook saved and reloaded through the API is byte for byte the same;
// the same notebook on two runs gives each run's numbers (checked against
// direct SQL); every write or escape is refused with a clear message and
// writes nothing; a cell stops at its row and time limits and says so, and
// the server answers other requests while a runaway cell runs; errors point
// at their line and column in the file; a malformed notebook gets messages
// with lines and its other cells still run; a cell exports to CSV and Parquet.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { quoteString } from '../datasets/schema.ts';
import type { WireEvent } from '../notebook/result.ts';
import { buildServer } from '../workbench/server/server.ts';
import { fileDigests, tempDir } from './helpers.ts';
import { COUNTS_NOTEBOOK, notebookStore } from './support/notebook-store.ts';

const PORT = 7707;
const HOST = `127.0.0.1:${PORT}`;
type App = Awaited<ReturnType<typeof buildServer>>['app'];
type Line = WireEvent | { type: 'params'; values: Record<string, unknown> } | { type: 'error'; message: string };

/** The cells' outcomes of one run: by cell name, its rows (as objects), limit and error. */
function outcome(lines: Line[]) {
  const cells = new Map<string, { rows: Record<string, unknown>[]; limit: { kind: string; message: string } | null; error: { message: string; line: number; column: number | null } | null }>();
  const names = new Map<number, string>();
  const columns = new Map<number, string[]>();
  for (const line of lines) {
    if (line.type === 'cell') {
      names.set(line.cell, line.name);
      cells.set(line.name, { rows: [], limit: null, error: null });
    } else if (line.type === 'columns') columns.set(line.cell, line.columns.map((c) => c.name));
    else if (line.type === 'rows') cells.get(names.get(line.cell)!)!.rows.push(...line.rows.map((row) => Object.fromEntries(columns.get(line.cell)!.map((c, i) => [c, row[i]]))));
    else if (line.type === 'cell-done') cells.get(names.get(line.cell)!)!.limit = line.limit;
    else if (line.type === 'cell-error') cells.get(names.get(line.cell)!)!.error = { message: line.message, line: line.line, column: line.column };
  }
  return cells;
}

describe('the notebook routes', { concurrency: 1 }, () => {
  const dir = tempDir('mnemo-notebook-api-');
  const config = join(dir, 'mnemo.yaml');
  const notebooks = join(dir, 'notebooks');
  const outside = join(dir, 'outside');
  let app: App;
  let workspace: Workspace;
  let runIds: [number, number];

  const get = (url: string) => app.inject({ method: 'GET', url, headers: { host: HOST } });
  const send = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    app.inject({ method, url, headers: { host: HOST, 'x-mnemo': '1', 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const run = async (name: string, body: Record<string, unknown> = {}): Promise<Line[]> => {
    const response = await send('POST', `/api/notebooks/${name}/run`, body);
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /application\/x-ndjson/);
    return response.body.trim().split('\n').map((line) => JSON.parse(line) as Line);
  };
  const write = (name: string, text: string) => writeFileSync(join(notebooks, name), text);
  /** A notebook of one cell per SQL text (ids c0, c1, ...), with these limits. */
  const cellsNotebook = (sqls: string[], limits = '') =>
    `---\ntitle: cells\n${limits}---\n\n${sqls.map((sql, i) => `\`\`\`sql id=c${i}\n${sql}\n\`\`\`\n`).join('\n')}`;

  before(async () => {
    const made = await notebookStore(join(dir, 'data'));
    runIds = made.runIds;
    writeFileSync(config, 'data: ./data\n');
    mkdirSync(notebooks);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.csv'), 'a\n1\n');
    write('counts.md', COUNTS_NOTEBOOK);
    workspace = await Workspace.open({ config, data: join(dir, 'data') });
    ({ app } = await buildServer(workspace, { port: PORT, logger: false, staticDir: join(dir, 'no-web-app') }));
  });

  after(async () => {
    await app?.close();
  });

  it('lists the notebooks and opens one', async () => {
    const list = (await get('/api/notebooks')).json() as { notebooks: { name: string; title: string; cells: number; charts: number; problems: number }[] };
    assert.deepEqual(list.notebooks.map(({ name, title, cells, charts, problems }) => ({ name, title, cells, charts, problems })), [{ name: 'counts.md', title: 'Counts', cells: 2, charts: 1, problems: 0 }]);
    const opened = (await get('/api/notebooks/counts.md')).json() as { text: string; params: { name: string; type: string }[] };
    assert.equal(opened.text, COUNTS_NOTEBOOK);
    assert.deepEqual(opened.params.map((p) => `${p.name}:${p.type}`), ['run:run', 'min_faces:number']);
    assert.equal((await get('/api/notebooks/nothere.md')).statusCode, 404);
    const escape = await get(`/api/notebooks/${encodeURIComponent('../mnemo.yaml')}`);
    assert.equal(escape.statusCode, 400);
    assert.match(escape.json().error.message, /no folders/);
  });

  it('saves a notebook and reads it back byte for byte (CRLF, no final newline, an edited cell)', async () => {
    const { parseNotebook, sqlCells, withBlockBody } = await import('../notebook/parse.ts');
    const crlf = COUNTS_NOTEBOOK.replace(/\n/g, '\r\n').replace(/\r\n$/, '');
    for (const text of [COUNTS_NOTEBOOK, crlf, '# only prose\n\nno cells', '']) {
      const saved = await send('PUT', '/api/notebooks/roundtrip.md', { text });
      assert.equal(saved.statusCode, 200, saved.body);
      assert.equal((await get('/api/notebooks/roundtrip.md')).json().text, text);
      assert.equal(readFileSync(join(notebooks, 'roundtrip.md'), 'utf8'), text);
    }
    // An edit in the editor changes that cell's lines and nothing else.
    const notebook = parseNotebook(COUNTS_NOTEBOOK);
    const edited = withBlockBody(notebook, sqlCells(notebook)[1]!, 'SELECT 42 AS answer');
    await send('PUT', '/api/notebooks/roundtrip.md', { text: edited });
    const back = (await get('/api/notebooks/roundtrip.md')).json().text as string;
    const before = COUNTS_NOTEBOOK.split('\n');
    const afterLines = back.split('\n');
    const changed = afterLines.map((line, i) => (line === before[i] ? null : i + 1)).filter((line) => line !== null);
    assert.deepEqual(changed, [19]);
    assert.equal(afterLines[18], 'SELECT 42 AS answer');
  });

  it('the same notebook on two runs gives each run its own numbers (as direct SQL does)', async () => {
    for (const runId of runIds) {
      const cells = outcome(await run('counts.md', { params: { run: runId } }));
      const direct = (await query(workspace, `SELECT count(*)::INTEGER AS faces, count(DISTINCT cluster_id)::INTEGER AS clusters FROM run${runId}.clusters`)).rows[0]!;
      assert.deepEqual(cells.get('total')!.rows, [{ faces: direct.faces, clusters: direct.clusters, run_id: runId }]);
      const perCluster = (await query(workspace, `SELECT cluster_id, count(*) AS faces FROM run${runId}.clusters GROUP BY ALL ORDER BY cluster_id`)).rows;
      assert.deepEqual(cells.get('per_cluster')!.rows, perCluster);
    }
    // latest is the second run; a param filters by value ($min_faces is bound, not pasted).
    const latest = outcome(await run('counts.md', { params: { run: 'latest', min_faces: 13 } }));
    assert.equal(latest.get('total')!.rows[0]!.run_id, runIds[1]);
    assert.equal(latest.get('total')!.rows[0]!.clusters, 6); // 90 faces in 7 clusters: six of 13, one of 12
    // Unsaved text runs as sent.
    const unsaved = outcome(await run('counts.md', { text: cellsNotebook(['SELECT 7 AS seven']) }));
    assert.deepEqual(unsaved.get('c0')!.rows, [{ seven: 7 }]);
  });

  it('refuses each write and escape with a clear message, and nothing is written', async () => {
    const data = join(dir, 'data');
    const runsDir = join(data, 'runs');
    const attempts: [string, RegExp][] = [
      ["INSERT INTO runs (run_id, status) VALUES (99, 'x')", /a cell is one query .*this is INSERT/],
      [`COPY (SELECT 1) TO ${quoteString(join(runsDir, 'x.csv'))}`, /a cell is one query .*this is COPY/],
      [`COPY (SELECT 1) TO ${quoteString(join(outside, 'x.csv'))}`, /a cell is one query .*this is COPY/],
      [`EXPLAIN ANALYZE COPY (SELECT 1) TO ${quoteString(join(runsDir, 'y.csv'))}`, /EXPLAIN is allowed only of a query/],
      [`ATTACH ${quoteString(join(outside, 'other.duckdb'))} AS other`, /this is ATTACH/],
      ['INSTALL httpfs', /this is INSTALL/],
      ['LOAD httpfs', /this is LOAD/],
      ["SET allowed_directories = ['/']", /this is SET/],
      ['SET threads = 1', /this is SET/],
      ['PRAGMA version', /this is PRAGMA/],
      ['SELECT 1; SELECT 2', /one statement at a time/],
      ['SELECT 1; DELETE FROM runs', /one statement at a time/],
      ["SELECT * FROM query('DELETE FROM runs')", /./],
      ["SELECT * FROM read_text('/etc/passwd')", /files can be read only under/],
      [`SELECT * FROM read_csv(${quoteString(join(outside, 'secret.csv'))})`, /files can be read only under/],
      [`SELECT * FROM read_text(${quoteString(config)})`, /files can be read only under/],
      [`SELECT * FROM read_blob(${quoteString(workspace.store.catalogPath)})`, /files can be read only under/],
      [`SELECT * FROM glob(${quoteString(join(data, '*'))})`, /files can be read only under|Permission/],
      ['WITH x AS (DELETE FROM runs RETURNING *) SELECT * FROM x', /./],
    ];
    const before = fileDigests(dir);
    write('refusals.md', cellsNotebook(attempts.map(([sql]) => sql)));
    const cells = outcome(await run('refusals.md'));
    attempts.forEach(([sql, pattern], i) => {
      const cell = cells.get(`c${i}`)!;
      assert.ok(cell.error, `accepted: ${sql}`);
      assert.match(cell.error.message, pattern, sql);
      assert.doesNotMatch(cell.error.message, /internal error/);
    });
    const afterFiles = fileDigests(dir);
    afterFiles.delete(join(notebooks, 'refusals.md'));
    before.delete(join(notebooks, 'refusals.md'));
    assert.deepEqual(afterFiles, before, 'no file appeared, changed or vanished');
    // The catalog still answers and is unchanged.
    assert.deepEqual((await query(workspace, 'SELECT count(*)::INTEGER AS n FROM runs')).rows, [{ n: 2 }]);
  });

  it('stops a cell at its row limit and says so', async () => {
    write('rows.md', cellsNotebook(['SELECT range AS n FROM range(5000)', 'SELECT count(*)::INTEGER AS kept FROM c0', 'SELECT range AS n FROM range(1000)'], 'limits: { rows: 1000 }\n'));
    const cells = outcome(await run('rows.md'));
    assert.equal(cells.get('c0')!.rows.length, 1000);
    assert.equal(cells.get('c0')!.limit?.kind, 'rows');
    assert.match(cells.get('c0')!.limit!.message, /row limit: the first 1,000 rows/);
    assert.deepEqual(cells.get('c1')!.rows, [{ kept: 1000 }]);
    assert.equal(cells.get('c2')!.limit, null, 'exactly the limit is not over it');
  });

  it('stops a runaway cell at its time limit while the server answers other requests', async () => {
    write('slow.md', cellsNotebook(['SELECT sum(a.range * b.range) AS s FROM range(1000000000) a, range(1000) b', 'SELECT 1 AS after_it'], 'limits: { seconds: 2 }\n'));
    const { serve } = await import('../workbench/server/server.ts');
    const live = await serve(workspace, { port: 0, logger: false, staticDir: join(dir, 'no-web-app') });
    try {
      const started = Date.now();
      const slow = fetch(new URL('/api/notebooks/slow.md/run', live.url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-mnemo': '1' }, body: '{}' }).then((r) => r.text());
      await new Promise((resolve) => setTimeout(resolve, 500));
      const asked = Date.now();
      const health = await fetch(new URL('/api/health', live.url));
      const answeredMs = Date.now() - asked;
      assert.equal(health.status, 200);
      const lines = (await slow).trim().split('\n').map((line) => JSON.parse(line) as Line);
      const elapsed = Date.now() - started;
      assert.ok(answeredMs < elapsed - 500, `health answered in ${answeredMs} ms, while the cell ran ${elapsed} ms`);
      const cells = outcome(lines);
      assert.equal(cells.get('c0')!.limit?.kind, 'time');
      assert.match(cells.get('c0')!.limit!.message, /time limit of 2 s/);
      assert.deepEqual(cells.get('c1')!.rows, [{ after_it: 1 }], 'the next cell runs');
      assert.ok(elapsed < 30_000, `stopped after ${elapsed} ms`);
    } finally {
      await live.app.close();
    }
  });

  it('points at the line and column of an error in the file', async () => {
    const text = `---\ntitle: errors\n---\n\n\`\`\`sql id=good\nSELECT 1 AS one\n\`\`\`\n\n\`\`\`sql id=bad\nSELECT cluster_id,\n    nope\nFROM run1.clusters\n\`\`\`\n`;
    write('errors.md', text);
    const cells = outcome(await run('errors.md'));
    const bad = cells.get('bad')!.error!;
    assert.equal(bad.line, 11);
    assert.equal(bad.column, 5);
    assert.match(bad.message, /Referenced column "nope" not found.*\(line 11, column 5\)/);
    assert.equal(text.split('\n')[bad.line - 1]!.slice(bad.column - 1, bad.column + 3), 'nope');
    assert.deepEqual(cells.get('good')!.rows, [{ one: 1 }]);
  });

  it('a malformed notebook gets messages with their lines, and its other cells still run', async () => {
    const text = [
      '---', 'title: broken', 'params:', '  n: { type: colour }', 'colour: blue', '---', '',
      '```sql id=ok', 'SELECT 3 AS three', '```', '',
      '```chart', '{ "cell": "ok", "mark": "pie", "x": "three" }', '```', '',
      '```chart', '{ "cell": "nothere", "mark": "dot", "x": "a" }', '```', '',
      '```sql id=uses_missing', 'SELECT * FROM missing_cell', '```', '',
      '```sql id=uses_later', 'SELECT * FROM later', '```', '',
      '```sql id=later', 'SELECT 1 AS x', '```', '',
    ].join('\n');
    write('broken.md', text);
    const opened = (await get('/api/notebooks/broken.md')).json() as { problems: { line: number; message: string }[] };
    const problems = opened.problems.map((p) => `${p.line}: ${p.message}`);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /^4: param 'n': type must be one of run, number, string, boolean, person/);
    assert.match(problems[1]!, /^5: front matter: unknown key 'colour'/);
    assert.match(problems[2]!, /^13: chart: unknown mark "pie": use one of barY/);
    assert.match(problems[3]!, /^17: the chart draws cell 'nothere', which this notebook does not have/);
    const lines = await run('broken.md');
    assert.equal((lines.find((line) => line.type === 'start') as { problems: unknown[] }).problems.length, 4);
    const cells = outcome(lines);
    assert.deepEqual(cells.get('ok')!.rows, [{ three: 3 }]);
    assert.match(cells.get('uses_missing')!.error!.message, /missing_cell does not exist: no table, view or cell above has that name \(line 21, column 15\)/);
    assert.match(cells.get('uses_later')!.error!.message, /cell 'later' is defined below \(line 28\): a cell can use only the cells above it/);
    assert.deepEqual(cells.get('later')!.rows, [{ x: 1 }]);
  });

  it('refuses unknown params and bad values before running', async () => {
    const unknown = await send('POST', '/api/notebooks/counts.md/run', { params: { color: 'red' } });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /param 'color' is not declared/);
    const bad = await send('POST', '/api/notebooks/counts.md/run', { params: { min_faces: 'many' } });
    assert.match(bad.json().error.message, /param 'min_faces' must be a number/);
    const noRun = await send('POST', '/api/notebooks/counts.md/run', { params: { run: 99 } });
    assert.equal(noRun.statusCode, 404);
    const field = await send('POST', '/api/notebooks/counts.md/run', { params: {}, sql: 'x' });
    assert.equal(field.statusCode, 400);
    write('dollar.md', cellsNotebook(['SELECT $nope AS x']));
    assert.match(outcome(await run('dollar.md')).get('c0')!.error!.message, /\$nope is not a parameter of this notebook/);
  });

  it('exports a cell to CSV and Parquet', async () => {
    const csv = await send('POST', '/api/notebooks/counts.md/export', { params: { run: runIds[0] }, cell: 0, format: 'csv' });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="counts-per_cluster\.csv"/);
    assert.equal(csv.body, 'cluster_id,faces\n0,10\n1,10\n2,10\n3,10\n');
    const parquet = await send('POST', '/api/notebooks/counts.md/export', { cell: 0, format: 'parquet' });
    assert.equal(parquet.statusCode, 200);
    const file = join(outside, 'export.parquet');
    writeFileSync(file, parquet.rawPayload);
    const { queryRows } = await import('../datasets/parquet.ts');
    assert.deepEqual(await queryRows(`SELECT count(*)::INTEGER AS n, sum(faces)::INTEGER AS faces FROM read_parquet(${quoteString(file)})`), [{ n: 7, faces: 90 }]);
    write('unnamed.md', '```sql\nSELECT 1\n```\n');
    const unnamed = await send('POST', '/api/notebooks/unnamed.md/export', { cell: 0, format: 'csv' });
    assert.equal(unnamed.statusCode, 400);
    assert.match(unnamed.json().error.message, /give the cell an id to export it/);
  });
});
