// A ```chart``` fence: JSON (or YAML) naming a cell and one Observable Plot
// mark from a short list, with its channels as the cell's column names. It is
// data, not code, so a notebook from anyone can be opened safely. Drawing it
// is notebook/plot-chart.ts (kept apart: Plot is large, and the browser loads
// it only when a chart is drawn). Pure.
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { Problem } from './parse.ts';

export const MARKS = ['barY', 'barX', 'lineY', 'dot', 'rectY', 'areaY', 'text', 'ruleY', 'cell'] as const;
export type MarkName = (typeof MARKS)[number];

/** Channels a chart may map to columns. */
export const CHANNELS = ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'fill', 'stroke', 'r', 'z', 'text', 'title', 'fx', 'fy'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChartSpec {
  /** The cell whose result is drawn. */
  cell: string;
  mark: MarkName;
  channels: Partial<Record<Channel, string>>;
  /** rectY, barY, lineY, areaY: bin x into intervals and count rows per bin (a histogram). */
  binX: boolean;
  caption: string | null;
  width: number | null;
  height: number | null;
  /** Axis labels, when the column names are not good enough. */
  xLabel: string | null;
  yLabel: string | null;
  /** Line of the fence's body (for problems met while drawing). */
  line: number;
}

const OPTIONS = ['cell', 'mark', ...CHANNELS, 'bin', 'caption', 'width', 'height', 'xLabel', 'yLabel'];
/** fill and stroke may be a colour instead of a column. */
export const COLOR = /^(#[0-9a-f]{3,8}|[a-z]+|(rgb|hsl)a?\([\d\s.,%]+\))$/i;

export function parseChart(body: string, bodyLine: number): { chart: ChartSpec | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const counter = new LineCounter();
  const document = parseDocument(body, { lineCounter: counter, prettyErrors: false });
  const fail = (message: string, line = bodyLine) => ({ chart: null, problems: [...problems, { line, message: `chart: ${message}` }] });
  if (document.errors.length) {
    const error = document.errors[0]!;
    return fail(error.message.split('\n')[0]!, (error.linePos?.[0]?.line ?? 1) + bodyLine - 1);
  }
  if (!isMap(document.contents)) return fail('expected { "cell": NAME, "mark": MARK, "x": COLUMN, "y": COLUMN, ... }');
  const spec = document.contents.toJSON() as Record<string, unknown>;
  const lineOfKey = (key: string) => {
    const pair = (document.contents as unknown as { items: { key: { value?: unknown; range?: [number] } }[] }).items.find((item) => item.key?.value === key);
    return pair?.key.range ? counter.linePos(pair.key.range[0]).line + bodyLine - 1 : bodyLine;
  };
  for (const key of Object.keys(spec)) if (!OPTIONS.includes(key)) problems.push({ line: lineOfKey(key), message: `chart: unknown option '${key}' (${OPTIONS.join(', ')})` });
  if (typeof spec.cell !== 'string' || !spec.cell) return fail('name the cell to draw: "cell": "NAME"', lineOfKey('cell'));
  if (!MARKS.includes(spec.mark as MarkName)) return fail(`unknown mark ${JSON.stringify(spec.mark ?? null)}: use one of ${MARKS.join(', ')}`, lineOfKey('mark'));
  const channels: ChartSpec['channels'] = {};
  for (const channel of CHANNELS) {
    const value = spec[channel];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !value) problems.push({ line: lineOfKey(channel), message: `chart: ${channel} must be a column name (got ${JSON.stringify(value)})` });
    else channels[channel] = value;
  }
  const mark = spec.mark as MarkName;
  const binX = spec.bin === 'x' || spec.bin === true;
  if (spec.bin !== undefined && !binX) problems.push({ line: lineOfKey('bin'), message: 'chart: bin must be "x" (count rows per interval of x)' });
  if (binX && !['rectY', 'barY', 'lineY', 'areaY'].includes(mark)) problems.push({ line: lineOfKey('bin'), message: `chart: bin works with rectY, lineY and areaY, not ${mark}` });
  const size = (key: string) => {
    const value = spec[key];
    if (value === undefined) return null;
    if (typeof value === 'number' && value >= 50 && value <= 4000) return value;
    problems.push({ line: lineOfKey(key), message: `chart: ${key} must be a number of pixels from 50 to 4000` });
    return null;
  };
  const text = (key: string) => (typeof spec[key] === 'string' ? (spec[key] as string) : null);
  return {
    chart: { cell: spec.cell, mark, channels, binX, caption: text('caption'), width: size('width'), height: size('height'), xLabel: text('xLabel'), yLabel: text('yLabel'), line: bodyLine },
    problems,
  };
}

/** Channels that name no column of the result (a colour is fine for fill and stroke). */
export function missingColumns(chart: ChartSpec, columns: readonly string[]): string[] {
  return Object.entries(chart.channels)
    .filter(([channel, column]) => !columns.includes(column) && !((channel === 'fill' || channel === 'stroke') && COLOR.test(column)))
    .map(([channel, column]) => `${channel}: '${column}'`);
}
