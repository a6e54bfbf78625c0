// Duplicates: the latest run's exact and near-duplicate groups with their
// suggested keeper, the keeper a person decides, the non-keepers as CSV, and
// moving them into `_delete` in two steps (a plan with a token, then the move
// with that token). Nothing here deletes a file.
import type { FastifyInstance } from 'fastify';
import { decideKeeper, duplicateGroups, moveNonKeepers, nonKeepersCsv, planMove } from '../../../app/duplicates.ts';
import type { ServerContext } from '../context.ts';
import { oneOf, paging, querySchema } from '../params.ts';

type Query = Record<string, string | undefined>;

const DECIDE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['groupKey', 'keeperFileId'],
  properties: { groupKey: { type: 'string', minLength: 1, maxLength: 200 }, keeperFileId: { type: 'string', minLength: 1, maxLength: 200 } },
};

const MOVE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 100 } },
};

export function duplicateRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get<{ Querystring: Query }>('/api/duplicates', { schema: { querystring: querySchema('kind', 'offset', 'limit') } }, async (request) =>
    duplicateGroups(context.workspace, { kind: oneOf(request.query.kind, 'kind', ['all', 'exact', 'near'] as const, 'all'), ...paging(request.query) }),
  );

  app.post<{ Body: { groupKey: string; keeperFileId: string } }>('/api/duplicates/decisions', { schema: { body: DECIDE_BODY } }, async (request) =>
    decideKeeper(context.workspace, request.body.groupKey, request.body.keeperFileId),
  );

  app.get('/api/duplicates/non-keepers.csv', async (_request, reply) =>
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="mnemo-non-keepers.csv"').header('cache-control', 'no-store').send(await nonKeepersCsv(context.workspace)),
  );

  // Step 1: what would move, and the token that confirms it. Changes nothing.
  app.post('/api/duplicates/move-plan', async () => planMove(context.workspace));

  // Step 2: the move of exactly that plan, once.
  app.post<{ Body: { token: string } }>('/api/duplicates/move', { schema: { body: MOVE_BODY } }, async (request) => moveNonKeepers(context.workspace, request.body.token));
}
