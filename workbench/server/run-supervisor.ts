// The runs this server starts, one at a time: started from the page (POST
// /api/runs) or by the background re-match. Their events go to the hub and
// to whoever follows one run; a run started elsewhere (the CLI) holds the run
// lock, and starting then fails with a busy AppError.
import { AppError, conflict } from '../../app/errors.ts';
import { startRun, type RunHandle, type StartRunOptions } from '../../app/pipeline.ts';
import { resolveRun } from '../../app/runs.ts';
import type { Workspace } from '../../app/workspace.ts';
import type { RunSummary } from '../../dag/executor.ts';
import type { RunEvent } from '../../dag/progress.ts';
import type { EventHub } from './event-hub.ts';

/** Events kept per run for a page that starts following it late (progress events are not kept). */
const MAX_KEPT_EVENTS = 10_000;

interface LiveRun {
  runId: number | null;
  handle: RunHandle | null;
  events: RunEvent[];
  followers: Set<{ event: (event: RunEvent) => void; end: () => void }>;
  done: Promise<RunSummary> | null;
}

export type RunRequest = Pick<StartRunOptions, 'set' | 'only' | 'from' | 'resume'>;

export class RunSupervisor {
  private active: LiveRun | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly workspace: Workspace, private readonly hub: EventHub) {}

  /** True while a run started here is going (or starting). */
  get busy(): boolean {
    return this.active !== null;
  }

  /** Starts a run; resolves once it is registered. A run of this server already going is a conflict. */
  async start(request: RunRequest, command: string): Promise<{ runId: number; done: Promise<RunSummary> }> {
    if (this.active) throw conflict(`${this.active.runId === null ? 'a run is starting' : `run ${this.active.runId} is still going`}; wait for it or cancel it`);
    const live: LiveRun = { runId: null, handle: null, events: [], followers: new Set(), done: null };
    this.active = live;
    const onEvent = (event: RunEvent) => {
      if (event.type !== 'node-progress' && live.events.length < MAX_KEPT_EVENTS) live.events.push(event);
      for (const follower of live.followers) follower.event(event);
      this.hub.publish(event);
    };
    try {
      // Only the request's own fields: a run here must never keep the catalog open (keepCatalogOpen), since this process serves pages meanwhile.
      const { set, only, from, resume } = request;
      live.handle = await startRun(this.workspace, { set, only, from, resume, onEvent, command });
      live.runId = await live.handle.runId;
    } catch (error) {
      this.finish(live);
      throw error;
    }
    const done = live.handle.done.finally(() => this.finish(live));
    done.catch(() => undefined); // the caller of start awaits `done` if it cares
    live.done = done;
    return { runId: live.runId, done };
  }

  private finish(live: LiveRun): void {
    for (const follower of live.followers) follower.end();
    live.followers.clear();
    if (this.active === live) this.active = null;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when no run of this server is going. */
  idle(): Promise<void> {
    return this.active ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  /**
   * Follows a run going in this server: the events so far, then each new one,
   * then `end`. Returns false when the run is not going here.
   */
  follow(runId: number, event: (event: RunEvent) => void, end: () => void): (() => void) | false {
    const live = this.active;
    if (!live || live.runId !== runId) return false;
    for (const past of live.events) event(past);
    const follower = { event, end };
    live.followers.add(follower);
    return () => live.followers.delete(follower);
  }

  /** Cancels a run going in this server; finished nodes are kept (resume completes it). */
  async cancel(runId: number): Promise<void> {
    if (this.active?.runId === runId && this.active.handle) {
      this.active.handle.cancel();
      return;
    }
    await resolveRun(this.workspace, runId); // not_found for a run that does not exist
    throw new AppError('conflict', `run ${runId} is not going in this server (finished, or started elsewhere)`);
  }

  /** Cancels what is going and waits for it (server shutdown). */
  async close(): Promise<void> {
    const live = this.active;
    if (!live) return;
    live.handle?.cancel();
    await live.done?.catch(() => undefined);
  }
}
