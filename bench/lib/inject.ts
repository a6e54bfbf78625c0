// Timed GETs through Fastify's inject() for the API benchmarks: no sockets,
// the Host header the server's checks expect, a clear error on a non-200.
import type { FastifyInstance } from 'fastify';

export function timedGet(app: FastifyInstance, host: string) {
  return async (url: string) => {
    const start = performance.now();
    const response = await app.inject({ method: 'GET', url, headers: { host } });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    return { ms: performance.now() - start, bytes: response.rawPayload.length, body: response };
  };
}
