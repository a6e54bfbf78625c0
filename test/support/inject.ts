// Requests to a Fastify app built by buildServer, as the web app sends them:
// the loopback Host it expects, and the X-Mnemo header state-changing routes require.
import type { FastifyInstance } from 'fastify';

export const HOST = '127.0.0.1:7707';

export const injectGet = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, headers: { host: HOST } });

/** A JSON POST; pass `headers` to replace the X-Mnemo header (e.g. `{}` to send none). */
export const injectPost = (app: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = { 'x-mnemo': '1' }) =>
  app.inject({ method: 'POST', url, headers: { host: HOST, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });
