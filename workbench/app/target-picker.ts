// <target-picker>: where selected faces go. A new person (typed name), an
// existing person, "a stranger" or "not a face"; one button applies it.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Person } from './api.ts';
import { controls } from './shared-styles.ts';

/** A chosen target: a decision target (`12`, `stranger`, `not_a_face`) or a new person's name. */
export type TargetChoice = { target: string } | { newName: string };

declare global {
  interface HTMLElementTagNameMap {
    'target-picker': TargetPicker;
  }
  interface HTMLElementEventMap {
    'target-chosen': CustomEvent<TargetChoice>;
  }
}

@customElement('target-picker')
export class TargetPicker extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
      }
      input {
        width: 11rem;
      }
    `,
  ];

  /** The persons one can pick. */
  @property({ attribute: false }) people: Person[] = [];
  /** A person not to offer (the one the faces come from). */
  @property({ type: Number }) exclude: number | null = null;
  /** How many faces are selected: nothing to apply at 0. */
  @property({ type: Number }) count = 0;
  /** Offer "a stranger" and "not a face". */
  @property({ type: Boolean }) marks = true;
  /** Disables the button while a decision is being saved. */
  @property({ type: Boolean }) busy = false;

  @state() private choice = 'new';
  @state() private name = '';

  override render() {
    const people = this.people.filter((p) => p.personId !== this.exclude && p.mergedInto === null);
    const ready = this.count > 0 && !this.busy && (this.choice !== 'new' || this.name.trim() !== '');
    return html`
      <label for="target">Move ${this.count} ${this.count === 1 ? 'face' : 'faces'} to</label>
      <select id="target" .value=${this.choice} @change=${(e: Event) => (this.choice = (e.target as HTMLSelectElement).value)}>
        <option value="new">a new person…</option>
        ${people.length ? html`<optgroup label="People">${people.map((p) => html`<option value=${String(p.personId)}>${p.name}</option>`)}</optgroup>` : nothing}
        ${this.marks
          ? html`<optgroup label="Mark as">
              <option value="stranger">a stranger</option>
              <option value="not_a_face">not a face</option>
            </optgroup>`
          : nothing}
      </select>
      ${this.choice === 'new'
        ? html`<input
            id="new-name"
            placeholder="Name"
            aria-label="New person's name"
            .value=${this.name}
            @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && ready && this.apply()}
          />`
        : nothing}
      <button class="primary" id="apply" ?disabled=${!ready} @click=${this.apply}>Apply</button>
    `;
  }

  private apply(): void {
    const detail: TargetChoice = this.choice === 'new' ? { newName: this.name.trim() } : { target: this.choice };
    this.dispatchEvent(new CustomEvent('target-chosen', { detail }));
    this.name = '';
  }
}
