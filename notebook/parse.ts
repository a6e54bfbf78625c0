// A notebook file (docs/NOTEBOOKS.md) as blocks of its own text: front
// matter, Markdown, ```sql id=NAME``` cells and ```chart``` fences. Joining
// the blocks' text gives the file back byte for byte (`serializeNotebook`), so
// the editor changes only the cell a person edited and a notebook diffs
// cleanly. Mistakes (bad front matter, a duplicate cell name, an unknown chart
// mark, a chart of a missing cell) become problems with their line; the rest
// of the notebook still parses. Pure: the browser uses it too.
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseChart, type ChartSpec } from './chart.ts';

export type ParamType = 'run' | 'number' | 'string' | 'boolean' | 'person';
export const PARAM_TYPES: readonly ParamType[] = ['run', 'number', 'string', 'boolean', 'person'];

export type ParamValue = string | number | boolean | null;

export interface ParamSpec {
  name: string;
  type: ParamType;
  /** A run param: 'latest' or a run number; a person param: a person id; null when none was given. */
  default: ParamValue;
  label: string;
  line: number;
}

export interface Limits {
  /** Rows a cell keeps and shows before it stops (and says so). */
  rows: number;
  /** Seconds a cell may run before it is stopped (and says so). */
  seconds: number;
}

/** Default limits, and the most a notebook may ask for. */
export const DEFAULT_LIMITS: Limits = { rows: 100_000, seconds: 30 };
export const MAX_LIMITS: Limits = { rows: 1_000_000, seconds: 600 };

export interface Problem {
  /** 1-based line in the file. */
  line: number;
  message: string;
}

interface Fenced {
  /** The opening fence line with its line break, e.g. "```sql id=faces\n". */
  open: string;
  /** The lines between the fences, each with its line break. */
  body: string;
  /** The closing fence line with its line break ('' when the fence is never closed). */
  close: string;
  /** Line of the opening fence, and of the body's first line. */
  line: number;
  bodyLine: number;
}

export type Block =
  | { kind: 'front-matter'; text: string; line: number }
  | { kind: 'markdown'; text: string; line: number }
  | (Fenced & { kind: 'sql'; id: string | null })
  | (Fenced & { kind: 'chart'; chart: ChartSpec | null });

export interface Notebook {
  blocks: Block[];
  title: string | null;
  params: ParamSpec[];
  limits: Limits;
  problems: Problem[];
}

/** A notebook as the list of notebooks shows it. */
export interface NotebookListItem {
  name: string;
  title: string | null;
  cells: number;
  charts: number;
  problems: number;
  modified: string;
}

export type SqlBlock = Extract<Block, { kind: 'sql' }>;
export type ChartBlock = Extract<Block, { kind: 'chart' }>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names a param or cell may not take: schemas every query can already name. */
const RESERVED = /^(latest|main|temp|memory|system|snapshot|run\d+)$/i;

/** The file's text, unchanged, from its blocks. */
export function serializeNotebook(notebook: Pick<Notebook, 'blocks'>): string {
  return notebook.blocks.map((block) => ('text' in block ? block.text : block.open + block.body + block.close)).join('');
}

/** The SQL cells in file order. */
export const sqlCells = (notebook: Pick<Notebook, 'blocks'>): SqlBlock[] => notebook.blocks.filter((block): block is SqlBlock => block.kind === 'sql');
export const chartBlocks = (notebook: Pick<Notebook, 'blocks'>): ChartBlock[] => notebook.blocks.filter((block): block is ChartBlock => block.kind === 'chart');

/** A cell's name for messages: its id, or "cell N" for one without. */
export const cellName = (notebook: Pick<Notebook, 'blocks'>, cell: SqlBlock): string => cell.id ?? `cell ${sqlCells(notebook).indexOf(cell) + 1}`;

/** Lines with their breaks ("\n" or "\r\n" kept), so that joining them gives the text back. */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const bare = (line: string) => line.replace(/\r?\n$/, '');

export function parseNotebook(text: string): Notebook {
  const lines = linesOf(text);
  const blocks: Block[] = [];
  const problems: Problem[] = [];
  let index = 0;
  let frontMatter: { text: string; line: number } | null = null;

  if (lines.length > 0 && bare(lines[0]!) === '---') {
    const end = lines.findIndex((line, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(bare(line)));
    if (end < 0) problems.push({ line: 1, message: 'the front matter opened on line 1 is never closed (a line of --- ends it)' });
    else {
      frontMatter = { text: lines.slice(1, end).join(''), line: 2 };
      blocks.push({ kind: 'front-matter', text: lines.slice(0, end + 1).join(''), line: 1 });
      index = end + 1;
    }
  }

  let markdown: string[] = [];
  let markdownLine = index + 1;
  const flushMarkdown = (nextLine: number) => {
    if (markdown.length) blocks.push({ kind: 'markdown', text: markdown.join(''), line: markdownLine });
    markdown = [];
    markdownLine = nextLine;
  };

  while (index < lines.length) {
    const line = lines[index]!;
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/.exec(bare(line));
    const info = fence?.[2]?.trim() ?? '';
    const language = info.split(/\s+/)[0]!.toLowerCase();
    if (!fence || (language !== 'sql' && language !== 'chart')) {
      // Other fences stay Markdown, closing fence included (a ``` inside one is not a cell).
      if (fence) {
        const close = closingIndex(lines, index, fence[1]!);
        const last = close < 0 ? lines.length - 1 : close;
        markdown.push(...lines.slice(index, last + 1));
        index = last + 1;
      } else {
        markdown.push(line);
        index++;
      }
      continue;
    }
    flushMarkdown(index + 1);
    const close = closingIndex(lines, index, fence[1]!);
    const bodyEnd = close < 0 ? lines.length : close;
    const fenced: Fenced = {
      open: line,
      body: lines.slice(index + 1, bodyEnd).join(''),
      close: close < 0 ? '' : lines[close]!,
      line: index + 1,
      bodyLine: index + 2,
    };
    if (close < 0) problems.push({ line: index + 1, message: `the \`\`\`${language} fence opened on line ${index + 1} is never closed` });
    if (language === 'sql') {
      const id = sqlCellId(info, index + 1, problems);
      blocks.push({ kind: 'sql', id, ...fenced });
    } else {
      const { chart, problems: chartProblems } = parseChart(fenced.body, fenced.bodyLine);
      problems.push(...chartProblems);
      blocks.push({ kind: 'chart', chart, ...fenced });
    }
    index = bodyEnd + 1;
    markdownLine = index + 1;
  }
  flushMarkdown(index + 1);

  const { title, params, limits } = frontMatter ? readFrontMatter(frontMatter.text, frontMatter.line, problems) : { title: null, params: [], limits: DEFAULT_LIMITS };
  checkNames(blocks, params, problems);
  problems.sort((a, b) => a.line - b.line);
  return { blocks, title, params, limits, problems };
}

/** The index of the line that closes a fence opened at `open` with `marker`, or -1. */
function closingIndex(lines: string[], open: number, marker: string): number {
  const pattern = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
  for (let i = open + 1; i < lines.length; i++) if (pattern.test(bare(lines[i]!))) return i;
  return -1;
}

function sqlCellId(info: string, line: number, problems: Problem[]): string | null {
  const match = /(?:^|\s)id\s*=\s*("?)([^"\s]*)\1(?:\s|$)/.exec(info);
  if (!match) return null; // a cell without a name runs and shows; later cells cannot use it
  const id = match[2]!;
  if (!IDENTIFIER.test(id)) {
    problems.push({ line, message: `cell id '${id}' must be a name of letters, digits and _ (not starting with a digit), so SQL can use it` });
    return null;
  }
  if (RESERVED.test(id)) {
    problems.push({ line, message: `cell id '${id}' is taken: latest, main, temp, memory, system and run<N> already mean something in SQL` });
    return null;
  }
  return id;
}

/** Duplicate cell ids, and charts of cells that do not exist. */
function checkNames(blocks: Block[], params: ParamSpec[], problems: Problem[]): void {
  const seen = new Map<string, number>();
  for (const block of blocks) {
    if (block.kind !== 'sql' || block.id === null) continue;
    const key = block.id.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ line: block.line, message: `cell id '${block.id}' is used twice (first on line ${first}): rename one` });
      block.id = null;
    } else seen.set(key, block.line);
    if (params.some((param) => param.name.toLowerCase() === key)) problems.push({ line: block.line, message: `cell id '${block.id}' is also a parameter's name: rename one` });
  }
  for (const block of blocks) {
    if (block.kind !== 'chart' || !block.chart) continue;
    if (!seen.has(block.chart.cell.toLowerCase())) {
      const names = [...seen.keys()];
      problems.push({ line: block.bodyLine, message: `the chart draws cell '${block.chart.cell}', which this notebook does not have (cells: ${names.join(', ') || 'none with an id'})` });
    }
  }
}

const FRONT_MATTER_KEYS = ['title', 'params', 'limits'];

/** title, params and limits from the front matter's YAML; each mistake a problem on its line. */
function readFrontMatter(yamlText: string, firstLine: number, problems: Problem[]): { title: string | null; params: ParamSpec[]; limits: Limits } {
  const counter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false });
  const lineOf = (node: YamlNode | null | undefined, fallback = firstLine) => (node?.range ? counter.linePos(node.range[0]).line + firstLine - 1 : fallback);
  const result = { title: null as string | null, params: [] as ParamSpec[], limits: { ...DEFAULT_LIMITS } };
  if (document.errors.length) {
    for (const error of document.errors) problems.push({ line: (error.linePos?.[0]?.line ?? 1) + firstLine - 1, message: `front matter: ${error.message.split('\n')[0]}` });
    return result;
  }
  const root = document.contents;
  if (root === null) return result;
  if (!isMap(root)) {
    problems.push({ line: firstLine, message: 'front matter: expected keys (title, params, limits)' });
    return result;
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyLine = lineOf(pair.key as YamlNode);
    const value = pair.value as YamlNode | null;
    if (key === 'title') {
      const title = isScalar(value) ? value.value : null;
      if (typeof title === 'string') result.title = title;
      else problems.push({ line: keyLine, message: 'front matter: title must be text' });
    } else if (key === 'params') {
      if (!isMap(value)) {
        problems.push({ line: keyLine, message: 'front matter: params must be a map of name: { type, default }' });
        continue;
      }
      for (const param of value.items) {
        const spec = readParam(param.key as YamlNode, param.value as YamlNode | null, lineOf(param.key as YamlNode), problems);
        if (spec) result.params.push(spec);
      }
    } else if (key === 'limits') {
      const limits = value?.toJSON() as Record<string, unknown> | null;
      if (!isMap(value) || !limits) {
        problems.push({ line: keyLine, message: 'front matter: limits must be { rows: N, seconds: S }' });
        continue;
      }
      for (const [name, limit] of Object.entries(limits)) {
        const bound = MAX_LIMITS[name as keyof Limits];
        if (bound === undefined) problems.push({ line: keyLine, message: `front matter: unknown limit '${name}' (rows, seconds)` });
        else if (typeof limit !== 'number' || !(limit > 0) || limit > bound) problems.push({ line: keyLine, message: `front matter: limits.${name} must be a number from 1 to ${bound.toLocaleString('en')} (got ${JSON.stringify(limit)})` });
        else result.limits[name as keyof Limits] = limit;
      }
    } else problems.push({ line: keyLine, message: `front matter: unknown key '${key}' (${FRONT_MATTER_KEYS.join(', ')})` });
  }
  return result;
}

function readParam(keyNode: YamlNode, valueNode: YamlNode | null, line: number, problems: Problem[]): ParamSpec | null {
  const name = isScalar(keyNode) ? String(keyNode.value) : '';
  if (!IDENTIFIER.test(name) || RESERVED.test(name)) {
    problems.push({ line, message: `param '${name}': a name of letters, digits and _, not latest, main, temp or run<N> (SQL uses it as $${name})` });
    return null;
  }
  // `name: run` is short for `name: { type: run }`.
  const raw = valueNode?.toJSON() as unknown;
  const spec = (typeof raw === 'string' ? { type: raw } : raw) as Record<string, unknown> | null;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    problems.push({ line, message: `param '${name}': give { type, default } (types: ${PARAM_TYPES.join(', ')})` });
    return null;
  }
  for (const key of Object.keys(spec)) if (!['type', 'default', 'label'].includes(key)) problems.push({ line, message: `param '${name}': unknown field '${key}' (type, default, label)` });
  const type = spec.type as ParamType;
  if (!PARAM_TYPES.includes(type)) {
    problems.push({ line, message: `param '${name}': type must be one of ${PARAM_TYPES.join(', ')} (got ${JSON.stringify(spec.type ?? null)})` });
    return null;
  }
  const fallback: ParamValue = type === 'run' ? 'latest' : null;
  let value: ParamValue = spec.default === undefined ? fallback : (spec.default as ParamValue);
  try {
    value = value === null ? null : parseParamValue(type, value);
  } catch (error) {
    problems.push({ line, message: `param '${name}': default ${(error as Error).message}` });
    value = fallback;
  }
  return { name, type, default: value, label: typeof spec.label === 'string' ? spec.label : name, line };
}

/**
 * A param's value from text (the command line, a URL) or JSON, checked
 * against its type. Throws an Error whose message completes "param x: ...".
 */
export function parseParamValue(type: ParamType, value: unknown): ParamValue {
  if (value === null) return null;
  const text = typeof value === 'string' ? value.trim() : null;
  switch (type) {
    case 'run':
      if (text === 'latest') return 'latest';
      if (Number.isInteger(value) && (value as number) > 0) return value as number;
      if (text !== null && /^\d+$/.test(text)) return Number(text);
      throw new Error(`must be a run number or latest (got ${JSON.stringify(value)})`);
    case 'person':
      if (Number.isInteger(value) && (value as number) > 0) return value as number;
      if (text !== null && /^\d+$/.test(text)) return Number(text);
      throw new Error(`must be a person id (got ${JSON.stringify(value)})`);
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (text !== null && text !== '' && Number.isFinite(Number(text))) return Number(text);
      throw new Error(`must be a number (got ${JSON.stringify(value)})`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (text === 'true' || text === 'false') return text === 'true';
      throw new Error(`must be true or false (got ${JSON.stringify(value)})`);
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw new Error(`must be text (got ${JSON.stringify(value)})`);
  }
}

/** The notebook's text with one cell's (or chart's) body replaced: what the editor saves. */
export function withBlockBody(notebook: Pick<Notebook, 'blocks'>, target: SqlBlock | ChartBlock, text: string): string {
  const body = text === '' || text.endsWith('\n') ? text : `${text}\n`; // the closing fence keeps its own line
  return serializeNotebook({ blocks: notebook.blocks.map((block) => (block === target ? { ...target, body } : block)) });
}
