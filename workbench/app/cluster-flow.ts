// <cluster-flow>: where the faces of run A's clusters went in run B, drawn
// by hand as an SVG flow (a sankey): A's clusters on the left, B's on the
// right, one band per pair that shares faces, as wide as the faces it
// carries. Bands of the matched pair are quiet; faces that moved to another
// cluster, or to or from noise, stand out. Nodes are ordered so bands cross
// little: A by size, B by where its faces came from.
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CompareView, FlowLink } from './api.ts';

declare global {
  interface HTMLElementTagNameMap {
    'cluster-flow': ClusterFlowChart;
  }
}

type Flow = NonNullable<CompareView['flow']>;

const WIDTH = 760;
const NODE_WIDTH = 12;
const LEFT = 110;
const RIGHT = WIDTH - 110;
const GAP = 6;
/** Each node gets at least this much height, so its label never overlaps the next one's. */
const MIN_SLOT = 15;

const KIND_LABEL: Record<FlowLink['kind'], string> = { kept: 'kept (the matched cluster)', moved: 'moved to another cluster', to_noise: 'to noise', from_noise: 'from noise' };

interface Placed {
  id: number;
  faces: number;
  y: number;
  height: number;
}

const nodeName = (id: number) => (id < 0 ? 'noise' : `#${id}`);

@customElement('cluster-flow')
export class ClusterFlowChart extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-family: var(--mn-font);
      color: var(--mn-text);
    }
    svg {
      max-width: 100%;
      height: auto;
      display: block;
    }
    .link {
      fill-opacity: 0.55;
    }
    .link:hover {
      fill-opacity: 0.9;
    }
    .kept {
      fill: #9fb6cc;
    }
    .moved {
      fill: #e39a2d;
    }
    .to_noise,
    .from_noise {
      fill: #c4645c;
    }
    .node {
      fill: #4a5560;
    }
    .node.noise {
      fill: #b9b1a5;
    }
    text {
      font-size: 11px;
      fill: var(--mn-text);
    }
    .muted {
      color: var(--mn-muted);
    }
    .legend {
      display: flex;
      gap: 1rem;
      font-size: 0.8rem;
      color: var(--mn-muted);
      margin-top: 0.35rem;
      flex-wrap: wrap;
    }
    .swatch {
      display: inline-block;
      width: 0.8rem;
      height: 0.8rem;
      border-radius: 2px;
      vertical-align: -0.1rem;
      margin-right: 0.3rem;
    }
  `;

  /** The flow links of a comparison (app/compare-view.ts), changes first. */
  @property({ attribute: false }) flow: Flow | null = null;
  /** Run ids, for the column headings. */
  @property({ type: Number }) runA = 0;
  @property({ type: Number }) runB = 0;

  override render() {
    const flow = this.flow;
    if (!flow || flow.links.length === 0) return html`<p class="muted">No faces shared by a cluster in either run.</p>`;
    const { a, b, height } = this.layout(flow.links);
    const bands = this.bands(flow.links, a, b);
    return html`
      <svg viewBox="0 0 ${WIDTH} ${height + 28}" role="img" aria-label=${`Cluster flow from run ${this.runA} to run ${this.runB}`}>
        <text x=${LEFT} y="12" text-anchor="end" font-weight="600">run ${this.runA}</text>
        <text x=${RIGHT + NODE_WIDTH} y="12" font-weight="600">run ${this.runB}</text>
        <g transform="translate(0, 22)">
          ${bands.map(
            (band) => svg`<path class="link ${band.link.kind}" data-kind=${band.link.kind} data-a=${band.link.a} data-b=${band.link.b} d=${band.d}>
              <title>${nodeName(band.link.a)} → ${nodeName(band.link.b)}: ${band.link.faces} ${band.link.faces === 1 ? 'face' : 'faces'} (${KIND_LABEL[band.link.kind]})</title></path>`,
          )}
          ${[...a.values()].map((node) => svg`<rect class="node ${node.id < 0 ? 'noise' : ''}" x=${LEFT} y=${node.y} width=${NODE_WIDTH} height=${node.height}><title>run ${this.runA} ${nodeName(node.id)}: ${flow.sizeA[node.id] ?? node.faces} faces</title></rect>
            <text x=${LEFT - 6} y=${node.y + node.height / 2 + 4} text-anchor="end">${nodeName(node.id)} · ${flow.sizeA[node.id] ?? node.faces}</text>`)}
          ${[...b.values()].map((node) => svg`<rect class="node ${node.id < 0 ? 'noise' : ''}" x=${RIGHT} y=${node.y} width=${NODE_WIDTH} height=${node.height}><title>run ${this.runB} ${nodeName(node.id)}: ${flow.sizeB[node.id] ?? node.faces} faces</title></rect>
            <text x=${RIGHT + NODE_WIDTH + 6} y=${node.y + node.height / 2 + 4}>${nodeName(node.id)} · ${flow.sizeB[node.id] ?? node.faces}</text>`)}
        </g>
      </svg>
      <div class="legend">
        <span><span class="swatch" style="background:#9fb6cc"></span>kept</span>
        <span><span class="swatch" style="background:#e39a2d"></span>moved to another cluster</span>
        <span><span class="swatch" style="background:#c4645c"></span>to or from noise</span>
        ${flow.otherLinks ? html`<span>${flow.otherLinks} smaller links (${flow.otherFaces} faces) not drawn</span>` : nothing}
      </div>
    `;
  }

  /** Node positions: heights in proportion to faces, one scale for both sides. */
  private layout(links: FlowLink[]): { a: Map<number, Placed>; b: Map<number, Placed>; height: number } {
    const facesA = new Map<number, number>();
    const facesB = new Map<number, number>();
    for (const link of links) {
      facesA.set(link.a, (facesA.get(link.a) ?? 0) + link.faces);
      facesB.set(link.b, (facesB.get(link.b) ?? 0) + link.faces);
    }
    const total = links.reduce((sum, link) => sum + link.faces, 0);
    const count = Math.max(facesA.size, facesB.size);
    const height = Math.min(900, Math.max(220, count * 22));
    const scale = (height - GAP * (count - 1)) / total;
    const noiseLast = (x: number, y: number) => Number(x < 0) - Number(y < 0);
    const orderA = [...facesA.keys()].sort((x, y) => noiseLast(x, y) || facesA.get(y)! - facesA.get(x)! || x - y);
    const a = this.place(orderA, facesA, scale);
    // B by the weighted mean position of the A clusters its faces came from.
    const centre = new Map<number, number>();
    for (const id of facesB.keys()) {
      const incoming = links.filter((link) => link.b === id);
      centre.set(id, incoming.reduce((sum, link) => sum + link.faces * (a.get(link.a)!.y + a.get(link.a)!.height / 2), 0) / facesB.get(id)!);
    }
    const b = this.place([...facesB.keys()].sort((x, y) => noiseLast(x, y) || centre.get(x)! - centre.get(y)! || x - y), facesB, scale);
    const bottom = Math.max(...[...a.values(), ...b.values()].map((node) => node.y + node.height));
    return { a, b, height: bottom };
  }

  private place(order: number[], faces: Map<number, number>, scale: number): Map<number, Placed> {
    const placed = new Map<number, Placed>();
    let y = 0;
    for (const id of order) {
      const height = Math.max(2, faces.get(id)! * scale);
      placed.set(id, { id, faces: faces.get(id)!, y, height });
      y += Math.max(height + GAP, MIN_SLOT);
    }
    return placed;
  }

  /** One band per link, stacked inside its nodes in the other side's order, so bands leave and arrive without crossing inside a node. */
  private bands(links: FlowLink[], a: Map<number, Placed>, b: Map<number, Placed>): { link: FlowLink; d: string }[] {
    const usedA = new Map<number, number>();
    const usedB = new Map<number, number>();
    const widthOf = (link: FlowLink) => (a.get(link.a)!.height * link.faces) / a.get(link.a)!.faces;
    const startOf = new Map<FlowLink, number>();
    for (const link of [...links].sort((x, y) => a.get(x.a)!.y - a.get(y.a)!.y || b.get(x.b)!.y - b.get(y.b)!.y)) {
      const offset = usedA.get(link.a) ?? 0;
      startOf.set(link, a.get(link.a)!.y + offset);
      usedA.set(link.a, offset + widthOf(link));
    }
    const endOf = new Map<FlowLink, number>();
    for (const link of [...links].sort((x, y) => b.get(x.b)!.y - b.get(y.b)!.y || a.get(x.a)!.y - a.get(y.a)!.y)) {
      const offset = usedB.get(link.b) ?? 0;
      const width = (b.get(link.b)!.height * link.faces) / b.get(link.b)!.faces;
      endOf.set(link, b.get(link.b)!.y + offset);
      usedB.set(link.b, offset + width);
    }
    const x0 = LEFT + NODE_WIDTH;
    const x1 = RIGHT;
    const xm = (x0 + x1) / 2;
    return links.map((link) => {
      const y0 = startOf.get(link)!;
      const y1 = endOf.get(link)!;
      const w0 = widthOf(link);
      const w1 = (b.get(link.b)!.height * link.faces) / b.get(link.b)!.faces;
      const d = `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1} L${x1},${y1 + w1} C${xm},${y1 + w1} ${xm},${y0 + w0} ${x0},${y0 + w0} Z`;
      return { link, d };
    });
  }
}
