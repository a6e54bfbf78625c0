// Loads and validates a pipeline spec (mnemo.yaml) before any work starts.
// Every mistake becomes a SpecIssue naming the file, line, node and parameter.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { NodeType, SourceSpec } from './node-type.ts';

export interface NodeSpec {
  name: string;
  type: string;
  needs: string[];
  params: Record<string, unknown>;
}

export interface PipelineSpec {
  file: string | null;
  dataDir: string;
  sources: SourceSpec[];
  nodes: NodeSpec[];
}

export interface SpecIssue {
  line: number | null;
  node: string | null;
  param: string | null;
  message: string;
}

export class SpecError extends Error {
  override name = 'SpecError';
  constructor(readonly file: string, readonly issues: SpecIssue[]) {
    super(issues.map((issue) => `${file}${issue.line ? `:${issue.line}` : ''}: ${issue.message}`).join('\n'));
  }
}

export type NodeRegistry = ReadonlyMap<string, NodeType>;

/** Default include pattern: the image formats mnemo reads, any case. */
export const DEFAULT_INCLUDE = ['**/*.{jpg,jpeg,png,webp,gif,heic,heif,tif,tiff,avif}'];
export const DEFAULT_EXCLUDE = ['**/.*/**', '**/.*'];

export interface LoadOptions {
  /** `node.param=value` overrides from the command line, applied before validation. */
  overrides?: string[];
}

export function loadSpecFile(file: string, registry: NodeRegistry, options: LoadOptions = {}): PipelineSpec {
  const path = resolve(file);
  if (!existsSync(path)) throw new SpecError(file, [{ line: null, node: null, param: null, message: `no pipeline spec here; create one with \`mnemo init FOLDER\` or pass --config FILE` }]);
  return parseSpec(readFileSync(path, 'utf8'), path, registry, options);
}

export function parseSpec(text: string, file: string, registry: NodeRegistry, options: LoadOptions = {}): PipelineSpec {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const issues: SpecIssue[] = [];
  const lineOf = (node: YamlNode | null | undefined): number | null => (node?.range ? lineCounter.linePos(node.range[0]).line : null);
  const issue = (message: string, where: YamlNode | null | undefined, node: string | null = null, param: string | null = null) =>
    issues.push({ line: lineOf(where), node, param, message });

  for (const error of document.errors) issues.push({ line: error.linePos?.[0]?.line ?? null, node: null, param: null, message: `YAML syntax: ${error.message.split('\n')[0]}` });
  if (issues.length) throw new SpecError(file, issues);

  const root = document.contents;
  if (!isMap(root)) throw new SpecError(file, [{ line: 1, node: null, param: null, message: 'the spec must be a mapping with `data`, `sources` and `nodes`' }]);
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!['data', 'sources', 'nodes'].includes(key)) issue(`unknown top-level key '${key}' (expected data, sources, nodes)`, pair.key as YamlNode);
  }

  const baseDir = dirname(file);
  const data = root.get('data');
  const dataDir = expandPath(typeof data === 'string' ? data : './mnemo-data', baseDir);
  const sources = readSources(document, root.get('sources', true) as YamlNode | undefined, baseDir, issue);
  const nodes = readNodes(document, root.get('nodes', true) as YamlNode | undefined, registry, options.overrides ?? [], issue, lineOf);
  if (issues.length) throw new SpecError(file, issues);
  return { file, dataDir, sources, nodes };
}

type IssueFn = (message: string, where: YamlNode | null | undefined, node?: string | null, param?: string | null) => void;

function readSources(document: Document, node: YamlNode | undefined, baseDir: string, issue: IssueFn): SourceSpec[] {
  if (!node) return [];
  if (!isSeq(node)) {
    issue('`sources` must be a list of folders', node);
    return [];
  }
  const sources: SourceSpec[] = [];
  const names = new Set<string>();
  for (const item of node.items as YamlNode[]) {
    if (!isMap(item)) {
      issue('each source needs `name` and `path`', item);
      continue;
    }
    const value = item.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      if (!['name', 'path', 'include', 'exclude', 'tags'].includes(key)) issue(`source: unknown key '${key}' (expected name, path, include, exclude, tags)`, item.get(key, true) as YamlNode);
    }
    const name = typeof value.name === 'string' ? value.name : null;
    if (!name) issue('source without a `name`', item);
    else if (names.has(name)) issue(`duplicate source name '${name}'`, item);
    if (typeof value.path !== 'string') issue(`source ${name ?? ''}: \`path\` must be a folder path`, item);
    const list = (key: string, fallback: string[]): string[] => {
      const raw = value[key];
      if (raw === undefined) return fallback;
      if (Array.isArray(raw) && raw.every((entry) => typeof entry === 'string')) return raw as string[];
      issue(`source ${name ?? ''}: \`${key}\` must be a list of strings`, item.get(key, true) as YamlNode);
      return fallback;
    };
    if (name && typeof value.path === 'string') {
      names.add(name);
      sources.push({ name, path: expandPath(value.path, baseDir), include: list('include', DEFAULT_INCLUDE), exclude: list('exclude', DEFAULT_EXCLUDE), tags: list('tags', []) });
    }
  }
  void document;
  return sources;
}

function readNodes(document: Document, node: YamlNode | undefined, registry: NodeRegistry, overrides: string[], issue: IssueFn, lineOf: (n: YamlNode | null | undefined) => number | null): NodeSpec[] {
  if (!node) {
    issue('the spec has no `nodes`', null);
    return [];
  }
  if (!isMap(node)) {
    issue('`nodes` must be a mapping of node name to its settings', node);
    return [];
  }
  const specs: NodeSpec[] = [];
  const where = new Map<string, YamlNode>();
  for (const pair of node.items) {
    const keyNode = pair.key as YamlNode;
    const name = String(isScalar(keyNode) ? keyNode.value : keyNode);
    if (where.has(name)) {
      issue(`duplicate node name '${name}' (first defined on line ${lineOf(where.get(name))})`, keyNode, name);
      continue;
    }
    where.set(name, keyNode);
    const body = pair.value as YamlNode | null;
    const value = (body && isMap(body) ? body.toJSON() : body === null || (isScalar(body) && body.value === null) ? {} : null) as Record<string, unknown> | null;
    if (value === null) {
      issue(`node '${name}': settings must be a mapping (type, needs, params)`, body ?? keyNode, name);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!['type', 'needs', 'params'].includes(key)) issue(`node '${name}': unknown key '${key}' (expected type, needs, params; parameters go under params)`, (body as { get?: (k: string, keep: boolean) => YamlNode })?.get?.(key, true) ?? keyNode, name);
    }
    const type = typeof value.type === 'string' ? value.type : name;
    const needs = value.needs === undefined ? [] : Array.isArray(value.needs) ? value.needs.map(String) : [String(value.needs)];
    const params = (value.params ?? {}) as Record<string, unknown>;
    specs.push({ name, type, needs, params: typeof params === 'object' && params !== null ? { ...params } : {} });
  }

  applyOverrides(specs, overrides, issue);

  const paramsNodeOf = (name: string, param?: string): YamlNode | undefined => {
    const body = (node.get(name, true) as YamlNode | undefined);
    if (!body || !isMap(body)) return where.get(name);
    const params = body.get('params', true) as YamlNode | undefined;
    if (!params || !isMap(params)) return (body.get('type', true) as YamlNode | undefined) ?? where.get(name);
    return (param ? (params.get(param, true) as YamlNode | undefined) : undefined) ?? params;
  };

  const known = [...registry.keys()];
  for (const spec of specs) {
    const nodeType = registry.get(spec.type);
    if (!nodeType) {
      const hint = closest(spec.type, known);
      issue(`node '${spec.name}': unknown node type '${spec.type}'${hint ? ` (did you mean '${hint}'?)` : ''}; known types: ${known.join(', ')}`, where.get(spec.name), spec.name);
      continue;
    }
    const result = (nodeType.params as z.ZodType).safeParse(spec.params);
    if (!result.success) {
      for (const zodIssue of result.error.issues) {
        if (zodIssue.code === 'unrecognized_keys') {
          for (const key of zodIssue.keys) {
            const hint = closest(key, paramNames(nodeType));
            issue(`node '${spec.name}': unknown parameter '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${spec.type} takes: ${paramNames(nodeType).join(', ') || 'no parameters'}`, paramsNodeOf(spec.name, key), spec.name, key);
          }
        } else {
          const param = zodIssue.path.join('.');
          issue(`node '${spec.name}': parameter '${param}' ${describeZodIssue(zodIssue, spec.params[String(zodIssue.path[0])])}`, paramsNodeOf(spec.name, String(zodIssue.path[0])), spec.name, param);
        }
      }
    } else {
      spec.params = result.data as Record<string, unknown>;
    }
  }

  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  for (const spec of specs) {
    for (const upstream of spec.needs) {
      if (!byName.has(upstream)) issue(`node '${spec.name}': needs '${upstream}', which is not a node of this pipeline`, where.get(spec.name), spec.name);
    }
  }
  // Infer upstreams for declared inputs that no listed upstream provides.
  for (const spec of specs) {
    const nodeType = registry.get(spec.type);
    if (!nodeType) continue;
    for (const table of [...nodeType.inputs, ...(nodeType.optionalInputs ?? [])]) {
      const optional = !nodeType.inputs.includes(table);
      const providers = specs.filter((other) => other !== spec && registry.get(other.type)?.outputs[table]);
      const listed = providers.filter((provider) => spec.needs.includes(provider.name));
      if (listed.length > 0 || (optional && providers.length === 0)) continue;
      if (providers.length === 1) spec.needs.push(providers[0]!.name);
      else if (providers.length === 0) issue(`node '${spec.name}': missing upstream: it reads table '${table}', which no node of this pipeline writes`, where.get(spec.name), spec.name);
      else issue(`node '${spec.name}': table '${table}' is written by ${providers.map((p) => `'${p.name}'`).join(' and ')}; say which with \`needs\``, where.get(spec.name), spec.name);
    }
  }
  // run<ID>.<table> must name one table: two nodes may not write the same one.
  const writers = new Map<string, string[]>();
  for (const spec of specs) {
    for (const table of Object.keys(registry.get(spec.type)?.outputs ?? {})) writers.set(table, [...(writers.get(table) ?? []), spec.name]);
  }
  for (const [table, names] of writers) {
    if (names.length > 1) issue(`table '${table}' is written by ${names.map((name) => `'${name}'`).join(' and ')}; a run's table names must be unique, so keep one of them`, where.get(names[1]!), names[1]!);
  }
  const cycle = findCycle(specs);
  if (cycle) issue(`cycle: ${cycle.join(' -> ')}`, where.get(cycle[0]!), cycle[0]!);
  void document;
  return specs;
}

function applyOverrides(specs: NodeSpec[], overrides: string[], issue: IssueFn): void {
  for (const override of overrides) {
    const match = /^([^.=\s]+)\.([^=\s]+)=(.*)$/.exec(override);
    if (!match) {
      issue(`--set ${override}: expected node.param=value`, null);
      continue;
    }
    const [, nodeName, param, raw] = match as unknown as [string, string, string, string];
    const spec = specs.find((candidate) => candidate.name === nodeName);
    if (!spec) {
      issue(`--set ${override}: no node named '${nodeName}' in this pipeline`, null, nodeName, param);
      continue;
    }
    // Nested parameters (images.faces.scoreThreshold) set a key inside an object parameter.
    const path = param.split('.');
    let target = spec.params;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target = target[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    }
    target[path[path.length - 1]!] = parseScalar(raw);
  }
}

/** Command-line values are YAML scalars: 0.5 is a number, true a boolean, [a, b] a list. */
export function parseScalar(raw: string): unknown {
  const document = parseDocument(raw);
  return document.errors.length ? raw : document.toJSON();
}

function paramNames(nodeType: NodeType): string[] {
  const shape = (nodeType.params as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function describeZodIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `got ${JSON.stringify(value)}`;
  switch (issue.code) {
    case 'too_big': return `is out of range: must be ${issue.inclusive ? 'at most' : 'below'} ${String(issue.maximum)} (${got})`;
    case 'too_small': return `is out of range: must be ${issue.inclusive ? 'at least' : 'above'} ${String(issue.minimum)} (${got})`;
    case 'invalid_type': return `must be ${issue.expected} (${got})`;
    case 'invalid_value': return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (${got})`;
    default: return `${issue.message} (${got})`;
  }
}

function findCycle(specs: NodeSpec[]): string[] | null {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const upstream of byName.get(name)?.needs ?? []) {
      if (!byName.has(upstream)) continue;
      const cycle = visit(upstream);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const spec of specs) {
    const cycle = visit(spec.name);
    if (cycle) return cycle.reverse();
  }
  return null;
}

/** The known name nearest to a typo, if it is close enough to be a suggestion. */
export function closest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function expandPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return resolve(baseDir, path);
}
