// Draws a chart spec (notebook/chart.ts) with Observable Plot: in the browser
// into the page, and on the server through linkedom's document as SVG
// (notebook/render-html.ts). The same function both ways, so a chart looks
// the same in the workbench and in an exported page.
import * as Plot from '@observablehq/plot';
import type { ChartSpec } from './chart.ts';

const ACCENT = '#4269d0';

/**
 * Draws the chart with Plot: an SVG or figure element of `document` (the
 * page's, or linkedom's on the server). Ordinal axes keep the rows' order, so
 * the SQL's ORDER BY decides it, and drawing is the same every time.
 */
export function plotChart(chart: ChartSpec, rows: readonly Record<string, unknown>[], document: Document): Element {
  const channels: Record<string, unknown> = { ...chart.channels };
  const ordinal = (column: string | undefined) => (column === undefined ? undefined : [...new Set(rows.map((row) => row[column]))]);
  const scales: Record<string, unknown> = {};
  if (chart.mark === 'barY' || chart.mark === 'cell') scales.x = { domain: ordinal(chart.channels.x) };
  if (chart.mark === 'barX' || chart.mark === 'cell') scales.y = { domain: ordinal(chart.channels.y) };
  if (chart.channels.fx) scales.fx = { domain: ordinal(chart.channels.fx) };
  if (chart.channels.fy) scales.fy = { domain: ordinal(chart.channels.fy) };
  for (const [scale, label] of [['x', chart.xLabel], ['y', chart.yLabel]] as const) if (label) scales[scale] = { ...(scales[scale] as object), label };
  if (chart.mark === 'barY' || chart.mark === 'lineY' || chart.mark === 'areaY' || chart.mark === 'rectY' || chart.mark === 'ruleY') scales.y = { grid: true, ...(scales.y as object) };
  // One colour of the workbench's when the chart maps none.
  if (chart.channels.fill === undefined && chart.channels.stroke === undefined) {
    if (chart.mark === 'lineY' || chart.mark === 'ruleY') channels.stroke = ACCENT;
    else if (chart.mark !== 'text') channels.fill = ACCENT;
  }
  const options = chart.binX ? Plot.binX({ y: 'count' }, channels) : channels;
  const data = rows as Record<string, unknown>[];
  const marks: Plot.Markish[] = [];
  switch (chart.mark) {
    case 'barY': marks.push(Plot.barY(data, options), Plot.ruleY([0])); break;
    case 'barX': marks.push(Plot.barX(data, options), Plot.ruleX([0])); break;
    case 'lineY': marks.push(Plot.lineY(data, options)); break;
    case 'areaY': marks.push(Plot.areaY(data, options), Plot.ruleY([0])); break;
    case 'rectY': marks.push(Plot.rectY(data, options), Plot.ruleY([0])); break;
    case 'dot': marks.push(Plot.dot(data, options)); break;
    case 'text': marks.push(Plot.text(data, options)); break;
    case 'ruleY': marks.push(Plot.ruleY(data, options)); break;
    case 'cell': marks.push(Plot.cell(data, options)); break;
  }
  const fill = chart.channels.fill;
  const legend = fill !== undefined && rows.length > 0 && fill in rows[0]! ? { color: { legend: true } } : {};
  return Plot.plot({
    document,
    width: chart.width ?? 640,
    height: chart.height ?? 280,
    marginLeft: 56,
    marginBottom: chart.mark === 'barY' ? 48 : undefined,
    caption: chart.caption ?? undefined,
    ...scales,
    ...legend,
    marks,
  }) as unknown as Element;
}
