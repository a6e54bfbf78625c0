// <cluster-card>: one unnamed cluster: its first 24 faces and a name field.
// "Not this person" on a face leaves it out of the naming (and records that
// it is not the person named); naming puts every other face of the cluster on
// the person, a new one or an existing one of that name, in one batch.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { api, errorText, type Cluster, type ClusterSuggestion, type Face, type Person } from './api.ts';
import './face-grid.ts';
import { notify } from './notify.ts';
import { cardHost, controls } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'cluster-card': ClusterCard;
  }
  interface HTMLElementEventMap {
    /** The cluster was named (the view drops it from the list). */
    'cluster-named': CustomEvent<{ clusterId: number }>;
  }
}

const SHOWN = 24;

@customElement('cluster-card')
export class ClusterCard extends LitElement {
  static override styles = [
    controls,
    cardHost,
    css`
      :host {
        padding: 1rem;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.6rem;
        margin-bottom: 0.75rem;
      }
      h2 {
        margin: 0;
      }
      form {
        display: flex;
        gap: 0.4rem;
        margin-left: auto;
      }
      input {
        width: 12rem;
      }
      face-grid {
        --face-size: 76px;
      }
      .suggestion {
        display: flex;
        align-items: center;
        gap: 0.4rem;
      }
      .confidence {
        font-size: 0.8rem;
        font-variant-numeric: tabular-nums;
        padding: 0 0.4rem;
        border-radius: 999px;
        background: var(--mn-accent-soft);
      }
      .left-out {
        font-size: 0.85rem;
        margin-top: 0.5rem;
      }
    `,
  ];

  /** The cluster shown. */
  @property({ attribute: false }) cluster!: Cluster;
  /** Everyone, for naming after an existing person. */
  @property({ attribute: false }) people: Person[] = [];
  /** "Is this Anna?": the person the cluster's faces all point to, if any. */
  @property({ attribute: false }) suggestion: ClusterSuggestion | undefined;

  @state() private faces: Face[] = [];
  /** Faces left out with "Not this person". */
  @state() private excluded: ReadonlySet<string> = new Set();
  @state() private busy = false;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('cluster')) void this.load();
  }

  override render() {
    const c = this.cluster;
    const shown = this.faces.filter((f) => !this.excluded.has(f.faceId));
    const listId = `people-${c.clusterId}`;
    return html`
      <header>
        <h2>Cluster ${c.clusterId}</h2>
        <span class="muted">${c.faces} ${c.faces === 1 ? 'face' : 'faces'}</span>
        ${this.suggestion
          ? html`<span class="suggestion">
              <span>Is this <strong>${this.suggestion.personName}</strong>?</span>
              <span class="confidence" title="cosine similarity (the lowest of its faces)">${this.suggestion.confidence.toFixed(2)}</span>
              <button class="accept" ?disabled=${this.busy} @click=${this.onAccept}>Accept</button>
            </span>`
          : nothing}
        <form @submit=${this.onName}>
          <input name="name" placeholder="Who is this?" aria-label="Name this cluster" list=${listId} autocomplete="off" />
          <datalist id=${listId}>${this.people.map((p) => html`<option value=${p.name}></option>`)}</datalist>
          <button class="primary" type="submit" ?disabled=${this.busy}>Name</button>
        </form>
      </header>
      <face-grid .items=${shown} action="Not this person" @face-action=${this.onNotThis}></face-grid>
      ${c.faces > SHOWN ? html`<p class="muted left-out">Showing ${SHOWN} of ${c.faces}; naming names them all.</p>` : nothing}
      ${this.excluded.size
        ? html`<p class="muted left-out">
            ${this.excluded.size} left out as not this person.
            <button class="link" @click=${() => (this.excluded = new Set())}>Put back</button>
          </p>`
        : nothing}
    `;
  }

  private async load(): Promise<void> {
    try {
      this.faces = (await api.clusterFaces(this.cluster.clusterId, 0, SHOWN)).items;
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
  }

  private onNotThis(event: CustomEvent<{ faceId: string }>): void {
    this.excluded = new Set([...this.excluded, event.detail.faceId]);
  }

  /** Every face id of the cluster, page by page. */
  private async allFaceIds(): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await api.clusterFaces(this.cluster.clusterId, offset, 500);
      ids.push(...page.items.map((f) => f.faceId));
      if (page.items.length === 0 || offset + page.items.length >= page.total) return ids;
    }
  }

  /** Puts the suggested person on the faces the suggestion is for, but those left out (they are not the person). */
  private async onAccept(): Promise<void> {
    const suggestion = this.suggestion;
    if (!suggestion) return;
    this.busy = true;
    try {
      const faceIds = suggestion.faceIds.filter((id) => !this.excluded.has(id));
      const { batchId } = await api.assign(faceIds, String(suggestion.personId));
      if (this.excluded.size) await api.assign([...this.excluded], `not:${suggestion.personId}`);
      notify(this, { message: `Named ${faceIds.length} ${faceIds.length === 1 ? 'face' : 'faces'} ${suggestion.personName}`, undoable: true, batchId });
      this.dispatchEvent(new CustomEvent('cluster-named', { detail: { clusterId: this.cluster.clusterId }, bubbles: true, composed: true }));
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    this.busy = false;
  }

  private async onName(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim();
    if (!name) return;
    this.busy = true;
    try {
      const faceIds = (await this.allFaceIds()).filter((id) => !this.excluded.has(id));
      const existing = this.people.find((p) => p.name.toLowerCase() === name.toLowerCase() && p.mergedInto === null);
      let personId: number;
      let batchId: number;
      if (existing) {
        personId = existing.personId;
        batchId = (await api.assign(faceIds, String(personId))).batchId;
      } else {
        ({ personId, batchId } = await api.split(faceIds, name));
      }
      if (this.excluded.size) await api.assign([...this.excluded], `not:${personId}`);
      notify(this, { message: `Named ${faceIds.length} ${faceIds.length === 1 ? 'face' : 'faces'} ${existing ? existing.name : name}`, undoable: true, batchId });
      form.reset();
      this.dispatchEvent(new CustomEvent('cluster-named', { detail: { clusterId: this.cluster.clusterId }, bubbles: true, composed: true }));
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    this.busy = false;
  }
}
