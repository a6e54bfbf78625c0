// <notebook-view>: the notebooks of notebooks/ (#/notebooks), and one
// notebook (#/notebooks/<file>): its prose, each SQL cell in a textarea with
// its streamed result in a grid, its charts drawn by Plot, controls for the
// front matter's params (changing one re-runs the notebook), Save, and
// export of a cell's result. Edits change only the text of the cell edited
// (notebook/parse.ts), so a saved notebook diffs cleanly.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { missingColumns } from '../../notebook/chart.ts';
import { markdownToHtml } from '../../notebook/markdown.ts';
import { parseNotebook, sqlCells, withBlockBody, type Block, type ChartBlock, type Notebook, type NotebookListItem, type ParamSpec, type SqlBlock } from '../../notebook/parse.ts';
import { applyEvent, rowObjects, type CellResult } from '../../notebook/result.ts';
import { api, errorText, type Person, type RunRow } from './api.ts';
import { notebooksApi, type RunLine } from './notebook-api.ts';
import { notify } from './notify.ts';
import './result-grid.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'notebook-view': NotebookView;
  }
}

/** When the last run's rows first showed and when it was fully drawn (ms since Run), for the benchmark. */
export interface RunTimings {
  firstRowsMs: number | null;
  renderedMs: number | null;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** What a new notebook starts with: a run param, a cell and a chart of it. */
const STARTER = `---
title: New notebook
params:
  run: { type: run, default: latest }
---

\`\`\`sql id=counts
SELECT count(*) AS faces, count(DISTINCT file_id) AS photos FROM run.faces WHERE NOT rejected
\`\`\`
`;

@customElement('notebook-view')
export class NotebookView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      ul.list {
        list-style: none;
        padding: 0;
      }
      ul.list li {
        padding: 0.4rem 0;
        border-bottom: 1px solid var(--mn-border);
      }
      ul.list a {
        color: var(--mn-accent);
        font-weight: 500;
        text-decoration: none;
      }
      .params label {
        display: inline-flex;
        gap: 0.35rem;
        align-items: center;
        margin-right: 0.75rem;
        font-size: 0.88rem;
      }
      .params input[type='number'] {
        width: 6rem;
      }
      .problems {
        background: #fff4f4;
        border-left: 3px solid var(--mn-danger);
        padding: 0.4rem 0.8rem;
        font-size: 0.88rem;
      }
      .prose {
        line-height: 1.5;
      }
      section.cell {
        margin: 0.9rem 0;
      }
      .cell-head {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        font-size: 0.82rem;
        color: var(--mn-muted);
        margin-bottom: 0.25rem;
      }
      .cell-head b {
        color: var(--mn-text);
        font-family: ui-monospace, monospace;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        font: 0.82rem/1.45 ui-monospace, monospace;
        border: 1px solid var(--mn-border);
        border-radius: 6px;
        padding: 0.4rem 0.6rem;
        background: var(--mn-surface);
        resize: vertical;
      }
      .status {
        font-size: 0.8rem;
        color: var(--mn-muted);
        margin: 0.25rem 0;
      }
      .limit {
        color: #8a4b00;
      }
      .cell-error {
        color: var(--mn-danger);
        font-size: 0.85rem;
        white-space: pre-wrap;
      }
      figure.chart {
        margin: 0.75rem 0;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: 6px;
        padding: 0.5rem;
        overflow-x: auto;
      }
      details summary {
        font-size: 0.8rem;
        color: var(--mn-muted);
        cursor: pointer;
      }
    `,
  ];

  /** The file to show; empty: the list of notebooks. */
  @property() name = '';
  /** Bumped by the shell when the server's data changed (a new run): the run list reloads. */
  @property({ type: Number }) generation = 0;

  @state() private list: NotebookListItem[] | null = null;
  @state() private text = '';
  @state() private notebook: Notebook | null = null;
  @state() private saved = '';
  @state() private values: Record<string, unknown> = {};
  @state() private running = false;
  @state() private error = '';
  @state() private runs: RunRow[] = [];
  @state() private people: Person[] = [];
  @state() private editSource = false;
  /** Bumped as rows stream in: the grids redraw. */
  @state() private version = 0;

  /** The last run's results by cell index. */
  results = new Map<number, CellResult>();
  timings: RunTimings = { firstRowsMs: null, renderedMs: null };
  /** Charts drawn for the current results, by chart block. */
  private charts = new Map<number, Element | string>();
  private stopRun: AbortController | null = null;
  private frame = 0;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('name')) void this.load();
    if (changed.has('generation') && this.generation > 0) void this.loadChoices();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopRun?.abort();
  }

  override render() {
    if (!this.name) return this.renderList();
    const notebook = this.notebook;
    const dirty = this.text !== this.saved;
    return html`
      <div class="toolbar">
        <h1>${notebook?.title ?? this.name}</h1>
        <span class="muted">${this.name}</span>
        <span class="spacer"></span>
        <button id="edit-source" @click=${() => (this.editSource = !this.editSource)}>${this.editSource ? 'Cells' : 'Source'}</button>
        <button id="save" ?disabled=${!dirty} @click=${this.save}>${dirty ? 'Save' : 'Saved'}</button>
        <button class="primary" id="run-all" ?disabled=${!notebook} @click=${() => this.run()}>${this.running ? 'Running…' : 'Run all'}</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${notebook ? this.renderParams(notebook.params) : nothing}
      ${notebook?.problems.length
        ? html`<div class="problems" role="alert"><b>Problems</b>${notebook.problems.map((p) => html`<div data-line=${p.line}>line ${p.line}: ${p.message}</div>`)}</div>`
        : nothing}
      ${this.editSource
        ? html`<textarea id="source" rows="30" .value=${live(this.text)} @input=${(e: Event) => this.setText((e.target as HTMLTextAreaElement).value)}></textarea>`
        : notebook?.blocks.map((block) => this.renderBlock(notebook, block))}
    `;
  }

  private renderList() {
    return html`
      <h1>Notebooks</h1>
      <p class="muted">Markdown files in the <code>notebooks/</code> folder beside mnemo.yaml: SQL cells and charts, re-run on any run.</p>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.list && this.list.length === 0 ? html`<p class="muted">No notebooks yet: <code>mnemo demo</code> writes a few, or add a .md file there.</p>` : nothing}
      <form class="toolbar" @submit=${this.create}>
        <input id="new-name" placeholder="new-notebook.md" aria-label="New notebook's file name" />
        <button type="submit">New notebook</button>
      </form>
      <ul class="list">
        ${(this.list ?? []).map(
          (item) => html`<li>
            <a href="#/notebooks/${encodeURIComponent(item.name)}">${item.title ?? item.name}</a>
            <span class="muted">· ${item.name} · ${plural(item.cells, 'cell')}, ${plural(item.charts, 'chart')}${item.problems ? html` · <span class="error">${item.problems} problems</span>` : nothing}</span>
          </li>`,
        )}
      </ul>
    `;
  }

  private renderParams(params: ParamSpec[]) {
    if (params.length === 0) return nothing;
    return html`<div class="params toolbar">
      ${params.map((param) => {
        const value = this.values[param.name];
        const change = (next: unknown) => this.setParam(param.name, next);
        switch (param.type) {
          case 'run':
            return html`<label>${param.label}
              <select data-param=${param.name} @change=${(e: Event) => change((e.target as HTMLSelectElement).value)}>
                <option value="latest" ?selected=${value === 'latest'}>latest</option>
                ${this.runs.map((run) => html`<option value=${run.runId} ?selected=${String(value) === String(run.runId)}>run ${run.runId} (${run.status})</option>`)}
              </select></label>`;
          case 'person':
            return html`<label>${param.label}
              <select data-param=${param.name} @change=${(e: Event) => change((e.target as HTMLSelectElement).value || null)}>
                <option value="">none</option>
                ${this.people.map((person) => html`<option value=${person.personId} ?selected=${String(value) === String(person.personId)}>${person.name}</option>`)}
              </select></label>`;
          case 'boolean':
            return html`<label><input type="checkbox" data-param=${param.name} .checked=${value === true} @change=${(e: Event) => change((e.target as HTMLInputElement).checked)} />${param.label}</label>`;
          default:
            return html`<label>${param.label}
              <input type=${param.type === 'number' ? 'number' : 'text'} data-param=${param.name} .value=${value === null || value === undefined ? '' : String(value)}
                @change=${(e: Event) => change((e.target as HTMLInputElement).value)} /></label>`;
        }
      })}
    </div>`;
  }

  private renderBlock(notebook: Notebook, block: Block) {
    switch (block.kind) {
      case 'front-matter':
        return nothing;
      case 'markdown':
        return html`<div class="prose">${unsafeHTML(markdownToHtml(block.text))}</div>`; // escaped by markdownToHtml
      case 'sql':
        return this.renderCell(notebook, block);
      case 'chart':
        return this.renderChart(block, notebook.blocks.indexOf(block));
    }
  }

  private renderCell(notebook: Notebook, cell: SqlBlock) {
    const index = sqlCells(notebook).indexOf(cell);
    const result = this.results.get(index);
    const lines = cell.body.replace(/\n$/, '').split('\n').length;
    return html`<section class="cell" data-cell=${cell.id ?? index}>
      <div class="cell-head">
        <b>${cell.id ?? `cell ${index + 1}`}</b><span>line ${cell.line}</span><span class="spacer"></span>
        <button class="link run-cell" @click=${() => this.run([index])}>Run</button>
        ${cell.id
          ? html`<button class="link" @click=${() => this.exportCell(index, 'csv')}>CSV</button><button class="link" @click=${() => this.exportCell(index, 'parquet')}>Parquet</button>`
          : nothing}
      </div>
      <textarea rows=${Math.min(20, lines)} spellcheck="false" .value=${live(cell.body.replace(/\n$/, ''))} @input=${(e: Event) => this.editBlock(cell, (e.target as HTMLTextAreaElement).value)}></textarea>
      ${result ? this.renderResult(result) : nothing}
    </section>`;
  }

  private renderResult(result: CellResult) {
    const rows = `${result.rowCount.toLocaleString()} row${result.rowCount === 1 ? '' : 's'}`;
    return html`
      ${result.error
        ? html`<p class="cell-error" role="alert">${result.error.message}</p>`
        : html`<p class="status">${result.status === 'running' ? `running… ${rows}` : `${rows} · ${result.ms} ms`}
            ${result.limit ? html`<span class="limit" data-limit=${result.limit.kind}> · ${result.limit.message}</span>` : nothing}</p>`}
      ${result.columns.length ? html`<result-grid .columns=${result.columns} .rows=${result.rows} .version=${this.version}></result-grid>` : nothing}
    `;
  }

  private renderChart(block: ChartBlock, position: number) {
    const drawn = this.charts.get(position);
    return html`
      ${drawn === undefined ? nothing : typeof drawn === 'string' ? html`<p class="cell-error">${drawn}</p>` : html`<figure class="chart">${drawn}</figure>`}
      <details><summary>chart of ${block.chart?.cell ?? '?'} (line ${block.line})</summary>
        <textarea rows=${Math.min(10, block.body.split('\n').length)} spellcheck="false" .value=${live(block.body.replace(/\n$/, ''))}
          @input=${(e: Event) => this.editBlock(block, (e.target as HTMLTextAreaElement).value)}></textarea>
      </details>
    `;
  }

  private async load(): Promise<void> {
    this.stopRun?.abort();
    this.error = '';
    this.results = new Map();
    this.charts = new Map();
    if (!this.name) {
      try {
        this.list = await notebooksApi.list();
      } catch (error) {
        this.error = errorText(error);
      }
      return;
    }
    try {
      const file = await notebooksApi.open(this.name);
      this.saved = file.text;
      this.setText(file.text);
      this.editSource = false;
      this.values = Object.fromEntries(this.notebook!.params.map((param) => [param.name, param.default]));
      await this.loadChoices();
      await this.run();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /** Runs and people for the param controls. */
  private async loadChoices(): Promise<void> {
    const types = new Set(this.notebook?.params.map((param) => param.type));
    if (types.has('run')) this.runs = await api.runs().then((runs) => runs.filter((run) => run.status === 'succeeded').reverse(), () => []);
    if (types.has('person')) this.people = await api.people().catch(() => []);
  }

  private setText(text: string): void {
    this.text = text;
    this.notebook = parseNotebook(text);
  }

  private editBlock(block: SqlBlock | ChartBlock, body: string): void {
    if (!this.notebook) return;
    this.setText(withBlockBody(this.notebook, block, body));
    if (block.kind === 'chart') void this.drawCharts(); // a changed chart redraws from the rows it has
  }

  private setParam(name: string, value: unknown): void {
    this.values = { ...this.values, [name]: value };
    void this.run(); // a run or any other param changed: the notebook follows
  }

  /** Runs the cells (all, or these and what they use) on the text as edited, streaming the results in. */
  async run(cells?: number[]): Promise<void> {
    if (!this.notebook) return;
    this.stopRun?.abort();
    const stop = new AbortController();
    this.stopRun = stop;
    const started = performance.now();
    this.timings = { firstRowsMs: null, renderedMs: null };
    if (!cells) {
      this.results = new Map();
      this.charts = new Map();
    }
    this.running = true;
    this.error = '';
    const onLine = (line: RunLine) => {
      if (stop.signal.aborted) return;
      if (line.type === 'error') this.error = line.message;
      else if (line.type !== 'params') {
        applyEvent(this.results, line);
        if (line.type === 'rows' && this.timings.firstRowsMs === null) {
          // On screen once the grid has drawn them: the next frame after this update.
          this.timings.firstRowsMs = -1;
          void this.updateComplete.then(() => requestAnimationFrame(() => (this.timings.firstRowsMs = performance.now() - started)));
        }
      }
      this.scheduleRender();
    };
    try {
      await notebooksApi.run(this.name, { text: this.text, params: this.values, cells }, onLine, stop.signal);
    } catch (error) {
      if (!stop.signal.aborted) this.error = errorText(error);
    }
    if (stop.signal.aborted) return;
    this.running = false;
    await this.drawCharts();
    this.version++;
    await this.updateComplete;
    requestAnimationFrame(() => (this.timings.renderedMs = performance.now() - started));
  }

  /** At most one redraw per frame while rows stream in. */
  private scheduleRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.version++;
    });
  }

  /** Draws every chart whose cell has finished (a chart's problem is shown in its place); Plot loads on the first chart. */
  private async drawCharts(): Promise<void> {
    if (!this.notebook) return;
    const { plotChart } = await import('../../notebook/plot-chart.ts');
    const cells = sqlCells(this.notebook);
    const charts = new Map<number, Element | string>();
    for (const [position, block] of this.notebook.blocks.entries()) {
      if (block.kind !== 'chart' || !block.chart) continue;
      const chart = block.chart;
      const index = cells.findIndex((cell) => cell.id?.toLowerCase() === chart.cell.toLowerCase());
      const result = this.results.get(index);
      if (!result || result.status !== 'done') continue;
      const missing = missingColumns(chart, result.columns.map((column) => column.name));
      if (missing.length) {
        charts.set(position, `chart (line ${block.line}): no such column in cell '${chart.cell}': ${missing.join(', ')}`);
        continue;
      }
      try {
        charts.set(position, plotChart(chart, rowObjects(result.columns, result.rows), document));
      } catch (error) {
        charts.set(position, `chart (line ${block.line}): ${errorText(error)}`);
      }
    }
    this.charts = charts;
  }

  /** Writes a starter notebook under the name typed (never over an existing one) and opens it. */
  private async create(event: Event): Promise<void> {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#new-name')!;
    const typed = input.value.trim();
    if (!typed) return;
    const name = typed.endsWith('.md') ? typed : `${typed}.md`;
    if (this.list?.some((item) => item.name === name)) {
      location.hash = `#/notebooks/${encodeURIComponent(name)}`;
      return;
    }
    try {
      await notebooksApi.save(name, STARTER);
      location.hash = `#/notebooks/${encodeURIComponent(name)}`;
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private async save(): Promise<void> {
    try {
      const file = await notebooksApi.save(this.name, this.text);
      this.saved = file.text;
      notify(this, { message: `Saved ${this.name}${file.problems.length ? ` (${file.problems.length} problems)` : ''}` });
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
  }

  private async exportCell(cell: number, format: 'csv' | 'parquet'): Promise<void> {
    try {
      await notebooksApi.export(this.name, { text: this.text, params: this.values, cell, format });
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
  }
}
