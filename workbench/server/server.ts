// The workbench server: the built web app and a JSON API over the
// application layer (app/), which owns every use case. `buildServer` makes
// the Fastify instance (tests use `inject()`); `serve` listens.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { assertNoInstance, claimInstance, hostInUrl, portInUseMessage } from '../../app/server-instance.ts';
import type { Workspace } from '../../app/workspace.ts';
import { conflict } from '../../app/errors.ts';
import { CatalogBusyError } from '../../datasets/catalog.ts';
import { peopleOpener, type ServerContext } from './context.ts';
import { EventHub } from './event-hub.ts';
import { formatSchemaErrors, HttpError, installErrorHandling } from './http-errors.ts';
import { Rematcher } from './rematch.ts';
import { eventRoutes } from './routes/events.ts';
import { mediaRoutes } from './routes/media.ts';
import { peopleRoutes } from './routes/people.ts';
import { reviewRoutes } from './routes/review.ts';
import { runRoutes } from './routes/runs.ts';
import { similarityRoutes } from './routes/similarity.ts';
import { notebookRoutes } from './routes/notebooks.ts';
import { compareRoutes } from './routes/compare.ts';
import { duplicateRoutes } from './routes/duplicates.ts';
import { tripRoutes } from './routes/trips.ts';
import { RunSupervisor } from './run-supervisor.ts';
import { installSecurity, isLoopback } from './security.ts';
import { defaultStaticDir, serveStatic } from './static-files.ts';

export interface ServerOptions {
  /** Default 127.0.0.1. Any other host needs a token. */
  host?: string;
  /** Default 0 when only building (tests), the port the Host header must carry. */
  port?: number;
  /** The access token; a non-loopback host without one gets a random one (see `server.token`). */
  token?: string | null;
  /** The built web app; default workbench/dist of this package. */
  staticDir?: string;
  /** Quiet time after a decision before the re-match (default 1.5 s). */
  rematchDebounceMs?: number;
  /** Wait before trying the re-match again while another process runs the pipeline (default 5 s). */
  rematchRetryMs?: number;
  /** More origins that may change things (a dev server's). */
  extraOrigins?: string[];
  /** Fastify's logger (default: errors only, to stderr). */
  logger?: boolean | { level: string };
}

export const DEFAULT_PORT = 7707;
/** JSON bodies are small (ids and names): 1 MB holds 10,000 face ids easily. */
const BODY_LIMIT = 1024 * 1024;

export interface Workbench {
  app: FastifyInstance;
  context: ServerContext;
  /** The token every request needs, or null on loopback without one. */
  token: string | null;
}

export async function buildServer(workspace: Workspace, options: ServerOptions = {}): Promise<Workbench> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (isLoopback(host) ? null : randomBytes(24).toString('base64url'));
  const app = Fastify({
    logger: options.logger ?? { level: 'error' },
    bodyLimit: BODY_LIMIT,
    // Real 400s: Fastify's defaults strip unknown fields and turn "7" into 7.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: false } },
    schemaErrorFormatter: (errors, dataVar) => formatSchemaErrors(errors as never, dataVar),
    return503OnClosing: true,
    // Event streams never go idle: without this, close() (Ctrl-C on `mnemo serve`) waits for every open tab.
    forceCloseConnections: true,
  });
  app.removeContentTypeParser('text/plain'); // only JSON bodies: anything else is a 415
  installErrorHandling(app);
  installSecurity(app, { host, port: options.port ?? 0, token, extraOrigins: options.extraOrigins });
  // A change with no body at all (cancel, undo the last) reads as {}.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET') request.body = {};
  });

  const hub = new EventHub();
  const runs = new RunSupervisor(workspace, hub);
  const rematch = new Rematcher(runs, hub, {
    debounceMs: options.rematchDebounceMs ?? 1500,
    retryMs: options.rematchRetryMs ?? 5000,
    logBug: (error) => app.log.error({ err: error }, 're-match failed'),
    // Pages refetch when told the re-match finished: have their snapshot loaded by then.
    warm: async () => (await people()).snapshot(),
  });
  const people = peopleOpener(workspace);
  const context: ServerContext = {
    workspace, hub, runs, rematch,
    people,
    decided(batchId) {
      hub.publish({ type: 'decision', batchId });
      rematch.schedule();
    },
  };
  const streams = new Set<{ end(): void }>();
  runRoutes(app, context);
  peopleRoutes(app, context);
  reviewRoutes(app, context);
  similarityRoutes(app, context);
  notebookRoutes(app, context);
  compareRoutes(app, context);
  duplicateRoutes(app, context);
  tripRoutes(app, context);
  mediaRoutes(app, context);
  eventRoutes(app, context, streams);

  const staticDir = options.staticDir ?? defaultStaticDir();
  app.setNotFoundHandler(async (request, reply) => {
    if (await serveStatic(staticDir, request, reply)) return reply;
    throw new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  // Streams end before the server stops listening, so pages see a clean end of stream.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  app.addHook('onClose', async () => {
    rematch.close();
    await runs.close();
  });
  return { app, context, token };
}

/**
 * Builds and listens; returns the URL to print (with the token when one is
 * needed). One workbench per data folder: a second one, or a port already
 * taken, is a conflict that says where the first one runs (app/server-instance.ts).
 */
export async function serve(workspace: Workspace, options: ServerOptions & { port: number }): Promise<Workbench & { url: string }> {
  const dataDir = workspace.store.dataDir;
  await assertNoInstance(dataDir);
  // The pages read latest.* over the catalog: after a move of the data folder they would read the old place.
  // A run that holds the catalog now pointed the views here as it started.
  if (workspace.store.exists()) await workspace.store.followMovedDataFolder().catch((error: Error) => {
    if (!(error instanceof CatalogBusyError)) throw error;
  });
  const workbench = await buildServer(workspace, options);
  const host = options.host ?? '127.0.0.1';
  let release = () => {};
  workbench.app.addHook('onClose', async () => release());
  try {
    await workbench.app.listen({ host, port: options.port });
  } catch (error) {
    await workbench.app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw conflict(await portInUseMessage(host, options.port));
    throw error;
  }
  const port = (workbench.app.server.address() as AddressInfo).port; // the real one when 0 was asked
  const base = `http://${hostInUrl(host)}:${port}/`;
  try {
    const config = existsSync(workspace.configPath) ? resolve(workspace.configPath) : null;
    release = await claimInstance({ host, port, url: base, token: workbench.token !== null, config, data_dir: dataDir });
  } catch (error) {
    await workbench.app.close();
    throw error;
  }
  return { ...workbench, url: `${base}${workbench.token ? `?token=${workbench.token}` : ''}` };
}
