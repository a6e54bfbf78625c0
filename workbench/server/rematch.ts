// After decisions, re-run the pipeline in the background so that faces no
// human decided are matched again: cluster and assign read the journal in
// their fingerprints, so they re-run while every other node is reused.
// Debounced (a burst of clicks makes one run); at most one at a time; a
// decision made during a re-run makes another after it. When a run is going
// (here or in the CLI) it waits and tries again: decisions are already in the
// journal, so nothing is lost by waiting.
import { asAppError } from '../../app/errors.ts';
import type { EventHub } from './event-hub.ts';
import type { RunSupervisor } from './run-supervisor.ts';

export interface RematchOptions {
  /** Quiet time after the last decision before the re-run starts. */
  debounceMs: number;
  /** Wait before trying again when another run holds the store. */
  retryMs: number;
  /** Where a bug (not an AppError) is reported. */
  logBug: (error: unknown) => void;
  /** Runs after a successful re-run and before pages are told: e.g. loading what they will ask for. */
  warm?: () => Promise<unknown>;
}

export class Rematcher {
  private timer: NodeJS.Timeout | null = null;
  private pending = false;
  private running = false;
  private closed = false;

  constructor(private readonly supervisor: RunSupervisor, private readonly hub: EventHub, private readonly options: RematchOptions) {}

  /** A decision was made: re-match after the debounce. */
  schedule(): void {
    this.pending = true;
    if (!this.running) this.arm(this.options.debounceMs);
  }

  private arm(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(), delayMs);
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (!this.pending || this.running || this.closed) return;
    if (this.supervisor.busy) {
      // A run of this server is going: try once it ends (it may not have read the newest decisions).
      await this.supervisor.idle();
      return this.arm(this.options.debounceMs);
    }
    this.pending = false;
    this.running = true;
    let retryAfter: number | null = null;
    try {
      this.hub.publish({ type: 'rematch-started' });
      const { runId, done } = await this.supervisor.start({}, 'mnemo serve (re-match after decisions)');
      const summary = await done;
      if (summary.status === 'succeeded') await this.options.warm?.().catch((error: unknown) => this.options.logBug(error));
      this.hub.publish({ type: 'rematch-finished', runId, status: summary.status });
    } catch (error) {
      const app = asAppError(error);
      if (app?.kind === 'busy' || app?.kind === 'conflict') {
        this.pending = true; // another process holds the run lock: the decisions wait in the journal
        retryAfter = this.options.retryMs;
      }
      if (!app) this.options.logBug(error);
      this.hub.publish({ type: 'rematch-failed', message: app?.message ?? 'the re-match failed: the server log has the details' });
    } finally {
      this.running = false;
      if (this.pending) this.arm(retryAfter ?? this.options.debounceMs);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
