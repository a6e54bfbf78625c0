// Compare: two runs side by side (the comparison report and its cluster
// flow), the sweeps `mnemo sweep` recorded, and adopting a sweep's setting
// into mnemo.yaml.
import type { FastifyInstance } from 'fastify';
import { adoptSweepSetting, compareView, listSweeps, sweepDetail } from '../../../app/compare-view.ts';
import type { ServerContext } from '../context.ts';
import { badRequest } from '../http-errors.ts';
import { int, paramsSchema, querySchema } from '../params.ts';

type Query = Record<string, string | undefined>;

const ADOPT_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { runId: { type: 'integer', minimum: 1 } },
};

/** A run as `mnemo report` names it: a number, latest, previous, or a sweep setting (node.param=value ...). */
function reportRun(text: string | undefined, name: string): string {
  if (text === undefined || text.trim() === '') throw badRequest(`${name} is required: a run number, 'latest', 'previous' or a sweep setting such as cluster.threshold=0.6`);
  if (text.length > 500) throw badRequest(`${name} is too long (${text.length} characters)`);
  return text;
}

export function compareRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get<{ Querystring: Query }>('/api/compare', { schema: { querystring: querySchema('a', 'b', 'links') } }, async (request) =>
    compareView(context.workspace, reportRun(request.query.a, 'a'), reportRun(request.query.b, 'b'), { links: int(request.query.links, 'links', { min: 1, max: 500 }, 40) }),
  );

  app.get('/api/sweeps', async () => ({ sweeps: await listSweeps(context.workspace) }));

  app.get<{ Params: { sweepId: string } }>('/api/sweeps/:sweepId', { schema: { params: paramsSchema('sweepId') } }, async (request) => sweepDetail(context.workspace, request.params.sweepId));

  app.post<{ Params: { sweepId: string }; Body: { runId?: number } }>('/api/sweeps/:sweepId/adopt', { schema: { params: paramsSchema('sweepId'), body: ADOPT_BODY } }, async (request) =>
    adoptSweepSetting(context.workspace, request.params.sweepId, request.body?.runId),
  );
}
