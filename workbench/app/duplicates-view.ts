// <duplicates-view>: the latest run's exact duplicates and near-duplicates,
// one group at a time with its photos side by side, the suggested keeper
// and why, and a button to confirm it or keep another one. Decisions are
// durable (they hold across runs). Nothing is deleted here: the non-keepers
// of decided groups can be downloaded as CSV, or moved into a `_delete`
// folder of their source after the person has seen the plan and confirmed it.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { duplicatesApi, errorText, type DuplicateGroup, type DuplicateGroups, type MovePlan } from './api.ts';
import { notify } from './notify.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'duplicates-view': DuplicatesView;
  }
}

const STEP = 20;
type Member = DuplicateGroup['members'][number];

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const photoUrl = (fileId: string) => `/api/photos/${encodeURIComponent(fileId)}`;

@customElement('duplicates-view')
export class DuplicatesView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .group {
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        box-shadow: var(--mn-shadow);
        padding: 0.9rem 1rem 1rem;
        margin-bottom: 1rem;
      }
      .group header {
        display: flex;
        align-items: baseline;
        gap: 0.6rem;
        flex-wrap: wrap;
      }
      .kind {
        font-size: 0.75rem;
        text-transform: uppercase;
        letter-spacing: 0.05em;
        padding: 0.1rem 0.45rem;
        border-radius: 999px;
        background: var(--mn-border);
      }
      .decided {
        color: #3d7a4a;
        font-size: 0.85rem;
      }
      .reason {
        margin: 0.35rem 0 0.75rem;
        font-size: 0.9rem;
      }
      .members {
        display: flex;
        flex-wrap: wrap;
        gap: 0.9rem;
      }
      figure {
        margin: 0;
        flex: 0 0 15rem;
        border: 2px solid transparent;
        border-radius: 8px;
        padding: 0.4rem;
      }
      figure.keeper {
        border-color: #3d7a4a;
        background: #f1f7f1;
      }
      figure.moved {
        opacity: 0.5;
      }
      figure img {
        width: 100%;
        height: 12rem;
        object-fit: contain;
        background: var(--mn-border);
        border-radius: 4px;
        display: block;
      }
      figcaption {
        font-size: 0.8rem;
        margin-top: 0.35rem;
        line-height: 1.35;
        overflow-wrap: anywhere;
      }
      .badge {
        display: inline-block;
        font-size: 0.75rem;
        font-weight: 600;
        color: #3d7a4a;
        margin-bottom: 0.2rem;
      }
      figcaption button {
        margin-top: 0.35rem;
      }
      .plan {
        background: #fff8ec;
        border: 1px solid #e3c48f;
        border-radius: var(--mn-radius);
        padding: 0.9rem 1rem;
        margin: 0.75rem 0 1.25rem;
      }
      .plan ul {
        max-height: 12rem;
        overflow: auto;
        font-size: 0.85rem;
        margin: 0.5rem 0;
      }
      button.danger {
        background: var(--mn-danger);
        border-color: var(--mn-danger);
        color: white;
      }
      a.button {
        font-size: 0.9rem;
        color: inherit;
        text-decoration: none;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: 6px;
        padding: 0.3rem 0.75rem;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed: reload. */
  @property({ type: Number }) generation = 0;

  @state() private data: DuplicateGroups | null = null;
  @state() private kind: 'all' | 'exact' | 'near' = 'all';
  @state() private shown = STEP;
  @state() private error = '';
  @state() private busy = false;
  @state() private plan: MovePlan | null = null;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation')) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.data = await duplicatesApi.groups({ kind: this.kind, limit: Math.max(this.shown, STEP) });
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    }
  }

  override render() {
    const data = this.data;
    return html`
      <h1>Duplicates</h1>
      <p class="muted">
        ${data
          ? data.runId === null
            ? 'No run yet.'
            : `Run ${data.runId}: ${plural(data.exact, 'group')} of identical files, ${data.near} of near-duplicates; ${data.decided} decided. Nothing is deleted here.`
          : 'Loading…'}
      </p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${data ? this.renderToolbar(data) : nothing}
      ${this.plan ? this.renderPlan(this.plan) : nothing}
      ${data && data.total === 0 && data.runId !== null ? html`<p class="muted">No duplicates in this run.</p>` : nothing}
      ${data ? repeat(data.groups, (g) => g.key, (g) => this.renderGroup(g)) : nothing}
      ${data && data.total > data.groups.length ? html`<div class="toolbar"><button @click=${this.showMore}>Show more groups (${data.total - data.groups.length} left)</button></div>` : nothing}
    `;
  }

  private renderToolbar(data: DuplicateGroups) {
    return html`<div class="toolbar">
      <label>Show <select name="kind" @change=${this.onKind}>
        <option value="all" ?selected=${this.kind === 'all'}>all groups</option>
        <option value="exact" ?selected=${this.kind === 'exact'}>identical files</option>
        <option value="near" ?selected=${this.kind === 'near'}>near-duplicates</option>
      </select></label>
      <span class="spacer"></span>
      <span class="muted">${plural(data.nonKeepers, 'non-keeper')} in decided groups (${bytes(data.nonKeeperBytes)})</span>
      <a class="button" href=${duplicatesApi.nonKeepersCsvUrl} download="mnemo-non-keepers.csv">Export non-keepers (CSV)</a>
      <button data-action="plan" ?disabled=${data.nonKeepers === 0 || this.busy} @click=${this.onPlan}>Move non-keepers to _delete…</button>
    </div>`;
  }

  private renderPlan(plan: MovePlan) {
    return html`<section class="plan" role="dialog" aria-label="Confirm the move">
      <strong>${plan.files.length} ${plan.files.length === 1 ? 'file' : 'files'} (${bytes(plan.bytes)}) will move into a <code>_delete</code> folder of their source.</strong>
      <div class="muted">Each keeps its path below <code>_delete/</code>; nothing is deleted, and the next run records them as moved. Move one back to restore it.</div>
      ${plan.files.length ? html`<ul>${plan.files.map((f) => html`<li>${f.source}: ${f.path} → ${f.toPath}</li>`)}</ul>` : nothing}
      ${plan.refused.length ? html`<div>Left alone:</div><ul>${plan.refused.map((r) => html`<li>${r.path}: ${r.reason}</li>`)}</ul>` : nothing}
      <div class="toolbar">
        <button class="danger" data-action="confirm-move" ?disabled=${plan.files.length === 0 || this.busy} @click=${this.onConfirmMove}>Move ${plan.files.length} files</button>
        <button @click=${() => (this.plan = null)}>Cancel</button>
      </div>
    </section>`;
  }

  private renderGroup(group: DuplicateGroup) {
    const title = group.kind === 'exact' ? 'identical files' : 'near-duplicates';
    return html`<article class="group" data-key=${group.key}>
      <header>
        <span class="kind">${title}</span>
        <strong>${group.members.length} files</strong>
        ${group.decision
          ? html`<span class="decided">✓ decided ${group.decision.decidedAt.slice(0, 10)}${group.decision.keeperFileId === group.suggestedKeeper ? ' (the suggestion)' : ' (your choice)'}</span>`
          : html`<span class="muted">not decided</span>`}
      </header>
      <p class="reason">Suggested keeper: ${group.reason}</p>
      <div class="members">${group.members.map((member) => this.renderMember(group, member))}</div>
    </article>`;
  }

  private renderMember(group: DuplicateGroup, member: Member) {
    const keeper = member.fileId === group.keeper;
    const suggested = member.fileId === group.suggestedKeeper;
    const facts = [
      member.width && member.height ? `${member.width}×${member.height}` : null,
      bytes(member.size),
      member.camera,
      member.takenAt ? `taken ${member.takenAt.slice(0, 10)}` : null,
      member.modifiedAt ? `file date ${member.modifiedAt.slice(0, 10)}` : null,
      group.kind === 'near' && !suggested && member.dhashDistance !== null ? `dHash ${member.dhashDistance} · pHash ${member.phashDistance} apart` : null,
    ].filter(Boolean);
    return html`<figure class=${[keeper ? 'keeper' : '', member.state === 'moved' ? 'moved' : ''].join(' ')} data-file-id=${member.fileId} data-keeper=${keeper}>
      <img src=${photoUrl(member.fileId)} alt=${member.path} loading="lazy" decoding="async" />
      <figcaption>
        ${keeper ? html`<div class="badge">${group.decision ? 'Keeper' : 'Suggested keeper'}</div>` : nothing}
        <div><strong>${member.path}</strong></div>
        <div class="muted">${facts.join(' · ')}</div>
        ${member.state === 'moved' ? html`<div class="muted">moved to _delete</div>` : nothing}
        ${keeper && group.decision
          ? nothing
          : html`<button class=${keeper ? 'primary' : ''} data-action="keep" ?disabled=${this.busy} @click=${() => this.onKeep(group, member)}>${keeper ? 'Confirm keeper' : 'Keep this one'}</button>`}
      </figcaption>
    </figure>`;
  }

  private onKind(event: Event): void {
    this.kind = (event.target as HTMLSelectElement).value as typeof this.kind;
    this.shown = STEP;
    void this.load();
  }

  private showMore(): void {
    this.shown += STEP;
    void this.load();
  }

  private async onKeep(group: DuplicateGroup, member: Member): Promise<void> {
    this.busy = true;
    try {
      const updated = await duplicatesApi.decide(group.key, member.fileId);
      if (this.data) this.data = { ...this.data, groups: this.data.groups.map((g) => (g.key === updated.key ? updated : g)) };
      notify(this, { message: `Keeping ${member.path}` });
      await this.load(); // the counts of non-keepers change
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    } finally {
      this.busy = false;
    }
  }

  private async onPlan(): Promise<void> {
    this.busy = true;
    try {
      this.plan = await duplicatesApi.movePlan();
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    } finally {
      this.busy = false;
    }
  }

  private async onConfirmMove(): Promise<void> {
    if (!this.plan) return;
    this.busy = true;
    try {
      const result = await duplicatesApi.move(this.plan.token);
      notify(this, { message: `Moved ${result.moved.length} files into _delete${result.refused.length ? `; ${result.refused.length} left alone` : ''}`, error: result.refused.length > 0 && result.moved.length === 0 });
      this.plan = null;
      await this.load();
    } catch (error) {
      notify(this, { message: errorText(error), error: true });
    } finally {
      this.busy = false;
    }
  }
}
