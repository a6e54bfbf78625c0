// The words and number formats the Markdown and HTML reports share, so both
// say the same thing the same way.
import type { AccuracySection, CountChange, Estimate, NodeTiming, RunInfo } from './report-schema.ts';
import type { Correspondence } from './correspondence.ts';
import { formatP } from './statistics.ts';

/** Shares and scores with 3 decimals, whole numbers with separators, '-' for null. */
export function formatNumber(value: number | null | undefined, key = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (key.endsWith('share') || !Number.isInteger(value)) return value.toFixed(3);
  return value.toLocaleString('en-US');
}

export function formatChange(change: CountChange): string {
  if (change.change === null) return '-';
  if (change.change === 0) return '0';
  const sign = change.change > 0 ? '+' : '−';
  const magnitude = formatNumber(Math.abs(change.change), change.key);
  const relative = change.a ? ` (${change.change > 0 ? '+' : '−'}${Math.abs((100 * change.change) / change.a).toFixed(1)} %)` : '';
  return `${sign}${magnitude}${change.key.endsWith('share') ? '' : relative}`;
}

export function formatEstimate(estimate: Estimate | null, signed = false): string {
  if (!estimate || estimate.value === null) return '-';
  const f = (x: number) => `${signed && x > 0 ? '+' : ''}${x.toFixed(3)}`;
  return estimate.low === null || estimate.high === null ? f(estimate.value) : `${f(estimate.value)} [${f(estimate.low)}, ${f(estimate.high)}]`;
}

export function describeRun(run: RunInfo): string {
  const setting = typeof run.tags.setting === 'string' ? `, sweep setting ${run.tags.setting}` : '';
  return `run ${run.runId} (${run.status}, started ${run.startedAt.replace('T', ' ').slice(0, 19)} UTC${setting})`;
}

export function describeArchive(run: RunInfo): string {
  return Object.entries(run.sources).map(([name, path]) => `${name} = ${path}`).join(', ') || 'no sources';
}

export function formatNode(node: NodeTiming | null): string {
  if (!node) return 'not in run';
  const time = node.seconds === null ? '-' : `${node.seconds.toFixed(2)} s`;
  if (node.status === 'reused') return `reused${node.reusedFrom !== null ? ` from run ${node.reusedFrom}` : ''}`;
  return node.status === 'done' ? time : `${node.status} (${time})`;
}

export function correspondenceSummary(c: Correspondence): string {
  return `${c.clustersA} clusters in A, ${c.clustersB} in B: ${c.kept.length} kept, ${c.split.length} split, ${c.merged.length} merged, ${c.new.length} new, ${c.vanished.length} vanished. ` +
    `${c.facesMoved} faces moved to another cluster, ${c.facesToNoise} fell out of every cluster, ${c.facesFromNoise} joined one.`;
}

/** At most `limit` items of a list, then how many more. */
export function listSome<T>(items: T[], show: (item: T) => string, limit = 20): string {
  const shown = items.slice(0, limit).map(show).join('; ');
  return items.length > limit ? `${shown}; and ${items.length - limit} more` : shown;
}

export function testLine(section: AccuracySection): string | null {
  if (!section.test) return null;
  return `Paired test (exact McNemar on ${section.items} gold items, p = ${formatP(section.test.pValue)}): ${section.test.verdict}`;
}
