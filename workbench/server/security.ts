// What keeps a page of another website from reading or changing the archive
// through this local server, checked on every request before any route runs:
//   - Host must name this server (a DNS-rebinding page sends its own name);
//   - a browser's cross-site request (Sec-Fetch-Site) is refused outright;
//   - a non-loopback server needs its access token (header or cookie);
//   - a state-changing request needs our own Origin or the X-Mnemo header (a
//     plain HTML form can send neither), and a JSON body.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.ts';

export interface SecurityOptions {
  /** The address the server listens on (127.0.0.1, ::1, localhost, or another host). */
  host: string;
  /** The port; when 0, the port the server got is used. */
  port: number;
  /** Required on every request when set (a non-loopback host). */
  token: string | null;
  /** More origins allowed to change things (e.g. a dev server); default none. */
  extraOrigins?: string[];
}

export const TOKEN_COOKIE = 'mnemo_token';
export const CUSTOM_HEADER = 'x-mnemo';
const STATE_CHANGING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const isLoopback = (host: string) => LOOPBACK.has(host);

/** `[::1]` for an IPv6 address, the name as it is otherwise. */
const hostForUrl = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** The Host header values that name this server. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', hostForUrl(host)];
  return new Set(names.map((name) => `${name}:${port}`.toLowerCase()));
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

function bearer(request: FastifyRequest): string | null {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}

/** Adds the checks as the first hook of every request. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const portNow = () => options.port || ((app.server.address() as { port?: number } | null)?.port ?? 0);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const port = portNow();
    const hosts = allowedHosts(options.host, port);
    const hostHeader = (request.headers.host ?? '').toLowerCase();
    if (!hosts.has(hostHeader)) throw new HttpError(403, 'forbidden', `Host '${request.headers.host ?? ''}' is not this server (DNS rebinding?)`);
    if (request.headers['sec-fetch-site'] === 'cross-site') throw new HttpError(403, 'forbidden', 'cross-site requests are refused');

    if (options.token !== null) {
      const query = request.query as Record<string, unknown> | undefined;
      const fromQuery = request.method === 'GET' && request.url.split('?')[0] === '/' && typeof query?.token === 'string' ? query.token : null;
      if (fromQuery !== null && sameToken(fromQuery, options.token)) {
        // The link printed at start: remember the token in a cookie, then drop it from the address bar.
        reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`);
        return reply.redirect('/', 303);
      }
      const given = bearer(request) ?? cookie(request, TOKEN_COOKIE);
      if (given === null || !sameToken(given, options.token)) throw new HttpError(401, 'forbidden', 'an access token is required: open the link the server printed, or send Authorization: Bearer TOKEN');
    }

    if (STATE_CHANGING.has(request.method)) {
      const origins = new Set([...[...hosts].map((host) => `http://${host}`), ...(options.extraOrigins ?? [])]);
      const origin = request.headers.origin;
      if (request.headers[CUSTOM_HEADER] !== '1' && !(origin && origins.has(origin.toLowerCase()))) {
        throw new HttpError(403, 'forbidden', `a change needs the page's own Origin or the header 'X-Mnemo: 1'`);
      }
      const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (hasBody && type !== 'application/json') throw new HttpError(415, 'invalid', `a change takes a JSON body (Content-Type: application/json), not '${type || 'none'}'`);
    }
  });
}
