// Trips: the latest run's trip cards, one card with its people and photos,
// and the pictures of a trip's photos (WebP thumbnails, app/photo-thumbnails.ts).
import type { FastifyInstance } from 'fastify';
import type { TripCard, TripSummary } from '../../../app/trip-types.ts';
import { listTrips, photoThumbnail, tripCard } from '../../../app/trips.ts';
import type { ServerContext } from '../context.ts';
import { int, paramsSchema, querySchema } from '../params.ts';

type Query = Record<string, string | undefined>;

export function tripRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/api/trips', async (): Promise<{ trips: TripSummary[] }> => ({ trips: await listTrips(context.workspace, await context.people()) }));

  app.get<{ Params: { tripId: string } }>('/api/trips/:tripId', { schema: { params: paramsSchema('tripId') } }, async (request): Promise<TripCard> =>
    tripCard(context.workspace, int(request.params.tripId, 'tripId', { min: 0, max: 2 ** 31 - 1 }), await context.people()));

  app.get<{ Params: { fileId: string }; Querystring: Query }>(
    '/api/trips/thumbnails/:fileId',
    { schema: { params: paramsSchema('fileId'), querystring: querySchema('size') } },
    async (request, reply) => {
      const thumbnail = await photoThumbnail(context.workspace, request.params.fileId, int(request.query.size, 'size', { min: 64, max: 1024 }, 256));
      // The picture of a file id changes only when a later run sees other content: cached briefly, not forever.
      return reply.type(thumbnail.type).header('cache-control', 'private, max-age=300').header('x-content-type-options', 'nosniff').send(thumbnail.bytes);
    },
  );
}
