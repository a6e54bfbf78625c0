// <person-card>: one person in the directory: cover face, name, face count,
// and the actions on the person (rename inline, hide or show, merge into
// another person). Merging offers the most similar persons first, each with
// their closest faces side by side and how alike they are, then everyone
// else. It only asks; <people-view> saves.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cropUrl, errorText, similarityApi, type Person, type SimilarPerson } from './api.ts';
import { cardHost, controls } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'person-card': PersonCard;
  }
  interface HTMLElementEventMap {
    'person-rename': CustomEvent<{ personId: number; name: string }>;
    'person-hide': CustomEvent<{ personId: number; hidden: boolean }>;
    'person-merge': CustomEvent<{ personId: number; into: number }>;
  }
}

/** Persons offered first when merging. */
const MERGE_SUGGESTIONS = 3;

const percent = (similarity: number): string => `${Math.round(Math.max(0, similarity) * 100)}%`;

const initials = (name: string): string =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('');

@customElement('person-card')
export class PersonCard extends LitElement {
  static override styles = [
    controls,
    cardHost,
    css`
      :host {
        padding: 0.75rem;
      }
      a.cover {
        display: block;
        aspect-ratio: 1;
        border-radius: 50%;
        overflow: hidden;
        background: var(--mn-border);
        width: 96px;
        margin: 0.25rem auto 0.6rem;
        text-decoration: none;
      }
      .initials {
        display: flex;
        height: 100%;
        align-items: center;
        justify-content: center;
        font-size: 1.8rem;
        color: var(--mn-muted);
      }
      a.cover img {
        width: 100%;
        height: 100%;
        object-fit: cover;
        display: block;
      }
      .name {
        text-align: center;
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .name a {
        color: inherit;
        text-decoration: none;
      }
      .count {
        text-align: center;
        font-size: 0.82rem;
        color: var(--mn-muted);
        margin-top: 0.15rem;
      }
      .actions {
        display: flex;
        justify-content: center;
        gap: 0.1rem;
        margin-top: 0.4rem;
        font-size: 0.8rem;
      }
      .actions button.link {
        font-size: 0.8rem;
        color: var(--mn-muted);
      }
      .actions button.link:hover {
        color: var(--mn-accent);
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
        margin-top: 0.4rem;
      }
      form input,
      form select {
        width: 100%;
        box-sizing: border-box;
      }
      form .row {
        display: flex;
        gap: 0.35rem;
        justify-content: center;
      }
      /* Merging needs room for faces side by side: the card spans two columns. */
      :host([merging]) {
        grid-column: span 2;
      }
      .alike {
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
      }
      .suggestion {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        text-align: left;
        padding: 0.3rem;
        width: 100%;
      }
      .suggestion[aria-pressed='true'] {
        border-color: var(--mn-accent);
        box-shadow: 0 0 0 1px var(--mn-accent);
      }
      .pair {
        display: flex;
        gap: 2px;
        flex: none;
      }
      .pair img {
        width: 40px;
        height: 40px;
        border-radius: 4px;
        object-fit: cover;
        background: var(--mn-border);
        display: block;
      }
      .who {
        display: flex;
        flex-direction: column;
        min-width: 0;
      }
      .who .other {
        font-weight: 500;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .small {
        font-size: 0.78rem;
      }
      .evidence {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        align-items: flex-end;
      }
      .evidence figure {
        margin: 0;
        text-align: center;
      }
      .evidence .pair img {
        width: 56px;
        height: 56px;
      }
    `,
  ];

  /** The person shown. */
  @property({ attribute: false }) person!: Person;
  /** The persons this one could be merged into. */
  @property({ attribute: false }) others: Person[] = [];

  @state() private mode: 'view' | 'rename' | 'merge' = 'view';
  /** The most similar persons while merging; null while they load. */
  @state() private alike: SimilarPerson[] | null = null;
  @state() private alikeError = '';
  /** The person chosen to merge into (a person id as text). */
  @state() private into = '';

  override render() {
    const p = this.person;
    const href = `#/people/${p.personId}`;
    return html`
      <a class="cover" href=${href} aria-label=${p.name}>
        ${p.coverFaceId ? html`<img src=${cropUrl(p.coverFaceId, 192)} alt="" loading="lazy" />` : html`<span class="initials">${initials(p.name)}</span>`}
      </a>
      ${this.mode === 'rename' ? this.renderRename() : html`<div class="name"><a href=${href}>${p.name}</a></div>`}
      <div class="count">${p.faces} ${p.faces === 1 ? 'face' : 'faces'}</div>
      ${p.manualFaces ? html`<div class="count">${p.manualFaces} confirmed by you</div>` : nothing}
      ${this.mode === 'merge' ? this.renderMerge() : nothing}
      ${this.mode === 'view'
        ? html`<div class="actions">
            <button class="link" data-action="rename" @click=${() => (this.mode = 'rename')}>Rename</button>
            <button class="link" data-action="hide" @click=${this.onHide}>${p.hidden ? 'Show' : 'Hide'}</button>
            <button class="link" data-action="merge" @click=${this.startMerge}>Merge…</button>
          </div>`
        : nothing}
    `;
  }

  private renderRename() {
    return html`<form @submit=${this.onRename}>
      <input name="name" aria-label="Name" .value=${this.person.name} @keydown=${this.onKey} />
      <div class="row"><button class="primary" type="submit">Save</button><button type="button" @click=${() => (this.mode = 'view')}>Cancel</button></div>
    </form>`;
  }

  private renderMerge() {
    const others = this.others.filter((o) => o.personId !== this.person.personId && o.mergedInto === null);
    const mergeable = new Set(others.map((o) => o.personId));
    const alike = (this.alike ?? []).filter((s) => mergeable.has(s.personId)).slice(0, MERGE_SUGGESTIONS);
    const offered = new Set(alike.map((s) => s.personId));
    const rest = others.filter((o) => !offered.has(o.personId));
    const into = this.into || String(alike[0]?.personId ?? others[0]?.personId ?? '');
    const chosen = alike.find((s) => String(s.personId) === into);
    const option = (id: number, label: string) => html`<option value=${String(id)} ?selected=${String(id) === into}>${label}</option>`;
    return html`<form @submit=${this.onMerge}>
      <div class="alike">
        ${this.alike === null ? html`<span class="muted small">Finding look-alikes…</span>` : nothing}
        ${this.alikeError ? html`<span class="error small">${this.alikeError}</span>` : nothing}
        ${alike.length ? html`<span class="muted small">Most alike first</span>` : nothing}
        ${alike.map((s) => {
          const closest = s.evidence[0];
          return html`<button type="button" class="suggestion" data-suggestion=${s.personId} aria-pressed=${String(String(s.personId) === into)} @click=${() => (this.into = String(s.personId))}>
            ${closest ? html`<span class="pair">${this.face(closest.faceId, this.person.name)}${this.face(closest.otherFaceId, s.name)}</span>` : nothing}
            <span class="who">
              <span class="other">${s.name}</span>
              <span class="muted small" title="mean of the cosine of their mean faces and of their closest faces">${percent(s.similarity)} alike · ${s.faces} ${s.faces === 1 ? 'face' : 'faces'}</span>
            </span>
          </button>`;
        })}
        ${chosen && chosen.evidence.length
          ? html`<span class="muted small">Closest faces: ${this.person.name} | ${chosen.name}</span>
              <div class="evidence">
                ${chosen.evidence.map(
                  (pair) => html`<figure>
                    <span class="pair">${this.face(pair.faceId, this.person.name)}${this.face(pair.otherFaceId, chosen.name)}</span>
                    <figcaption class="muted small">${percent(pair.similarity)}</figcaption>
                  </figure>`,
                )}
              </div>`
          : nothing}
      </div>
      <select name="into" aria-label="Merge into" @change=${(e: Event) => (this.into = (e.target as HTMLSelectElement).value)}>
        ${alike.length
          ? html`<optgroup label="Most alike">${alike.map((s) => option(s.personId, `into ${s.name} (${percent(s.similarity)})`))}</optgroup>
              ${rest.length ? html`<optgroup label="Everyone else">${rest.map((o) => option(o.personId, `into ${o.name}`))}</optgroup>` : nothing}`
          : others.map((o) => option(o.personId, `into ${o.name}`))}
      </select>
      <div class="row"><button class="primary" type="submit" ?disabled=${others.length === 0}>Merge</button><button type="button" @click=${this.stopMerge}>Cancel</button></div>
    </form>`;
  }

  private face(faceId: string, name: string) {
    return html`<img src=${cropUrl(faceId, 96)} alt=${`a face of ${name}`} title=${name} />`;
  }

  override updated(): void {
    this.toggleAttribute('merging', this.mode === 'merge');
    if (this.mode === 'rename') {
      const input = this.renderRoot.querySelector('input');
      if (input && (this.renderRoot as ShadowRoot).activeElement !== input) {
        input.focus();
        input.select();
      }
    }
  }

  private async startMerge(): Promise<void> {
    this.mode = 'merge';
    this.into = '';
    this.alike = null;
    this.alikeError = '';
    const personId = this.person.personId;
    try {
      const { similar } = await similarityApi.similar(personId, MERGE_SUGGESTIONS + 2);
      if (personId === this.person.personId) this.alike = similar;
    } catch (error) {
      this.alike = [];
      this.alikeError = errorText(error);
    }
  }

  private stopMerge(): void {
    this.mode = 'view';
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') this.mode = 'view';
  }

  private onRename(event: SubmitEvent): void {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '').trim();
    this.mode = 'view';
    if (name && name !== this.person.name) this.dispatchEvent(new CustomEvent('person-rename', { detail: { personId: this.person.personId, name }, bubbles: true }));
  }

  private onHide(): void {
    this.dispatchEvent(new CustomEvent('person-hide', { detail: { personId: this.person.personId, hidden: !this.person.hidden }, bubbles: true }));
  }

  private onMerge(event: SubmitEvent): void {
    event.preventDefault();
    const into = Number(new FormData(event.target as HTMLFormElement).get('into'));
    this.mode = 'view';
    if (into) this.dispatchEvent(new CustomEvent('person-merge', { detail: { personId: this.person.personId, into }, bubbles: true }));
  }
}
