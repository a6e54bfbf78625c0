// <review-view>: the review queue, keyboard first. One face (or a small group
// of one cluster) at a time with the suggested person's faces beside it:
// a accepts, x says "not this person", n names (a new or an existing person),
// s skips, u undoes the last decision, j/k move through the queue. The next
// items' crops are loaded ahead and decisions leave the screen before the
// server answers, so moving on never waits; a failed save puts the item back.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { api, errorText, loadCrops, reviewApi, type Person, type ReviewItem } from './api.ts';
import { applyChoice } from './decisions.ts';
import { notify } from './notify.ts';
import { controls, viewHost } from './shared-styles.ts';
import type { TargetChoice, TargetPicker } from './target-picker.ts';
import './target-picker.ts';

declare global {
  interface HTMLElementTagNameMap {
    'review-view': ReviewView;
  }
}

/** Items asked of the server at a time, and how few left make the view ask for more. */
const BATCH = 12;
const REFILL_BELOW = 5;
/** Items ahead whose crops are loaded before they are shown. */
const PRELOAD = 3;
const FACE_SIZE = 256;
/** Faces the server takes in `skip`. */
const MAX_SKIP = 500;
/** Items of the strip before and after the one shown. */
const STRIP_BEFORE = 3;
const STRIP_AFTER = 14;
const SMALL_SIZE = 128;

/** A decision that `u` can undo, and the item to show again. */
interface Undoable {
  batchId: number;
  item: ReviewItem;
  what: string;
}

const GROUPS_KEY = 'mnemo.review.groups';

const faces = (n: number): string => `${n} ${n === 1 ? 'face' : 'faces'}`;

@customElement('review-view')
export class ReviewView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .card {
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        box-shadow: var(--mn-shadow);
        padding: 1.25rem 1.5rem;
        margin-top: 1rem;
      }
      .question {
        display: flex;
        align-items: baseline;
        gap: 0.75rem;
        font-size: 1.25rem;
        margin-bottom: 1rem;
      }
      .confidence {
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
        padding: 0.1rem 0.5rem;
        border-radius: 999px;
        background: var(--mn-border);
      }
      .confidence.high {
        background: #dcebd9;
        color: #2f5d2a;
      }
      .confidence.medium {
        background: #f4e6c8;
        color: #7a5413;
      }
      .position {
        margin-left: auto;
        font-size: 0.85rem;
      }
      .compare {
        display: flex;
        flex-wrap: wrap;
        gap: 1.5rem;
        align-items: flex-start;
      }
      .tile {
        position: relative;
        aspect-ratio: 1;
        border-radius: 8px;
        overflow: hidden;
        background: var(--mn-border);
      }
      .tile img {
        width: 100%;
        height: 100%;
        object-fit: cover;
        display: block;
      }
      .tile .score {
        position: absolute;
        right: 4px;
        bottom: 4px;
        font-size: 0.7rem;
        padding: 0 0.3rem;
        border-radius: 4px;
        background: rgb(255 255 255 / 0.85);
      }
      .subject.single .tile {
        width: 300px;
      }
      .subject.group {
        flex: 1 1 24rem;
        max-width: 44rem;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(110px, 1fr));
        gap: 8px;
      }
      .evidence {
        flex: none;
        width: 17rem;
        padding-left: 1.5rem;
        border-left: 1px solid var(--mn-border);
      }
      .evidence h3 {
        font-size: 0.9rem;
        font-weight: 600;
        margin: 0 0 0.5rem;
      }
      .evidence .faces {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 8px;
      }
      .actions {
        margin-top: 1.25rem;
      }
      kbd {
        font: inherit;
        font-size: 0.75rem;
        border: 1px solid var(--mn-border);
        border-bottom-width: 2px;
        border-radius: 4px;
        padding: 0 0.3rem;
        margin-left: 0.35rem;
        background: var(--mn-bg);
        color: var(--mn-muted);
      }
      button.primary kbd {
        background: transparent;
        color: white;
        border-color: rgb(255 255 255 / 0.5);
      }
      .naming {
        margin-top: 1rem;
        padding-top: 1rem;
        border-top: 1px solid var(--mn-border);
      }
      .strip {
        display: flex;
        gap: 6px;
        margin-top: 1rem;
        overflow-x: auto;
      }
      .strip .tile {
        width: 56px;
        flex: none;
        cursor: pointer;
        border: 2px solid transparent;
      }
      .strip .tile[aria-current='true'] {
        border-color: var(--mn-selected);
      }
      .strip .count {
        position: absolute;
        left: 3px;
        top: 3px;
        font-size: 0.65rem;
        padding: 0 0.25rem;
        border-radius: 3px;
        background: rgb(0 0 0 / 0.6);
        color: white;
      }
      .last {
        min-height: 1.4em;
        font-size: 0.9rem;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed (a re-match finished): refresh what is ahead. */
  @property({ type: Number }) generation = 0;
  /** Group the faces of one cluster that point to the same person (the last choice is remembered). */
  @property({ type: Boolean }) groups = localStorage.getItem(GROUPS_KEY) !== 'false';

  /** The items ahead, the one shown at `index`. */
  @state() private queue: ReviewItem[] = [];
  @state() private index = 0;
  @state() private total = 0;
  /** Faces in the whole queue. */
  @state() private faceCount = 0;
  @state() private loaded = false;
  @state() private error = '';
  @state() private naming = false;
  @state() private people: Person[] = [];
  /** Crops loaded so far, by `${size}:${faceId}`: shown at once when an item comes up. */
  @state() private crops: ReadonlyMap<string, string> = new Map();
  @state() private last = '';

  /** Faces decided here (until the server's queue no longer has them) and faces skipped. */
  private readonly decided = new Set<string>();
  private readonly skipped = new Set<string>();
  private readonly undoStack: Undoable[] = [];
  private fetching: Promise<void> | null = null;

  /** The item shown, if any (tests read it). */
  get current(): ReviewItem | undefined {
    return this.queue[this.index];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation') || changed.has('groups')) void this.refresh();
  }

  override render() {
    const item = this.current;
    return html`
      <h1>Review</h1>
      <p class="muted">
        ${!this.loaded ? 'Loading…' : this.total > 0 ? `${this.total} ${this.total === 1 ? 'suggestion' : 'suggestions'} (${faces(this.faceCount)}) to review, most confident first.` : 'Keys:'}
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>a</kbd> accept · <kbd>x</kbd> not this person · <kbd>n</kbd> name · <kbd>s</kbd> skip · <kbd>u</kbd> undo
      </p>
      <div class="toolbar">
        <label><input type="checkbox" id="groups" .checked=${this.groups} @change=${this.onGroupsChange} /> Group faces of one cluster</label>
        <span class="spacer"></span>
        <span class="muted last" aria-live="polite">${this.last}</span>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${item ? this.renderItem(item) : this.loaded && !this.error ? html`<div class="card"><p class="muted">Nothing to review: no unnamed face is like anyone named. Naming a few more faces (Clusters, People) brings new suggestions.</p></div>` : nothing}
      ${this.queue.length > 1 ? this.renderStrip() : nothing}
    `;
  }

  private renderItem(item: ReviewItem) {
    const level = item.confidence >= 0.6 ? 'high' : item.confidence >= 0.45 ? 'medium' : '';
    const group = item.faceIds.length > 1;
    return html`<section class="card" data-person-id=${item.personId} data-face-ids=${item.faceIds.join(',')}>
      <div class="question">
        <span>${group ? html`Are these ${item.faceIds.length} faces <strong>${item.personName}</strong>?` : html`Is this <strong>${item.personName}</strong>?`}</span>
        <span class="confidence ${level}" title="cosine similarity to ${item.personName}${group ? ' (the lowest of the group)' : ''}">${item.confidence.toFixed(2)}</span>
        <span class="muted position">${this.index + 1} of ${this.total}${item.clusterId !== null ? ` · cluster ${item.clusterId}` : ''}</span>
      </div>
      <div class="compare">
        <div class="subject ${group ? 'group' : 'single'}">
          ${item.faceIds.map((faceId, i) => this.tile(faceId, group ? SMALL_SIZE : FACE_SIZE, group ? item.confidences[i]!.toFixed(2) : ''))}
        </div>
        <div class="evidence">
          <h3>${item.personName}</h3>
          <div class="faces">${item.personFaceIds.map((faceId) => this.tile(faceId, SMALL_SIZE))}</div>
        </div>
      </div>
      <div class="toolbar actions">
        <button class="primary" id="accept" @click=${() => this.accept()}>Yes, ${item.personName}<kbd>a</kbd></button>
        <button id="reject" @click=${() => this.reject()}>Not ${item.personName}<kbd>x</kbd></button>
        <button id="name" @click=${() => this.openNaming()}>Someone else…<kbd>n</kbd></button>
        <button id="skip" @click=${() => this.skip()}>Skip<kbd>s</kbd></button>
        <button id="undo" ?disabled=${this.undoStack.length === 0} @click=${() => this.undo()}>Undo<kbd>u</kbd></button>
      </div>
      ${this.naming
        ? html`<div class="naming">
            <target-picker .people=${this.people} .count=${item.faceIds.length} @target-chosen=${this.onNamed} @keydown=${this.onNamingKey}></target-picker>
          </div>`
        : nothing}
    </section>`;
  }

  private renderStrip() {
    const from = Math.max(0, this.index - STRIP_BEFORE);
    return html`<div class="strip" aria-label="Queue">
      ${this.queue.slice(from, this.index + STRIP_AFTER + 1).map(
        (item, at) => html`<div class="tile" aria-current=${from + at === this.index ? 'true' : 'false'} title="${item.personName} ${item.confidence.toFixed(2)}" @click=${() => this.moveTo(from + at)}>
          ${this.cropImg(item.faceIds[0]!, SMALL_SIZE)} ${item.faceIds.length > 1 ? html`<span class="count">${item.faceIds.length}</span>` : nothing}
        </div>`,
      )}
    </div>`;
  }

  private tile(faceId: string, size: number, score = '') {
    return html`<div class="tile" data-face-id=${faceId}>${this.cropImg(faceId, size)}${score ? html`<span class="score">${score}</span>` : nothing}</div>`;
  }

  private cropImg(faceId: string, size: number) {
    const src = this.crops.get(`${size}:${faceId}`);
    return src ? html`<img src=${src} alt="face" />` : nothing;
  }

  // ---- the queue ----

  /** Asks for the queue again; the item shown stays first while the server still suggests it (a re-match must not swap it needlessly). */
  private async refresh(): Promise<void> {
    try {
      const [next, people] = await Promise.all([reviewApi.next({ limit: BATCH, skip: this.skipList([]), groups: this.groups }), api.people({ sort: 'name' })]);
      this.people = people;
      const shown = this.current;
      const fresh = next.items.filter((item) => !item.faceIds.some((id) => this.decided.has(id) || this.skipped.has(id)));
      const same = (a: ReviewItem, b: ReviewItem) => a.personId === b.personId && a.faceIds.join() === b.faceIds.join();
      const keep = shown && fresh.some((item) => same(item, shown)) ? [shown] : [];
      this.queue = [...keep, ...fresh.filter((item) => !keep.some((k) => same(k, item)))];
      this.index = 0;
      this.total = next.total;
      this.faceCount = next.faces;
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
    this.loaded = true;
    this.preload();
  }

  /** What the server should leave out: these faces, then the latest skipped, within its limit of 500. */
  private skipList(first: string[]): string[] {
    return [...first, ...[...this.skipped].reverse()].slice(0, MAX_SKIP);
  }

  /** More items once few are left; the ones on screen stay. */
  private fetchMore(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const onScreen = new Set(this.queue.flatMap((item) => item.faceIds));
        const next = await reviewApi.next({ limit: BATCH, skip: this.skipList([...onScreen]), groups: this.groups });
        const more = next.items.filter((item) => !item.faceIds.some((id) => this.decided.has(id) || this.skipped.has(id) || onScreen.has(id)));
        this.queue = [...this.queue, ...more];
        // On screen, and what the server has beyond.
        this.total = this.queue.length + Math.max(0, next.total - more.length);
        const moreFaces = more.reduce((sum, item) => sum + item.faceIds.length, 0);
        this.faceCount = this.queue.reduce((sum, item) => sum + item.faceIds.length, 0) + Math.max(0, next.faces - moreFaces);
      } catch (error) {
        this.error = errorText(error);
      }
      this.fetching = null;
      this.preload();
    })();
    return this.fetching;
  }

  /** Loads the crops of the shown item and the next few, so that moving on shows them at once. */
  private preload(): void {
    const wanted: [string, number][] = [];
    for (const item of this.queue.slice(this.index, this.index + PRELOAD + 1)) {
      const size = item.faceIds.length > 1 ? SMALL_SIZE : FACE_SIZE;
      for (const id of item.faceIds) wanted.push([id, size]);
      for (const id of item.personFaceIds) wanted.push([id, SMALL_SIZE]);
    }
    for (const item of this.queue.slice(Math.max(0, this.index - STRIP_BEFORE), this.index + STRIP_AFTER + 1)) wanted.push([item.faceIds[0]!, SMALL_SIZE]); // the strip
    for (const size of [SMALL_SIZE, FACE_SIZE]) {
      const ids = [...new Set(wanted.filter(([id, s]) => s === size && !this.crops.has(`${s}:${id}`)).map(([id]) => id))];
      for (const [id, crop] of loadCrops(ids, size)) {
        void crop.then((src) => {
          if (src && !this.crops.has(`${size}:${id}`)) this.crops = new Map(this.crops).set(`${size}:${id}`, src);
        });
      }
    }
  }

  /** Takes the shown item off the queue (decided or skipped) and moves on. */
  private takeCurrent(): ReviewItem | undefined {
    const item = this.current;
    if (!item) return undefined;
    this.queue = this.queue.filter((_, i) => i !== this.index);
    this.total = Math.max(0, this.total - 1);
    this.faceCount = Math.max(0, this.faceCount - item.faceIds.length);
    if (this.index >= this.queue.length) this.index = Math.max(0, this.queue.length - 1);
    this.naming = false;
    if (this.queue.length - this.index < REFILL_BELOW) void this.fetchMore();
    this.preload();
    return item;
  }

  private moveTo(index: number): void {
    if (index < 0 || index >= this.queue.length) return;
    this.index = index;
    this.naming = false;
    this.preload();
    if (this.queue.length - this.index < REFILL_BELOW) void this.fetchMore();
  }

  // ---- decisions ----

  private accept(): Promise<void> {
    const item = this.current;
    if (!item) return Promise.resolve();
    return this.decide(item, () => api.assign(item.faceIds, String(item.personId)), `${faces(item.faceIds.length)} → ${item.personName}`);
  }

  private reject(): Promise<void> {
    const item = this.current;
    if (!item) return Promise.resolve();
    return this.decide(item, () => api.assign(item.faceIds, `not:${item.personId}`), `${faces(item.faceIds.length)}: not ${item.personName}`);
  }

  /** Shows the next item at once, then saves; a failed save puts the item back. */
  private async decide(item: ReviewItem, save: () => Promise<{ batchId: number }>, what: string): Promise<void> {
    for (const id of item.faceIds) this.decided.add(id); // before taking it: a refill it starts must leave it out
    this.takeCurrent();
    try {
      const { batchId } = await save();
      this.undoStack.push({ batchId, item, what });
      this.last = `${what} · u to undo`;
    } catch (error) {
      for (const id of item.faceIds) this.decided.delete(id);
      this.queue = [...this.queue.slice(0, this.index), item, ...this.queue.slice(this.index)];
      notify(this, { message: errorText(error), error: true });
    }
  }

  private readonly onGroupsChange = (event: Event): void => {
    this.groups = (event.target as HTMLInputElement).checked;
    localStorage.setItem(GROUPS_KEY, String(this.groups));
  };

  private skip(): void {
    const item = this.current;
    if (!item) return;
    for (const id of item.faceIds) this.skipped.add(id); // before taking it: a refill it starts must leave it out
    this.takeCurrent();
    this.last = `Skipped ${faces(item.faceIds.length)}`;
  }

  private async undo(): Promise<void> {
    const last = this.undoStack.pop();
    if (!last) return;
    try {
      await api.undo(last.batchId);
      for (const id of last.item.faceIds) this.decided.delete(id);
      // The undone item comes back where the user is.
      this.queue = [...this.queue.slice(0, this.index), last.item, ...this.queue.slice(this.index)];
      this.total += 1;
      this.faceCount += last.item.faceIds.length;
      this.naming = false;
      this.last = `Undone (${last.what})`;
      this.preload();
    } catch (error) {
      this.undoStack.push(last);
      notify(this, { message: errorText(error), error: true });
    }
  }

  private async openNaming(): Promise<void> {
    if (!this.current) return;
    this.naming = true;
    await this.updateComplete;
    const picker = this.renderRoot.querySelector<TargetPicker>('target-picker');
    await picker?.updateComplete;
    picker?.renderRoot.querySelector<HTMLInputElement>('#new-name')?.focus();
  }

  private readonly onNamed = async (event: CustomEvent<TargetChoice>): Promise<void> => {
    const item = this.current;
    if (!item) return;
    const choice = event.detail;
    await this.decide(item, async () => {
      const { message, batchId } = await applyChoice(item.faceIds, choice, this.people);
      if ('newName' in choice) this.people = await api.people({ sort: 'name' }); // the new person can be picked next time
      this.last = message;
      return { batchId };
    }, 'newName' in choice ? `${faces(item.faceIds.length)} → ${choice.newName}` : `${faces(item.faceIds.length)} → ${this.people.find((p) => String(p.personId) === choice.target)?.name ?? choice.target}`);
  };

  private readonly onNamingKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') this.naming = false;
  };

  private readonly onKey = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Keys typed into a field (the name field) are text, not commands.
    const target = event.composedPath()[0] as HTMLElement | undefined;
    const typing = target?.tagName === 'TEXTAREA' || target?.tagName === 'SELECT' || (target?.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'checkbox');
    if (typing) return;
    const commands: Record<string, () => unknown> = {
      j: () => this.moveTo(this.index + 1),
      k: () => this.moveTo(this.index - 1),
      a: () => this.accept(),
      x: () => this.reject(),
      n: () => this.openNaming(),
      s: () => this.skip(),
      u: () => this.undo(),
    };
    const command = commands[event.key];
    if (!command) return;
    event.preventDefault();
    void command();
  };
}
