// HTTP for the Yandex services on Node's fetch: retries with backoff on 429
// and 5xx (honouring Retry-After) and on dropped connections; every other
// answer that is not 2xx becomes a YandexApiError carrying the service's own
// `error` and `description`. Secrets handed to `redact` never reach a message.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first wait; it doubles after each retry, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

// rclone retries the Disk API from 10 ms to 2 s; a little longer here, since a 429 burst is the usual reason.
export const DEFAULT_RETRY: RetryPolicy = { attempts: 7, baseDelayMs: 100, maxDelayMs: 8000 };

/** An answer from Yandex that is not a success: its status and its own error name and description. */
export class YandexApiError extends Error {
  override name = 'YandexApiError';
  constructor(readonly status: number, readonly error: string, readonly description: string, what: string) {
    super(`${what}: ${error}${description ? `: ${description}` : ''} (HTTP ${status})`);
  }
}

/** Yandex could not be reached (no network, refused, reset) even after the retries. */
export class YandexNetworkError extends Error {
  override name = 'YandexNetworkError';
}

/** Whether a failure is worth another try: throttling, a server error, a dropped connection. */
export function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

export interface HttpOptions {
  retry?: RetryPolicy;
  /** Strings (tokens) that must never appear in an error message. */
  secrets?: () => readonly string[];
  signal?: AbortSignal;
  /** Counts each request sent, for metadata and tests. */
  onRequest?: (url: string) => void;
}

/**
 * Sends a request, retrying throttling, server errors and network failures.
 * Returns the successful response (body unread); throws YandexApiError for
 * any other status, with `what` saying what was being done.
 */
export async function requestWithRetry(url: string, init: RequestInit, what: string, options: HttpOptions = {}): Promise<Response> {
  const retry = options.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    let response: Response;
    try {
      options.onRequest?.(url);
      response = await fetch(url, { ...init, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (attempt >= retry.attempts) throw new YandexNetworkError(redact(`${what}: ${networkReason(error)}`, options.secrets?.()));
      await sleep(backoff(retry, attempt), options.signal);
      continue;
    }
    if (response.ok) return response;
    const body = await response.text().catch(() => '');
    if (isRetryable(response.status) && attempt < retry.attempts) {
      await sleep(retryAfterMs(response.headers.get('retry-after')) ?? backoff(retry, attempt), options.signal);
      continue;
    }
    throw apiError(response.status, body, what, options.secrets?.());
  }
}

/** A YandexApiError from an error answer: the Disk API says `error`/`description`, OAuth `error`/`error_description`. */
export function apiError(status: number, body: string, what: string, secrets: readonly string[] = []): YandexApiError {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  const error = typeof parsed.error === 'string' ? parsed.error : `HTTP ${status}`;
  const description = [parsed.description, parsed.error_description, parsed.message].find((text) => typeof text === 'string' && text) as string | undefined;
  return new YandexApiError(status, redact(error, secrets), redact(description ?? '', secrets), redact(what, secrets));
}

/** The text with every secret replaced by '***'. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 6) result = result.split(secret).join('***');
  return result;
}

/** Retry-After in milliseconds (seconds or an HTTP date), capped at a minute; null when absent or unreadable. */
export function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : null;
}

function backoff(retry: RetryPolicy, attempt: number): number {
  const delay = Math.min(retry.baseDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
  return delay / 2 + Math.random() * (delay / 2); // jitter, so processes throttled together do not retry together
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ? `cannot connect (${cause.code})` : error instanceof Error ? error.message : String(error);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
