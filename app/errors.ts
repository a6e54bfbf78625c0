// The one error type of the application layer: a message a person can act on,
// and a kind that says what went wrong in HTTP-like terms. The CLI prints the
// message on one line (exit 2); the server maps the kind to a status code.
// Anything that is not an AppError is a bug: a stack trace for the log, a
// generic message for the page.
//
// Lower layers keep their own error classes; they are recognised here by
// name, so this module imports nothing heavy (the CLI loads it on every error).

export type AppErrorKind = 'invalid' | 'not_found' | 'conflict' | 'busy' | 'storage';

/** HTTP status per kind, for the server. */
export const STATUS_OF_KIND: Record<AppErrorKind, number> = { invalid: 400, not_found: 404, conflict: 409, busy: 503, storage: 507 };

export class AppError extends Error {
  override name = 'AppError';
  constructor(readonly kind: AppErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A lower layer's error by name: its kind, or its kind and words put before its message where the message alone would not say what it is about. */
const KIND_OF_ERROR_NAME: Record<string, AppErrorKind | readonly [AppErrorKind, string]> = {
  SpecError: 'invalid', // dag/spec.ts
  ReadOnlySqlError: 'invalid', // datasets/read-only-sql.ts
  GoldError: 'invalid', // datasets/gold.ts
  ImportSetupError: 'invalid', // nodes/import.ts
  PersonsError: 'invalid', // datasets/persons.ts
  PersonNotFoundError: 'not_found', // datasets/persons.ts
  CatalogBusyError: 'busy', // datasets/catalog.ts
  RunLockedError: 'busy', // datasets/run-lock.ts
  NoCatalogError: 'not_found', // datasets/catalog.ts
  NotResumableError: 'conflict', // datasets/run-registry.ts
  RunOptionsError: 'invalid', // dag/executor.ts
  LoginNeededError: 'invalid', // cloud/yandex-disk/oauth.ts
  YandexApiError: ['invalid', 'Yandex: '], // cloud/yandex-disk/http.ts: a refusal, in Yandex's words
  YandexNetworkError: ['busy', 'Yandex cannot be reached: '], // cloud/yandex-disk/http.ts
};

export const invalid = (message: string) => new AppError('invalid', message);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string) => new AppError('conflict', message);

/**
 * The AppError that a lower layer's error means, or null for a bug. The lower
 * layers keep their own error types (they know nothing of the app); this is
 * the one place that translates them.
 */
export function asAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (!(error instanceof Error)) return null;
  const known = KIND_OF_ERROR_NAME[error.name];
  if (known) {
    const [kind, prefix] = typeof known === 'string' ? [known, ''] : known;
    return new AppError(kind, prefix + error.message, { cause: error });
  }
  // A full disk is the machine's state, not a bug: say so on one line (nothing was lost: writes are atomic).
  if (/No space left on device|ENOSPC/.test(error.message)) return new AppError('storage', `the disk is full: ${error.message}`, { cause: error });
  return null;
}

/** Runs `work`, turning lower-layer errors that a person can fix into AppErrors. */
export async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asAppError(error) ?? error;
  }
}
