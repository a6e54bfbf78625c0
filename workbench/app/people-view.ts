// <people-view>: the person directory. Cover faces and face counts, sorted by
// face count or name; hidden persons in a section of their own. Above them,
// pairs of persons that may be one ("Maybe the same person"), with their
// closest faces side by side. Rename, hide and merge act at once, each with
// an Undo in the toast.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { api, cropUrl, errorText, similarityApi, type MergeSuggestion, type Person } from './api.ts';
import { notify } from './notify.ts';
import './person-card.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'people-view': PeopleView;
  }
}

/** Pairs shown as "maybe the same person", and how alike they must be (cosine; different people stay under about 0.4). */
const SUGGESTED_PAIRS = 4;
const MIN_SUGGESTED_SIMILARITY = 0.5;

const percent = (similarity: number): string => `${Math.round(Math.max(0, similarity) * 100)}%`;

@customElement('people-view')
export class PeopleView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .cards {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr));
        gap: 0.9rem;
        /* A card that opens its merge choices grows alone; the others keep their height. */
        align-items: start;
      }
      details {
        margin-top: 2rem;
      }
      summary {
        cursor: pointer;
        color: var(--mn-muted);
        margin-bottom: 0.75rem;
      }
      .hidden person-card {
        opacity: 0.75;
      }
      .maybe {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr));
        gap: 0.6rem;
        margin-bottom: 1.25rem;
      }
      .maybe-pair {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        padding: 0.5rem 0.6rem;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
      }
      .maybe-pair .faces {
        display: flex;
        gap: 2px;
        flex: none;
      }
      .maybe-pair img {
        width: 48px;
        height: 48px;
        border-radius: 4px;
        object-fit: cover;
        background: var(--mn-border);
        display: block;
      }
      .maybe-pair .who {
        flex: 1;
        min-width: 0;
        display: flex;
        flex-direction: column;
      }
      .maybe-pair .small {
        font-size: 0.8rem;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private people: Person[] = [];
  @state() private sort: 'faces' | 'name' = 'faces';
  @state() private loaded = false;
  @state() private error = '';
  @state() private suggestions: MergeSuggestion[] = [];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation') || changed.has('sort')) void this.load();
    if (changed.has('generation')) void this.loadSuggestions();
  }

  override render() {
    const live = this.people.filter((p) => p.mergedInto === null);
    const shown = live.filter((p) => !p.hidden);
    const hidden = live.filter((p) => p.hidden);
    return html`
      <h1>People</h1>
      <div class="toolbar">
        <span class="muted">${this.loaded ? `${shown.length} ${shown.length === 1 ? 'person' : 'people'}` : 'Loading…'}</span>
        <span class="spacer"></span>
        <label for="sort" class="muted">Sort by</label>
        <select id="sort" .value=${this.sort} @change=${(e: Event) => (this.sort = (e.target as HTMLSelectElement).value as 'faces' | 'name')}>
          <option value="faces">most faces</option>
          <option value="name">name</option>
        </select>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.loaded && shown.length === 0 ? html`<p class="muted">Nobody named yet. Name a cluster in Clusters, or select faces on the Face map.</p>` : nothing}
      ${this.renderSuggestions()}
      <div class="cards" @person-rename=${this.onRename} @person-hide=${this.onHide} @person-merge=${this.onMerge}>
        ${repeat(shown, (p) => p.personId, (p) => html`<person-card data-person-id=${p.personId} .person=${p} .others=${live}></person-card>`)}
      </div>
      ${hidden.length
        ? html`<details class="hidden">
            <summary>Hidden (${hidden.length})</summary>
            <div class="cards" @person-rename=${this.onRename} @person-hide=${this.onHide} @person-merge=${this.onMerge}>
              ${repeat(hidden, (p) => p.personId, (p) => html`<person-card data-person-id=${p.personId} .person=${p} .others=${live}></person-card>`)}
            </div>
          </details>`
        : nothing}
    `;
  }

  private renderSuggestions() {
    const live = new Set(this.people.filter((p) => p.mergedInto === null && !p.hidden).map((p) => p.personId));
    const pairs = this.suggestions.filter((s) => live.has(s.personId) && live.has(s.other.personId));
    if (pairs.length === 0) return nothing;
    return html`<h2>Maybe the same person</h2>
      <div class="maybe">
        ${pairs.map((s) => {
          const closest = s.other.evidence[0];
          return html`<div class="maybe-pair" data-person-id=${s.personId} data-into=${s.other.personId}>
            ${closest
              ? html`<span class="faces" title="their closest faces">
                  <img src=${cropUrl(closest.faceId, 96)} alt=${`a face of ${s.name}`} title=${s.name} />
                  <img src=${cropUrl(closest.otherFaceId, 96)} alt=${`a face of ${s.other.name}`} title=${s.other.name} />
                </span>`
              : nothing}
            <span class="who">
              <span>${s.name} and ${s.other.name}</span>
              <span class="muted small">${percent(s.other.similarity)} alike</span>
            </span>
            <button data-action="merge-suggested" title=${`Merge ${s.name} into ${s.other.name}`} @click=${() => this.mergeSuggested(s)}>Merge into ${s.other.name}</button>
          </div>`;
        })}
      </div>`;
  }

  private async loadSuggestions(): Promise<void> {
    try {
      const { suggestions } = await similarityApi.mergeSuggestions(SUGGESTED_PAIRS * 2);
      this.suggestions = suggestions.filter((s) => s.other.similarity >= MIN_SUGGESTED_SIMILARITY).slice(0, SUGGESTED_PAIRS);
    } catch {
      this.suggestions = []; // suggestions only: the directory works without them
    }
  }

  private mergeSuggested(suggestion: MergeSuggestion): void {
    const { personId, name, other } = suggestion;
    void this.decide(() => api.merge(personId, other.personId), `Merged ${name} into ${other.name}`);
  }

  private async load(): Promise<void> {
    try {
      // hidden=false: the shown ones; hidden=true adds the hidden ones (or only
      // those): the union, told apart by each person's own flag.
      const [shown, all] = await Promise.all([api.people({ hidden: false, sort: this.sort }), api.people({ hidden: true, sort: this.sort })]);
      const seen = new Set(shown.map((p) => p.personId));
      this.people = [...shown, ...all.filter((p) => !seen.has(p.personId))];
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
    this.loaded = true;
  }

  private name(personId: number): string {
    return this.people.find((p) => p.personId === personId)?.name ?? `person ${personId}`;
  }

  private async decide(action: () => Promise<{ batchId: number | null }>, message: string): Promise<void> {
    try {
      const { batchId } = await action();
      notify(this, { message, undoable: true, batchId });
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    await this.load();
  }

  private onRename(event: CustomEvent<{ personId: number; name: string }>): void {
    const { personId, name } = event.detail;
    void this.decide(() => api.updatePerson(personId, { name }), `Renamed ${this.name(personId)} to ${name}`);
  }

  private onHide(event: CustomEvent<{ personId: number; hidden: boolean }>): void {
    const { personId, hidden } = event.detail;
    void this.decide(() => api.updatePerson(personId, { hidden }), `${hidden ? 'Hid' : 'Showed'} ${this.name(personId)}`);
  }

  private onMerge(event: CustomEvent<{ personId: number; into: number }>): void {
    const { personId, into } = event.detail;
    void this.decide(() => api.merge(personId, into), `Merged ${this.name(personId)} into ${this.name(into)}`);
  }
}
