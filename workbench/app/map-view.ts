// <map-view>: the face map of the latest run with what a selection can do.
// Hover a point to see the face; shift+drag to lasso faces; the selection
// shows as a grid beside the map and can go to a new or existing person, or
// be marked as strangers or not faces.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { api, cropUrl, errorText, type FaceMapData, type Person } from './api.ts';
import { applyChoice } from './decisions.ts';
import './face-grid.ts';
import './face-map.ts';
import type { FaceMap, MapColoring } from './face-map.ts';
import { notify } from './notify.ts';
import { controls } from './shared-styles.ts';
import './target-picker.ts';
import type { TargetChoice } from './target-picker.ts';

declare global {
  interface HTMLElementTagNameMap {
    'map-view': MapView;
  }
}

/** The selection grid shows this many faces at most. */
const GRID_LIMIT = 200;

@customElement('map-view')
export class MapView extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        height: calc(100vh - 3rem);
      }
      .layout {
        flex: 1;
        min-height: 0;
        display: grid;
        grid-template-columns: minmax(0, 1fr) 22rem;
        gap: 1rem;
      }
      .stage {
        position: relative;
        min-height: 0;
      }
      face-map {
        position: absolute;
        inset: 0;
      }
      .tip {
        position: absolute;
        pointer-events: none;
        width: 96px;
        height: 96px;
        border-radius: 8px;
        overflow: hidden;
        border: 2px solid var(--mn-surface);
        box-shadow: 0 4px 14px rgb(0 0 0 / 0.2);
        background: var(--mn-border);
        transform: translate(-50%, calc(-100% - 12px));
        z-index: 2;
      }
      .tip img {
        width: 100%;
        height: 100%;
        object-fit: cover;
      }
      aside {
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        padding: 1rem;
        overflow: auto;
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
      }
      aside h2 {
        margin: 0;
      }
      face-grid {
        --face-size: 64px;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private data: FaceMapData | null = null;
  @state() private coloring: MapColoring = 'cluster';
  @state() private selection: number[] = [];
  @state() private hover: { index: number; x: number; y: number } | null = null;
  @state() private people: Person[] = [];
  @state() private busy = false;
  @state() private error = '';

  @query('face-map') private map!: FaceMap;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation')) void this.load();
  }

  override render() {
    const n = this.data?.faceIds.length ?? 0;
    const selectedIds = this.selection.map((i) => this.data!.faceIds[i]);
    return html`
      <div class="toolbar">
        <h1>Face map</h1>
        <span class="muted">${this.data ? `${n} faces · run ${this.data.runId}` : this.error ? '' : 'Loading…'}</span>
        <span class="spacer"></span>
        <label for="coloring" class="muted">Colour by</label>
        <select id="coloring" .value=${this.coloring} @change=${(e: Event) => (this.coloring = (e.target as HTMLSelectElement).value as MapColoring)}>
          <option value="cluster">cluster</option>
          <option value="person">person</option>
          <option value="stranger">stranger</option>
          <option value="quality">quality</option>
        </select>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      <div class="layout">
        <div class="stage">
          <face-map .data=${this.data} .coloring=${this.coloring} @map-select=${this.onSelect} @map-hover=${this.onHover}></face-map>
          ${this.hover && this.data
            ? html`<div class="tip" style="left:${this.hover.x}px;top:${this.hover.y}px"><img src=${cropUrl(this.data.faceIds[this.hover.index], 192)} alt="" /></div>`
            : nothing}
        </div>
        <aside>
          ${this.selection.length === 0
            ? html`<h2>Selection</h2>
                <p class="muted">Hold Shift and drag around faces to select them. Hover a point to see its face. Double-click or Esc clears the selection.</p>`
            : html`<h2>${this.selection.length} ${this.selection.length === 1 ? 'face' : 'faces'} selected</h2>
                <target-picker .people=${this.people} .count=${this.selection.length} .busy=${this.busy} @target-chosen=${this.onTarget}></target-picker>
                <div><button class="link" @click=${() => this.map.select([])}>Clear selection</button></div>
                <face-grid .items=${selectedIds.slice(0, GRID_LIMIT).map((faceId) => ({ faceId }))}></face-grid>
                ${this.selection.length > GRID_LIMIT ? html`<p class="muted">and ${this.selection.length - GRID_LIMIT} more</p>` : nothing}`}
        </aside>
      </div>
    `;
  }

  private async load(): Promise<void> {
    try {
      // The directory (for the target picker) does not hold up the points.
      void api.people({ hidden: false, sort: 'name' }).then((people) => (this.people = people), (error: unknown) => (this.error = errorText(error)));
      const data = await api.map('latest');
      // A reload after a decision keeps the points (and the view) when they did not move.
      if (!this.data || this.data.runId !== data.runId || !sameColumns(this.data, data)) {
        this.data = data;
        this.selection = [];
      }
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private onSelect(event: CustomEvent<{ indices: number[] }>): void {
    this.selection = event.detail.indices;
  }

  private onHover(event: CustomEvent<{ index: number; x: number; y: number }>): void {
    this.hover = event.detail.index < 0 ? null : event.detail;
  }

  private async onTarget(event: CustomEvent<TargetChoice>): Promise<void> {
    const data = this.data;
    if (!data) return;
    const faceIds = this.selection.map((i) => data.faceIds[i]);
    this.busy = true;
    try {
      const { message, batchId } = await applyChoice(faceIds, event.detail, this.people);
      notify(this, { message, undoable: true, batchId });
      this.map.select([]);
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    this.busy = false;
  }
}

function sameColumns(a: FaceMapData, b: FaceMapData): boolean {
  if (a.faceIds.length !== b.faceIds.length) return false;
  for (let i = 0; i < a.faceIds.length; i++) {
    if (a.faceIds[i] !== b.faceIds[i] || a.cluster[i] !== b.cluster[i] || a.person[i] !== b.person[i] || a.stranger[i] !== b.stranger[i]) return false;
  }
  return true;
}
