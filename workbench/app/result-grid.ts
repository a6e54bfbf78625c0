// <result-grid>: a cell's result as a table that draws only the rows in view
// (a million rows scroll as fast as ten), sortable by clicking a header
// (again: descending; a third time: the query's order). Rows arrive while the
// query streams: the owner pushes onto `rows` and bumps `version`.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ResultColumn } from '../../notebook/result.ts';

declare global {
  interface HTMLElementTagNameMap {
    'result-grid': ResultGrid;
  }
}

const ROW_HEIGHT = 24;
const VISIBLE_ROWS = 14;
/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const OVERSCAN = 10;
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)/;

const show = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // nulls last
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

@customElement('result-grid')
export class ResultGrid extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 0.82rem;
    }
    .scroller {
      overflow: auto;
      border: 1px solid var(--mn-border);
      border-radius: 6px;
      background: var(--mn-surface);
      position: relative;
    }
    .head,
    .row {
      display: grid;
      grid-template-columns: var(--columns);
      min-width: max-content;
    }
    .head {
      position: sticky;
      top: 0;
      z-index: 1;
      background: var(--mn-nav-bg, #f6f6f6);
      border-bottom: 1px solid var(--mn-border);
    }
    .head button {
      all: unset;
      cursor: pointer;
      padding: 0.25rem 0.6rem;
      font-weight: 500;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .head button:hover {
      color: var(--mn-accent);
    }
    .row {
      height: ${ROW_HEIGHT}px;
      position: absolute;
      left: 0;
      right: 0;
    }
    .row > span {
      padding: 0 0.6rem;
      line-height: ${ROW_HEIGHT}px;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      border-bottom: 1px solid rgb(0 0 0 / 0.04);
    }
    .num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
  `;

  @property({ attribute: false }) columns: ResultColumn[] = [];
  /** The rows so far; pushed onto by the owner while the query streams. */
  @property({ attribute: false }) rows: unknown[][] = [];
  /** Bumped by the owner when `rows` grew. */
  @property({ type: Number }) version = 0;

  @state() private scrolled = 0;
  @state() private sort: { column: number; descending: boolean } | null = null;
  /** Row order under the current sort (indexes into `rows`), or null for the query's order. */
  private order: Uint32Array | null = null;
  private orderedFor = '';

  override render() {
    if (this.columns.length === 0) return nothing;
    const count = this.rows.length;
    const order = this.sortedOrder();
    const first = Math.max(0, Math.floor(this.scrolled / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(count, Math.ceil(this.scrolled / ROW_HEIGHT) + VISIBLE_ROWS + OVERSCAN);
    const numeric = this.columns.map((column) => NUMERIC.test(column.type));
    const widths = this.columns.map((column, i) => (numeric[i] ? 'minmax(6rem, max-content)' : 'minmax(8rem, max-content)')).join(' ');
    const visible = [];
    for (let i = first; i < last; i++) {
      const row = this.rows[order ? order[i]! : i]!;
      visible.push(html`<div class="row" style="top:${i * ROW_HEIGHT}px" data-row=${i}>
        ${row.map((value, c) => html`<span class=${numeric[c] ? 'num' : ''} title=${show(value)}>${show(value)}</span>`)}
      </div>`);
    }
    const arrow = (c: number) => (this.sort?.column === c ? (this.sort.descending ? ' ▼' : ' ▲') : '');
    return html`<div class="scroller" style="--columns:${widths};max-height:${(Math.min(VISIBLE_ROWS, count) + 1) * ROW_HEIGHT + 18}px" @scroll=${this.onScroll}>
      <div class="head" role="row">
        ${this.columns.map((column, c) => html`<button role="columnheader" title="${column.name}: ${column.type} (click to sort)" @click=${() => this.sortBy(c)}>${column.name}${arrow(c)}</button>`)}
      </div>
      <div style="height:${count * ROW_HEIGHT}px;position:relative;min-width:max-content">${visible}</div>
    </div>`;
  }

  private sortedOrder(): Uint32Array | null {
    if (!this.sort) return null;
    const key = `${this.sort.column}:${this.sort.descending}:${this.rows.length}:${this.version}`;
    if (this.orderedFor !== key) {
      const { column, descending } = this.sort;
      const order = new Uint32Array(this.rows.length).map((_, i) => i);
      order.sort((a, b) => (descending ? -1 : 1) * compare(this.rows[a]![column], this.rows[b]![column]) || a - b);
      this.order = order;
      this.orderedFor = key;
    }
    return this.order;
  }

  private sortBy(column: number): void {
    const current = this.sort;
    this.sort = current?.column !== column ? { column, descending: false } : current.descending ? null : { column, descending: true };
  }

  private onScroll(event: Event): void {
    this.scrolled = (event.target as HTMLElement).scrollTop;
  }
}
