// <sweep-panel>: one sweep of `mnemo sweep`: its settings as a table, F1 and
// the strangers share against the swept parameter as a chart (Observable
// Plot, loaded when first needed), the best setting marked, and one action
// that writes it into mnemo.yaml.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { compareApi, errorText, type AdoptResult, type SweepDetail, type SweepSettingRow } from './api.ts';
import { notify } from './notify.ts';
import { controls, numberTable } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'sweep-panel': SweepPanel;
  }
}

const fixed = (x: number | null, digits = 3) => (x === null ? '–' : x.toFixed(digits));
const valueText = (value: unknown) => (value === null || value === undefined ? 'not set (default)' : typeof value === 'string' ? value : JSON.stringify(value));

@customElement('sweep-panel')
export class SweepPanel extends LitElement {
  static override styles = [
    controls,
    numberTable,
    css`
      :host {
        display: block;
      }
      tr.best td {
        background: #eef6ee;
        font-weight: 600;
      }
      .chart {
        margin: 1rem 0;
        min-height: 260px;
      }
      .adopt {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        flex-wrap: wrap;
        padding: 0.75rem 1rem;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
      }
      code {
        font-size: 0.85rem;
      }
    `,
  ];

  /** The sweep id to show. */
  @property() sweepId = '';

  @state() private detail: SweepDetail | null = null;
  @state() private error = '';
  @state() private adopting = false;
  @state() private adopted: AdoptResult | null = null;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('sweepId') && this.sweepId) void this.load();
  }

  override updated(): void {
    void this.drawChart();
  }

  override render() {
    if (this.error) return html`<p class="error">${this.error}</p>`;
    const detail = this.detail;
    if (!detail) return html`<p class="muted">Loading the sweep…</p>`;
    const best = detail.best;
    const isBestAdopted = best !== null && detail.keys.every((key) => JSON.stringify(detail.current[key]) === JSON.stringify(best.values[key]));
    return html`
      <p class="muted">${detail.settings} settings of ${detail.keys.join(', ')}; F1 and ARI are of the clusters ${detail.reference}.</p>
      <div class="chart" aria-label="F1 and strangers share against ${detail.keys[0]}"></div>
      <table>
        <thead>
          <tr><th>setting</th><th>run</th><th>clusters</th><th>strangers</th><th>F1</th><th>ARI</th><th>person F1</th></tr>
        </thead>
        <tbody>
          ${detail.rows.map((row) => this.renderRow(row, row.runId === best?.runId))}
        </tbody>
      </table>
      <h2>Adopt</h2>
      ${best
        ? html`<div class="adopt">
            <span>Best: <code>${best.setting}</code> (F1 ${fixed(best.f1)}, strangers ${fixed(best.strangersShare)}).</span>
            <span class="muted">${detail.configPath} has ${detail.keys.map((key) => `${key}: ${valueText(detail.current[key])}`).join(', ')}.</span>
            <span class="spacer"></span>
            <button class="primary" data-action="adopt" ?disabled=${this.adopting || isBestAdopted} @click=${this.onAdopt}>
              ${isBestAdopted ? 'Adopted in mnemo.yaml' : 'Adopt into mnemo.yaml'}
            </button>
          </div>`
        : html`<p class="muted">No setting could be scored (import gold with <code>mnemo gold import faces FILE.csv</code>), so there is no best one.</p>`}
      ${this.adopted ? html`<p class="adopted" role="status">${this.adoptedText(this.adopted)}</p>` : nothing}
    `;
  }

  private renderRow(row: SweepSettingRow, best: boolean) {
    return html`<tr class=${best ? 'best' : ''} data-run=${row.runId}>
      <td>${best ? '★ ' : ''}${row.setting}</td>
      <td>${row.status === 'succeeded' ? row.runId : html`<span class="error" title=${row.message ?? ''}>${row.runId} failed</span>`}</td>
      <td>${row.clusters ?? '–'}</td>
      <td>${row.strangersShare === null ? '–' : `${(row.strangersShare * 100).toFixed(1)} %`}</td>
      <td>${fixed(row.f1)}</td>
      <td>${fixed(row.ari)}</td>
      <td>${fixed(row.personF1)}</td>
    </tr>`;
  }

  private adoptedText(result: AdoptResult): string {
    if (result.unchanged) return `${result.configPath} already has ${result.setting}: nothing written.`;
    return `Wrote into ${result.configPath}: ${result.changes.map((c) => `${c.key} ${valueText(c.from)} → ${valueText(c.to)}`).join(', ')}. The next run uses it.`;
  }

  private async load(): Promise<void> {
    this.detail = null;
    this.adopted = null;
    try {
      this.detail = await compareApi.sweep(this.sweepId);
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private drawn: SweepDetail | null = null;

  /** The chart: F1 and strangers share per value of the first swept parameter, the best value marked. */
  private async drawChart(): Promise<void> {
    const detail = this.detail;
    const box = this.renderRoot.querySelector<HTMLElement>('.chart');
    if (!detail || !box || this.drawn === detail) return;
    this.drawn = detail;
    const Plot = await import('@observablehq/plot');
    const key = detail.keys[0]!;
    const others = detail.keys.slice(1);
    const scored = detail.rows.filter((row) => row.status === 'succeeded');
    const series = (row: SweepSettingRow) => others.map((k) => `${k}=${valueText(row.values[k])}`).join(' ');
    const points = scored.flatMap((row) => [
      { x: row.values[key], measure: 'F1 (clusters)', value: row.f1, series: `F1 ${series(row)}` },
      { x: row.values[key], measure: 'strangers share', value: row.strangersShare, series: `strangers ${series(row)}` },
    ]).filter((p) => p.value !== null);
    const numeric = scored.every((row) => typeof row.values[key] === 'number');
    const best = detail.best;
    const chart = Plot.plot({
      width: Math.min(720, box.clientWidth || 720),
      height: 260,
      marginLeft: 48,
      x: { label: key, type: numeric ? 'linear' : 'point' },
      y: { label: 'share', domain: [0, 1], grid: true },
      color: { legend: true, domain: ['F1 (clusters)', 'strangers share'], range: ['#2f6fb0', '#d0822b'] },
      marks: [
        Plot.line(points, { x: 'x', y: 'value', stroke: 'measure', z: 'series', sort: { channel: 'x' } as never }),
        Plot.dot(points, { x: 'x', y: 'value', fill: 'measure', r: 3.5 }),
        ...(best ? [Plot.ruleX([best.values[key]], { stroke: '#3d7a4a', strokeDasharray: '4 3' }), Plot.text([best.values[key]], { x: (d: unknown) => d, frameAnchor: 'top', dy: 6, text: () => '★ best', textAnchor: 'start', dx: 5, fill: '#3d7a4a', fontWeight: 600 })] : []),
      ],
    });
    box.replaceChildren(chart);
  }

  private async onAdopt(): Promise<void> {
    if (!this.detail) return;
    this.adopting = true;
    try {
      this.adopted = await compareApi.adopt(this.detail.sweepId);
      notify(this, { message: this.adoptedText(this.adopted) });
      const sweepId = this.detail.sweepId;
      const fresh = await compareApi.sweep(sweepId);
      this.drawn = fresh; // the same chart: keep it
      this.detail = fresh;
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    } finally {
      this.adopting = false;
    }
  }
}
