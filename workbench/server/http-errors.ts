// Every failure becomes `{ error: { kind, message } }` with a status: the
// application layer's AppError by its kind, the server's own refusals
// (HttpError), Fastify's request errors (bad JSON, wrong content type, a body
// too large, a failed schema) as they are. Anything else is a bug: logged
// with its stack, and the page gets a generic message, never the stack.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asAppError, STATUS_OF_KIND } from '../../app/errors.ts';

export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'busy' | 'storage' | 'forbidden' | 'internal';

export interface ErrorBody {
  error: { kind: ErrorKind; message: string };
}

/** A refusal of the server itself (security, validation done by hand). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, readonly kind: ErrorKind, message: string) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, 'invalid', message);

/** The status and body for any thrown value. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody; bug: boolean } {
  if (error instanceof HttpError) return { status: error.status, body: { error: { kind: error.kind, message: error.message } }, bug: false };
  const app = asAppError(error);
  if (app) return { status: STATUS_OF_KIND[app.kind], body: { error: { kind: app.kind, message: app.message } }, bug: false };
  const fastify = error as FastifyError;
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const kind: ErrorKind = fastify.statusCode === 404 ? 'not_found' : fastify.statusCode === 403 || fastify.statusCode === 401 ? 'forbidden' : 'invalid';
    return { status: fastify.statusCode, body: { error: { kind, message: fastify.message } }, bug: false };
  }
  return { status: 500, body: { error: { kind: 'internal', message: 'internal error: the server log has the details' } }, bug: true };
}

/** Ajv's errors as one message naming each field: `body.faceIds must be array; unknown field body.color`. */
export function formatSchemaErrors(errors: { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }[], dataVar: string): Error {
  const field = (path: string) => `${dataVar}${path.replaceAll('/', '.')}`;
  const parts = errors.map((error) => {
    if (error.keyword === 'additionalProperties') return `unknown field '${field(`${error.instancePath}/${String(error.params.additionalProperty)}`)}'`;
    if (error.keyword === 'required') return `missing field '${field(`${error.instancePath}/${String(error.params.missingProperty)}`)}'`;
    return `${field(error.instancePath)} ${error.message ?? 'is invalid'}`;
  });
  return badRequest([...new Set(parts)].join('; '));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, bug } = errorResponse(error);
    if (bug) request.log.error({ err: error }, 'request failed');
    reply.code(status).type('application/json').send(body);
  });
}
