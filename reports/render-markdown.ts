// A report as Markdown that also reads well in a terminal: tables padded to
// aligned columns, histograms as one line of block characters per run.
import type { Accuracy, CompareReport, Distribution, RunReport } from './report-schema.ts';
import { correspondenceSummary, describeArchive, describeRun, formatChange, formatEstimate, formatNode, formatNumber, listSome, testLine } from './report-text.ts';

export function renderMarkdown(report: RunReport | CompareReport): string {
  return `${(report.format === 'mnemo.report.compare/1' ? compareSections(report) : runSections(report)).join('\n\n')}\n`;
}

function runSections(r: RunReport): string[] {
  return [
    `# Report: ${describeRun(r.run)}\n\nArchive: ${describeArchive(r.run)}`,
    `## Counts\n\n${table(['count', 'node', 'value'], r.counts.map((c) => [c.title, c.node ?? '-', formatNumber(c.value, c.key)]), 'llr')}`,
    `## Nodes: time and reuse\n\n${table(['node', 'type', 'time', 'rows', 'errors'], r.nodes.map((n) => [n.node, n.type, formatNode(n), formatNumber(n.rows), formatNumber(n.errors)]), 'lllrr')}`,
    accuracySection(r.accuracy, [`run ${r.run.runId}`]),
    distributionsSection(r.distributions),
    missingSection(r.missing),
  ].filter((s): s is string => s !== null);
}

function compareSections(r: CompareReport): string[] {
  const [A, B] = [`A (run ${r.a.runId})`, `B (run ${r.b.runId})`];
  const sections = [
    `# Report: run ${r.a.runId} compared with run ${r.b.runId}\n\nA: ${describeRun(r.a)}\nB: ${describeRun(r.b)}\nArchive: ${describeArchive(r.a)}`,
    `## Counts\n\n${table(['count', 'node', A, B, 'change'], r.counts.map((c) => [c.title, c.node ?? '-', formatNumber(c.a, c.key), formatNumber(c.b, c.key), formatChange(c)]), 'llrrr')}`,
    `## Nodes: time and reuse\n\n${table(['node', A, B], r.nodes.map((n) => [n.node, formatNode(n.a), formatNode(n.b)]), 'lll')}`,
    `## Parameters that differ\n\n${r.params.length ? table(['parameter', A, B], r.params.map((p) => [p.key, JSON.stringify(p.a), JSON.stringify(p.b)]), 'lll') : 'None: both runs used the same parameters.'}`,
  ];
  if (r.clusters) {
    const c = r.clusters.correspondence;
    const lines = [
      `Agreement over the ${formatNumber(r.clusters.sharedFaces)} faces both runs clustered: ARI ${formatNumber(r.clusters.ari)}, NMI ${formatNumber(r.clusters.nmi)} (1 = the same grouping).` +
        (r.clusters.onlyInA || r.clusters.onlyInB ? ` ${formatNumber(r.clusters.onlyInA)} faces only in A, ${formatNumber(r.clusters.onlyInB)} only in B.` : ''),
      '',
      correspondenceSummary(c),
    ];
    if (c.split.length) lines.push('', `- split: ${listSome(c.split, (s) => `A ${s.a} → B ${s.into.join(', ')}`)}`);
    if (c.merged.length) lines.push(`- merged: ${listSome(c.merged, (m) => `A ${m.from.join(', ')} → B ${m.b}`)}`);
    if (c.new.length) lines.push(`- new in B: ${listSome(c.new, String, 30)}`);
    if (c.vanished.length) lines.push(`- vanished from A: ${listSome(c.vanished, String, 30)}`);
    sections.push(`## Clusters\n\n${lines.join('\n')}`);
  }
  if (r.persons) {
    const p = r.persons;
    const who = (id: number | null, name: string | null) => (id === null ? 'no person' : name ? `${name} (${id})` : `person ${id}`);
    const moves = p.moves.slice(0, 15).map((m) => [who(m.from, m.fromName), who(m.to, m.toName), formatNumber(m.faces)]);
    sections.push(`## Faces that changed person\n\n${formatNumber(p.moved)} of ${formatNumber(p.sharedFaces)} faces in both runs have another person in B.` + (moves.length ? `\n\n${table(['in A', 'in B', 'faces'], moves, 'llr')}` : ''));
  }
  sections.push(accuracySection(r.accuracy, [A, B]), distributionsSection(r.distributions));
  const missing = missingSection(r.missing);
  if (missing) sections.push(missing);
  return sections;
}

function accuracySection(accuracy: Accuracy, runs: string[]): string {
  const lines = [`## Accuracy against gold\n\n${accuracy.goldFaces} gold faces, ${accuracy.goldPets} gold pets; intervals: ${accuracy.bootstrap.level * 100} % bootstrap, ${accuracy.bootstrap.replicates} resamples, seed ${accuracy.bootstrap.seed}.`];
  for (const section of accuracy.sections) {
    const paired = runs.length === 2;
    const headers = ['metric', ...runs, ...(paired ? ['B − A'] : [])];
    const rows = section.metrics.map((m) => [m.name, ...m.runs.map((e) => formatEstimate(e)), ...(paired ? [formatEstimate(m.difference, true)] : [])]);
    rows.push(['items right', ...section.itemsRight.map((share) => share.toFixed(3)), ...(paired ? [''] : [])]);
    lines.push(`### ${section.title} (${section.items} items)\n\n${table(headers, rows, 'l' + 'r'.repeat(headers.length - 1))}`);
    const test = testLine(section);
    if (test) lines.push(test);
  }
  if (accuracy.sections.length === 0) lines.push('Nothing to measure: see "Missing" below.');
  return lines.join('\n\n');
}

const BLOCKS = ' ▁▂▃▄▅▆▇█';

function distributionsSection(distributions: Distribution[]): string {
  if (distributions.length === 0) return '## Distributions\n\nNo faces, clusters or pets to draw.';
  const lines = ['## Distributions'];
  for (const d of distributions) {
    const most = Math.max(1, ...d.runs.flatMap((run) => run.counts));
    const range = `${formatNumber(d.bins[0]!.x0)} … ${formatNumber(d.bins.at(-1)!.x1)}`;
    const rows = d.runs.map((run) => `    run ${String(run.runId).padEnd(5)} |${run.counts.map((n) => BLOCKS[n === 0 ? 0 : Math.max(1, Math.round((8 * n) / most))]).join('')}|  n ${formatNumber(run.n)}, median ${formatNumber(run.median)}, mean ${formatNumber(run.mean)}`);
    lines.push(`**${d.title}** (${range})\n\n${rows.join('\n')}`);
  }
  return lines.join('\n\n');
}

function missingSection(missing: string[]): string | null {
  return missing.length ? `## Missing\n\n${missing.map((line) => `- ${line}`).join('\n')}` : null;
}

/** A Markdown table with cells padded to aligned columns (align: one l or r per column). */
export function table(headers: string[], rows: string[][], align: string): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const pad = (text: string, i: number) => (align[i] === 'r' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => pad(cell.replace(/\|/g, '\\|'), i)).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (align[i] === 'r' ? `${'-'.repeat(width + 1)}:` : `:${'-'.repeat(width + 1)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
