// <people-view>: the person directory. Cover faces and face counts, sorted by
// face count or name; hidden persons in a section of their own. Rename, hide
// and merge act at once, each with an Undo in the toast.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { api, errorText, type Person } from './api.ts';
import { notify } from './notify.ts';
import './person-card.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'people-view': PeopleView;
  }
}

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
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private people: Person[] = [];
  @state() private sort: 'faces' | 'name' = 'faces';
  @state() private loaded = false;
  @state() private error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation') || changed.has('sort')) void this.load();
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
