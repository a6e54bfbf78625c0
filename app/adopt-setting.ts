// Adopting a parameter setting (a sweep's best, or any `node.param=value`)
// into the pipeline spec. yaml's Document API finds where each value is (its
// source range); the new value is spliced into the text there, because
// re-printing the document would move comments and respace flow lists. So
// the user's comments, order and layout stay byte for byte, and only the
// values (or the lines a new parameter needs) change. The new text is
// validated as a whole spec before it is written, atomically, so a bad value
// never reaches mnemo.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, type Document, type YAMLMap } from 'yaml';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import { canonicalJson } from '../datasets/canonical-json.ts';
import type { AdoptResult } from './compare-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export interface ParamSetting {
  /** Node name, then the parameter path (nested keys as --set writes them). */
  node: string;
  path: string[];
  value: unknown;
}

/** `cluster.threshold=0.62 cluster.minQuality=2.75` (as `mnemo sweep` tags a run) into settings; values are YAML scalars, as --set reads them. */
export async function parseSetting(setting: string): Promise<ParamSetting[]> {
  const { parseScalar } = await import('../dag/spec.ts');
  const parts = setting.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw invalid('the setting is empty: expected node.param=value');
  return parts.map((part) => {
    const match = /^([^.=\s]+)\.([^=\s]+)=(.*)$/.exec(part);
    if (!match) throw invalid(`'${part}': expected node.param=value`);
    return { node: match[1]!, path: match[2]!.split('.'), value: parseScalar(match[3]!) };
  });
}

/** The value the document has at nodes.<node>.params.<path>, or null when it is not set. */
export function currentValue(document: Document, setting: Pick<ParamSetting, 'node' | 'path'>): unknown {
  const value = document.getIn(['nodes', setting.node, 'params', ...setting.path]);
  return value === undefined ? null : isScalar(value) ? value.value : (value as { toJSON?: () => unknown })?.toJSON?.() ?? value;
}

const lineStart = (text: string, pos: number) => text.lastIndexOf('\n', pos - 1) + 1;
const columnOf = (text: string, pos: number) => pos - lineStart(text, pos);
/** The start of the line after the one `pos` is on (a position right after a newline is already one). */
const nextLine = (text: string, pos: number) => {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const newline = text.indexOf('\n', pos);
  return newline === -1 ? text.length : newline + 1;
};
/** A value as YAML text: numbers and booleans plain, strings double-quoted, lists and objects as flow (JSON is YAML). */
const yamlText = (value: unknown) => (typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : JSON.stringify(value));

/** `key: value` nested under `keys`, as block lines at `indent`. */
function blockLines(keys: string[], value: unknown, indent: number): string {
  return keys.map((key, depth) => `${' '.repeat(indent + 2 * depth)}${key}:${depth === keys.length - 1 ? ` ${yamlText(value)}` : ''}\n`).join('');
}

/** `k1: {k2: value}` for a flow mapping. */
const flowEntry = (keys: string[], value: unknown): string => (keys.length === 1 ? `${keys[0]}: ${yamlText(value)}` : `${keys[0]}: {${flowEntry(keys.slice(1), value)}}`);

/**
 * The text with nodes.<node>.params.<path> set. Only the value, or the lines
 * it needs, are written: every other byte of the file (comments, blank
 * lines, quoting, flow or block style) stays as the user wrote it.
 */
export function withParam(text: string, setting: ParamSetting): string {
  const document = parseDocument(text);
  if (document.errors.length) throw invalid(`the spec does not parse as YAML: ${document.errors[0]!.message}`);
  const nodes = document.get('nodes', true);
  if (!isMap(nodes) || !nodes.has(setting.node)) throw invalid(`the pipeline has no node named '${setting.node}' (node names are the keys under nodes: in the spec)`);
  const keys = ['params', ...setting.path];
  let map: YAMLMap = nodes;
  let pair = nodes.items.find((item) => isScalar(item.key) && item.key.value === setting.node)!;
  for (let depth = 0; ; depth++) {
    const value = pair.value;
    const rest = keys.slice(depth);
    const where = ['nodes', setting.node, ...keys.slice(0, depth)].join('.');
    if (rest.length === 0) {
      if (!isScalar(value) || !value.range) throw invalid(`${where} is a mapping or list in the spec, not one value: edit it by hand`);
      return text.slice(0, value.range[0]) + yamlText(setting.value) + text.slice(value.range[1]);
    }
    if (value === null || (isScalar(value) && (value.value === null || value.value === undefined) && value.range?.[0] === value.range?.[1])) {
      // `cluster:` with no settings (perhaps a comment): the lines go below it, indented one step.
      const keyStart = (pair.key as { range: [number, number, number] }).range[0];
      return insertAt(text, nextLine(text, keyStart), blockLines(rest, setting.value, columnOf(text, keyStart) + 2));
    }
    if (!isMap(value) || !value.range) throw invalid(`${where} is not a mapping, so ${keys.slice(depth).join('.')} cannot be set in it`);
    map = value;
    const next = map.items.find((item) => isScalar(item.key) && item.key.value === rest[0]);
    if (next) {
      pair = next;
      continue;
    }
    if (map.flow) {
      const close = text.lastIndexOf('}', value.range[1]);
      return insertAt(text, close, `${map.items.length ? ', ' : ''}${flowEntry(rest, setting.value)}`);
    }
    const last = map.items[map.items.length - 1]!;
    const end = (last.value as { range?: [number, number, number] } | null)?.range?.[1] ?? (last.key as { range: [number, number, number] }).range[1];
    return insertAt(text, nextLine(text, end), blockLines(rest, setting.value, columnOf(text, (map.items[0]!.key as { range: [number, number, number] }).range[0])));
  }
}

function insertAt(text: string, pos: number, insert: string): string {
  const newline = pos === text.length && text.length > 0 && !text.endsWith('\n') && !insert.startsWith(',') ? '\n' : '';
  return text.slice(0, pos) + newline + insert + text.slice(pos);
}

/** Writes the setting into the workspace's pipeline spec; reports what changed. */
export async function adoptSetting(workspace: Workspace, setting: string): Promise<AdoptResult> {
  const settings = await parseSetting(setting);
  const configPath = workspace.configPath;
  if (!existsSync(configPath)) throw notFound(`no pipeline spec at ${configPath}: the setting has nowhere to go (start the workbench with --config FILE)`);
  const text = readFileSync(configPath, 'utf8');
  const document = parseDocument(text);
  if (document.errors.length) throw invalid(`${configPath} does not parse as YAML: ${document.errors[0]!.message}`);
  const changes = settings.map((s) => ({ key: [s.node, ...s.path].join('.'), from: currentValue(document, s), to: s.value }));
  const changed = changes.filter((c) => canonicalJson(c.from) !== canonicalJson(c.to));
  if (changed.length === 0) return { configPath, setting, changes, unchanged: true };
  let updated = text;
  for (const s of settings) if (changed.some((c) => c.key === [s.node, ...s.path].join('.'))) updated = withParam(updated, s);
  // The whole spec must still be valid (a value out of range is refused here, with its line).
  const { parseSpec } = await import('../dag/spec.ts');
  await translated(async () => parseSpec(updated, configPath, await workspace.registry()));
  await translated(() => writeFileAtomic(configPath, updated));
  return { configPath, setting, changes: changed, unchanged: false };
}
