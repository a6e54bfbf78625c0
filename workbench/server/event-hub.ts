// Server-wide events for open pages: decisions, the background re-match, and
// every event of the runs this server starts. Pages listen on /api/events
// (server-sent events) and refresh what a change touches.
import type { FastifyReply } from 'fastify';
import type { RunEvent } from '../../dag/progress.ts';

export type ServerEvent =
  | RunEvent
  /** A decision was written to the journal (durable already). */
  | { type: 'decision'; batchId: number }
  | { type: 'rematch-started' }
  /** The re-match run finished; `status` says whether it succeeded. */
  | { type: 'rematch-finished'; runId: number; status: 'succeeded' | 'failed' }
  /** The re-match could not run (e.g. no pipeline spec); it is retried only when busy. */
  | { type: 'rematch-failed'; message: string };

export type Listener = (event: ServerEvent) => void;

export class EventHub {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ServerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** How often an idle stream sends a comment line, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;

export interface EventStream {
  send(event: unknown): void;
  end(): void;
  /** Called once when the client goes away or the stream ends. */
  onClose(callback: () => void): void;
}

/** Takes the response over for `text/event-stream`; each event is one `data: <json>` message. */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': mnemo events\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const callback of closers) callback();
  };
  const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  raw.on('close', close); // the client went away, or the stream ended
  return {
    send(event) {
      if (!closed) raw.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    end() {
      if (!closed) raw.end();
      close();
    },
    onClose(callback) {
      if (closed) callback();
      else closers.push(callback);
    },
  };
}
