// Distributions drawn with Observable Plot on the server: Plot needs a DOM,
// and linkedom's is enough to build the SVG, which the HTML report inlines
// (no script, no network when the page opens). Bars are pre-binned
// (distributions.ts), so a chart costs the same for 100 faces or 100,000.
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { Distribution } from './report-schema.ts';

/** Two runs' colours: A blue, B orange, as in the tables' headers. */
export const RUN_COLORS = ['#4269d0', '#ff8a3d'];

/** One chart as HTML (a figure with a legend and an inline SVG). */
export function distributionChart(distribution: Distribution): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const names = distribution.runs.map((run) => `run ${run.runId}`);
  // Side by side within each bin (run A on the left), never stacked.
  const share = 1 / names.length;
  const bars = distribution.runs.flatMap((run, r) =>
    run.counts.map((count, i) => {
      const { x0, x1 } = distribution.bins[i]!;
      return { run: names[r]!, x0: x0 + (x1 - x0) * share * r, x1: x0 + (x1 - x0) * share * (r + 1), from: x0, to: x1, count };
    }),
  );
  // Whole-number bins get ticks on their edges (at most about 15).
  const edges = [...distribution.bins.map((bin) => bin.x0), distribution.bins.at(-1)!.x1];
  const whole = edges.every(Number.isInteger);
  const step = Math.ceil(edges.length / 15);
  const chart = Plot.plot({
    document: document as unknown as Document,
    width: 640,
    height: 220,
    marginLeft: 50,
    x: { label: distribution.title, ...(whole ? { ticks: edges.filter((_, i) => i % step === 0), tickFormat: 'd' } : {}) },
    y: { label: 'count', grid: true },
    color: { domain: names, range: RUN_COLORS.slice(0, names.length), legend: names.length > 1 },
    marks: [
      Plot.rectY(bars, { x1: 'x0', x2: 'x1', y1: 0, y2: 'count', fill: 'run', inset: 0.5, title: (d: (typeof bars)[number]) => `${d.run}: ${d.count} in [${d.from}, ${d.to})` }),
      Plot.ruleY([0]),
    ],
  }) as unknown as { outerHTML: string; tagName: string; setAttribute(name: string, value: string): void };
  // A bare <svg> (no legend) needs its namespace to stand alone.
  if (chart.tagName.toLowerCase() === 'svg') chart.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return chart.outerHTML;
}
