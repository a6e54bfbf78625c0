// <face-grid>: a grid of face crops. Click selects a face, shift-click a range,
// ctrl/cmd-click toggles one; an optional per-face action ("Not this person")
// shows on hover. Crops load in batches through /api/crops.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { until } from 'lit/directives/until.js';
import { loadCrops } from './api.ts';

/** What a tile needs: the face, and where it comes from for the tooltip. */
export interface GridFace {
  faceId: string;
  path?: string;
  /** Put here by a decision the background re-match has not confirmed yet: drawn dashed. */
  pending?: boolean;
}

declare global {
  interface HTMLElementTagNameMap {
    'face-grid': FaceGrid;
  }
  interface HTMLElementEventMap {
    /** The selected faces changed (their ids, in grid order). */
    'selection-change': CustomEvent<{ faceIds: string[] }>;
    /** The per-face action button was pressed. */
    'face-action': CustomEvent<{ faceId: string }>;
  }
}

@customElement('face-grid')
export class FaceGrid extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(var(--face-size, 88px), 1fr));
      gap: 6px;
    }
    .tile {
      position: relative;
      aspect-ratio: 1;
      border-radius: 6px;
      overflow: hidden;
      background: var(--mn-border);
      border: 2px solid transparent;
      padding: 0;
      cursor: pointer;
      user-select: none;
    }
    :host(:not([selectable])) .tile {
      cursor: default;
    }
    .tile img {
      width: 100%;
      height: 100%;
      object-fit: cover;
      display: block;
    }
    .tile.pending {
      border: 2px dashed var(--mn-muted, #8a8378);
    }
    .tile[aria-pressed='true'] {
      border-color: var(--mn-selected);
      box-shadow: 0 0 0 2px var(--mn-selected);
    }
    .tile[aria-pressed='true']::after {
      content: '✓';
      position: absolute;
      top: 3px;
      right: 3px;
      width: 18px;
      height: 18px;
      line-height: 18px;
      font-size: 12px;
      text-align: center;
      border-radius: 50%;
      background: var(--mn-selected);
      color: white;
    }
    .action {
      position: absolute;
      left: 3px;
      right: 3px;
      bottom: 3px;
      font: inherit;
      font-size: 0.7rem;
      border: none;
      border-radius: 4px;
      padding: 2px 0;
      background: rgb(255 255 255 / 0.9);
      color: var(--mn-danger);
      cursor: pointer;
      opacity: 0;
    }
    .tile:hover .action,
    .action:focus-visible {
      opacity: 1;
    }
    .empty {
      color: var(--mn-muted);
      font-size: 0.9rem;
    }
  `;

  /** The faces to show, in order. */
  @property({ attribute: false }) items: GridFace[] = [];
  /** Whether clicks select faces. */
  @property({ type: Boolean, reflect: true }) selectable = false;
  /** The ids of the selected faces. */
  @property({ attribute: false }) selected: ReadonlySet<string> = new Set();
  /** The label of a per-face action button; empty: none. */
  @property() action = '';
  /** Crop size asked of the server, in pixels. */
  @property({ type: Number }) size = 128;
  /** Shown when there are no faces. */
  @property() empty = 'No faces.';

  private anchor = -1;

  override render() {
    if (this.items.length === 0) return html`<p class="empty">${this.empty}</p>`;
    const crops = loadCrops(
      this.items.map((f) => f.faceId),
      this.size,
    );
    return html`<div class="grid" role="list">
      ${repeat(
        this.items,
        (face) => face.faceId,
        (face, index) => html`<div
          class=${face.pending ? 'tile pending' : 'tile'}
          role="listitem"
          data-face-id=${face.faceId}
          aria-pressed=${this.selected.has(face.faceId) ? 'true' : 'false'}
          title=${`${face.path ?? face.faceId}${face.pending ? ' (just decided: the re-match will confirm it)' : ''}`}
          @click=${(event: MouseEvent) => this.onTileClick(event, index)}
        >
          ${until(
            crops.get(face.faceId)!.then((src) => (src ? html`<img src=${src} alt="face" />` : nothing)),
            nothing,
          )}
          ${this.action ? html`<button class="action" @click=${(event: Event) => this.onAction(event, face.faceId)}>${this.action}</button>` : nothing}
        </div>`,
      )}
    </div>`;
  }

  /** Clears the selection (and tells listeners). */
  clearSelection(): void {
    this.setSelection(new Set());
  }

  private onTileClick(event: MouseEvent, index: number): void {
    if (!this.selectable) return;
    const id = this.items[index].faceId;
    const next = new Set(this.selected);
    if (event.shiftKey && this.anchor >= 0) {
      const [from, to] = this.anchor < index ? [this.anchor, index] : [index, this.anchor];
      for (let i = from; i <= to; i++) next.add(this.items[i].faceId);
    } else if (event.ctrlKey || event.metaKey || this.selected.size > 0) {
      // With a selection going, a plain click adds or removes one face.
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.anchor = index;
    } else {
      next.add(id);
      this.anchor = index;
    }
    this.setSelection(next);
  }

  private setSelection(next: Set<string>): void {
    this.selected = next;
    const faceIds = this.items.map((f) => f.faceId).filter((id) => next.has(id));
    this.dispatchEvent(new CustomEvent('selection-change', { detail: { faceIds } }));
  }

  private onAction(event: Event, faceId: string): void {
    event.stopPropagation();
    this.dispatchEvent(new CustomEvent('face-action', { detail: { faceId } }));
  }
}
