import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { parseSpec, readDataDir, SpecError } from '../dag/spec.ts';
import { GlobError, globToRegExp } from '../files/glob.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { runCli, tempDir } from './helpers.ts';

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

test('YAML syntax errors carry the line to fix, in plain words', () => {
  // An unclosed '[' is reported on the line that opens it, not where the parser gave up.
  const bracket = issuesOf('nodes:\n  scan:\n    needs: [a, b\n  hash:\n');
  assert.equal(bracket.issues.length, 1);
  assert.match(bracket.message, /^\/tmp\/pipeline\/mnemo\.yaml:3: YAML syntax: '\[' is never closed with '\]'/);
  assert.match(issuesOf('nodes:\n  scan: [\n').message, /mnemo\.yaml:2: YAML syntax: '\[' is never closed/);
  assert.match(issuesOf('nodes:\n  scan:\n    needs: [scan]\n   hash:\n').message, /mnemo\.yaml:4: YAML syntax: this line is indented differently/);
  assert.match(issuesOf('data: "./data\nnodes:\n  scan:\n').message, /mnemo\.yaml:1: YAML syntax: a quoted value is never closed/);
  for (const issue of issuesOf('nodes:\n  scan: type: scan\n  hash: [\n').issues) assert.ok(issue.line, `no line: ${issue.message}`);
});

test('tabs are one message naming every line, not one message per line', () => {
  const error = issuesOf(valid.replace(/\n {4}/g, '\n\t').replace('\t  concurrency', '\t\tconcurrency'));
  assert.equal(error.issues.length, 1, error.message);
  assert.equal(error.message, `${file}:4: YAML syntax: tabs are not allowed for indentation in YAML; use spaces (also on lines 8, 9, 10)`);
});

test('a malformed include or exclude glob is a spec error on its own line', () => {
  const spec = (include: string) => valid.replace('    path: ./photos\n', `    path: ./photos\n    include:\n      - "**/*.png"\n      - ${include}\n`);
  const error = issuesOf(spec('"**/*.{jpg,jpeg"'));
  assert.equal(error.issues.length, 1);
  assert.equal(error.message, `${file}:7: source photos: include glob "**/*.{jpg,jpeg": unclosed '{'`);
  assert.match(issuesOf(valid.replace('    path: ./photos\n', '    path: ./photos\n    exclude: ["[abc"]\n')).message, /mnemo\.yaml:5: source photos: exclude glob "\[abc": unclosed '\['/);
  // scan compiles with the same function, so it says the same.
  assert.throws(() => globToRegExp('**/*.{jpg,jpeg'), (thrown) => thrown instanceof GlobError && thrown.problem === "unclosed '{'");
  assert.throws(() => globToRegExp('a/b}'), /'}' without a '{'/);
  assert.throws(() => globToRegExp('[z-a].jpg'), /not a valid pattern/);
  assert.ok(globToRegExp('**/*.{jpg,jpeg}').test('a/B.JPEG'));
});

test('params written as a list say that params is a mapping', () => {
  for (const params of ['params: [concurrency, 3]', 'params:\n      - concurrency: 3']) {
    const error = issuesOf(valid.replace('params:\n      concurrency: 2', params));
    assert.equal(error.issues.length, 1, error.message);
    assert.match(error.message, /mnemo\.yaml:(9|10): node 'hash': `params` must be a mapping of name: value .*, not a list/);
    assert.doesNotMatch(error.message, /unknown parameter/);
  }
});

test('a bad nested value names the full parameter path and the value, not the parent object', () => {
  const pipeline = 'nodes:\n  scan:\n  hash:\n  images:\n    params:\n      faces:\n        tiled: true\n';
  const fromSet = issuesOf(pipeline, ['images.faces.scoreThreshold=7']);
  assert.equal(fromSet.issues.length, 1);
  assert.equal(fromSet.message, `${file}: --set images.faces.scoreThreshold=7: node 'images': parameter 'faces.scoreThreshold' is out of range: must be at most 1 (got 7)`);
  assert.equal(fromSet.issues[0]!.param, 'faces.scoreThreshold');
  const inFile = issuesOf(pipeline.replace('tiled: true', 'tiled: true\n        nmsIou: 0\n        scoreTreshold: 0.5'));
  assert.match(inFile.message, /mnemo\.yaml:8: node 'images': parameter 'faces\.nmsIou' is out of range: must be above 0 \(got 0\)/);
  assert.match(inFile.message, /mnemo\.yaml:9: node 'images': unknown parameter 'faces\.scoreTreshold' \(did you mean 'faces\.scoreThreshold'\?\); 'faces' takes: enabled, scoreThreshold/);
  assert.match(issuesOf(pipeline, ['images.pets.model=yolo']).message, /parameter 'pets\.model' must be "centernet" \(got "yolo"\)/);
  assert.match(issuesOf(pipeline, ['images.thumbnails.sizes=[]']).message, /parameter 'thumbnails\.sizes' must have at least 1 items \(got \[\]\)/);
});

test('data must be a folder path, and not a file', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'not a folder');
  const at = join(dir, 'mnemo.yaml');
  const error = (text: string) => {
    try {
      parseSpec(text, at, NODE_TYPES);
    } catch (thrown) {
      assert.ok(thrown instanceof SpecError);
      return thrown.message;
    }
    assert.fail('the spec was accepted');
  };
  const nodes = 'nodes:\n  scan:\n';
  assert.equal(error(`${nodes}data: ./notes.txt\n`), `${at}:3: data: ${join(dir, 'notes.txt')} is a file, not a folder`);
  assert.match(error(`data: ./notes.txt/store\n${nodes}`), /mnemo\.yaml:1: data: .*notes\.txt\/store is inside .*notes\.txt, which is a file, not a folder/);
  assert.match(error(`data: [a, b]\n${nodes}`), /mnemo\.yaml:1: `data` must be a folder path, not a list/);
  assert.match(error(`data: 12\n${nodes}`), /mnemo\.yaml:1: `data` must be a folder path, not the number 12/);
  assert.equal(parseSpec(`data: ./store\n${nodes}`, at, NODE_TYPES).dataDir, join(dir, 'store'));
  // Commands that read only the store check the same.
  writeFileSync(at, `data: ./notes.txt\n${nodes}`);
  assert.throws(() => readDataDir(at), /mnemo\.yaml:1: data: .* is a file, not a folder/);
  writeFileSync(at, `data: ./store\n${nodes}`);
  assert.equal(readDataDir(at), join(dir, 'store'));
});

test('the CLI reports each spec mistake with exit code 2 and no stack trace', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'photos'));
  writeFileSync(join(dir, 'notes.txt'), 'not a folder');
  const spec = 'data: ./data\nsources:\n  - name: photos\n    path: ./photos\nnodes:\n  scan:\n  hash:\n    params:\n      concurrency: 2\n  images:\n';
  const cases: [string, string, string[], RegExp][] = [
    ['tab', spec.replace('      concurrency', '\t  concurrency'), [], /tab\.yaml:9: YAML syntax: tabs are not allowed/],
    ['bracket', spec.replace('  scan:\n', '  scan:\n    needs: [a\n'), [], /bracket\.yaml:7: YAML syntax: '\[' is never closed/],
    ['glob', spec.replace('./photos\n', './photos\n    include: ["**/*.{jpg,jpeg"]\n'), [], /glob\.yaml:5: source photos: include glob "\*\*\/\*\.\{jpg,jpeg": unclosed '\{'/],
    ['list', spec.replace('params:\n      concurrency: 2', 'params: [k, 3]'), [], /list\.yaml:8: node 'hash': `params` must be a mapping/],
    ['nested', spec, ['--set', 'images.faces.scoreThreshold=7'], /parameter 'faces\.scoreThreshold' is out of range: must be at most 1 \(got 7\)/],
    ['data', spec.replace('./data', './notes.txt'), [], /data\.yaml:1: data: .*notes\.txt is a file, not a folder/],
  ];
  for (const [name, text, args, expected] of cases) {
    writeFileSync(join(dir, `${name}.yaml`), text);
    const result = runCli(['run', '--config', `${name}.yaml`, ...args], dir);
    assert.equal(result.code, 2, `${name}: ${result.stderr}`);
    assert.match(result.stderr, expected, name);
    assert.doesNotMatch(result.stderr, /^ {4}at /m, `${name} printed a stack trace`);
  }
});
