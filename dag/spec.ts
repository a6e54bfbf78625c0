// Loads and validates a pipeline spec (mnemo.yaml) before any work starts.
// Every mistake becomes a SpecIssue naming the file, line, node and parameter.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { z } from 'zod';
import { GlobError, globToRegExp } from '../files/glob.ts';
import type { NodeType, SourceSpec, YandexDiskSource } from './node-type.ts';

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

/**
 * Only the data folder a spec names (`data`, default ./mnemo-data, relative to
 * the spec file): for commands that read the store and need no pipeline, so
 * they start without loading every node type.
 */
export function readDataDir(file: string): string {
  const path = resolve(file);
  const lineCounter = new LineCounter();
  const document = parseDocument(readFileSync(path, 'utf8'), { lineCounter, uniqueKeys: false, prettyErrors: false });
  // A syntax error or a bad `data` could otherwise send the store somewhere else.
  const issues = syntaxIssues(document, lineCounter);
  if (issues.length) throw new SpecError(file, issues);
  const issue: IssueFn = (message, where) => issues.push({ line: where?.range ? lineCounter.linePos(where.range[0]).line : null, node: null, param: null, message });
  const dataDir = isMap(document.contents) ? readData(document.contents, dirname(path), issue) : expandPath('./mnemo-data', dirname(path));
  if (issues.length) throw new SpecError(file, issues);
  return dataDir;
}

export function parseSpec(text: string, file: string, registry: NodeRegistry, options: LoadOptions = {}): PipelineSpec {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const issues: SpecIssue[] = [];
  const lineOf = (node: YamlNode | null | undefined): number | null => (node?.range ? lineCounter.linePos(node.range[0]).line : null);
  const issue = (message: string, where: YamlNode | null | undefined, node: string | null = null, param: string | null = null) =>
    issues.push({ line: lineOf(where), node, param, message });

  issues.push(...syntaxIssues(document, lineCounter));
  if (issues.length) throw new SpecError(file, issues);

  const root = document.contents;
  if (!isMap(root)) throw new SpecError(file, [{ line: 1, node: null, param: null, message: 'the spec must be a mapping with `data`, `sources` and `nodes`' }]);
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!['data', 'sources', 'nodes'].includes(key)) issue(`unknown top-level key '${key}' (expected data, sources, nodes)`, pair.key as YamlNode);
  }

  const baseDir = dirname(file);
  const dataDir = readData(root, baseDir, issue);
  const sources = readSources(document, root.get('sources', true) as YamlNode | undefined, baseDir, dataDir, issue);
  const nodes = readNodes(document, root.get('nodes', true) as YamlNode | undefined, registry, options.overrides ?? [], issue, lineOf);
  if (issues.length) throw new SpecError(file, issues);
  return { file, dataDir, sources, nodes };
}

type IssueFn = (message: string, where: YamlNode | null | undefined, node?: string | null, param?: string | null) => void;

/**
 * The YAML syntax errors in words a person understands, each with its line,
 * and one issue per distinct problem: a tab-indented block is one message
 * naming every line, not one message per line.
 */
function syntaxIssues(document: Document, lineCounter: LineCounter): SpecIssue[] {
  // Unclosed brackets and quotes are reported where yaml gave up (a later line); these find where they opened.
  const opening: YamlNode[] = [];
  visit(document, { Node: (_key, node) => void ((isCollection(node) && node.flow || isScalar(node) && node.type?.startsWith('QUOTE')) && opening.push(node)) });
  const openedAt = (end: number): number | undefined => opening.filter((node) => node.range?.[1] === end).map((node) => node.range![0]).sort((a, b) => b - a)[0];
  const linesOf = new Map<string, number[]>();
  let previous: string | null = null;
  // A tab throws off the parser's idea of the structure, so whatever else it reports is usually a consequence.
  const errors = document.errors.some((error) => error.code === 'TAB_AS_INDENT') ? document.errors.filter((error) => error.code === 'TAB_AS_INDENT') : document.errors;
  for (const error of errors) {
    const code = error.code;
    // After an unexpected token the parser reads the rest of the line as more unexpected tokens: one problem.
    if (code === 'UNEXPECTED_TOKEN' && previous === 'UNEXPECTED_TOKEN') continue;
    previous = code;
    let offset = error.pos[0];
    const first = error.message.split('\n')[0]!;
    let message: string;
    const unclosed = /^Flow (sequence|map) .*end with a ([\]}])$/.exec(first);
    if (code === 'TAB_AS_INDENT') message = 'tabs are not allowed for indentation in YAML; use spaces';
    else if (unclosed) {
      offset = openedAt(offset) ?? offset;
      message = `'${unclosed[2] === ']' ? '[' : '{'}' is never closed with '${unclosed[2]}' (or the lines after it are indented less than it)`;
    } else if (/^Missing closing ["']quote/.test(first)) {
      offset = openedAt(offset) ?? offset;
      message = `a quoted value is never closed: its closing ${first.includes('"') ? '"' : "'"} is missing`;
    } else if (/^All (mapping|sequence) items must start at the same column/.test(first)) message = `this line is indented differently from the ${first.includes('mapping') ? 'keys' : 'list items'} above it; items of one level must start at the same column`;
    else if (code === 'BLOCK_AS_IMPLICIT_KEY' && /compact mappings/.test(first)) message = 'a value on the same line cannot itself be `key: value`; quote it, or put the inner keys on their own, more indented lines';
    else if (code === 'UNEXPECTED_TOKEN' && /token in YAML stream: "(.*)"$/.test(first)) message = `unexpected '${/"(.*)"$/.exec(first)![1]}' here`;
    else if (code === 'MULTIPLE_DOCS') message = "the spec must be one YAML document (remove the '---' separators)";
    else message = first.charAt(0).toLowerCase() + first.slice(1);
    const line = lineCounter.linePos(offset).line;
    const lines = linesOf.get(message) ?? [];
    if (!lines.includes(line)) lines.push(line);
    linesOf.set(message, lines);
  }
  return [...linesOf].map(([message, [line, ...more]]) => ({
    line: line!, node: null, param: null,
    message: `YAML syntax: ${message}${more.length ? ` (also on line${more.length > 1 ? 's' : ''} ${more.join(', ')})` : ''}`,
  }));
}

/** The data folder: `data` relative to the spec file, default ./mnemo-data; it must be a folder or not exist yet. */
function readData(root: YAMLMap, baseDir: string, issue: IssueFn): string {
  const node = root.get('data', true) as YamlNode | undefined;
  const value = node === undefined ? null : isScalar(node) ? node.value : node.toJSON();
  if (value === null) return expandPath('./mnemo-data', baseDir);
  if (typeof value !== 'string') {
    issue(`\`data\` must be a folder path, not ${kindOf(value)}`, node);
    return expandPath('./mnemo-data', baseDir);
  }
  const dir = expandPath(value, baseDir);
  // Walk up to the nearest thing that exists: the store creates the rest, which fails under a file.
  for (let path = dir; ; path = dirname(path)) {
    let isFolder: boolean | undefined;
    try {
      isFolder = statSync(path, { throwIfNoEntry: false })?.isDirectory();
    } catch {
      isFolder = undefined; // ENOTDIR and the like: an ancestor is a file, found further up
    }
    if (isFolder === false) issue(path === dir ? `data: ${dir} is a file, not a folder` : `data: ${dir} is inside ${path}, which is a file, not a folder`, node);
    if (isFolder !== undefined || dirname(path) === path) break;
  }
  return dir;
}

/** What a value is, for messages: "a list", "the number 3". */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'empty';
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value === 'string' ? 'text' : typeof value} ${JSON.stringify(value)}`;
}

function readSources(document: Document, node: YamlNode | undefined, baseDir: string, dataDir: string, issue: IssueFn): SourceSpec[] {
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
    const isYandexDisk = value.type === 'yandex-disk';
    const keys = isYandexDisk ? [...SOURCE_KEYS, ...YANDEX_DISK_KEYS] : SOURCE_KEYS;
    for (const key of Object.keys(value)) {
      if (key === 'client_secret' && isYandexDisk) issue('source: `client_secret` does not go in mnemo.yaml (the spec is stored with every run); set MNEMO_YANDEX_CLIENT_SECRET when you run `mnemo auth yandex`', item.get(key, true) as YamlNode);
      else if (!keys.includes(key)) issue(`source: unknown key '${key}' (expected ${keys.join(', ')}${isYandexDisk ? '' : '; a yandex-disk source also takes api, oauth, client_id, cache_limit'})`, item.get(key, true) as YamlNode);
    }
    if (value.type !== undefined && value.type !== 'folder' && !isYandexDisk) issue(`source ${value.name ?? ''}: \`type\` must be folder or yandex-disk (got ${JSON.stringify(value.type)})`, item.get('type', true) as YamlNode);
    const name = typeof value.name === 'string' ? value.name : null;
    if (!name) issue('source without a `name`', item);
    else if (names.has(name)) issue(`duplicate source name '${name}'`, item);
    if (typeof value.path !== 'string') issue(`source ${name ?? ''}: \`path\` must be a folder path`, item);
    const list = (key: string, fallback: string[]): string[] => {
      const raw = value[key];
      if (raw === undefined) return fallback;
      if (Array.isArray(raw) && raw.every((entry) => typeof entry === 'string')) {
        // Compiled here with the function scan uses, so a pattern that passes cannot fail the run.
        if (key === 'include' || key === 'exclude') {
          const seq = item.get(key, true) as YamlNode;
          raw.forEach((pattern: string, index) => {
            try {
              globToRegExp(pattern);
            } catch (error) {
              if (!(error instanceof GlobError)) throw error;
              issue(`source ${name ?? ''}: ${key} glob ${JSON.stringify(pattern)}: ${error.problem}`, isSeq(seq) ? (seq.items[index] as YamlNode) : seq);
            }
          });
        }
        return raw as string[];
      }
      issue(`source ${name ?? ''}: \`${key}\` must be a list of strings`, item.get(key, true) as YamlNode);
      return fallback;
    };
    const yandexDisk = isYandexDisk && name && typeof value.path === 'string' ? readYandexDisk(name, value, item, dataDir, issue) : undefined;
    if (name && typeof value.path === 'string') {
      names.add(name);
      const common = { name, include: list('include', DEFAULT_INCLUDE), exclude: list('exclude', DEFAULT_EXCLUDE), tags: list('tags', []) };
      // A Yandex.Disk source is read through its local view (hard links into the download cache).
      if (yandexDisk) sources.push({ ...common, path: join(yandexDisk.stateDir, 'view'), yandexDisk });
      else if (!isYandexDisk) sources.push({ ...common, path: expandPath(value.path, baseDir) });
    }
  }
  void document;
  return sources;
}

const SOURCE_KEYS = ['name', 'type', 'path', 'include', 'exclude', 'tags'];
const YANDEX_DISK_KEYS = ['api', 'oauth', 'client_id', 'cache_limit'];

/** Default size of the Yandex.Disk download cache: large enough for a family archive's working set. */
export const DEFAULT_YANDEX_CACHE_LIMIT = '50GB';

/** The settings of a `type: yandex-disk` source; the files mnemo keeps for it live in the data folder. */
function readYandexDisk(name: string, value: Record<string, unknown>, item: YAMLMap, dataDir: string, issue: IssueFn): YandexDiskSource | undefined {
  const where = (key: string) => (item.get(key, true) as YamlNode | undefined) ?? item;
  const root = String(value.path);
  if (!/^disk:\//.test(root)) issue(`source ${name}: a yandex-disk \`path\` is a folder on the disk, starting with disk:/ (e.g. "disk:/Фото"; got ${JSON.stringify(root)})`, where('path'));
  const url = (key: string, fallback: string): string => {
    const raw = value[key] ?? fallback;
    if (typeof raw !== 'string' || !/^https?:\/\/[^/]/.test(raw)) {
      issue(`source ${name}: \`${key}\` must be an http(s) URL (got ${JSON.stringify(raw)})`, where(key));
      return fallback;
    }
    return raw.replace(/\/+$/, '');
  };
  const apiUrl = url('api', 'https://cloud-api.yandex.net'); // the real Disk REST API
  const oauthUrl = url('oauth', 'https://oauth.yandex.ru'); // the real Yandex OAuth server
  if (value.client_id !== undefined && typeof value.client_id !== 'string') issue(`source ${name}: \`client_id\` must be text`, where('client_id'));
  const clientId = typeof value.client_id === 'string' ? value.client_id : (process.env.MNEMO_YANDEX_CLIENT_ID ?? null);
  const limitText = value.cache_limit ?? DEFAULT_YANDEX_CACHE_LIMIT;
  const cacheLimitBytes = parseByteSize(limitText);
  if (cacheLimitBytes === null) issue(`source ${name}: \`cache_limit\` must be a size such as 20GB or 500MB (got ${JSON.stringify(limitText)})`, where('cache_limit'));
  const cloud = join(dataDir, 'cache', 'yandex-disk');
  return {
    root: root.replace(/\/+$/, '') === 'disk:' ? 'disk:/' : root.replace(/\/+$/, ''), apiUrl, oauthUrl, clientId, // the disk's root keeps its slash
    credentialsFile: join(dataDir, 'credentials', 'yandex-disk.json'),
    stateDir: join(cloud, 'sources', name), cacheDir: join(cloud, 'blobs'), cacheLimitBytes: cacheLimitBytes ?? 0,
  };
}

/** '20GB', '500 MB', '1.5GiB' or a number of bytes; null when it is none of these. */
export function parseByteSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value) : null;
  if (!match) return null;
  const unit = (match[2] ?? 'b').toLowerCase();
  const powers: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.floor(Number(match[1]) * powers[unit]!);
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
  const badParams = new Set<string>();
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
    const params = value.params ?? {};
    if (typeof params !== 'object' || Array.isArray(params)) {
      // Else a list [k, 3] reads as the parameters '0' and '1'.
      issue(`node '${name}': \`params\` must be a mapping of name: value (one \`name: value\` per line, or {k: 3}), not ${kindOf(params)}`, (body as YAMLMap).get('params', true) as YamlNode, name);
      badParams.add(name);
    }
    specs.push({ name, type, needs, params: badParams.has(name) ? {} : { ...(params as Record<string, unknown>) } });
  }

  const setBy = applyOverrides(specs, overrides, issue);
  // The --set that gave a parameter (or an object above or below it) its value, if any.
  const startsWith = (path: string[], prefix: string[]) => prefix.every((key, index) => key === path[index]);
  const overrideOf = (name: string, path: string[]): string | undefined =>
    setBy.findLast((set) => set.node === name && (startsWith(path, set.path) || startsWith(set.path, path)))?.text;

  // The YAML node of a (nested) parameter, else of the nearest object above it that the file has.
  const paramsNodeOf = (name: string, path: (string | number)[] = []): YamlNode | undefined => {
    const body = (node.get(name, true) as YamlNode | undefined);
    if (!body || !isMap(body)) return where.get(name);
    const params = body.get('params', true) as YamlNode | undefined;
    if (!params || !isMap(params)) return (body.get('type', true) as YamlNode | undefined) ?? where.get(name);
    for (let length = path.length; length > 0; length--) {
      const found = params.getIn(path.slice(0, length), true) as YamlNode | undefined;
      if (found) return found;
    }
    return params;
  };

  const known = [...registry.keys()];
  for (const spec of specs) {
    const nodeType = registry.get(spec.type);
    if (!nodeType) {
      const hint = closest(spec.type, known);
      issue(`node '${spec.name}': unknown node type '${spec.type}'${hint ? ` (did you mean '${hint}'?)` : ''}; known types: ${known.join(', ')}`, where.get(spec.name), spec.name);
      continue;
    }
    if (badParams.has(spec.name)) continue;
    const result = (nodeType.params as z.ZodType).safeParse(spec.params);
    if (!result.success) {
      // A parameter given with --set is named by its --set, not by a line of the file that does not hold it.
      const report = (message: string, path: (string | number)[]) => {
        const param = path.join('.');
        const override = overrideOf(spec.name, path.map(String));
        if (override) issue(`--set ${override}: ${message}`, null, spec.name, param);
        else issue(message, paramsNodeOf(spec.name, path), spec.name, param);
      };
      for (const zodIssue of result.error.issues) {
        const path = zodIssue.path as (string | number)[];
        if (zodIssue.code === 'unrecognized_keys') {
          // Nested objects (images.faces) suggest from their own keys.
          const names = paramNamesAt(nodeType.params, path);
          const takes = path.length ? `'${path.join('.')}' takes` : `${spec.type} takes`;
          for (const key of zodIssue.keys) {
            const hint = closest(key, names);
            report(`node '${spec.name}': unknown parameter '${[...path, key].join('.')}'${hint ? ` (did you mean '${[...path, hint].join('.')}'?)` : ''}; ${takes}: ${names.join(', ') || 'no parameters'}`, [...path, key]);
          }
        } else {
          report(`node '${spec.name}': parameter '${path.join('.')}' ${describeZodIssue(zodIssue, valueAt(spec.params, path))}`, path);
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

interface Override {
  node: string;
  path: string[];
  text: string;
}

/** Applies `--set node.param=value`; returns what it set, so a bad value can name its --set. */
function applyOverrides(specs: NodeSpec[], overrides: string[], issue: IssueFn): Override[] {
  const applied: Override[] = [];
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
    applied.push({ node: nodeName, path, text: override });
  }
  return applied;
}

/** Command-line values are YAML scalars: 0.5 is a number, true a boolean, [a, b] a list. */
export function parseScalar(raw: string): unknown {
  const document = parseDocument(raw);
  return document.errors.length ? raw : document.toJSON();
}

/** The parameter names of the object schema at `path` (zod 4: wrappers such as .default() keep theirs in _zod.def.innerType). */
function paramNamesAt(schema: unknown, path: (string | number)[]): string[] {
  type Schema = { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown } } } | undefined;
  let current = schema as Schema;
  for (let index = 0; ; index++) {
    while (current?._zod?.def?.innerType) current = current._zod.def.innerType as Schema;
    if (index === path.length) return current?.shape ? Object.keys(current.shape) : [];
    current = current?.shape?.[String(path[index])] as Schema;
  }
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((parent, key) => (typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[key] : undefined), value);
}

/** What is wrong with a parameter's value, from zod 4's issue fields; zod's own message for the rest. */
function describeZodIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `got ${value === undefined ? 'nothing' : JSON.stringify(value)}`;
  const counted = (origin: string, bound: string) => (origin === 'array' || origin === 'set' ? `must have ${bound} items` : origin === 'string' ? `must be ${bound} characters long` : null);
  switch (issue.code) {
    case 'too_big': {
      const bound = `${issue.inclusive ? 'at most' : 'fewer than'} ${String(issue.maximum)}`;
      return `${counted(issue.origin, bound) ?? `is out of range: must be ${issue.inclusive ? 'at most' : 'below'} ${String(issue.maximum)}`} (${got})`;
    }
    case 'too_small': {
      const bound = `${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
      return `${counted(issue.origin, bound) ?? `is out of range: must be ${issue.inclusive ? 'at least' : 'above'} ${String(issue.minimum)}`} (${got})`;
    }
    case 'invalid_type':
      if (value === undefined) return `is required: ${issue.expected === 'int' ? 'a whole number' : issue.expected}`;
      return `must be ${issue.expected === 'int' ? 'a whole number' : issue.expected} (${got})`;
    case 'invalid_value': return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')} (${got})`;
    case 'not_multiple_of': return `must be a multiple of ${String(issue.divisor)} (${got})`;
    case 'invalid_format': return `must be a valid ${issue.format} (${got})`;
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
