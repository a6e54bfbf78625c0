// What a run reports while it goes, as typed events: the CLI prints them
// (below), a server streams them, tests record them. The engine emits; it
// never prints.

export type NodeStatus = 'done' | 'reused' | 'failed';

export type RunEvent =
  | { type: 'run-started'; runId: number; nodes: string[]; resumed: boolean; alreadyDone: number }
  | { type: 'node-started'; node: string }
  /** Items done of total (0 = not known yet), with the rate since the node started. */
  | { type: 'node-progress'; node: string; done: number; total: number; perSecond: number }
  | {
      type: 'node-finished';
      node: string;
      status: NodeStatus;
      /** For reuse: the run whose output this node took; for 'done' in a resumed run, the run itself. */
      reusedFrom: number | null;
      /** True when a resumed run had already finished this node. */
      alreadyDone: boolean;
      durationMs: number;
      rows: number;
      errors: number;
      message: string | null;
    }
  | { type: 'item-error'; node: string; item: string | null; message: string }
  /** A node's free-form remark (ctx.log). */
  | { type: 'log'; node: string | null; message: string }
  | { type: 'run-finished'; runId: number; status: 'succeeded' | 'failed'; message: string | null };

export type RunEventSink = (event: RunEvent) => void;

export const ignoreEvents: RunEventSink = () => {};

/** The one-line text of an event for people (null: nothing to print). */
export function describeEvent(event: RunEvent): string | null {
  switch (event.type) {
    case 'run-started':
      return event.resumed ? `resuming run ${event.runId} (${event.alreadyDone} of ${event.nodes.length} nodes already done)` : `run ${event.runId} started`;
    case 'node-finished':
      if (event.alreadyDone) return `${event.node}: already done in run ${event.reusedFrom}`;
      if (event.status === 'reused') return `${event.node}: reused from run ${event.reusedFrom}`;
      if (event.status === 'failed') return `${event.node}: FAILED: ${event.message}`;
      return `${event.node}: done in ${formatSeconds(event.durationMs / 1000)}, ${event.rows} rows${event.errors ? `, ${event.errors} item errors` : ''}`;
    case 'log':
      return event.node ? `${event.node}: ${event.message}` : event.message;
    case 'run-finished':
      return `run ${event.runId} ${event.status}${event.message ? `: ${event.message}` : ''}`;
    default:
      return null;
  }
}

interface Bar {
  node: string;
  done: number;
  total: number;
  perSecond: number;
}

/**
 * Prints a run's events. On a terminal: one live bar per running node;
 * otherwise plain lines (a progress line per node at most every 5 s).
 */
export function consoleProgress(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): RunEventSink {
  const interactive = Boolean(stream.isTTY);
  const bars = new Map<string, Bar>();
  const lastLogged = new Map<string, number>();
  let drawn = 0;
  let lastDraw = 0;

  const line = (bar: Bar): string => {
    const eta = bar.perSecond > 0 && bar.total > bar.done ? `ETA ${formatSeconds((bar.total - bar.done) / bar.perSecond)}` : '';
    const fraction = bar.total > 0 ? Math.min(bar.done / bar.total, 1) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    return `${bar.node.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${bar.done}/${bar.total || '?'} ${bar.perSecond.toFixed(bar.perSecond < 10 ? 1 : 0)}/s ${eta}`;
  };
  const redraw = (force = false) => {
    if (!interactive || (!force && Date.now() - lastDraw < 100)) return;
    lastDraw = Date.now();
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (const bar of bars.values()) stream.write(`\x1b[2K${line(bar)}\n`);
    drawn = bars.size;
  };
  const print = (message: string) => {
    if (interactive && drawn > 0) {
      stream.write(`\x1b[${drawn}A`);
      for (let i = 0; i < drawn; i++) stream.write('\x1b[2K\n');
      stream.write(`\x1b[${drawn}A`);
      drawn = 0;
    }
    stream.write(`${message}\n`);
    redraw(true);
  };

  return (event) => {
    if (event.type === 'node-started') {
      bars.set(event.node, { node: event.node, done: 0, total: 0, perSecond: 0 });
      lastLogged.set(event.node, Date.now());
      return;
    }
    if (event.type === 'node-progress') {
      const bar = bars.get(event.node);
      if (!bar) return;
      Object.assign(bar, { done: event.done, total: event.total, perSecond: event.perSecond });
      if (interactive) redraw();
      else if (Date.now() - (lastLogged.get(event.node) ?? 0) > 5000) {
        lastLogged.set(event.node, Date.now());
        print(line(bar));
      }
      return;
    }
    if (event.type === 'node-finished') bars.delete(event.node);
    const text = describeEvent(event);
    if (text !== null) print(text);
  };
}

/** Plain lines only (child processes of tests, logs): what `describeEvent` says. */
export function linePrinter(write: (line: string) => void): RunEventSink {
  return (event) => {
    const text = describeEvent(event);
    if (text !== null) write(text);
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
