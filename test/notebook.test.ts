// Notebook files and running them without the server: any text parses into
// blocks that give it back byte for byte; params, limits and charts are
// checked with the line of each mistake; the demo's notebooks parse cleanly,
// run on a store and are never written over a user's file; `mnemo notebook
// run --html` writes a self-contained page with the results and SVG charts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { listNotebooks, notebooksDir, resolveParams, runToResults, writeDemoNotebooks } from '../app/notebooks.ts';
import { query } from '../app/store-tools.ts';
import { Workspace } from '../app/workspace.ts';
import { DEMO_NOTEBOOKS } from '../notebook/demo-notebooks.ts';
import { markdownToHtml } from '../notebook/markdown.ts';
import { parseNotebook, serializeNotebook, sqlCells, withBlockBody } from '../notebook/parse.ts';
import { errorPosition } from '../notebook/result.ts';
import { runCliAsync, tempDir } from './helpers.ts';
import { COUNTS_NOTEBOOK, notebookStore } from './support/notebook-store.ts';

describe('notebook files', () => {
  it('give their text back byte for byte, whatever it holds', () => {
    const texts = [
      COUNTS_NOTEBOOK,
      COUNTS_NOTEBOOK.replace(/\n/g, '\r\n'),
      COUNTS_NOTEBOOK.trimEnd(),
      '',
      '\n\n',
      'no front matter\n```sql id=a\nSELECT 1\n```',
      '---\ntitle: never closed\n```sql id=a\nSELECT 1\n```\n',
      '```sql id=open\nSELECT 1\n-- the fence is never closed\n',
      '````sql id=four\nSELECT \'```\' AS ticks\n````\n',
      '```js\n```sql id=inside_other_fence\n```\n\ntext\n',
      '~~~sql id=tilde\nSELECT 2\n~~~\n```chart\n{ "cell": "tilde", "mark": "dot", "x": "a" }\n```\n',
      '   ```sql id=indented\nSELECT 1\n   ```\n\t\ttabs  \n',
    ];
    for (const text of texts) assert.equal(serializeNotebook(parseNotebook(text)), text, JSON.stringify(text));
    // Blocks are what they say: a fence inside another kind of fence is prose.
    assert.deepEqual(sqlCells(parseNotebook(texts[9]!)).length, 0);
    assert.deepEqual(sqlCells(parseNotebook(texts[8]!)).map((cell) => cell.body), ["SELECT '```' AS ticks\n"]);
  });

  it('an edit changes only the cell edited', () => {
    const notebook = parseNotebook(COUNTS_NOTEBOOK);
    const [first, second] = sqlCells(notebook);
    const edited = withBlockBody(notebook, second!, 'SELECT 1 AS one');
    assert.equal(edited, COUNTS_NOTEBOOK.replace(second!.body, 'SELECT 1 AS one\n'));
    assert.equal(withBlockBody(notebook, first!, first!.body), COUNTS_NOTEBOOK);
  });

  it('reads params, limits and charts, and reports each mistake with its line', () => {
    const notebook = parseNotebook(COUNTS_NOTEBOOK);
    assert.equal(notebook.title, 'Counts');
    assert.deepEqual(notebook.params.map((p) => [p.name, p.type, p.default, p.line]), [['run', 'run', 'latest', 4], ['min_faces', 'number', 1, 5]]);
    assert.deepEqual(notebook.limits, { rows: 100_000, seconds: 30 });
    assert.deepEqual(notebook.problems, []);

    const broken = parseNotebook([
      '---', // 1
      'title: [unclosed', // 2
      '---', // 3
      '```sql id=1bad', // 4
      'SELECT 1', '```', // 5, 6
      '```sql id=a', 'SELECT 1', '```', // 7-9
      '```sql id=a', 'SELECT 2', '```', // 10-12
      '```chart', '{ "cell": "a", "mark": "dot", "x": 1, "colour": "red" }', '```', // 13-15
      '```chart', 'not: [json', '```', // 16-18
      '```sql id=latest', 'SELECT 1', '```', // 19-21
    ].join('\n'));
    const messages = broken.problems.map((p) => `${p.line}: ${p.message}`);
    assert.equal(messages.length, 7, messages.join('\n'));
    assert.match(messages[0]!, /^2: front matter: /);
    assert.match(messages[1]!, /^4: cell id '1bad' must be a name of letters, digits and _/);
    assert.match(messages[2]!, /^10: cell id 'a' is used twice \(first on line 7\)/);
    assert.ok(messages.some((m) => /^14: chart: x must be a column name/.test(m)));
    assert.ok(messages.some((m) => /^14: chart: unknown option 'colour'/.test(m)));
    assert.match(messages[5]!, /^17: chart: /);
    assert.match(messages[6]!, /^19: cell id 'latest' is taken/);

    const limits = parseNotebook('---\nlimits: { rows: 0, seconds: 5, memory: 1 }\n---\n');
    assert.deepEqual(limits.limits, { rows: 100_000, seconds: 5 });
    assert.deepEqual(limits.problems.map((p) => p.line), [2, 2]);
  });

  it('maps DuckDB error positions to line and column, also inside a cut-down long line', () => {
    const sql = 'SELECT a,\n  nope FROM t';
    assert.deepEqual(errorPosition('Binder Error: x\n\nLINE 2:   nope FROM t\n          ^', sql), { line: 2, column: 3 });
    // DuckDB shows a window of a long line with "..." before it (this message is DuckDB 1.5's own).
    const long = `SELECT ${Array.from({ length: 60 }, (_, i) => `c0 AS a${i}`).join(', ')}, nope, c0 AS z FROM t`;
    const message = `Binder Error: Referenced column "nope" not found in FROM clause!\nCandidate bindings: "c0"\n\nLINE 1: ... a54, c0 AS a55, c0 AS a56, c0 AS a57, c0 AS a58, c0 AS a59, nope, c0 AS z FROM t\n${' '.repeat(72)}^`;
    assert.deepEqual(errorPosition(message, long), { line: 1, column: long.indexOf('nope') + 1 });
    assert.equal(errorPosition('Parser Error: syntax error at end of input', sql), null);
  });

  it('prose becomes escaped HTML', () => {
    assert.equal(markdownToHtml('# Title <b>\n\nSome `code` and **bold**.\n\n- one\n- two'), '<h1>Title &lt;b&gt;</h1>\n<p>Some <code>code</code> and <strong>bold</strong>.</p>\n<ul><li>one</li><li>two</li></ul>');
    assert.doesNotMatch(markdownToHtml('<script>alert(1)</script> [x](javascript:alert(1))'), /<script|href="javascript/);
  });

  it('the demo notebooks parse without problems', () => {
    for (const [name, text] of Object.entries(DEMO_NOTEBOOKS)) {
      const notebook = parseNotebook(text);
      assert.deepEqual(notebook.problems, [], name);
      assert.ok(sqlCells(notebook).length > 0 && notebook.title, name);
    }
  });
});

describe('running notebooks without the server', { concurrency: 1 }, () => {
  const dir = tempDir('mnemo-notebook-');
  const data = join(dir, 'data');
  const config = join(dir, 'mnemo.yaml');
  let workspace: Workspace;
  let runIds: [number, number];

  before(async () => {
    ({ runIds } = await notebookStore(data));
    writeFileSync(config, 'data: ./data\n');
    workspace = await Workspace.open({ config, data });
  });

  it('the demo notebooks run on a store, and a user\'s edited file is never written over', async () => {
    assert.deepEqual((await writeDemoNotebooks(workspace)).sort(), Object.keys(DEMO_NOTEBOOKS).sort());
    const dir = notebooksDir(workspace);
    writeFileSync(join(dir, 'cluster-sizes.md'), '# mine\n');
    assert.deepEqual(await writeDemoNotebooks(workspace), []);
    assert.equal(readFileSync(join(dir, 'cluster-sizes.md'), 'utf8'), '# mine\n');
    assert.equal((await listNotebooks(workspace)).length, Object.keys(DEMO_NOTEBOOKS).length);

    const expected: Record<string, (rows: Record<string, unknown>[]) => void> = {
      'faces-per-run.md': (rows) => assert.deepEqual(rows.map((r) => [r.run_id, r.faces]), [[runIds[0], 40], [runIds[1], 90]]),
      'strangers-share.md': (rows) => assert.deepEqual(rows.map((r) => r.strangers_share), [10 / 40, 23 / 90]),
      'photos-per-month.md': (rows) => {
        assert.deepEqual(rows[0], { month: '2020-01', photos: 2 });
        assert.equal(rows.reduce((sum, r) => sum + (r.photos as number), 0), 45);
      },
      'cats-per-month.md': (rows) => assert.equal(rows.reduce((sum, r) => sum + (r.photos_with_cats as number), 0), 15),
    };
    for (const [name, check] of Object.entries(expected)) {
      const notebook = parseNotebook(DEMO_NOTEBOOKS[name]!);
      const results = await runToResults(workspace, notebook, await resolveParams(workspace, notebook));
      for (const result of results.values()) assert.equal(result.error, null, `${name} ${result.name}: ${result.error?.message}`);
      const first = results.get(0)!;
      check(first.rows.map((row) => Object.fromEntries(first.columns.map((c, i) => [c.name, row[i]]))));
    }
    const sizes = parseNotebook(DEMO_NOTEBOOKS['cluster-sizes.md']!);
    const results = await runToResults(workspace, sizes, await resolveParams(workspace, sizes, { run: String(runIds[0]), min_faces: '1' }));
    assert.deepEqual(results.get(1)!.rows, [[10, 4]], 'four clusters of ten faces in the first run');
  });

  it('a cell whose time runs out while its rows stream says so (an interrupt then ends the stream without an error)', async () => {
    const { runNotebook } = await import('../notebook/run.ts');
    const notebook = parseNotebook('---\nlimits: { rows: 1000000, seconds: 1 }\n---\n```sql id=many\nSELECT range AS n FROM range(1000000)\n```\n');
    let rows = 0;
    let done: { limit: { kind: string } | null } | null = null;
    for await (const event of runNotebook(workspace.store, notebook, { values: {} })) {
      if (event.type === 'rows') {
        rows += event.rows.length;
        await new Promise((resolve) => setTimeout(resolve, 50)); // a slow reader: the limit comes mid-stream
      }
      if (event.type === 'cell-done') done = event;
    }
    assert.ok(rows > 0 && rows < 1_000_000, `${rows} rows`);
    assert.equal(done!.limit?.kind, 'time');
    // The same for one query of \`mnemo sql\`: a cut result fails instead of passing for whole.
    const { streamReadOnlyQuery } = await import('../datasets/read-only-sql.ts');
    await assert.rejects(
      streamReadOnlyQuery(workspace.store, 'SELECT range FROM range(10000000)', { timeoutMs: 500 }, async (result) => {
        for await (const _chunk of result) await new Promise((resolve) => setTimeout(resolve, 20));
      }),
      /query stopped after 0\.5 s/,
    );
  });

  it('`mnemo demo` writes its notebooks beside its mnemo.yaml', async () => {
    const { prepareDemo } = await import('../app/setup.ts');
    const demo = await prepareDemo(join(dir, 'demo'));
    assert.equal(notebooksDir(demo.workspace), join(dir, 'demo', 'notebooks'));
    assert.deepEqual(readdirSync(join(dir, 'demo', 'notebooks')).sort(), Object.keys(DEMO_NOTEBOOKS).sort());
  });

  it('`mnemo notebook run --html` writes a self-contained page with the run\'s numbers and SVG charts', async () => {
    const file = join(dir, 'counts.md');
    writeFileSync(file, COUNTS_NOTEBOOK);
    const out = join(dir, 'out', 'counts.html');
    mkdirSync(join(dir, 'out'));
    const result = await runCliAsync(['notebook', 'run', file, '--data', data, '--param', `run=${runIds[0]}`, '--html', out], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote .*counts\.html \(2 cells\)/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<title>Counts<\/title>/);
    assert.match(html, /run = <b>1<\/b>/);
    const direct = (await query(workspace, `SELECT count(*) AS n FROM run${runIds[0]}.clusters`)).rows[0]!.n;
    assert.match(html, new RegExp(`<td class="num">${direct}</td><td class="num">4</td><td class="num">${runIds[0]}</td>`));
    assert.match(html, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((html.match(/<rect /g) ?? []).length >= 4, true, 'one bar per cluster');
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no script, nothing fetched');

    // In the terminal: each cell's rows; a failing cell is reported with its line and exit code 1.
    const printed = await runCliAsync(['notebook', 'run', file, '--data', data, '-p', `run=${runIds[1]}`, '-p', 'min_faces=13'], dir);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /total \(1 row\)/);
    const broken = join(dir, 'broken.md');
    writeFileSync(broken, '```sql id=a\nSELECT nope\n```\n');
    const failed = await runCliAsync(['notebook', 'run', broken, '--data', data], dir);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /broken\.md:2: cell a: .*"nope" (was )?not found.*\(line 2, column 8\)/);
    const badParam = await runCliAsync(['notebook', 'run', file, '--data', data, '--param', 'min_faces=lots'], dir);
    assert.equal(badParam.code, 2);
    assert.match(badParam.stderr, /param 'min_faces' must be a number/);
    assert.equal(existsSync(join(dir, 'notebooks')), true);
  });
});
