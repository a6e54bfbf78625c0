// <face-map>: the run's UMAP of faces drawn with regl-scatterplot (WebGL; it
// also runs on software GL). Points are coloured by cluster, person, stranger
// or quality; shift+drag draws a lasso. A selection greys the other points
// rather than hiding them.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import createScatterplot from 'regl-scatterplot';
import type { FaceMapData } from './api.ts';

export type MapColoring = 'cluster' | 'person' | 'stranger' | 'quality';

declare global {
  interface HTMLElementTagNameMap {
    'face-map': FaceMap;
  }
  interface HTMLElementEventMap {
    /** The selected points changed (indices into the map's columns; empty: none). */
    'map-select': CustomEvent<{ indices: number[] }>;
    /** The pointer is over a point (index, position in the element), or left it (index -1). */
    'map-hover': CustomEvent<{ index: number; x: number; y: number }>;
    /** The points are on screen (ms since the page started loading). */
    'map-drawn': CustomEvent<{ ms: number }>;
  }
}

type Scatterplot = ReturnType<typeof createScatterplot>;

/** Calm, distinguishable colours for categories; index 0 is "none". */
const NONE = '#c9c4bc';
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d', '#499894', '#d37295'];
const QUALITY = ['#d9e4ec', '#b8cfdd', '#97b9cf', '#76a3c0', '#568eb1', '#3f78a0', '#2e628a', '#1f4c72'];

/** Category per point and the colours of the categories, for a colouring. */
function encode(data: FaceMapData, coloring: MapColoring): { z: Float32Array; w: Float32Array; colors: string[]; byValue: boolean } {
  const n = data.faceIds.length;
  const z = new Float32Array(n);
  const w = new Float32Array(n);
  if (coloring === 'quality') {
    let min = Infinity;
    let max = -Infinity;
    for (const q of data.quality) {
      min = Math.min(min, q);
      max = Math.max(max, q);
    }
    const span = max > min ? max - min : 1;
    for (let i = 0; i < n; i++) w[i] = (data.quality[i] - min) / span;
    return { z, w, colors: QUALITY, byValue: true };
  }
  if (coloring === 'stranger') {
    for (let i = 0; i < n; i++) z[i] = data.stranger[i] ? 1 : 0;
    return { z, w, colors: [NONE, '#e07b39'], byValue: false };
  }
  // cluster or person: category 0 = none (noise / nobody), then one per value.
  const values = coloring === 'cluster' ? data.cluster : data.person; // -1: none
  const index = new Map<number, number>();
  for (const v of values) if (v >= 0 && !index.has(v)) index.set(v, index.size + 1);
  for (let i = 0; i < n; i++) z[i] = values[i]! < 0 ? 0 : index.get(values[i]!)!;
  const colors = [NONE];
  for (let c = 0; c < index.size; c++) colors.push(PALETTE[c % PALETTE.length]);
  return { z, w, colors, byValue: false };
}

@customElement('face-map')
export class FaceMap extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      min-height: 200px;
      background: var(--mn-surface);
      border: 1px solid var(--mn-border);
      border-radius: var(--mn-radius);
      overflow: hidden;
    }
    canvas {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      display: block;
    }
  `;

  /** The points: the run's UMAP (x, y in [-1, 1]) with what colours them. */
  @property({ attribute: false }) data: FaceMapData | null = null;
  /** What the colours show. */
  @property() coloring: MapColoring = 'cluster';
  /** The background, as the canvas paints it (tests compare pixels to it). */
  @property() background = '#ffffff';

  /** When the points were first on screen, in ms since the page started loading (null: not yet). */
  firstDrawMs: number | null = null;

  private plot: Scatterplot | undefined;
  private resizer: ResizeObserver | undefined;
  private drawing: Promise<void> | null = null;
  private redraw: { keepSelection: boolean } | null = null;

  override render() {
    return html`<canvas aria-label="Face map: shift and drag to select faces"></canvas>`;
  }

  override firstUpdated(): void {
    const canvas = this.renderRoot.querySelector('canvas')!;
    const { width, height } = this.getBoundingClientRect();
    this.plot = createScatterplot({
      canvas,
      width: Math.max(1, Math.floor(width)),
      height: Math.max(1, Math.floor(height)),
      backgroundColor: this.background,
      pointSize: 6,
      pointColorActive: '#d9902b',
      pointColorHover: '#2b2a28',
      pointSizeSelected: 0,
      pointOutlineWidth: 2,
      opacityInactiveMax: 0.22,
      lassoColor: '#3f6e8c',
      lassoMinDelay: 10,
      lassoMinDist: 2,
      lassoInitiator: false,
      deselectOnEscape: true,
      deselectOnDblClick: true,
      showReticle: false,
      // A margin, so that points at -1 and 1 are not cut by the edges.
      cameraDistance: 1.1,
    });
    this.plot.subscribe('select', ({ points }) => this.emitSelection(points));
    this.plot.subscribe('deselect', () => this.emitSelection([]));
    this.plot.subscribe('pointOver', (index) => {
      const at = this.plot?.getScreenPosition(index);
      if (at) this.dispatchEvent(new CustomEvent('map-hover', { detail: { index, x: at[0], y: at[1] } }));
    });
    this.plot.subscribe('pointOut', () => this.dispatchEvent(new CustomEvent('map-hover', { detail: { index: -1, x: 0, y: 0 } })));
    this.resizer = new ResizeObserver(([entry]) => {
      const box = entry.contentRect;
      if (box.width > 0 && box.height > 0) void this.plot?.set({ width: Math.floor(box.width), height: Math.floor(box.height) });
    });
    this.resizer.observe(this);
    void this.drawPoints();
  }

  override updated(changed: Map<string, unknown>): void {
    if (!this.plot) return;
    if (changed.has('data') || changed.has('coloring')) void this.drawPoints(changed.has('coloring') && !changed.has('data'));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizer?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  /** Selects the points inside a polygon of GL coordinates ([-1, 1] at the initial view), as a lasso does. */
  lassoSelect(vertices: [number, number][]): void {
    this.plot?.lassoSelect(vertices, { isGl: true });
  }

  /** Selects points by index (empty: clears the selection). */
  select(indices: number[]): void {
    if (indices.length === 0) this.plot?.deselect();
    else this.plot?.select(indices);
  }

  /** Where a point is on screen, in pixels from the element's top left. */
  screenPosition(index: number): [number, number] | undefined {
    return this.plot?.getScreenPosition(index);
  }

  /**
   * Draws the points, one draw at a time (regl-scatterplot ignores a draw
   * while one is going): a change during a draw is drawn after it.
   */
  private drawPoints(keepSelection = false): Promise<void> {
    if (this.drawing) {
      this.redraw = { keepSelection: keepSelection && (this.redraw?.keepSelection ?? true) };
      return this.drawing;
    }
    this.drawing = (async () => {
      let next: { keepSelection: boolean } | null = { keepSelection };
      while (next) {
        this.redraw = null;
        await this.drawOnce(next.keepSelection);
        next = this.redraw;
      }
      this.drawing = null;
    })();
    return this.drawing;
  }

  private async drawOnce(keepSelection: boolean): Promise<void> {
    const plot = this.plot;
    const data = this.data;
    if (!plot || !data) return;
    const { z, w, colors, byValue } = encode(data, this.coloring);
    const selected = keepSelection ? plot.get('selectedPoints') : [];
    const n = data.faceIds.length;
    await plot.set({
      colorBy: byValue ? 'value' : 'category',
      pointColor: colors,
      pointSize: n > 50_000 ? 2 : n > 5_000 ? 3 : n > 500 ? 5 : 8,
    });
    await plot.draw(
      { x: data.x, y: data.y, z, w },
      { zDataType: 'categorical', wDataType: 'continuous', select: selected.length ? selected : undefined },
    );
    if (this.firstDrawMs === null && n > 0) {
      this.firstDrawMs = performance.now();
      this.dataset.drawn = 'true';
      this.dispatchEvent(new CustomEvent('map-drawn', { detail: { ms: this.firstDrawMs } }));
    }
  }

  private emitSelection(indices: number[]): void {
    this.dispatchEvent(new CustomEvent('map-select', { detail: { indices: [...indices] } }));
  }
}
