// <clusters-view>: the latest run's clusters that nobody is named in yet,
// largest first, each with its faces and a field to name it in one action.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { api, errorText, reviewApi, type Cluster, type ClusterSuggestion, type Person } from './api.ts';
import './cluster-card.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'clusters-view': ClustersView;
  }
}

const STEP = 20;

@customElement('clusters-view')
export class ClustersView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .list {
        display: flex;
        flex-direction: column;
        gap: 1rem;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private clusters: Cluster[] = [];
  @state() private people: Person[] = [];
  /** "Is this Anna?" per cluster whose faces all point to one person. */
  @state() private suggestions: ReadonlyMap<number, ClusterSuggestion> = new Map();
  @state() private shown = STEP;
  @state() private loaded = false;
  @state() private error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation')) void this.load();
  }

  override render() {
    const faces = this.clusters.reduce((sum, c) => sum + c.faces, 0);
    return html`
      <h1>Clusters</h1>
      <p class="muted">
        ${this.loaded ? `${this.clusters.length} unnamed ${this.clusters.length === 1 ? 'cluster' : 'clusters'}, ${faces} faces. Largest first.` : 'Loading…'}
      </p>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.loaded && this.clusters.length === 0 && !this.error ? html`<p class="muted">Every cluster has a name.</p>` : nothing}
      <div class="list" @cluster-named=${this.onNamed}>
        ${repeat(
          this.clusters.slice(0, this.shown),
          (c) => c.clusterId,
          (c) => html`<cluster-card .cluster=${c} .people=${this.people} .suggestion=${this.suggestions.get(c.clusterId)}></cluster-card>`,
        )}
      </div>
      ${this.clusters.length > this.shown ? html`<div class="toolbar"><button @click=${() => (this.shown += STEP)}>Show more clusters</button></div>` : nothing}
    `;
  }

  private async load(): Promise<void> {
    try {
      const [clusters, people, suggestions] = await Promise.all([
        api.clusters({ run: 'latest', unnamed: true }),
        api.people({ hidden: true, sort: 'name' }),
        reviewApi.clusters().catch(() => [] as ClusterSuggestion[]), // the clusters still show without suggestions
      ]);
      this.suggestions = new Map(suggestions.map((s) => [s.clusterId, s]));
      this.clusters = clusters.filter((c) => c.clusterId >= 0).sort((a, b) => b.faces - a.faces || a.clusterId - b.clusterId);
      this.people = people;
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
    this.loaded = true;
  }

  private onNamed(event: CustomEvent<{ clusterId: number }>): void {
    this.clusters = this.clusters.filter((c) => c.clusterId !== event.detail.clusterId);
  }
}
