// A thin client of the Yandex.Disk REST API (v1): what mnemo needs and no
// more. Every call carries `Authorization: OAuth <token>`; a 401 refreshes
// the token once (credentials.ts) and repeats the call. Throttling and server
// errors are retried in http.ts; other errors arrive as YandexApiError.
import type { TokenSource } from './credentials.ts';
import { requestWithRetry, YandexApiError, type HttpOptions, type RetryPolicy } from './http.ts';

/** A file or folder as the API describes it (the fields mnemo asks for). */
export interface DiskResource {
  type: 'file' | 'dir';
  name: string;
  /** Full disk path, `disk:/Фото/2020/a.jpg`. */
  path: string;
  resource_id: string;
  md5?: string;
  sha256?: string;
  size?: number;
  /** ISO time of the last change. */
  modified: string;
  /** The disk's revision at the file's last change. */
  revision?: number;
}

export interface FolderPage {
  items: DiskResource[];
  total: number;
}

const RESOURCE_FIELDS = ['type', 'name', 'path', 'resource_id', 'md5', 'sha256', 'size', 'modified', 'revision'];
const PAGE_FIELDS = [...RESOURCE_FIELDS.map((field) => `_embedded.items.${field}`), '_embedded.total', 'resource_id', 'type'].join(',');

export interface DiskClientOptions {
  apiUrl: string;
  tokens: TokenSource;
  retry?: RetryPolicy;
  signal?: AbortSignal;
}

export class DiskClient {
  /** API requests sent, retries included (for metadata and tests). */
  requests = 0;

  constructor(private readonly options: DiskClientOptions) {}

  get http(): HttpOptions {
    return { retry: this.options.retry, signal: this.options.signal, secrets: () => this.options.tokens.secrets(), onRequest: () => this.requests++ };
  }

  /** One page of a folder's children, in the API's default order. */
  async listFolder(path: string, offset: number, limit: number): Promise<FolderPage> {
    const answer = await this.json('GET', '/v1/disk/resources', { path, offset: String(offset), limit: String(limit), fields: PAGE_FIELDS }, `listing ${path}`);
    const embedded = (answer._embedded ?? {}) as { items?: DiskResource[]; total?: number };
    if (answer.type === 'file') throw new YandexApiError(409, 'NotAFolder', `${path} is a file, not a folder`, `listing ${path}`);
    return { items: embedded.items ?? [], total: embedded.total ?? 0 };
  }

  /** The metadata of one file or folder. */
  async resource(path: string): Promise<DiskResource> {
    return (await this.json('GET', '/v1/disk/resources', { path, fields: RESOURCE_FIELDS.join(',') }, `reading ${path}`)) as unknown as DiskResource;
  }

  /** A short-lived link to the file's bytes (it redirects to the storage server). */
  async downloadLink(path: string): Promise<string> {
    const answer = await this.json('GET', '/v1/disk/resources/download', { path }, `asking for a download link of ${path}`);
    if (typeof answer.href !== 'string') throw new Error(`asking for a download link of ${path}: the answer has no href`);
    return answer.href;
  }

  /** The camera-uploads folder (its name is localised, so it is read, never guessed); null when the disk has none. */
  async cameraFolder(): Promise<string | null> {
    const answer = await this.json('GET', '/v1/disk', { fields: 'system_folders' }, 'reading the disk\'s system folders');
    const folder = (answer.system_folders as Record<string, unknown> | undefined)?.photostream;
    return typeof folder === 'string' ? folder.replace(/\/+$/, '') : null;
  }

  /** Creates a folder; one that exists already is fine. */
  async makeFolder(path: string): Promise<void> {
    try {
      await this.call('PUT', '/v1/disk/resources', { path }, `creating the folder ${path}`);
    } catch (error) {
      if (!(error instanceof YandexApiError && error.status === 409 && error.error !== 'DiskPathDoesntExistsError')) throw error;
    }
  }

  /**
   * Copies a file on the server, never overwriting: 201 is done at once,
   * 202 gives an operation that is polled until it ends.
   */
  async copy(from: string, to: string, pollMs = 500): Promise<void> {
    const what = `copying ${from} to ${to}`;
    const response = await this.call('POST', '/v1/disk/resources/copy', { from, path: to, overwrite: 'false' }, what);
    const answer = (await response.json().catch(() => ({}))) as { href?: string };
    if (response.status !== 202) return;
    if (!answer.href) throw new Error(`${what}: the server started an operation without a link to follow`);
    for (;;) {
      const operation = await this.json('GET', answer.href, {}, `${what} (following the operation)`);
      if (operation.status === 'success') return;
      if (operation.status === 'failed' || operation.status === 'failure') throw new YandexApiError(500, 'OperationFailed', 'the server reported the copy as failed', what);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  private async json(method: string, path: string, query: Record<string, string>, what: string): Promise<Record<string, unknown>> {
    return (await (await this.call(method, path, query, what)).json()) as Record<string, unknown>;
  }

  /** An authorised request; a 401 gets one refresh and one more try. `path` may be a full URL (an operation link). */
  private async call(method: string, path: string, query: Record<string, string>, what: string): Promise<Response> {
    const url = new URL(path.startsWith('http') ? path : `${this.options.apiUrl}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    let token = await this.options.tokens.accessToken();
    for (let attempt = 1; ; attempt++) {
      try {
        return await requestWithRetry(url.toString(), { method, headers: { authorization: `OAuth ${token}`, accept: 'application/json' } }, what, this.http);
      } catch (error) {
        if (!(error instanceof YandexApiError && error.status === 401) || attempt > 1) throw error;
        token = await this.options.tokens.afterUnauthorized(token);
      }
    }
  }
}
