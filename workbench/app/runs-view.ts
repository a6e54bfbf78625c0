// <runs-view>: the runs, newest first, and "Run now": starts a run and shows
// each node's progress live from the run's event stream.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { api, errorText, subscribe, type RunEvent, type RunRow } from './api.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'runs-view': RunsView;
  }
}

interface NodeProgress {
  node: string;
  state: 'waiting' | 'running' | 'done' | 'reused' | 'failed';
  done: number;
  total: number;
  perSecond: number;
  note: string;
}

interface LiveRun {
  runId: number;
  nodes: NodeProgress[];
  finished: RunEvent | null;
  errors: number;
}

const seconds = (s: number | null): string => (s === null ? '' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

@customElement('runs-view')
export class RunsView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      table {
        width: 100%;
        border-collapse: collapse;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        font-size: 0.9rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.5rem 0.75rem;
        border-bottom: 1px solid var(--mn-border);
      }
      th {
        font-weight: 500;
        color: var(--mn-muted);
      }
      td.num,
      th.num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .status-succeeded {
        color: #3d7a4a;
      }
      .status-failed,
      .status-interrupted {
        color: var(--mn-danger);
      }
      .live {
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        padding: 1rem;
        margin-bottom: 1.25rem;
      }
      .live h2 {
        margin: 0 0 0.75rem;
      }
      .node {
        display: grid;
        grid-template-columns: 8rem 1fr 12rem;
        align-items: center;
        gap: 0.75rem;
        font-size: 0.88rem;
        padding: 0.2rem 0;
      }
      progress {
        appearance: none;
        width: 100%;
        height: 0.45rem;
        border: none;
        border-radius: 999px;
        background: var(--mn-border);
        overflow: hidden;
      }
      progress::-webkit-progress-bar {
        background: var(--mn-border);
      }
      progress::-webkit-progress-value {
        background: var(--mn-accent);
        border-radius: 999px;
      }
      .message {
        color: var(--mn-muted);
        max-width: 24rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private runs: RunRow[] = [];
  @state() private live: LiveRun | null = null;
  @state() private starting = false;
  @state() private error = '';
  /** Why "Run now" did not start a run (kept across reloads of the table). */
  @state() private runError = '';
  @state() private loaded = false;

  private closeStream: (() => void) | undefined;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation')) void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.closeStream?.();
  }

  override render() {
    const running = this.live !== null && this.live.finished === null;
    return html`
      <div class="toolbar">
        <h1>Runs</h1>
        <span class="spacer"></span>
        <button class="primary" id="run-now" ?disabled=${running || this.starting} @click=${this.runNow}>${running ? 'Running…' : 'Run now'}</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing} ${this.runError ? html`<p class="error">${this.runError}</p>` : nothing}
      ${this.live ? this.renderLive(this.live) : nothing}
      ${this.loaded && this.runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : nothing}
      ${this.runs.length
        ? html`<table>
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Started</th>
                <th class="num">Time</th>
                <th class="num">Computed</th>
                <th class="num">Reused</th>
                <th class="num">Errors</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              ${this.runs.map(
                (r) => html`<tr>
                  <td>${r.runId}</td>
                  <td class="status-${r.status}">${r.status}</td>
                  <td>${new Date(r.started).toLocaleString()}</td>
                  <td class="num">${seconds(r.seconds)}</td>
                  <td class="num">${r.computed}</td>
                  <td class="num">${r.reused}</td>
                  <td class="num">${r.errors || ''}</td>
                  <td class="message" title=${r.message ?? ''}>${r.message ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : nothing}
    `;
  }

  private renderLive(live: LiveRun) {
    const finished = live.finished?.type === 'run-finished' ? live.finished : null;
    return html`<section class="live" aria-live="polite">
      <h2>Run ${live.runId}${finished ? ` ${finished.status}` : ' running'}${live.errors ? html` <span class="muted">· ${live.errors} item errors</span>` : nothing}</h2>
      ${live.nodes.map(
        (n) => html`<div class="node" data-node=${n.node}>
          <span>${n.node}</span>
          <progress max=${n.total || 1} value=${n.state === 'waiting' ? 0 : n.state === 'running' ? (n.total ? n.done : 0) : n.total || 1}></progress>
          <span class="muted">${n.note}</span>
        </div>`,
      )}
      ${finished?.message ? html`<p class="error">${finished.message}</p>` : nothing}
    </section>`;
  }

  private async load(): Promise<void> {
    try {
      this.runs = [...(await api.runs())].sort((a, b) => b.runId - a.runId);
      this.error = '';
    } catch (error) {
      // No catalog yet is not an error here: there are simply no runs.
      this.runs = [];
      this.error = /no mnemo catalog/i.test(errorText(error)) ? '' : errorText(error);
    }
    this.loaded = true;
  }

  private async runNow(): Promise<void> {
    this.starting = true;
    this.runError = '';
    try {
      const { runId } = await api.startRun();
      this.live = { runId, nodes: [], finished: null, errors: 0 };
      this.closeStream?.();
      this.closeStream = subscribe<RunEvent>(`/api/runs/${runId}/events`, (event) => this.onRunEvent(event));
      void this.load();
    } catch (error) {
      this.runError = errorText(error);
    }
    this.starting = false;
  }

  private onRunEvent(event: RunEvent): void {
    const live = this.live;
    if (!live) return;
    const node = (name: string): NodeProgress => {
      let found = live.nodes.find((n) => n.node === name);
      if (!found) {
        found = { node: name, state: 'waiting', done: 0, total: 0, perSecond: 0, note: '' };
        live.nodes.push(found);
      }
      return found;
    };
    switch (event.type) {
      case 'run-started':
        for (const name of event.nodes) node(name);
        break;
      case 'node-started':
        Object.assign(node(event.node), { state: 'running', note: 'running' });
        break;
      case 'node-progress': {
        const rate = event.perSecond >= 10 ? event.perSecond.toFixed(0) : event.perSecond.toFixed(1);
        Object.assign(node(event.node), { state: 'running', done: event.done, total: event.total, perSecond: event.perSecond, note: `${event.done}/${event.total || '?'} · ${rate}/s` });
        break;
      }
      case 'node-finished': {
        const note =
          event.status === 'reused' ? `reused from run ${event.reusedFrom}` : event.status === 'failed' ? `failed: ${event.message ?? ''}` : `${(event.durationMs / 1000).toFixed(1)} s · ${event.rows} rows`;
        Object.assign(node(event.node), { state: event.status, note });
        break;
      }
      case 'item-error':
        live.errors++;
        break;
      case 'run-finished':
        live.finished = event;
        this.closeStream?.();
        this.closeStream = undefined;
        void this.load();
        break;
    }
    this.live = { ...live, nodes: [...live.nodes] };
  }
}
