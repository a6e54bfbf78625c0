// Cache keys are part of the fingerprint: a node whose caches are keyed on a
// code or model version that changed is recomputed, never reused with the
// old output; with nothing changed it is still reused.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { runPipeline, type RunSummary } from '../dag/executor.ts';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { nodeFingerprint } from '../dag/planner.ts';
import { parseSpec } from '../dag/spec.ts';
import { AnalysisCache } from '../datasets/analysis-cache.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { cluster } from '../nodes/cluster.ts';
import { images } from '../nodes/images.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { knnGraphKey } from '../vectors/face-vectors.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';
import { tempDir } from './helpers.ts';

/** The "model" the analysed node runs: a test changes it as an upgrade would. */
let modelVersion = '1';
let seenCacheKeys: unknown;

function registry(): Map<string, NodeType> {
  const items = defineNode({
    name: 'items',
    version: '1',
    description: 'three items',
    params: z.object({}).strict(),
    inputs: [],
    outputs: { items: { description: 'items', columns: { item: 'VARCHAR' } } },
    async run(ctx) {
      await ctx.writeTable('items', ['a', 'b', 'c'].map((item) => ({ item })));
    },
  });
  const analysed = defineNode({
    name: 'analysed',
    version: '1',
    description: 'a per-item result cached under the model version, like the images node',
    params: z.object({}).strict(),
    cacheKeys: () => ({ results: { version: modelVersion } }),
    inputs: ['items'],
    outputs: { analysed: { description: 'result per item', columns: { item: 'VARCHAR', value: 'VARCHAR' } } },
    async run(ctx) {
      seenCacheKeys = ctx.cacheKeys;
      const cache = new AnalysisCache(ctx.cacheDir, 'results', ctx.cacheKeys.results, { description: 'results', columns: { sha256: 'VARCHAR', value: 'VARCHAR' } });
      const rows = await queryRows<{ item: string }>(`SELECT item FROM ${parquetSource(ctx.inputs.items!)} ORDER BY item`);
      const done = await cache.done();
      let computed = 0;
      for (const { item } of rows) {
        if (done.has(item)) continue;
        cache.add(item, { value: [`model ${modelVersion}: ${item}`] }, 1);
        computed++;
      }
      await cache.flush();
      await ctx.writeTableFromQuery('analysed', `SELECT c.sha256 AS item, c.value FROM ${cache.source()} c ORDER BY item`);
      return { computed };
    },
  });
  const summary = defineNode({
    name: 'summary',
    version: '1',
    description: 'downstream of analysed',
    params: z.object({}).strict(),
    inputs: ['analysed'],
    outputs: { summary: { description: 'values seen', columns: { value: 'VARCHAR' } } },
    async run(ctx) {
      await ctx.writeTableFromQuery('summary', `SELECT DISTINCT split_part(value, ':', 1) AS value FROM ${parquetSource(ctx.inputs.analysed!)}`);
    },
  });
  return new Map<string, NodeType>([items, analysed, summary].map((node) => [node.name, node as NodeType]));
}

const statusOf = (summary: RunSummary, node: string) => summary.nodes.find((n) => n.node === node)!;

test('fingerprints include cache keys; a node type without them keeps its fingerprint', () => {
  const base = { type: 't', version: '1', params: {}, upstream: {}, input: null };
  assert.equal(nodeFingerprint(base), nodeFingerprint({ ...base, caches: undefined }));
  assert.notEqual(nodeFingerprint({ ...base, caches: { faces: { version: 'a' } } }), nodeFingerprint({ ...base, caches: { faces: { version: 'b' } } }));
});

test('a new model version recomputes the node that caches its results (and downstream); nothing changed is reused', async () => {
  modelVersion = '1';
  const dir = tempDir();
  const store = new Store(join(dir, 'data'));
  const yaml = `data: ${dir}/data\nsources: []\nnodes:\n  items:\n  analysed:\n  summary:\n`;
  const run = async () => {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), registry()), registry(), store);
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary;
  };
  const values = async (runId: number) => (await readOnlyQuery(store, `SELECT value FROM run${runId}.analysed ORDER BY item`)).rows.map((row) => row.value);

  const first = await run();
  assert.deepEqual(seenCacheKeys, { results: { version: '1' } }, 'run() gets the declared keys as ctx.cacheKeys');
  assert.deepEqual(await values(first.runId), ['model 1: a', 'model 1: b', 'model 1: c']);

  const unchanged = await run();
  for (const node of ['items', 'analysed', 'summary']) assert.equal(statusOf(unchanged, node).status, 'reused', node);
  assert.equal(statusOf(unchanged, 'analysed').reusedFrom, first.runId);

  modelVersion = '2';
  const upgraded = await run();
  assert.equal(statusOf(upgraded, 'items').status, 'reused');
  assert.equal(statusOf(upgraded, 'analysed').status, 'done', 'the new model version is in the fingerprint');
  assert.equal(statusOf(upgraded, 'analysed').metadata.computed, 3);
  assert.equal(statusOf(upgraded, 'summary').status, 'done', 'downstream follows');
  assert.deepEqual(await values(upgraded.runId), ['model 2: a', 'model 2: b', 'model 2: c']);
  assert.deepEqual((await readOnlyQuery(store, `SELECT value FROM run${upgraded.runId}.summary`)).rows.map((row) => row.value), ['model 2']);

  const again = await run();
  assert.equal(statusOf(again, 'analysed').status, 'reused');
  assert.equal(statusOf(again, 'analysed').reusedFrom, upgraded.runId);
  modelVersion = '1';
});

test('a new kNN-graph code version recomputes cluster with a freshly built graph', async () => {
  const dir = tempDir();
  const store = new Store(join(dir, 'data'));
  // Six unit vectors at known angles: two tight groups.
  const faces = defineNode({
    name: 'synthetic_faces',
    version: '1',
    description: 'six faces in two groups',
    params: z.object({}).strict(),
    inputs: [],
    outputs: { faces: { description: 'faces', columns: { face_id: 'VARCHAR', file_id: 'VARCHAR', rejected: 'BOOLEAN', embedding: 'FLOAT[2]' } } },
    async run(ctx) {
      await ctx.writeTableFromQuery('faces', `SELECT 'face-' || i AS face_id, 'file-' || i AS file_id, false AS rejected,
        [cos(radians(a)), sin(radians(a))] AS embedding FROM (VALUES (0, 0), (1, 5), (2, 10), (3, 90), (4, 95), (5, 100)) t(i, a)`);
    },
  });
  const bumped = { ...cluster, cacheKeys: (p: z.output<typeof cluster.params>) => ({ knnGraph: { ...knnGraphKey(p), version: 'bumped' } }) };
  const registryWith = (clusterNode: NodeType) => new Map<string, NodeType>([[faces.name, faces as NodeType], ['cluster', clusterNode]]);
  const yaml = `data: ${dir}/data\nsources: []\nnodes:\n  synthetic_faces:\n  cluster:\n`;
  const run = async (nodes: Map<string, NodeType>) => {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), nodes), nodes, store);
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return statusOf(summary, 'cluster');
  };

  const first = await run(registryWith(cluster as NodeType));
  assert.equal(first.metadata.graph, 'built');
  assert.equal((await run(registryWith(cluster as NodeType))).status, 'reused');
  const upgraded = await run(registryWith(bumped as NodeType));
  assert.equal(upgraded.status, 'done', 'the graph version is in the fingerprint');
  assert.equal(upgraded.metadata.graph, 'built', 'the graph cached by the old version is not used');
  assert.equal(upgraded.metadata.clusters, 2);
  assert.ok(readdirSync(join(store.cacheDir('cluster'), '..', 'knn-graphs')).some((file) => file.includes('-bumped-')));
});

test('the real images node: a new faces model version recomputes images and its downstream instead of reusing', { skip: skipUnless(facesFixtures) }, async () => {
  const dir = tempDir();
  const photos = join(dir, 'photos');
  mkdirSync(photos);
  for (const file of ['obama.jpg', 'biden.jpg', 'two_people.jpg']) copyFileSync(join(facesFixtures, file), join(photos, file));
  const upgraded: NodeType = {
    ...(images as NodeType),
    cacheKeys: (p) => {
      const keys = images.cacheKeys!(p as z.output<typeof images.params>);
      return { ...keys, faces: { ...(keys.faces as Record<string, unknown>), version: 'bumped' } };
    },
  };
  const withUpgrade = new Map(NODE_TYPES);
  withUpgrade.set('images', upgraded);
  const yaml = `data: ./data\nsources:\n  - name: photos\n    path: ${photos}\nnodes:\n  scan:\n  hash:\n  images:\n    params: {workers: 1, thumbnails: {enabled: false}, pets: {enabled: false}}\n  near_duplicates:\n  cluster:\n`;
  const store = new Store(join(dir, 'data'));
  const run = async (nodes: ReadonlyMap<string, NodeType>) => {
    const summary = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), nodes), nodes, store);
    assert.equal(summary.status, 'succeeded', summary.message ?? '');
    return summary;
  };

  const first = await run(NODE_TYPES);
  assert.equal(statusOf(first, 'images').metadata.decoded, 3);
  const unchanged = await run(NODE_TYPES);
  assert.equal(statusOf(unchanged, 'images').status, 'reused');

  const second = await run(withUpgrade);
  for (const node of ['scan', 'hash']) assert.equal(statusOf(second, node).status, 'reused', node);
  for (const node of ['images', 'near_duplicates', 'cluster']) assert.equal(statusOf(second, node).status, 'done', `${node} is recomputed, not reused`);
  const images2 = statusOf(second, 'images').metadata;
  assert.equal(images2.decoded, 3, 'faces are analysed again under the new version');
  assert.equal((images2.msPerDecodedPhoto as { hashes: number }).hashes, 0, 'hashes (key unchanged) come from their cache');
  // The faces table comes from the cache of the new version.
  const analyses = join(store.cacheDir('images'), 'analyses');
  const bumpedFolder = readdirSync(analyses).find((name) => name.startsWith('faces-') && JSON.parse(readFileSync(join(analyses, name, 'key.json'), 'utf8')).version === 'bumped');
  assert.ok(bumpedFolder && existsSync(join(analyses, bumpedFolder)), 'a faces cache keyed on the bumped version');
  const faces = await readOnlyQuery(store, `SELECT count(*) AS n FROM run${second.runId}.faces`);
  assert.equal(faces.rows[0]!.n, (await readOnlyQuery(store, `SELECT count(*) AS n FROM run${first.runId}.faces`)).rows[0]!.n);

  assert.equal(statusOf(await run(withUpgrade), 'images').status, 'reused', 'the upgraded output is reused in turn');
  const back = await run(NODE_TYPES);
  assert.equal(statusOf(back, 'images').status, 'reused');
  assert.ok([first.runId, unchanged.runId].includes(statusOf(back, 'images').reusedFrom!), 'the original version matches the first runs again');
});
