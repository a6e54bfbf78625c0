// <mnemo-toast>: one short message at the bottom of the window, with an
// optional action ("Undo"). It hides itself after a while.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';

declare global {
  interface HTMLElementTagNameMap {
    'mnemo-toast': MnemoToast;
  }
  interface HTMLElementEventMap {
    /** The user pressed the toast's action button. */
    'toast-action': CustomEvent<void>;
  }
}

@customElement('mnemo-toast')
export class MnemoToast extends LitElement {
  static override styles = css`
    :host {
      position: fixed;
      left: 50%;
      bottom: 1.5rem;
      transform: translateX(-50%);
      z-index: 10;
    }
    .toast {
      display: flex;
      align-items: center;
      gap: 1rem;
      background: var(--mn-text);
      color: var(--mn-bg);
      border-radius: var(--mn-radius);
      padding: 0.6rem 1rem;
      box-shadow: 0 4px 16px rgb(0 0 0 / 0.18);
      font-size: 0.92rem;
    }
    button {
      font: inherit;
      background: none;
      border: none;
      color: #9cc6e0;
      font-weight: 600;
      cursor: pointer;
      padding: 0;
    }
    .error {
      background: var(--mn-danger);
      color: white;
    }
  `;

  /** The message; empty hides the toast. */
  @property() message = '';
  /** The label of the action button; empty: no button. */
  @property() action = '';
  /** An error toast (red). */
  @property({ type: Boolean }) error = false;

  private timer: number | undefined;

  /** Shows a message for a few seconds (longer when it has an action). */
  show(message: string, options: { action?: string; error?: boolean } = {}): void {
    this.message = message;
    this.action = options.action ?? '';
    this.error = options.error ?? false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => (this.message = ''), this.action ? 10_000 : 5_000);
  }

  override render() {
    if (!this.message) return nothing;
    return html`<div class="toast ${this.error ? 'error' : ''}" role="status">
      <span>${this.message}</span>
      ${this.action ? html`<button @click=${this.onAction}>${this.action}</button>` : nothing}
    </div>`;
  }

  private onAction(): void {
    this.message = '';
    this.dispatchEvent(new CustomEvent('toast-action'));
  }
}
