// People and decisions: the directory, a person's page, faces and photos,
// clusters, and every decision (create, rename, hide, merge, split, assign,
// undo). Each decision is one journal batch, durable before the answer; the
// answer's batchId is what undo takes.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { badRequest } from '../http-errors.ts';
import { bool, int, oneOf, paging, paramsSchema, personId, querySchema, runRef } from '../params.ts';

const FACE_IDS = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, minItems: 1, maxItems: 10_000 };
const NAME = { type: 'string', minLength: 1, maxLength: 200 };

const body = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });

type Query = Record<string, string | undefined>;

export function peopleRoutes(app: FastifyInstance, context: ServerContext): void {
  const people = () => context.people();
  const decided = <T extends { batchId: number }>(result: T): T => {
    context.decided(result.batchId);
    return result;
  };

  // The directory of 10,000 persons is 1.4 MB of JSON: its text is kept for as long as the service hands back the same array.
  const directoryJson = new WeakMap<object, string>();
  app.get<{ Querystring: Query }>('/api/people', { schema: { querystring: querySchema('hidden', 'sort') } }, async (request, reply) => {
    const includeHidden = bool(request.query.hidden, 'hidden', false);
    const sort = oneOf(request.query.sort, 'sort', ['faces', 'name'] as const, 'faces');
    const directory = await (await people()).directory({ includeHidden, sort });
    let json = directoryJson.get(directory);
    if (json === undefined) directoryJson.set(directory, (json = JSON.stringify({ people: directory })));
    return reply.type('application/json; charset=utf-8').send(json);
  });

  app.post<{ Body: { name: string; notes?: string } }>('/api/people', { schema: { body: body({ name: NAME, notes: { type: 'string', maxLength: 10_000 } }, ['name']) } }, async (request, reply) => {
    const { personId: id, batchId } = decided(await (await people()).create(request.body.name, { notes: request.body.notes }));
    return reply.code(201).send({ personId: id, batchId });
  });

  app.post<{ Body: { faceIds: string[]; name: string } }>('/api/people/split', { schema: { body: body({ faceIds: FACE_IDS, name: NAME }, ['faceIds', 'name']) } }, async (request, reply) => {
    const { personId: id, batchId } = decided(await (await people()).split(request.body.faceIds, request.body.name));
    return reply.code(201).send({ personId: id, batchId });
  });

  app.get<{ Params: { id: string } }>('/api/people/:id', { schema: { params: paramsSchema('id') } }, async (request) => {
    const { person, faces, notFaces, events } = await (await people()).show(personId(request.params.id));
    return { person, manualFaces: faces, notFaces, events };
  });

  app.patch<{ Params: { id: string }; Body: { name?: string; hidden?: boolean } }>(
    '/api/people/:id',
    { schema: { params: paramsSchema('id'), body: { ...body({ name: NAME, hidden: { type: 'boolean' } }), minProperties: 1 } } },
    async (request) => {
      const id = personId(request.params.id);
      const service = await people();
      let batchId: number | null = null;
      // A rename and a hide are two decisions (two batches, undone one at a time); the answer names the last.
      if (request.body.name !== undefined) batchId = decided(await service.rename(id, request.body.name)).batchId;
      if (request.body.hidden !== undefined) batchId = decided(await (request.body.hidden ? service.hide(id) : service.unhide(id))).batchId;
      return { batchId };
    },
  );

  app.post<{ Params: { id: string }; Body: { into: number } }>(
    '/api/people/:id/merge',
    { schema: { params: paramsSchema('id'), body: body({ into: { type: 'integer', minimum: 1 } }, ['into']) } },
    async (request) => ({ batchId: decided(await (await people()).merge(personId(request.params.id), request.body.into)).batchId }),
  );

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/people/:id/faces', { schema: { params: paramsSchema('id'), querystring: querySchema('offset', 'limit') } }, async (request) =>
    (await people()).personFaces(personId(request.params.id), paging(request.query)),
  );

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/people/:id/photos', { schema: { params: paramsSchema('id'), querystring: querySchema('offset', 'limit') } }, async (request) =>
    (await people()).personPhotos(personId(request.params.id), paging(request.query)),
  );

  app.get<{ Querystring: Query }>('/api/clusters', { schema: { querystring: querySchema('run', 'unnamed') } }, async (request) => ({
    clusters: await (await people()).clusters(runRef(request.query.run), { unnamed: bool(request.query.unnamed, 'unnamed', false) }),
  }));

  app.get<{ Params: { clusterId: string }; Querystring: Query }>(
    '/api/clusters/:clusterId/faces',
    { schema: { params: paramsSchema('clusterId'), querystring: querySchema('run', 'offset', 'limit') } },
    async (request) => {
      const clusterId = int(request.params.clusterId, 'clusterId', { min: -1, max: 2 ** 31 - 1 });
      return (await people()).clusterFaces(runRef(request.query.run), clusterId, paging(request.query));
    },
  );

  app.post<{ Body: { faceIds: string[]; target: string } }>(
    '/api/assignments',
    { schema: { body: body({ faceIds: FACE_IDS, target: { type: 'string', minLength: 1, maxLength: 40 } }, ['faceIds', 'target']) } },
    async (request) => {
      const { target } = request.body;
      if (!/^(\d+|stranger|not_a_face|not:\d+)$/.test(target)) throw badRequest(`target must be a person id, 'stranger', 'not_a_face' or 'not:<person id>' (got '${target}')`);
      return { batchId: decided(await (await people()).assign(request.body.faceIds, target)).batchId };
    },
  );

  app.post<{ Body: { batchId?: number } }>('/api/undo', { schema: { body: body({ batchId: { type: 'integer', minimum: 1 } }) } }, async (request) => {
    const { batchId, undid } = decided(await (await people()).undo(request.body?.batchId));
    return { batchId, undid };
  });

  app.get<{ Querystring: Query }>('/api/history', { schema: { querystring: querySchema('limit') } }, async (request) => ({
    batches: await (await people()).history(int(request.query.limit, 'limit', { min: 1, max: 1000 }, 100)),
  }));
}
