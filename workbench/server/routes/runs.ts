// Runs: health, the list, one run, starting and cancelling, and a run's
// events as a stream.
import type { RunListItem } from '../../../app/api-types.ts';
import type { FastifyInstance } from 'fastify';
import { getRun, listRuns, resolveRun } from '../../../app/runs.ts';
import type { ServerContext } from '../context.ts';
import { openEventStream } from '../event-hub.ts';
import { paramsSchema, runRef } from '../params.ts';

const START_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    set: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
    only: { type: 'string', minLength: 1 },
    from: { type: 'string', minLength: 1 },
    resume: { anyOf: [{ type: 'boolean' }, { type: 'integer', minimum: 1 }] },
  },
};

interface StartBody {
  set?: string[];
  only?: string;
  from?: string;
  resume?: boolean | number;
}

/** Every run, or none before the first (no catalog yet is not an error here). */
async function runsOrNone(context: ServerContext) {
  return context.workspace.store.exists() ? listRuns(context.workspace) : [];
}

export function runRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/api/health', async () => ({ ok: true, dataDir: context.workspace.store.dataDir, runs: (await runsOrNone(context)).length }));

  app.get('/api/runs', async () => ({
    runs: (await runsOrNone(context)).map((run): RunListItem => ({
      runId: run.run_id, status: run.status, started: run.started, seconds: run.seconds, computed: Number(run.computed), reused: Number(run.reused), errors: Number(run.errors), message: run.message,
    })),
  }));

  app.get<{ Params: { run: string } }>('/api/runs/:run', { schema: { params: paramsSchema('run') } }, async (request) => getRun(context.workspace, runRef(request.params.run)));

  app.post<{ Body: StartBody }>('/api/runs', { schema: { body: START_BODY } }, async (request, reply) => {
    const { runId } = await context.runs.start(request.body ?? {}, 'mnemo serve (run from the workbench)');
    return reply.code(202).send({ runId });
  });

  app.post<{ Params: { run: string } }>('/api/runs/:run/cancel', { schema: { params: paramsSchema('run') } }, async (request, reply) => {
    const runId = await resolveRun(context.workspace, runRef(request.params.run));
    await context.runs.cancel(runId);
    return reply.code(202).send({ runId });
  });

  app.get<{ Params: { run: string } }>('/api/runs/:run/events', { schema: { params: paramsSchema('run') } }, async (request, reply) => {
    const runId = await resolveRun(context.workspace, runRef(request.params.run));
    const stream = openEventStream(reply);
    const stop = context.runs.follow(runId, (event) => stream.send(event), () => stream.end());
    if (stop) {
      stream.onClose(stop);
      return;
    }
    // Not going here: what the registry says, as the run-finished event the stream would have ended with.
    try {
      const run = await getRun(context.workspace, runId);
      stream.send({ type: 'run-finished', runId, status: run.status, message: run.message });
    } finally {
      stream.end();
    }
  });
}
