// <mnemo-app>: the shell. A left navigation, the view the URL hash names
// (#/people, #/people/<id>, #/map, #/trips, #/trips/<id>, #/clusters, #/review, #/runs), the toast, and the
// server's event stream: when a re-match or a run finishes, the views reload.
import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { api, errorText, subscribe, type ServerEvent } from './api.ts';
import type { MnemoToast } from './mnemo-toast.ts';
import type { NotifyDetail } from './notify.ts';
import './mnemo-toast.ts';
import './people-view.ts';
import './person-view.ts';
import './map-view.ts';
import './clusters-view.ts';
import './runs-view.ts';
import './review-view.ts';
import './notebook-view.ts';
import './trips-view.ts';
import './compare-view.ts';
import './duplicates-view.ts';

declare global {
  interface HTMLElementTagNameMap {
    'mnemo-app': MnemoApp;
  }
}

interface Route {
  view: 'people' | 'person' | 'map' | 'clusters' | 'review' | 'runs' | 'trips' | 'notebooks' | 'compare' | 'duplicates';
  id?: number;
  /** A notebook's file name (#/notebooks/<name>). */
  name?: string;
}

const NAV: { view: Route['view']; label: string; hash: string }[] = [
  { view: 'people', label: 'People', hash: '#/people' },
  { view: 'clusters', label: 'Clusters', hash: '#/clusters' },
  { view: 'review', label: 'Review', hash: '#/review' },
  { view: 'map', label: 'Face map', hash: '#/map' },
  { view: 'trips', label: 'Trips', hash: '#/trips' },
  { view: 'notebooks', label: 'Notebooks', hash: '#/notebooks' },
  { view: 'compare', label: 'Compare', hash: '#/compare' },
  { view: 'duplicates', label: 'Duplicates', hash: '#/duplicates' },
  { view: 'runs', label: 'Runs', hash: '#/runs' },
];

function parseRoute(hash: string): Route {
  const [, first, second] = hash.replace(/^#/, '').split('/');
  if (first === 'people' && second && /^\d+$/.test(second)) return { view: 'person', id: Number(second) };
  if (first === 'trips') return second && /^\d+$/.test(second) ? { view: 'trips', id: Number(second) } : { view: 'trips' };
  if (first === 'notebooks') return { view: 'notebooks', name: second ? decodeURIComponent(second) : '' };
  if (first === 'compare' || first === 'duplicates') return { view: first }; // compare-view reads #/compare/A/B itself
  if (first === 'map' || first === 'clusters' || first === 'review' || first === 'runs') return { view: first };
  return { view: 'people' };
}

@customElement('mnemo-app')
export class MnemoApp extends LitElement {
  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: 12rem 1fr;
      height: 100vh;
      font-family: var(--mn-font);
    }
    nav {
      background: var(--mn-nav-bg);
      border-right: 1px solid var(--mn-border);
      padding: 1.25rem 0.75rem;
      display: flex;
      flex-direction: column;
      gap: 0.15rem;
    }
    .brand {
      font-weight: 600;
      font-size: 1.1rem;
      letter-spacing: 0.02em;
      padding: 0 0.75rem 1.25rem;
    }
    nav a {
      color: var(--mn-text);
      text-decoration: none;
      padding: 0.45rem 0.75rem;
      border-radius: 6px;
    }
    nav a:hover {
      background: rgb(0 0 0 / 0.04);
    }
    nav a[aria-current='page'] {
      background: var(--mn-surface);
      box-shadow: var(--mn-shadow);
      font-weight: 500;
    }
    .status {
      margin-top: auto;
      padding: 0 0.75rem;
      font-size: 0.8rem;
      color: var(--mn-muted);
      min-height: 1.2em;
    }
    main {
      overflow: auto;
      padding: 1.5rem 2rem;
      min-width: 0;
    }
  `;

  @state() private route: Route = parseRoute(location.hash);
  /** Bumped whenever the server's data changed: views reload when it moves. */
  @state() private generation = 0;
  @state() private status = '';

  /** The batch the toast's Undo reverts. */
  private undoBatch: number | null = null;
  /** A re-match run is going (its run events say "Updating faces", not "Run N"). */
  private rematching = false;

  private closeEvents: (() => void) | undefined;
  private readonly onHashChange = () => (this.route = parseRoute(location.hash));

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    this.addEventListener('mnemo-notify', this.onNotify);
    this.closeEvents = subscribe<ServerEvent>('/api/events', (event) => this.onServerEvent(event));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
    this.removeEventListener('mnemo-notify', this.onNotify);
    this.closeEvents?.();
  }

  override render() {
    const active = this.route.view === 'person' ? 'people' : this.route.view;
    return html`
      <nav aria-label="Views">
        <div class="brand">mnemo</div>
        ${NAV.map((item) => html`<a href=${item.hash} aria-current=${active === item.view ? 'page' : 'false'}>${item.label}</a>`)}
        <div class="status" aria-live="polite">${this.status}</div>
      </nav>
      <main>${this.renderView()}</main>
      <mnemo-toast @toast-action=${this.onUndo}></mnemo-toast>
    `;
  }

  private renderView() {
    const g = this.generation;
    switch (this.route.view) {
      case 'person':
        return html`<person-view .personId=${this.route.id!} .generation=${g}></person-view>`;
      case 'map':
        return html`<map-view .generation=${g}></map-view>`;
      case 'clusters':
        return html`<clusters-view .generation=${g}></clusters-view>`;
      case 'review':
        return html`<review-view .generation=${g}></review-view>`;
      case 'trips':
        return html`<trips-view .tripId=${this.route.id ?? null} .generation=${g}></trips-view>`;
      case 'notebooks':
        return html`<notebook-view .name=${this.route.name ?? ''} .generation=${g}></notebook-view>`;
      case 'compare':
        return html`<compare-view .generation=${g}></compare-view>`;
      case 'duplicates':
        return html`<duplicates-view .generation=${g}></duplicates-view>`;
      case 'runs':
        return html`<runs-view .generation=${g}></runs-view>`;
      default:
        return html`<people-view .generation=${g}></people-view>`;
    }
  }

  private get toast(): MnemoToast {
    return this.renderRoot.querySelector('mnemo-toast')!;
  }

  private readonly onNotify = (event: CustomEvent<NotifyDetail>) => {
    const { message, undoable, error, batchId } = event.detail;
    this.undoBatch = batchId ?? null;
    this.toast.show(message, { action: undoable ? 'Undo' : '', error });
    if (undoable) this.generation++;
  };

  private async onUndo(): Promise<void> {
    try {
      const result = await api.undo(this.undoBatch ?? undefined);
      this.toast.show(result.undid ? 'Undone' : 'Nothing to undo');
    } catch (error) {
      this.toast.show(errorText(error), { error: true });
    }
    this.generation++;
  }

  private onServerEvent(event: ServerEvent): void {
    switch (event.type) {
      case 'rematch-started':
        this.rematching = true;
        this.status = 'Updating faces…';
        break;
      case 'rematch-finished':
        this.rematching = false;
        this.status = '';
        this.generation++;
        break;
      case 'run-started':
        if (!this.rematching) this.status = `Run ${event.runId} running…`;
        break;
      case 'run-finished':
        this.status = '';
        this.generation++;
        break;
    }
  }
}
