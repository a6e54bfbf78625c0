import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { parseSpec, SpecError } from '../dag/spec.ts';
import { NODE_TYPES } from '../nodes/index.ts';

const file = '/tmp/pipeline/mnemo.yaml';

function issuesOf(text: string, overrides: string[] = [], registry = NODE_TYPES): SpecError {
  try {
    parseSpec(text, file, registry, { overrides });
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected a SpecError, got ${error}`);
    return error;
  }
  assert.fail('the spec was accepted');
}

const valid = `data: ./data
sources:
  - name: photos
    path: ./photos
nodes:
  scan:
  hash:
    needs: [scan]
    params:
      concurrency: 2
`;

test('a valid spec resolves paths, defaults and parameters', () => {
  const spec = parseSpec(valid, file, NODE_TYPES);
  assert.equal(spec.dataDir, '/tmp/pipeline/data');
  assert.equal(spec.sources[0]!.path, '/tmp/pipeline/photos');
  assert.ok(spec.sources[0]!.include.length > 0, 'default include patterns');
  assert.deepEqual(spec.nodes.map((node) => node.name), ['scan', 'hash']);
  assert.deepEqual(spec.nodes[1]!.params, { concurrency: 2 });
  assert.deepEqual(spec.nodes[0]!.params, {});
});

test('unknown node type names the node, the line and suggests the nearest type', () => {
  const error = issuesOf(valid.replace('  hash:\n', '  hash:\n    type: hsah\n'));
  assert.equal(error.issues.length, 1);
  assert.match(error.message, /mnemo\.yaml:7: node 'hash': unknown node type 'hsah' \(did you mean 'hash'\?\)/);
  assert.equal(error.issues[0]!.node, 'hash');
});

test('unknown parameter names node, parameter and line, with a suggestion', () => {
  const error = issuesOf(valid.replace('concurrency: 2', 'concurrenc: 2'));
  assert.match(error.message, /mnemo\.yaml:10: node 'hash': unknown parameter 'concurrenc' \(did you mean 'concurrency'\?\)/);
  assert.equal(error.issues[0]!.param, 'concurrenc');
});

test('mistyped parameter says what type was expected and what it got', () => {
  const error = issuesOf(valid.replace('concurrency: 2', 'concurrency: lots'));
  assert.match(error.message, /mnemo\.yaml:10: node 'hash': parameter 'concurrency' must be number \(got "lots"\)/);
});

test('out-of-range parameter gives the bound', () => {
  const error = issuesOf(valid.replace('concurrency: 2', 'concurrency: 0'));
  assert.match(error.message, /mnemo\.yaml:10: node 'hash': parameter 'concurrency' is out of range: must be at least 1 \(got 0\)/);
});

test('a --set override is validated like the file', () => {
  const error = issuesOf(valid, ['hash.concurrency=1000']);
  assert.match(error.message, /parameter 'concurrency' is out of range: must be at most 64 \(got 1000\)/);
  assert.equal(parseSpec(valid, file, NODE_TYPES, { overrides: ['hash.concurrency=8'] }).nodes[1]!.params.concurrency, 8);
  assert.match(issuesOf(valid, ['hsh.concurrency=1']).message, /--set hsh.concurrency=1: no node named 'hsh'/);
});

test('a needs entry that is not a node is a missing upstream', () => {
  const error = issuesOf(valid.replace('needs: [scan]', 'needs: [scna]'));
  assert.match(error.message, /mnemo\.yaml:7: node 'hash': needs 'scna', which is not a node of this pipeline/);
});

test('an input table nobody writes is a missing upstream', () => {
  const error = issuesOf(valid.replace('  scan:\n', ''));
  assert.match(error.message, /node 'hash': missing upstream: it reads table 'files', which no node of this pipeline writes/);
});

test('duplicate node names point at both lines', () => {
  const error = issuesOf(`${valid}  scan:\n`);
  assert.match(error.message, /mnemo\.yaml:11: duplicate node name 'scan' \(first defined on line 6\)/);
});

test('a cycle is reported with its path', () => {
  const loop = (name: string, input: string, output: string): NodeType =>
    defineNode({ name, version: '1', description: name, params: z.object({}).strict(), inputs: [input], outputs: { [output]: { description: output, columns: { id: 'VARCHAR' } } }, run: async () => {} }) as NodeType;
  const registry = new Map<string, NodeType>([['a', loop('a', 'tb', 'ta')], ['b', loop('b', 'ta', 'tb')]]);
  const error = issuesOf('nodes:\n  a:\n    needs: [b]\n  b:\n    needs: [a]\n', [], registry);
  assert.match(error.message, /cycle: (a -> b -> a|b -> a -> b)/);
});

test('unknown keys and YAML syntax errors are reported with lines', () => {
  assert.match(issuesOf(`${valid}sourcez: []\n`).message, /mnemo\.yaml:11: unknown top-level key 'sourcez'/);
  assert.match(issuesOf(valid.replace('    needs: [scan]', '    neds: [scan]')).message, /node 'hash': unknown key 'neds'/);
  assert.match(issuesOf('nodes:\n  scan: [\n').message, /YAML syntax/);
});

test('several mistakes are all reported at once', () => {
  const error = issuesOf(valid.replace('concurrency: 2', 'concurrency: 0\n      speed: 3').replace('needs: [scan]', 'needs: [scan, nothing]'));
  assert.equal(error.issues.length, 3);
});

test('two nodes writing the same table are refused (run<ID>.<table> must name one table)', () => {
  const error = issuesOf(`${valid}  hash2:\n    type: hash\n    needs: [scan]\n`);
  assert.match(error.message, /mnemo\.yaml:11: table 'hashes' is written by 'hash' and 'hash2'; a run's table names must be unique/);
});
