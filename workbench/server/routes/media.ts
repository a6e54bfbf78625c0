// Pixels: face crops (one, or a grid's in one request), original photos of
// the archive, and the face map (the UMAP as columns: Arrow IPC or JSON).
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { archiveFile } from '../../../app/archive-files.ts';
import { faceCrop, faceCrops, MAX_CROP_SIZE, MIN_CROP_SIZE } from '../../../app/face-crops.ts';
import { faceMap, faceMapArrow, faceMapColumns, type FaceMapColumns } from '../../../app/face-map.ts';
import type { ServerContext } from '../context.ts';
import { badRequest } from '../http-errors.ts';
import { int, paramsSchema, querySchema, runRef } from '../params.ts';

/** At most this many crops per batch request: a grid's worth. */
export const MAX_BATCH_CROPS = 200;
const IMMUTABLE = 'public, max-age=31536000, immutable';

const PHOTO_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif',
  '.heic': 'image/heic', '.heif': 'image/heif', '.avif': 'image/avif', '.tif': 'image/tiff', '.tiff': 'image/tiff',
};

type Query = Record<string, string | undefined>;

const cropSize = (query: Query) => int(query.size, 'size', { min: MIN_CROP_SIZE, max: MAX_CROP_SIZE }, 128);

export function mediaRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get<{ Params: { faceId: string }; Querystring: Query }>(
    '/api/faces/:faceId/crop',
    { schema: { params: paramsSchema('faceId'), querystring: querySchema('size') } },
    async (request, reply) => {
      const webp = await faceCrop(context.workspace, request.params.faceId, cropSize(request.query));
      return reply.type('image/webp').header('cache-control', IMMUTABLE).send(webp);
    },
  );

  app.get<{ Querystring: Query }>('/api/crops', { schema: { querystring: querySchema('ids', 'size') } }, async (request) => {
    const size = cropSize(request.query);
    const ids = (request.query.ids ?? '').split(',').filter((id) => id !== '');
    if (ids.length === 0) throw badRequest('ids must list one or more face ids, separated by commas');
    if (ids.length > MAX_BATCH_CROPS) throw badRequest(`ids may list at most ${MAX_BATCH_CROPS} faces (got ${ids.length})`);
    const crops = await faceCrops(context.workspace, ids, size);
    return { crops: Object.fromEntries(ids.map((id) => [id, `data:image/webp;base64,${crops.get(id)!.toString('base64')}`])) };
  });

  app.get<{ Params: { fileId: string } }>('/api/photos/:fileId', { schema: { params: paramsSchema('fileId') } }, async (request, reply) => {
    const file = await archiveFile(context.workspace, request.params.fileId);
    const type = PHOTO_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    // The file may be replaced on disk: the browser asks again rather than keep a stale copy.
    return reply.type(type).header('content-length', file.size).header('cache-control', 'private, no-cache').header('x-content-type-options', 'nosniff').send(createReadStream(file.realPath));
  });

  // The web app asks for Arrow (Accept: application/vnd.apache.arrow.stream); scripts and curl get JSON.
  app.get<{ Querystring: Query }>('/api/map', { schema: { querystring: querySchema('run') } }, async (request, reply) => {
    const ref = runRef(request.query.run);
    if (!(request.headers.accept ?? '').includes(ARROW_STREAM)) return faceMap(context.workspace, ref);
    const columns = await faceMapColumns(context.workspace, ref);
    return reply.type(ARROW_STREAM).header('cache-control', 'no-store').send(Buffer.from(faceMapArrowOf(columns)));
  });
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** The Arrow bytes of the last maps sent (a run's map never changes). */
const arrowBytes = new WeakMap<FaceMapColumns, Uint8Array>();

function faceMapArrowOf(columns: FaceMapColumns): Uint8Array {
  let bytes = arrowBytes.get(columns);
  if (!bytes) arrowBytes.set(columns, (bytes = faceMapArrow(columns)));
  return bytes;
}
