// Person similarity: merge candidates (the persons most like one person, with
// their closest faces as evidence), merge suggestions across the directory,
// and split suggestions (a person's faces in sub-clusters). Reads only; the
// decisions they lead to are the people routes.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SUBCLUSTER_THRESHOLD, mergeSuggestions, personSubclusters, similarPersons } from '../../../app/person-similarity.ts';
import type { ServerContext } from '../context.ts';
import { badRequest } from '../http-errors.ts';
import { int, paramsSchema, personId, querySchema } from '../params.ts';

type Query = Record<string, string | undefined>;

/** A number in (0, 1], written as a decimal. */
function threshold(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SUBCLUSTER_THRESHOLD;
  const value = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 && value <= 1)) throw badRequest(`threshold must be a number above 0 and at most 1 (got '${text}')`);
  return value;
}

export function similarityRoutes(app: FastifyInstance, context: ServerContext): void {
  // A static path: find-my-way matches it before /api/people/:id.
  app.get<{ Querystring: Query }>('/api/people/merge-suggestions', { schema: { querystring: querySchema('limit') } }, async (request) =>
    mergeSuggestions(context.workspace, { limit: int(request.query.limit, 'limit', { min: 1, max: 100 }, 20) }),
  );

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/people/:id/similar', { schema: { params: paramsSchema('id'), querystring: querySchema('limit') } }, async (request) =>
    similarPersons(context.workspace, personId(request.params.id), { limit: int(request.query.limit, 'limit', { min: 1, max: 100 }, 10) }),
  );

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/people/:id/subclusters', { schema: { params: paramsSchema('id'), querystring: querySchema('threshold') } }, async (request) =>
    personSubclusters(context.workspace, personId(request.params.id), { threshold: threshold(request.query.threshold) }),
  );
}
