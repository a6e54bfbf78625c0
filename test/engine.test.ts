// The engine on small generic node types: planning, fingerprints, reuse,
// failures and the catalog views, against a real DuckDB file and real Parquet.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { runPipeline } from '../dag/executor.ts';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { canonicalJson, nodeFingerprint } from '../dag/planner.ts';
import { parseSpec } from '../dag/spec.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { tempDir } from './helpers.ts';

const calls = { numbers: 0, doubled: 0 };
let doubledVersion = '1';

function registry(): Map<string, NodeType> {
  const numbers = defineNode({
    name: 'numbers',
    version: '1',
    description: 'reads a count from a file outside the pipeline',
    params: z.object({ offset: z.number().int().default(0) }).strict(),
    inputs: [],
    outputs: { numbers: { description: 'n', columns: { n: 'INTEGER' } } },
    async inputFingerprint(ctx) {
      const text = readFileSync(join(ctx.sources[0]!.path, 'count.txt'), 'utf8');
      return { fingerprint: text, prepared: Number(text) };
    },
    async run(ctx) {
      calls.numbers++;
      const count = ctx.prepared as number;
      await ctx.writeTable('numbers', Array.from({ length: count }, (_, i) => ({ n: i + ctx.params.offset })));
      return { count };
    },
  });
  const doubled = defineNode({
    name: 'doubled',
    version: doubledVersion,
    description: 'doubles; fails on request; odd numbers can be item errors',
    params: z.object({ factor: z.number().default(2), failOddItems: z.boolean().default(false), crash: z.boolean().default(false) }).strict(),
    inputs: ['numbers'],
    outputs: { doubled: { description: 'n * factor', columns: { n: 'INTEGER', value: 'DOUBLE' } } },
    async run(ctx) {
      calls.doubled++;
      if (ctx.params.crash) throw new Error('the model file is missing');
      const rows = await queryRows<{ n: number }>(`SELECT n FROM ${parquetSource(ctx.inputs.numbers!)} ORDER BY n`);
      const out = [];
      for (const { n } of rows) {
        if (ctx.params.failOddItems && n % 2 === 1) ctx.itemError(`item-${n}`, 'odd numbers are unreadable');
        else out.push({ n, value: n * ctx.params.factor });
      }
      await ctx.writeTable('doubled', out);
    },
  });
  return new Map<string, NodeType>([['numbers', numbers as NodeType], ['doubled', doubled as NodeType]]);
}

function setup() {
  const dir = tempDir();
  writeFileSync(join(dir, 'count.txt'), '5');
  const yaml = (params = '') => `data: ${dir}/data\nsources:\n  - name: input\n    path: ${dir}\nnodes:\n  numbers:\n  doubled:\n    params: {${params}}\n`;
  const store = new Store(join(dir, 'data'));
  const run = (params = '', options = {}) => runPipeline(parseSpec(yaml(params), join(dir, 'mnemo.yaml'), registry()), registry(), store, options);
  return { dir, store, run };
}

test('fingerprints are canonical: key order does not matter, values do', () => {
  const base = { type: 't', version: '1', params: { a: 1, b: [1, 2] }, upstream: { x: 'f1' }, input: null };
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  assert.equal(nodeFingerprint(base), nodeFingerprint({ ...base, params: { b: [1, 2], a: 1 } }));
  for (const changed of [{ version: '2' }, { params: { a: 2, b: [1, 2] } }, { upstream: { x: 'f2' } }, { input: 'data' }, { type: 'u' }]) {
    assert.notEqual(nodeFingerprint(base), nodeFingerprint({ ...base, ...changed }), JSON.stringify(changed));
  }
});

test('reuse happens when and only when nothing a node depends on changed', async () => {
  const { dir, store, run } = setup();
  calls.numbers = calls.doubled = 0;
  const first = await run();
  assert.equal(first.status, 'succeeded');
  assert.deepEqual(first.nodes.map((n) => n.status), ['done', 'done']);

  const second = await run();
  assert.deepEqual(second.nodes.map((n) => [n.status, n.reusedFrom]), [['reused', first.runId], ['reused', first.runId]]);
  assert.deepEqual(calls, { numbers: 1, doubled: 1 });

  const defaultsSpelledOut = await run('factor: 2');
  assert.deepEqual(defaultsSpelledOut.nodes.map((n) => n.status), ['reused', 'reused'], 'an explicit default is the same parameter');

  const newParam = await run('factor: 3');
  assert.deepEqual(newParam.nodes.map((n) => n.status), ['reused', 'done']);

  writeFileSync(join(dir, 'count.txt'), '7');
  const newInput = await run('factor: 3');
  assert.deepEqual(newInput.nodes.map((n) => n.status), ['done', 'done'], 'changed input data invalidates the root and everything below');

  doubledVersion = '2';
  const newVersion = await run('factor: 3');
  doubledVersion = '1';
  assert.deepEqual(newVersion.nodes.map((n) => n.status), ['reused', 'done']);

  const forced = await run('factor: 3', { from: 'numbers' });
  assert.deepEqual(forced.nodes.map((n) => n.status), ['done', 'done']);
  const only = await run('factor: 3', { only: 'doubled' });
  assert.deepEqual(only.nodes.map((n) => n.status), ['reused', 'done']);

  const rows = await readOnlyQuery(store, `SELECT count(*) AS n, sum(value) AS total FROM run${newParam.runId}.doubled`);
  assert.deepEqual(rows.rows, [{ n: 5, total: 30 }]);
  const latest = await readOnlyQuery(store, 'SELECT count(*) AS n FROM latest.doubled');
  assert.deepEqual(latest.rows, [{ n: 7 }]);
  const latestRun = await readOnlyQuery(store, "SELECT value FROM meta WHERE key = 'latest_run'");
  assert.equal(latestRun.rows[0]!.value, String(forced.runId), 'an --only run is partial: latest stays on the last full run');
  const recorded = await store.read((catalog) => catalog.rows<{ node: string; status: string; reused_from: number | null }>('SELECT node, status, reused_from FROM run_nodes WHERE run_id = $1 ORDER BY node', [second.runId]));
  assert.deepEqual(recorded, [{ node: 'doubled', status: 'reused', reused_from: first.runId }, { node: 'numbers', status: 'reused', reused_from: first.runId }]);
});

test('item errors land in the errors table and the run goes on; a node failure fails the run clearly', async () => {
  const { store, run } = setup();
  const partial = await run('failOddItems: true');
  assert.equal(partial.status, 'succeeded');
  assert.equal(partial.nodes[1]!.errors, 2);
  const errors = await readOnlyQuery(store, `SELECT node, item, message FROM run${partial.runId}.errors ORDER BY item`);
  assert.deepEqual(errors.rows, [
    { node: 'doubled', item: 'item-1', message: 'odd numbers are unreadable' },
    { node: 'doubled', item: 'item-3', message: 'odd numbers are unreadable' },
  ]);
  assert.equal((await readOnlyQuery(store, `SELECT count(*) AS n FROM run${partial.runId}.doubled`)).rows[0]!.n, 3);

  const failed = await run('crash: true');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.message, "node 'doubled' failed: the model file is missing");
  const [record] = await store.read((catalog) => catalog.rows<{ status: string; message: string }>('SELECT status, message FROM runs WHERE run_id = $1', [failed.runId]));
  assert.deepEqual(record, { status: 'failed', message: "node 'doubled' failed: the model file is missing" });
  const latest = await readOnlyQuery(store, 'SELECT count(*) AS n FROM latest.doubled');
  assert.equal(latest.rows[0]!.n, 3, 'latest still points at the last successful run');
});

test('--only refuses to run when an upstream has no reusable output', async () => {
  const { run } = setup();
  await assert.rejects(run('', { only: 'doubled' }).then((summary) => {
    if (summary.status === 'failed') throw new Error(summary.message!);
  }), /--only doubled: upstream 'numbers' has no completed output/);
});

test('independent nodes that run together share no connection and commit one at a time; the catalog stays sound', async () => {
  const dir = tempDir();
  // Eight writers and eight readers with their own tables: all of them overlap
  // on the scratch DuckDB and commit to the catalog at about the same moment.
  const types = new Map<string, NodeType>();
  for (let i = 0; i < 8; i++) {
    types.set(`write${i}`, defineNode({
      name: `write${i}`, version: '1', description: 'writes numbers', params: z.object({}).strict(), inputs: [],
      outputs: { [`numbers${i}`]: { description: 'n', columns: { n: 'INTEGER' } } },
      async run(ctx) {
        await ctx.writeTable(`numbers${i}`, Array.from({ length: 500 }, (_, n) => ({ n: n + i })));
      },
    }) as NodeType);
    types.set(`read${i}`, defineNode({
      name: `read${i}`, version: '1', description: 'sums numbers', params: z.object({}).strict(), inputs: [`numbers${i}`],
      outputs: { [`sum${i}`]: { description: 'sum', columns: { total: 'BIGINT' } } },
      async run(ctx) {
        // Slow enough (a few ms of DuckDB work) that the readers' queries overlap.
        const [row] = await queryRows<{ total: number }>(`SELECT sum(n) + (SELECT count(*) FROM range(2000000)) - 2000000 AS total FROM ${parquetSource(ctx.inputs[`numbers${i}`]!)}`);
        await ctx.writeTableFromQuery(`sum${i}`, `SELECT ${row!.total}::BIGINT AS total`);
      },
    }) as NodeType);
  }
  const yaml = `data: ${dir}/data\nnodes:\n${[...types.keys()].map((name) => `  ${name}:\n`).join('')}`;
  const store = new Store(join(dir, 'data'));
  let lastRunId = 0;
  for (let run = 1; run <= 3; run++) {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), types), types, store, run === 1 ? {} : { from: 'write0' });
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    lastRunId = summary.runId;
  }
  const rows = await readOnlyQuery(store, "SELECT count(*) AS nodes, count(DISTINCT run_id) AS runs FROM run_nodes WHERE status IN ('done', 'reused')");
  assert.deepEqual(rows.rows, [{ nodes: 48, runs: 3 }]);
  const sums = await readOnlyQuery(store, `SELECT (SELECT total FROM run${lastRunId}.sum0) AS first, (SELECT total FROM run${lastRunId}.sum7) AS last`);
  assert.deepEqual(sums.rows, [{ first: 124750, last: 124750 + 7 * 500 }]);
});
