// <compare-view>: two runs side by side (the report of `mnemo report
// compare`: the count deltas, the parameters that differ, the cluster
// correspondence as a flow, the faces that changed person, accuracy against
// gold with intervals and the paired test's verdict), or a sweep with its
// best setting and the action to adopt it. #/compare/A/B opens two runs,
// #/compare/sweep/ID a sweep.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { api, compareApi, errorText, type CompareView as CompareData, type RunRow, type SweepSummary } from './api.ts';
import './cluster-flow.ts';
import './face-grid.ts';
import { controls, numberTable, viewHost } from './shared-styles.ts';
import './sweep-panel.ts';

declare global {
  interface HTMLElementTagNameMap {
    'compare-view': CompareView;
  }
}

type Report = CompareData['report'];
type Estimate = Report['accuracy']['sections'][number]['metrics'][number]['runs'][number];

const number = (x: number | null, digits = 0) => (x === null ? '–' : Number.isInteger(x) && digits === 0 ? x.toLocaleString('en') : x.toFixed(digits || 3));
const signed = (x: number | null, digits = 0) => (x === null ? '–' : x === 0 ? '0' : `${x > 0 ? '+' : '−'}${number(Math.abs(x), digits)}`);
const share = (key: string) => key.endsWith('share');
const interval = (e: Estimate | null) => (e === null || e.value === null ? '–' : `${e.value.toFixed(3)} [${e.low?.toFixed(3) ?? '–'}–${e.high?.toFixed(3) ?? '–'}]`);
const valueText = (value: unknown) => (value === null || value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value));

/** What #/compare/... names: two runs, or a sweep. */
function routeOf(hash: string): { a?: string; b?: string; sweep?: string } {
  const [, , first, second] = hash.replace(/^#/, '').split('/').map((part) => decodeURIComponent(part));
  if (first === 'sweep' && second) return { sweep: second };
  return first && second ? { a: first, b: second } : {};
}

@customElement('compare-view')
export class CompareView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    numberTable,
    css`
      .up {
        color: #3d7a4a;
      }
      .down {
        color: var(--mn-danger);
      }
      .tabs button[aria-pressed='true'] {
        border-color: var(--mn-accent);
        background: var(--mn-accent-soft, #e8eef6);
      }
      .grid2 {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr));
        gap: 1.25rem;
        align-items: start;
      }
      .summary {
        display: flex;
        gap: 1.5rem;
        flex-wrap: wrap;
        font-size: 0.9rem;
        margin: 0.5rem 0;
      }
      .summary b {
        font-variant-numeric: tabular-nums;
      }
      .verdict {
        margin: 0.3rem 0 1rem;
        padding: 0.5rem 0.75rem;
        border-left: 3px solid var(--mn-border);
        background: var(--mn-surface);
        font-size: 0.9rem;
      }
      .verdict.significant {
        border-left-color: #3d7a4a;
      }
      .missing li {
        color: var(--mn-muted);
        font-size: 0.85rem;
      }
      face-grid {
        --face-size: 72px;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private mode: 'runs' | 'sweep' = 'runs';
  @state() private runs: RunRow[] = [];
  @state() private sweeps: SweepSummary[] = [];
  @state() private a = '';
  @state() private b = '';
  @state() private sweepId = '';
  @state() private data: CompareData | null = null;
  @state() private loading = false;
  @state() private error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation')) void this.loadLists();
  }

  private async loadLists(): Promise<void> {
    const route = routeOf(location.hash);
    if (route.sweep) {
      this.mode = 'sweep';
      this.sweepId = route.sweep;
    } else if (route.a && route.b) {
      [this.a, this.b] = [route.a, route.b];
    } else if (!this.a) {
      // Named, not numbered: sweep runs never become latest or previous.
      [this.a, this.b] = ['previous', 'latest'];
    }
    // The comparison does not wait for the lists (each list opens the catalog).
    const comparing = this.mode === 'runs' ? this.loadComparison() : Promise.resolve();
    try {
      const [runs, sweeps] = await Promise.all([api.runs(), compareApi.sweeps()]);
      this.runs = runs.filter((run) => run.status === 'succeeded').reverse();
      this.sweeps = sweeps;
      this.sweepId ||= sweeps[0]?.sweepId ?? '';
    } catch (error) {
      this.error = errorText(error);
    }
    await comparing;
  }

  private async loadComparison(): Promise<void> {
    this.loading = true;
    try {
      this.data = await compareApi.compare(this.a, this.b);
      this.error = '';
    } catch (error) {
      this.data = null;
      this.error = errorText(error);
    } finally {
      this.loading = false;
    }
  }

  override render() {
    return html`
      <h1>Compare</h1>
      <div class="toolbar tabs">
        <button aria-pressed=${this.mode === 'runs'} @click=${() => this.setMode('runs')}>Two runs</button>
        <button aria-pressed=${this.mode === 'sweep'} @click=${() => this.setMode('sweep')}>A sweep</button>
        <span class="spacer"></span>
        ${this.mode === 'runs' ? this.renderRunPicker() : this.renderSweepPicker()}
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.mode === 'sweep'
        ? this.sweepId
          ? html`<sweep-panel .sweepId=${this.sweepId}></sweep-panel>`
          : html`<p class="muted">No sweeps yet: <code>mnemo sweep cluster.threshold=0.5:0.7:0.05</code> makes one.</p>`
        : this.renderComparison()}
    `;
  }

  private setMode(mode: 'runs' | 'sweep'): void {
    this.mode = mode;
    if (mode === 'runs' && !this.data && this.a && this.b) void this.loadComparison();
  }

  private renderRunPicker() {
    const options = (selected: string) => [
      html`<option value="previous" ?selected=${selected === 'previous'}>previous full run</option>`,
      html`<option value="latest" ?selected=${selected === 'latest'}>latest full run</option>`,
      ...this.runs.map((run) => html`<option value=${run.runId} ?selected=${String(run.runId) === selected}>Run ${run.runId} · ${run.started}</option>`),
    ];
    return html`
      <label>A <select name="a" @change=${(e: Event) => this.pick('a', (e.target as HTMLSelectElement).value)}>${options(this.a)}</select></label>
      <label>B <select name="b" @change=${(e: Event) => this.pick('b', (e.target as HTMLSelectElement).value)}>${options(this.b)}</select></label>
    `;
  }

  private renderSweepPicker() {
    if (this.sweeps.length === 0) return nothing;
    return html`<label>Sweep <select name="sweep" @change=${(e: Event) => (this.sweepId = (e.target as HTMLSelectElement).value)}>
      ${this.sweeps.map((s) => html`<option value=${s.sweepId} ?selected=${s.sweepId === this.sweepId}>${s.keys.join(', ')} · ${s.settings} settings · ${s.startedAt}</option>`)}
    </select></label>`;
  }

  private pick(side: 'a' | 'b', value: string): void {
    this[side] = value;
    history.replaceState(null, '', `#/compare/${encodeURIComponent(this.a)}/${encodeURIComponent(this.b)}`);
    void this.loadComparison();
  }

  private renderComparison() {
    if (!this.data) return html`<p class="muted">${this.loading ? 'Comparing…' : this.runs.length < 2 ? 'Two succeeded runs are needed to compare.' : ''}</p>`;
    const report = this.data.report;
    const clusters = report.clusters;
    const c = clusters?.correspondence;
    return html`
      <p class="muted">Run ${report.a.runId} (${report.a.startedAt.slice(0, 16).replace('T', ' ')}) → run ${report.b.runId} (${report.b.startedAt.slice(0, 16).replace('T', ' ')})${this.loading ? ' · updating…' : ''}</p>
      <div class="grid2">
        <section>
          <h2>Counts</h2>
          ${this.renderCounts(report)}
        </section>
        <section>
          <h2>Parameters that differ</h2>
          ${report.params.length === 0
            ? html`<p class="muted">The same parameters.</p>`
            : html`<table class="params"><thead><tr><th>parameter</th><th>A</th><th>B</th></tr></thead>
                <tbody>${report.params.map((p) => html`<tr><td>${p.key}</td><td>${valueText(p.a)}</td><td>${valueText(p.b)}</td></tr>`)}</tbody></table>`}
          <h2>Nodes</h2>
          <table class="nodes"><thead><tr><th>node</th><th>A</th><th>B</th></tr></thead>
            <tbody>${report.nodes.map((n) => html`<tr><td>${n.node}</td><td>${this.timing(n.a)}</td><td>${this.timing(n.b)}</td></tr>`)}</tbody></table>
        </section>
      </div>
      <h2>Clusters</h2>
      ${clusters && c
        ? html`<div class="summary">
              <span>agreement: ARI <b>${number(clusters.ari, 3)}</b>, NMI <b>${number(clusters.nmi, 3)}</b></span>
              <span>kept <b>${c.kept.length}</b></span>
              <span>split <b>${c.split.length}</b></span>
              <span>merged <b>${c.merged.length}</b></span>
              <span>new <b>${c.new.length}</b></span>
              <span>vanished <b>${c.vanished.length}</b></span>
              <span>faces moved <b>${c.facesMoved}</b>, to noise <b>${c.facesToNoise}</b>, from noise <b>${c.facesFromNoise}</b></span>
            </div>
            <cluster-flow .flow=${this.data.flow} .runA=${report.a.runId} .runB=${report.b.runId}></cluster-flow>`
        : html`<p class="muted">A run has no clusters table.</p>`}
      ${this.renderPersons(report)}
      ${this.renderAccuracy(report)}
      ${report.missing.length ? html`<h2>Missing</h2><ul class="missing">${report.missing.map((line) => html`<li>${line}</li>`)}</ul>` : nothing}
    `;
  }

  private timing(t: Report['nodes'][number]['a']) {
    if (!t) return '–';
    if (t.status === 'reused') return html`<span class="muted">reused${t.reusedFrom ? ` from ${t.reusedFrom}` : ''}</span>`;
    return t.seconds === null ? t.status : `${t.seconds.toFixed(1)} s`;
  }

  private renderCounts(report: Report) {
    return html`<table class="counts">
      <thead><tr><th>count</th><th>A</th><th>B</th><th>change</th></tr></thead>
      <tbody>
        ${report.counts.map((count) => {
          const digits = share(count.key) ? 3 : 0;
          return html`<tr data-key=${count.key}>
            <td>${count.title}</td><td>${number(count.a, digits)}</td><td>${number(count.b, digits)}</td>
            <td class=${count.change === null || count.change === 0 ? '' : count.change > 0 ? 'up' : 'down'}>${signed(count.change, digits)}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  }

  private renderPersons(report: Report) {
    const persons = report.persons;
    if (!persons) return html`<h2>Faces that changed person</h2><p class="muted">A run has no person assignment.</p>`;
    const name = (id: number | null, known: string | null) => (id === null ? 'nobody' : known ?? `person ${id}`);
    return html`
      <h2>Faces that changed person</h2>
      <p class="muted">${persons.moved} of ${persons.sharedFaces} faces have another person in run ${report.b.runId}.</p>
      ${persons.moves.length
        ? html`<table class="moves"><thead><tr><th>from</th><th>to</th><th>faces</th></tr></thead>
            <tbody>${persons.moves.slice(0, 10).map((m) => html`<tr><td>${name(m.from, m.fromName)}</td><td>${name(m.to, m.toName)}</td><td>${m.faces}</td></tr>`)}</tbody></table>`
        : nothing}
      <p></p>
      <face-grid class="moved" .items=${persons.sampleFaceIds.slice(0, 60).map((faceId) => ({ faceId }))} .size=${96} empty="No face changed person."></face-grid>
    `;
  }

  private renderAccuracy(report: Report) {
    const accuracy = report.accuracy;
    return html`
      <h2>Accuracy against gold</h2>
      ${accuracy.sections.length === 0
        ? html`<p class="muted">No gold labels to measure against (<code>mnemo gold import faces FILE.csv</code>).</p>`
        : html`<p class="muted">${accuracy.goldFaces} gold faces, ${accuracy.goldPets} gold pets; value [95 % interval, ${accuracy.bootstrap.replicates} bootstrap resamples].</p>
            ${accuracy.sections.map(
              (section) => html`<section class="accuracy" data-key=${section.key}>
                <h3>${section.title} <span class="muted">(${section.items} items)</span></h3>
                <table>
                  <thead><tr><th>metric</th><th>run ${report.a.runId}</th><th>run ${report.b.runId}</th><th>B − A</th></tr></thead>
                  <tbody>${section.metrics.map((m) => html`<tr><td>${m.name}</td><td>${interval(m.runs[0] ?? null)}</td><td>${interval(m.runs[1] ?? null)}</td><td>${interval(m.difference)}</td></tr>`)}</tbody>
                </table>
                ${section.test
                  ? html`<p class="verdict ${section.test.significant ? 'significant' : ''}">${section.test.verdict} <span class="muted">(exact McNemar p = ${section.test.pValue.toPrecision(3)}; ${section.test.onlyA} right only in A, ${section.test.onlyB} only in B)</span></p>`
                  : nothing}
              </section>`,
            )}`}
    `;
  }
}
