// Writing a parameter into a pipeline spec keeps the user's file: only the
// value, or the lines a parameter that was not set needs, change; every
// comment, blank line, quoting and flow or block style stays byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { currentValue, parseSetting, withParam } from '../app/adopt-setting.ts';

const spec = `# my archive
data: ./data   # beside the photos
sources:
  - name: photos
    path: "/photos"
nodes:
  scan:

  # clustering, tuned by hand
  cluster: # see the sweep
  assign:
    params:
      knnThreshold: 0.5 # from last year's sweep
      nested:
        a: 1
  umap:
    params: {seed: 42, label: "quoted"}   # flow style
  near_duplicates:
    needs: [images]`;

const set = (text: string, node: string, path: string[], value: unknown) => withParam(text, { node, path, value });
/** The lines of `after` that are not in `before`, and the reverse. */
function diff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((line) => !a.includes(line)), removed: a.filter((line) => !b.includes(line)) };
}

test('an existing value changes in place; its comment stays', () => {
  const after = set(spec, 'assign', ['knnThreshold'], 0.42);
  assert.deepEqual(diff(spec, after), { added: ['      knnThreshold: 0.42 # from last year\'s sweep'], removed: ['      knnThreshold: 0.5 # from last year\'s sweep'] });
});

test('a node written with no settings gets params below it, its comment kept', () => {
  const after = set(spec, 'cluster', ['threshold'], 0.62);
  assert.ok(after.includes('  # clustering, tuned by hand\n  cluster: # see the sweep\n    params:\n      threshold: 0.62\n  assign:\n'));
  assert.deepEqual(diff(spec, after).removed, []);
});

test('a new key joins a block map at its indentation, nested keys as nested lines', () => {
  const after = set(set(spec, 'assign', ['k'], 7), 'assign', ['nested', 'b'], 'x y');
  assert.ok(after.includes('      nested:\n        a: 1\n        b: "x y"\n      k: 7\n'), after);
  assert.deepEqual(diff(spec, after).removed, []);
  assert.deepEqual(parseDocument(after).toJSON().nodes.assign.params, { knnThreshold: 0.5, nested: { a: 1, b: 'x y' }, k: 7 });
});

test('a flow map gets the entry inside its braces; a node with other settings gets a params block', () => {
  const flow = set(set(spec, 'umap', ['seed'], 7), 'umap', ['extra', 'on'], true);
  assert.ok(flow.includes('    params: {seed: 7, label: "quoted", extra: {on: true}}   # flow style\n'), flow);
  const last = set(spec, 'near_duplicates', ['dhashMaxDistance'], 8);
  assert.ok(last.endsWith('    needs: [images]\n    params:\n      dhashMaxDistance: 8\n'), last);
});

test('refusals: an unknown node, a value that is a mapping; settings parse as --set does', async () => {
  assert.throws(() => set(spec, 'nope', ['x'], 1), /no node named 'nope'/);
  assert.throws(() => set(spec, 'assign', ['nested'], 1), /is a mapping or list in the spec/);
  assert.deepEqual(await parseSetting('cluster.threshold=0.6 images.faces.scoreThreshold=0.5 cluster.method=dbscan'), [
    { node: 'cluster', path: ['threshold'], value: 0.6 },
    { node: 'images', path: ['faces', 'scoreThreshold'], value: 0.5 },
    { node: 'cluster', path: ['method'], value: 'dbscan' },
  ]);
  await assert.rejects(parseSetting('threshold'), /expected node.param=value/);
  assert.equal(currentValue(parseDocument(spec), { node: 'assign', path: ['knnThreshold'] }), 0.5);
  assert.equal(currentValue(parseDocument(spec), { node: 'cluster', path: ['threshold'] }), null);
});
