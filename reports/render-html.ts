// A report as one self-contained HTML page: inline CSS, tables, and the
// distributions as inline SVG charts. No script and no external resource, so
// it opens from disk with no server and no network.
import { distributionChart, RUN_COLORS } from './charts.ts';
import type { Accuracy, CompareReport, Distribution, RunReport } from './report-schema.ts';
import { correspondenceSummary, describeArchive, describeRun, formatChange, formatEstimate, formatNode, formatNumber, listSome, testLine } from './report-text.ts';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { padding: 0.2rem 0.7rem; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.a { color: ${RUN_COLORS[0]}; } .b { color: ${RUN_COLORS[1]}; } .verdict { background: #f4f7ff; padding: 0.5rem 0.8rem; border-left: 3px solid #4269d0; }
.missing li { color: #8a4b00; } figure.chart { margin: 1rem 0 2rem; } figure.chart > figcaption { font-weight: 600; margin-bottom: 0.3rem; }
`;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHtml(report: RunReport | CompareReport): string {
  const compare = report.format === 'mnemo.report.compare/1';
  const title = compare ? `Run ${report.a.runId} compared with run ${report.b.runId}` : `Run ${report.run.runId}`;
  const body = compare ? compareBody(report) : runBody(report);
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>mnemo report: ${escape(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<h1>${escape(title)}</h1>\n${body.join('\n')}\n</body>\n</html>\n`;
}

function runBody(r: RunReport): string[] {
  return [
    `<p>${escape(describeRun(r.run))}<br>Archive: ${escape(describeArchive(r.run))}</p>`,
    `<h2>Counts</h2>${table(['count', 'node', 'value'], r.counts.map((c) => [c.title, c.node ?? '-', formatNumber(c.value, c.key)]), 'llr')}`,
    `<h2>Nodes: time and reuse</h2>${table(['node', 'type', 'time', 'rows', 'errors'], r.nodes.map((n) => [n.node, n.type, formatNode(n), formatNumber(n.rows), formatNumber(n.errors)]), 'lllrr')}`,
    accuracyHtml(r.accuracy, [`run ${r.run.runId}`]),
    distributionsHtml(r.distributions),
    missingHtml(r.missing),
  ];
}

function compareBody(r: CompareReport): string[] {
  const [A, B] = [`A (run ${r.a.runId})`, `B (run ${r.b.runId})`];
  const parts = [
    `<p><span class="a">A</span>: ${escape(describeRun(r.a))}<br><span class="b">B</span>: ${escape(describeRun(r.b))}<br>Archive: ${escape(describeArchive(r.a))}</p>`,
    `<h2>Counts</h2>${table(['count', 'node', A, B, 'change'], r.counts.map((c) => [c.title, c.node ?? '-', formatNumber(c.a, c.key), formatNumber(c.b, c.key), formatChange(c)]), 'llrrr')}`,
    `<h2>Nodes: time and reuse</h2>${table(['node', A, B], r.nodes.map((n) => [n.node, formatNode(n.a), formatNode(n.b)]), 'lll')}`,
    `<h2>Parameters that differ</h2>${r.params.length ? table(['parameter', A, B], r.params.map((p) => [p.key, JSON.stringify(p.a), JSON.stringify(p.b)]), 'lll') : '<p>None: both runs used the same parameters.</p>'}`,
  ];
  if (r.clusters) {
    const c = r.clusters.correspondence;
    const items = [
      c.split.length ? `<li>split: ${escape(listSome(c.split, (s) => `A ${s.a} → B ${s.into.join(', ')}`))}</li>` : '',
      c.merged.length ? `<li>merged: ${escape(listSome(c.merged, (m) => `A ${m.from.join(', ')} → B ${m.b}`))}</li>` : '',
      c.new.length ? `<li>new in B: ${escape(listSome(c.new, String, 30))}</li>` : '',
      c.vanished.length ? `<li>vanished from A: ${escape(listSome(c.vanished, String, 30))}</li>` : '',
    ].join('');
    parts.push(`<h2>Clusters</h2><p>Agreement over the ${formatNumber(r.clusters.sharedFaces)} faces both runs clustered: ARI <b>${formatNumber(r.clusters.ari)}</b>, NMI <b>${formatNumber(r.clusters.nmi)}</b> (1 = the same grouping); ${formatNumber(r.clusters.onlyInA)} faces only in A, ${formatNumber(r.clusters.onlyInB)} only in B.</p><p>${escape(correspondenceSummary(c))}</p>${items ? `<ul>${items}</ul>` : ''}`);
  }
  if (r.persons) {
    const who = (id: number | null, name: string | null) => (id === null ? 'no person' : name ? `${name} (${id})` : `person ${id}`);
    const moves = r.persons.moves.slice(0, 25).map((m) => [who(m.from, m.fromName), who(m.to, m.toName), formatNumber(m.faces)]);
    parts.push(`<h2>Faces that changed person</h2><p>${formatNumber(r.persons.moved)} of ${formatNumber(r.persons.sharedFaces)} faces in both runs have another person in B.</p>${moves.length ? table(['in A', 'in B', 'faces'], moves, 'llr') : ''}`);
  }
  parts.push(accuracyHtml(r.accuracy, [A, B]), distributionsHtml(r.distributions), missingHtml(r.missing));
  return parts;
}

function accuracyHtml(accuracy: Accuracy, runs: string[]): string {
  const paired = runs.length === 2;
  const parts = [`<h2>Accuracy against gold</h2><p>${accuracy.goldFaces} gold faces, ${accuracy.goldPets} gold pets; intervals: ${accuracy.bootstrap.level * 100} % bootstrap, ${accuracy.bootstrap.replicates} resamples, seed ${accuracy.bootstrap.seed}.</p>`];
  for (const section of accuracy.sections) {
    const rows = section.metrics.map((m) => [m.name, ...m.runs.map((e) => formatEstimate(e)), ...(paired ? [formatEstimate(m.difference, true)] : [])]);
    rows.push(['items right', ...section.itemsRight.map((share) => share.toFixed(3)), ...(paired ? [''] : [])]);
    const test = testLine(section);
    parts.push(`<h3>${escape(section.title)} (${section.items} items)</h3>${table(['metric', ...runs, ...(paired ? ['B − A'] : [])], rows, 'l' + 'r'.repeat(runs.length + (paired ? 1 : 0)))}${test ? `<p class="verdict">${escape(test)}</p>` : ''}`);
  }
  if (accuracy.sections.length === 0) parts.push('<p>Nothing to measure: see "Missing" below.</p>');
  return parts.join('\n');
}

function distributionsHtml(distributions: Distribution[]): string {
  if (distributions.length === 0) return '<h2>Distributions</h2><p>No faces, clusters or pets to draw.</p>';
  const figures = distributions.map((d) => {
    const stats = d.runs.map((run) => `run ${run.runId}: n ${formatNumber(run.n)}, median ${formatNumber(run.median)}, mean ${formatNumber(run.mean)}`).join('; ');
    return `<figure class="chart" data-distribution="${d.key}"><figcaption>${escape(d.title)}</figcaption>${distributionChart(d)}<small>${escape(stats)}</small></figure>`;
  });
  return `<h2>Distributions</h2>\n${figures.join('\n')}`;
}

function missingHtml(missing: string[]): string {
  return missing.length ? `<h2>Missing</h2><ul class="missing">${missing.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>` : '';
}

function table(headers: string[], rows: string[][], align: string): string {
  const head = `<tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td${align[i] === 'r' ? ' class="num"' : ''}>${escape(cell)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}
