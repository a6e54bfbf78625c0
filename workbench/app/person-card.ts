// <person-card>: one person in the directory: cover face, name, face count,
// and the actions on the person (rename inline, hide or show, merge into
// another person). It only asks; <people-view> saves.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cropUrl, type Person } from './api.ts';
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
    `,
  ];

  /** The person shown. */
  @property({ attribute: false }) person!: Person;
  /** The persons this one could be merged into. */
  @property({ attribute: false }) others: Person[] = [];

  @state() private mode: 'view' | 'rename' | 'merge' = 'view';

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
            <button class="link" data-action="merge" @click=${() => (this.mode = 'merge')}>Merge…</button>
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
    return html`<form @submit=${this.onMerge}>
      <select name="into" aria-label="Merge into">
        ${others.map((o) => html`<option value=${String(o.personId)}>into ${o.name}</option>`)}
      </select>
      <div class="row"><button class="primary" type="submit" ?disabled=${others.length === 0}>Merge</button><button type="button" @click=${() => (this.mode = 'view')}>Cancel</button></div>
    </form>`;
  }

  override updated(): void {
    if (this.mode === 'rename') {
      const input = this.renderRoot.querySelector('input');
      if (input && (this.renderRoot as ShadowRoot).activeElement !== input) {
        input.focus();
        input.select();
      }
    }
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
