// The built web app (workbench/dist, made by Vite) as static files, with
// index.html at `/` and for every other page path (the app routes itself).
// Only files under the folder are served; /api/... never falls back to it.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.webp': 'image/webp', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.map': 'application/json', '.wasm': 'application/wasm',
};

/** workbench/dist of the package, from the sources or from the compiled dist/ alike. */
export function defaultStaticDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'workbench', 'dist');
}

/** The file under `root` a URL path names, or null (outside, missing, a folder). */
export function staticFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = resolve(root, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  if (path !== root && !path.startsWith(root + sep)) return null;
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

/** Serves a GET for a page or an asset; false when there is nothing to serve. */
export async function serveStatic(root: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const urlPath = request.url.split('?')[0]!;
  if (urlPath.startsWith('/api/') || !existsSync(join(root, 'index.html'))) return false;
  // A path with an extension is an asset: missing means 404; anything else is a page of the app.
  const file = staticFile(root, urlPath) ?? (extname(urlPath) ? null : join(root, 'index.html'));
  if (!file) return false;
  // Vite names assets by content hash: they never change; index.html must be checked each time.
  const immutable = file.includes(`${sep}assets${sep}`);
  await reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').send(await readFile(file));
  return true;
}
