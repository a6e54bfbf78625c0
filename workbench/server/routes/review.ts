// The review queue: the best "is this Anna?" suggestions for faces nobody is
// named on (app/suggestions.ts), one face or a small group per item, and the
// suggestion for each unnamed cluster. Deciding goes through the routes of
// people.ts: accept = POST /api/assignments with the person id, reject = the
// same with `not:<id>`, name = POST /api/people/split.
import type { FastifyInstance } from 'fastify';
import { clusterSuggestions, reviewQueue } from '../../../app/suggestions.ts';
import type { ServerContext } from '../context.ts';
import { badRequest } from '../http-errors.ts';
import { bool, int, querySchema } from '../params.ts';

type Query = Record<string, string | undefined>;

/** Skipped faces a client may name: a session's worth. */
const MAX_SKIPPED = 500;
const FACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A comma-separated list of face ids (empty when absent). */
function faceIdList(text: string | undefined, name: string): string[] {
  if (text === undefined || text === '') return [];
  const ids = text.split(',');
  const bad = ids.find((id) => !FACE_ID.test(id));
  if (bad !== undefined) throw badRequest(`${name} must be face ids separated by commas (got '${bad.slice(0, 70)}')`);
  if (ids.length > MAX_SKIPPED) throw badRequest(`${name} may list at most ${MAX_SKIPPED} faces (got ${ids.length})`);
  return ids;
}

export function reviewRoutes(app: FastifyInstance, context: ServerContext): void {
  // Once the queue is in use, a new run (a re-match) gets its suggestions computed at once, in the
  // background, so the next request finds them ready instead of computing them for a large archive.
  let inUse = false;
  const stopWarming = context.hub.subscribe((event) => {
    if (!inUse || event.type !== 'run-finished' || event.status !== 'succeeded') return;
    reviewQueue(context.workspace, { limit: 1 }).catch((error: unknown) => app.log.warn({ err: error }, 'computing the review queue after a run failed'));
  });
  app.addHook('onClose', async () => {
    stopWarming();
  });

  app.get<{ Querystring: Query }>('/api/review/next', { schema: { querystring: querySchema('limit', 'skip', 'groups') } }, async (request) => {
    const limit = int(request.query.limit, 'limit', { min: 1, max: 50 }, 10);
    const groups = bool(request.query.groups, 'groups', true);
    const skip = faceIdList(request.query.skip, 'skip');
    await context.people(); // opening migrates the catalog: the persons tables exist
    inUse = true;
    return reviewQueue(context.workspace, { limit, groups, skip });
  });

  app.get<{ Querystring: Query }>('/api/review/clusters', { schema: { querystring: querySchema() } }, async () => {
    await context.people();
    return { clusters: await clusterSuggestions(context.workspace) };
  });
}
