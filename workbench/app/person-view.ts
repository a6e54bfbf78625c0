// <person-view>: one person's faces, 200 to a page. Select faces (click,
// shift-click for a range) and move them to another person, split them into
// a new person, or mark them as strangers or not faces. Split suggestions
// above the faces: the groups of look-alike faces other than the main one
// (GET /api/people/:id/subclusters), each offered whole as a new person or
// a move.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { api, errorText, similarityApi, type Face, type Person, type PersonDetail, type Subcluster } from './api.ts';
import { applyChoice } from './decisions.ts';
import './face-grid.ts';
import { notify } from './notify.ts';
import { controls, viewHost } from './shared-styles.ts';
import './target-picker.ts';
import type { TargetChoice } from './target-picker.ts';

declare global {
  interface HTMLElementTagNameMap {
    'person-view': PersonView;
  }
}

const PAGE = 200;
/** Split suggestions shown, and faces shown of each. */
const MAX_SPLITS = 6;
const SPLIT_FACES = 12;

const percent = (similarity: number): string => `${Math.round(Math.max(0, similarity) * 100)}%`;
const faces = (n: number): string => `${n} ${n === 1 ? 'face' : 'faces'}`;

@customElement('person-view')
export class PersonView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .back {
        color: var(--mn-accent);
        text-decoration: none;
        font-size: 0.9rem;
      }
      header {
        margin: 0.5rem 0 0.25rem;
      }
      .bar {
        position: sticky;
        top: -1.5rem;
        z-index: 1;
        background: var(--mn-bg);
        padding: 0.6rem 0;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem;
        border-bottom: 1px solid var(--mn-border);
        margin-bottom: 0.75rem;
      }
      .splits {
        margin: 0.75rem 0 1.25rem;
      }
      .splits h2 {
        margin-top: 0.5rem;
      }
      .split {
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        background: var(--mn-surface);
        padding: 0.6rem 0.75rem;
        margin-bottom: 0.6rem;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        --face-size: 64px;
      }
      .split-actions {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem;
      }
      .pager {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        margin-top: 1rem;
      }
    `,
  ];

  /** The person shown. */
  @property({ type: Number }) personId = 0;
  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private detail: PersonDetail | null = null;
  @state() private faces: Face[] = [];
  @state() private total = 0;
  @state() private offset = 0;
  @state() private selected: ReadonlySet<string> = new Set();
  @state() private people: Person[] = [];
  @state() private busy = false;
  @state() private error = '';
  /** Groups of look-alike faces; the first is the main one. */
  @state() private subclusters: Subcluster[] = [];
  /** Split suggestions already acted on (by their first face), hidden until a new run. */
  @state() private acted: ReadonlySet<string> = new Set();
  private subclustersRun: number | null = null;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('personId')) {
      this.offset = 0;
      this.selected = new Set();
      this.subclusters = [];
      this.acted = new Set();
      this.subclustersRun = null;
    }
    if (changed.has('personId') || changed.has('generation') || changed.has('offset')) void this.load();
    if (changed.has('personId') || changed.has('generation')) void this.loadSubclusters();
  }

  override render() {
    const person = this.detail?.person;
    const end = Math.min(this.offset + PAGE, this.total);
    return html`
      <a class="back" href="#/people">← People</a>
      <header>
        <h1>${person?.name ?? (this.error ? 'Person' : '…')}</h1>
        <div class="muted">
          ${this.total} ${this.total === 1 ? 'face' : 'faces'}${this.detail ? html` · ${this.detail.manualFaces.length} confirmed by you` : nothing}${person?.hidden ? ' · hidden' : nothing}
        </div>
      </header>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.renderSplits(person?.name ?? 'this person')}
      <div class="bar">
        <target-picker
          .people=${this.people}
          .exclude=${this.personId}
          .count=${this.selected.size}
          .busy=${this.busy}
          @target-chosen=${this.onTarget}
        ></target-picker>
        ${this.selected.size ? html`<button class="link" @click=${this.clear}>Clear selection</button>` : html`<span class="muted">Click faces to select them; shift-click selects a range.</span>`}
      </div>
      <face-grid selectable .items=${this.faces} .selected=${this.selected} empty="No faces on this person in the latest run yet." @selection-change=${this.onSelection}></face-grid>
      ${this.total > PAGE
        ? html`<div class="pager">
            <button ?disabled=${this.offset === 0} @click=${() => (this.offset = Math.max(0, this.offset - PAGE))}>Previous</button>
            <span class="muted">${this.offset + 1}–${end} of ${this.total}</span>
            <button ?disabled=${end >= this.total} @click=${() => (this.offset += PAGE)}>Next</button>
          </div>`
        : nothing}
    `;
  }

  private renderSplits(name: string) {
    const splits = this.subclusters.slice(1).filter((group) => !this.acted.has(group.faceIds[0]!));
    if (splits.length === 0) return nothing;
    return html`<section class="splits" aria-label="Split suggestions">
      <h2>Split suggestions</h2>
      <div class="muted">These groups of faces look unlike the rest of ${name}: split one into a new person, or move it.</div>
      ${splits.slice(0, MAX_SPLITS).map(
        (group) => html`<div class="split" data-first-face=${group.faceIds[0]!}>
          <div>
            <strong>${faces(group.faceIds.length)}</strong>
            <span class="muted">
              · ${percent(group.similarityToMain ?? 0)} alike with the rest${group.nearestPerson ? ` · most like ${group.nearestPerson.name} (${percent(group.nearestPerson.similarity)})` : ''}
            </span>
          </div>
          <face-grid .items=${group.faceIds.slice(0, SPLIT_FACES).map((faceId) => ({ faceId }))}></face-grid>
          ${group.faceIds.length > SPLIT_FACES ? html`<div class="muted">and ${faces(group.faceIds.length - SPLIT_FACES)} more</div>` : nothing}
          <div class="split-actions">
            <target-picker .people=${this.people} .exclude=${this.personId} .count=${group.faceIds.length} .busy=${this.busy} @target-chosen=${(event: CustomEvent<TargetChoice>) => this.onSplit(group, event.detail)}></target-picker>
            ${group.nearestPerson
              ? html`<button data-action="move-to-nearest" ?disabled=${this.busy} @click=${() => this.onSplit(group, { target: String(group.nearestPerson!.personId) })}>Move to ${group.nearestPerson.name}</button>`
              : nothing}
          </div>
        </div>`,
      )}
    </section>`;
  }

  private async loadSubclusters(): Promise<void> {
    const personId = this.personId;
    if (!personId) return;
    try {
      const { subclusters, runId } = await similarityApi.subclusters(personId);
      if (personId !== this.personId) return;
      // A new run has the decisions in it: every group is as it now is.
      if (runId !== this.subclustersRun) this.acted = new Set();
      this.subclustersRun = runId;
      this.subclusters = subclusters;
    } catch {
      this.subclusters = []; // suggestions only: the page works without them
    }
  }

  private async onSplit(group: Subcluster, choice: TargetChoice): Promise<void> {
    this.busy = true;
    try {
      const { message, batchId } = await applyChoice(group.faceIds, choice, this.people);
      this.acted = new Set([...this.acted, group.faceIds[0]!]);
      notify(this, { message, undoable: true, batchId });
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    this.busy = false;
  }

  private async load(): Promise<void> {
    const personId = this.personId;
    if (!personId) return;
    try {
      const [detail, page, people] = await Promise.all([api.person(personId), api.personFaces(personId, this.offset, PAGE), api.people({ hidden: false, sort: 'name' })]);
      if (personId !== this.personId) return;
      this.detail = detail;
      this.faces = page.items;
      this.total = page.total;
      this.people = people;
      const onPage = new Set(page.items.map((f) => f.faceId));
      this.selected = new Set([...this.selected].filter((id) => onPage.has(id)));
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private onSelection(event: CustomEvent<{ faceIds: string[] }>): void {
    this.selected = new Set(event.detail.faceIds);
  }

  private clear(): void {
    this.selected = new Set();
  }

  private async onTarget(event: CustomEvent<TargetChoice>): Promise<void> {
    const faceIds = [...this.selected];
    this.busy = true;
    try {
      const { message, batchId } = await applyChoice(faceIds, event.detail, this.people);
      this.selected = new Set();
      notify(this, { message, undoable: true, batchId });
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    }
    this.busy = false;
  }
}
