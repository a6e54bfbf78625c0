// /api/events: every server-wide event (decisions, re-match, the events of
// runs this server starts) as a stream, so open pages can refresh.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { openEventStream } from '../event-hub.ts';

export function eventRoutes(app: FastifyInstance, context: ServerContext, streams: Set<{ end(): void }>): void {
  app.get('/api/events', async (_request, reply) => {
    const stream = openEventStream(reply);
    streams.add(stream);
    const unsubscribe = context.hub.subscribe((event) => stream.send(event));
    stream.onClose(() => {
      unsubscribe();
      streams.delete(stream);
    });
  });
}
