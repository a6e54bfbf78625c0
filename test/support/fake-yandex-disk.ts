// A fake Yandex.Disk and Yandex OAuth on 127.0.0.1, for tests and benches:
// the same endpoints and answers as the real services (folder paging with
// limit/offset, download links that redirect to the bytes, asynchronous copy
// operations, a rotating refresh token, the device-code login, error bodies),
// plus switches for what goes wrong: bursts of 429, 5xx, expired access
// tokens, revoked refresh tokens, damaged downloads, a file that changes
// between the listing and its download, a listing cut off halfway.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  content: Buffer;
  /** Hex digests of content, computed when it is put. */
  md5?: string;
  sha256?: string;
  resource_id: string;
  modified: string;
  revision: number;
}

export interface FakeYandexDiskOptions {
  clientId?: string;
  /** Seconds an access token lives. */
  tokenLifetime?: number;
  /** Polls answered `authorization_pending` before a device login succeeds. */
  pendingPolls?: number;
  /** The localised camera folder. */
  photostream?: string;
  /** Polls of a copy operation answered `in-progress` before it succeeds. */
  copyPolls?: number;
}

export class FakeYandexDisk {
  readonly files = new Map<string, FakeFile>();
  readonly folders = new Set<string>(['disk:']);
  /** Every request: method, path and query, for assertions (no headers). */
  readonly requests: string[] = [];
  downloads = new Map<string, number>();
  refreshes = 0;
  copies = 0;
  /** Answers to give before normal service resumes (each consumes one API request). */
  throttle = 0;
  serverErrors = 0;
  /** Listing pages served before every further listing request fails with 500; null: never. */
  failListingAfterPages: number | null = null;
  listingPages = 0;
  /** Paths whose next download sends damaged bytes. */
  readonly corruptNext = new Set<string>();
  /** Paths that get new content when their download link is asked for (after the listing saw the old one). */
  readonly changeOnDownload = new Map<string, Buffer>();
  /** Paths removed from the disk when their download link is asked for (after the listing saw them). */
  readonly goneOnDownload = new Set<string>();
  /** Called before a listing page is served (to add files while paging). */
  onListPage: ((folder: string, offset: number) => void) | null = null;
  /** Every token ever issued: none may appear in anything mnemo prints or stores outside the credentials file. */
  readonly issued: string[] = [];
  private accessTokens = new Set<string>();
  private refreshTokens = new Set<string>();
  private deviceCodes = new Map<string, number>();
  private operations = new Map<string, { polls: number; from: string; to: string }>();
  private revision = 1;
  private nextId = 1;
  private server!: Server;
  url = '';

  constructor(readonly options: FakeYandexDiskOptions = {}) {}

  get clientId(): string {
    return this.options.clientId ?? 'fake-client-id';
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        response.statusCode = 500;
        response.end(JSON.stringify({ error: 'FakeServerBug', description: error.message }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Adds or replaces a file (and its folders), as an upload would. */
  put(path: string, content: Buffer | string, modified = '2024-05-01T10:00:00+00:00'): void {
    const existing = this.files.get(path);
    this.files.set(path, { content: Buffer.from(content), resource_id: existing?.resource_id ?? `rid-${this.nextId++}`, modified, revision: ++this.revision });
    for (let folder = parentOf(path); folder !== 'disk:' && !this.folders.has(folder); folder = parentOf(folder)) this.folders.add(folder);
  }

  /** A logged-in user's tokens, as a login would leave them. */
  issueTokens(): { accessToken: string; refreshToken: string; expiresIn: number } {
    const accessToken = `AT-${randomBytes(12).toString('hex')}`;
    const refreshToken = `RT-${randomBytes(12).toString('hex')}`;
    this.accessTokens.add(accessToken);
    this.refreshTokens.add(refreshToken);
    this.issued.push(accessToken, refreshToken);
    return { accessToken, refreshToken, expiresIn: this.options.tokenLifetime ?? 31_536_000 };
  }

  isValidAccessToken(token: string): boolean {
    return this.accessTokens.has(token);
  }

  /** Every access token stops working (the next API call gets 401). */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Every refresh token is refused (`invalid_grant`): only a new login helps. */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  sha256(path: string): string {
    return createHash('sha256').update(this.files.get(path)!.content).digest('hex');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url!, this.url);
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    const body = request.method === 'POST' ? await readBody(request) : '';
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (url.pathname === '/device/code' || url.pathname === '/token') return this.oauth(url.pathname, new URLSearchParams(body), send);
    if (url.pathname.startsWith('/download/')) return this.redirectToStorage(url, response);
    if (url.pathname.startsWith('/storage/')) return this.serveBytes(url, response);

    if (this.throttle > 0) {
      this.throttle--;
      return send(429, { error: 'TooManyRequestsError', description: 'Too Many Requests' }, { 'retry-after': '0' });
    }
    if (this.serverErrors > 0) {
      this.serverErrors--;
      return send(503, { error: 'ServiceUnavailable', description: 'try later' });
    }
    const token = /^OAuth (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    // Echoes the token, as careless servers do: mnemo must keep it out of every message anyway.
    if (!token || !this.accessTokens.has(token)) return send(401, { error: 'UnauthorizedError', description: `token ${token} is not valid` });

    const path = url.searchParams.get('path') ?? '';
    if (url.pathname === '/v1/disk' || url.pathname === '/v1/disk/') return send(200, { total_space: 1e12, used_space: 1e9, system_folders: { photostream: `${this.options.photostream ?? 'disk:/Фотокамера'}/`, downloads: 'disk:/Загрузки/' } });
    if (url.pathname === '/v1/disk/resources' && request.method === 'GET') return this.resources(url, path, send);
    if (url.pathname === '/v1/disk/resources' && request.method === 'PUT') {
      if (this.folders.has(path) || this.files.has(path)) return send(409, { error: 'DiskPathPointsToExistentDirectoryError', description: 'exists' });
      if (!this.folders.has(parentOf(path))) return send(409, { error: 'DiskPathDoesntExistsError', description: 'no parent' });
      this.folders.add(path);
      return send(201, { href: `${this.url}/v1/disk/resources?path=${encodeURIComponent(path)}`, method: 'GET' });
    }
    if (url.pathname === '/v1/disk/resources/download') {
      if (this.goneOnDownload.delete(path)) this.files.delete(path);
      const file = this.files.get(path);
      if (!file) return send(404, { error: 'DiskNotFoundError', description: 'Resource not found.' });
      const changed = this.changeOnDownload.get(path);
      if (changed) {
        this.changeOnDownload.delete(path);
        this.put(path, changed, '2024-06-01T10:00:00+00:00');
      }
      return send(200, { href: `${this.url}/download/${encodeURIComponent(path)}?expires=60`, method: 'GET', templated: false });
    }
    if (url.pathname === '/v1/disk/resources/copy' && request.method === 'POST') return this.copy(url, send);
    if (url.pathname.startsWith('/v1/disk/operations/')) {
      const operation = this.operations.get(url.pathname.slice('/v1/disk/operations/'.length));
      if (!operation) return send(404, { error: 'DiskNotFoundError', description: 'no such operation' });
      if (operation.polls-- > 0) return send(200, { status: 'in-progress' });
      this.finishCopy(operation.from, operation.to);
      return send(200, { status: 'success' });
    }
    return send(404, { error: 'NotFound', description: `${url.pathname} is not an endpoint of this fake` });
  }

  private resources(url: URL, path: string, send: (status: number, payload: unknown) => void): void {
    const file = this.files.get(path);
    if (file) return send(200, this.describe(path));
    if (!this.folders.has(path)) return send(404, { error: 'DiskNotFoundError', description: 'Resource not found.' });
    if (!url.searchParams.has('limit') && !url.searchParams.has('offset')) return send(200, { type: 'dir', path, name: path.slice(path.lastIndexOf('/') + 1), resource_id: `dir-${path}` });
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    this.onListPage?.(path, offset);
    if (this.failListingAfterPages !== null && this.listingPages >= this.failListingAfterPages) return send(500, { error: 'InternalServerError', description: 'listing broke' });
    this.listingPages++;
    const children = this.childrenOf(path);
    const items = children.slice(offset, offset + limit).map((child) => this.describe(child));
    send(200, { type: 'dir', path, resource_id: `dir-${path}`, _embedded: { items, total: children.length, offset, limit, path } });
  }

  private childIndex: { key: string; children: Map<string, string[]> } | null = null;

  /** A folder's children in name order; the index is rebuilt when files or folders change (tests also delete from `files` directly). */
  private childrenOf(folder: string): string[] {
    const key = `${this.revision}\0${this.files.size}\0${this.folders.size}`;
    if (this.childIndex?.key !== key) {
      const children = new Map<string, string[]>();
      for (const path of [...this.folders, ...this.files.keys()]) {
        if (path === 'disk:') continue;
        const parent = parentOf(path);
        const list = children.get(parent);
        if (list) list.push(path);
        else children.set(parent, [path]);
      }
      for (const list of children.values()) list.sort();
      this.childIndex = { key, children };
    }
    return this.childIndex.children.get(folder) ?? [];
  }

  private describe(path: string): Record<string, unknown> {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const file = this.files.get(path);
    if (!file) return { type: 'dir', name, path, resource_id: `dir-${path}`, modified: '2024-01-01T00:00:00+00:00' };
    return {
      type: 'file', name, path, resource_id: file.resource_id, size: file.content.length, modified: file.modified, revision: file.revision,
      md5: file.md5 ??= createHash('md5').update(file.content).digest('hex'), sha256: file.sha256 ??= createHash('sha256').update(file.content).digest('hex'), media_type: 'image',
    };
  }

  private redirectToStorage(url: URL, response: ServerResponse): void {
    const path = decodeURIComponent(url.pathname.slice('/download/'.length));
    response.writeHead(302, { location: `${this.url}/storage/${encodeURIComponent(path)}?sig=${randomBytes(4).toString('hex')}` });
    response.end();
  }

  private serveBytes(url: URL, response: ServerResponse): void {
    const path = decodeURIComponent(url.pathname.slice('/storage/'.length));
    const file = this.files.get(path);
    if (!file) {
      response.writeHead(404);
      return void response.end();
    }
    this.downloads.set(path, (this.downloads.get(path) ?? 0) + 1);
    let bytes = file.content;
    if (this.corruptNext.delete(path)) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
    response.end(bytes);
  }

  private copy(url: URL, send: (status: number, payload: unknown) => void): void {
    const from = url.searchParams.get('from')!;
    const to = url.searchParams.get('path')!;
    if (url.searchParams.get('overwrite') !== 'false') return send(400, { error: 'FakeExpectsNoOverwrite', description: 'mnemo must copy with overwrite=false' });
    if (!this.files.has(from)) return send(404, { error: 'DiskNotFoundError', description: 'Resource not found.' });
    if (this.files.has(to) || this.folders.has(to)) return send(409, { error: 'DiskResourceAlreadyExistsError', description: `Resource "${to}" already exists.` });
    if (!this.folders.has(parentOf(to))) return send(409, { error: 'DiskPathDoesntExistsError', description: 'Specified path doesn\'t exists.' });
    const id = `op-${this.nextId++}`;
    this.operations.set(id, { polls: this.options.copyPolls ?? 2, from, to });
    send(202, { href: `${this.url}/v1/disk/operations/${id}`, method: 'GET', templated: false });
  }

  private finishCopy(from: string, to: string): void {
    const source = this.files.get(from)!;
    this.files.set(to, { content: Buffer.from(source.content), resource_id: `rid-${this.nextId++}`, modified: source.modified, revision: ++this.revision });
    this.copies++;
  }

  private oauth(pathname: string, form: URLSearchParams, send: (status: number, payload: unknown) => void): void {
    if (form.get('client_id') !== this.clientId) return send(400, { error: 'invalid_client', error_description: 'Client not found' });
    if (pathname === '/device/code') {
      const code = `DC-${randomBytes(8).toString('hex')}`;
      this.deviceCodes.set(code, this.options.pendingPolls ?? 1);
      return send(200, { device_code: code, user_code: 'ABCD1234', verification_url: 'https://oauth.yandex.ru/device', interval: 0, expires_in: 600 });
    }
    const grant = form.get('grant_type');
    if (grant === 'device_code') {
      const left = this.deviceCodes.get(form.get('code') ?? '');
      if (left === undefined) return send(400, { error: 'invalid_grant', error_description: 'unknown code' });
      if (left > 0) {
        this.deviceCodes.set(form.get('code')!, left - 1);
        return send(400, { error: 'authorization_pending', error_description: 'User has not yet authorized your application' });
      }
      this.deviceCodes.delete(form.get('code')!);
      return send(200, this.tokenAnswer());
    }
    if (grant === 'refresh_token') {
      const token = form.get('refresh_token') ?? '';
      if (!this.refreshTokens.has(token)) return send(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
      this.refreshTokens.delete(token); // rotation: the old refresh token is spent
      this.refreshes++;
      return send(200, this.tokenAnswer());
    }
    send(400, { error: 'unsupported_grant_type', error_description: String(grant) });
  }

  private tokenAnswer() {
    const { accessToken, refreshToken, expiresIn } = this.issueTokens();
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: expiresIn };
  }
}

/** 'disk:/Фото/a.jpg' -> 'disk:/Фото'; the disk's root is 'disk:'. */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 'disk:'.length ? 'disk:' : path.slice(0, slash);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}
