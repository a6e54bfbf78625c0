// A run notebook as one self-contained HTML page (`mnemo notebook run --html`):
// the prose, each cell's SQL, the first rows of its result, its limit or
// error, and the charts as inline SVG drawn by Plot through linkedom. No
// script and nothing fetched, so the page opens from disk anywhere.
import { parseHTML } from 'linkedom';
import { missingColumns } from './chart.ts';
import { plotChart } from './plot-chart.ts';
import { escapeHtml, markdownToHtml } from './markdown.ts';
import { sqlCells, type Notebook, type ParamValue } from './parse.ts';
import { rowObjects, type CellResult } from './result.ts';

/** Rows of each cell shown in the page (charts use every row kept). */
export const HTML_TABLE_ROWS = 200;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } code, pre { font: 12.5px ui-monospace, monospace; }
pre.sql { background: #f6f6f6; padding: 0.5rem 0.75rem; border-radius: 4px; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 13px; } th, td { padding: 0.15rem 0.6rem; border-bottom: 1px solid #eee; text-align: left; }
th { background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 12.5px; } .limit { color: #8a4b00; } .error { color: #b00020; white-space: pre-wrap; }
.problems { background: #fff4f4; border-left: 3px solid #b00020; padding: 0.5rem 0.8rem; } figure { margin: 1rem 0; }
`;

export interface HtmlOptions {
  /** The values the notebook ran with. */
  values: Record<string, ParamValue>;
  /** Where it came from, for the page's footer. */
  source: string;
}

export function renderNotebookHtml(notebook: Notebook, results: ReadonlyMap<number, CellResult>, options: HtmlOptions): string {
  const cells = sqlCells(notebook);
  const byId = new Map(cells.filter((cell) => cell.id).map((cell) => [cell.id!.toLowerCase(), results.get(cells.indexOf(cell))]));
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const title = notebook.title ?? options.source;
  const parts: string[] = [`<h1>${escapeHtml(title)}</h1>`];
  const params = Object.entries(options.values);
  if (params.length) parts.push(`<p class="note">${params.map(([name, value]) => `${escapeHtml(name)} = <b>${escapeHtml(String(value))}</b>`).join(' · ')}</p>`);
  if (notebook.problems.length) parts.push(`<div class="problems"><b>Problems in the notebook</b><ul>${notebook.problems.map((p) => `<li>line ${p.line}: ${escapeHtml(p.message)}</li>`).join('')}</ul></div>`);
  for (const block of notebook.blocks) {
    if (block.kind === 'markdown') parts.push(markdownToHtml(block.text));
    else if (block.kind === 'sql') parts.push(cellHtml(block.id, block.body, results.get(cells.indexOf(block))));
    else if (block.kind === 'chart') {
      const chart = block.chart;
      const result = chart ? byId.get(chart.cell.toLowerCase()) : undefined;
      if (!chart || !result || result.status !== 'done') continue; // its problem or its cell's error is shown already
      const missing = missingColumns(chart, result.columns.map((column) => column.name));
      if (missing.length) {
        parts.push(`<p class="error">chart (line ${block.line}): no such column in cell '${escapeHtml(chart.cell)}': ${escapeHtml(missing.join(', '))}</p>`);
        continue;
      }
      const figure = plotChart(chart, rowObjects(result.columns, result.rows), document as unknown as Document) as unknown as { outerHTML: string; tagName: string; setAttribute(name: string, value: string): void };
      if (figure.tagName.toLowerCase() === 'svg') figure.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
      parts.push(`<figure>${figure.outerHTML}</figure>`);
    }
  }
  parts.push(`<p class="note">mnemo notebook ${escapeHtml(options.source)}</p>`);
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${parts.join('\n')}\n</body>\n</html>\n`;
}

function cellHtml(id: string | null, sql: string, result: CellResult | undefined): string {
  const parts = [`<pre class="sql" data-cell="${escapeHtml(id ?? '')}">${escapeHtml(sql.replace(/\n$/, ''))}</pre>`];
  if (!result) return parts.join('');
  if (result.error) return parts.concat(`<p class="error">${escapeHtml(result.error.message)}</p>`).join('');
  const numeric = result.columns.map((column) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)/.test(column.type));
  const shown = result.rows.slice(0, HTML_TABLE_ROWS);
  const cell = (value: unknown, i: number) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value))}</td>`;
  parts.push(`<table><thead><tr>${result.columns.map((column) => `<th title="${escapeHtml(column.type)}">${escapeHtml(column.name)}</th>`).join('')}</tr></thead><tbody>${shown.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table>`);
  const count = `${result.rowCount.toLocaleString('en')} row${result.rowCount === 1 ? '' : 's'}${result.rowCount > shown.length ? `, the first ${shown.length} shown` : ''}${result.ms === null ? '' : ` · ${result.ms} ms`}`;
  parts.push(`<p class="note">${count}</p>`);
  if (result.limit) parts.push(`<p class="limit">${escapeHtml(result.limit.message)}</p>`);
  return parts.join('');
}
