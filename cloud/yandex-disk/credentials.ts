// The Yandex.Disk credentials file and the access token that refreshes
// itself. The file (mode 0600, in its own 0700 folder) holds the tokens and
// the OAuth client; it is replaced atomically, never printed or logged.
//
// Refresh rule, as rclone does it: before expiry or after a 401, take the
// lock file, re-read the credentials (another process may have refreshed
// meanwhile: Yandex rotates the refresh token, so using the old one would
// fail), and only if the token there is still the stale one, refresh and
// save the new pair before releasing the lock.
import { chmod, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withTemporaryPath } from '../../datasets/atomic-file.ts';
import { sleep, type HttpOptions } from './http.ts';
import { LoginNeededError, refreshTokens, type OAuthClient, type TokenAnswer } from './oauth.ts';

export interface Credentials {
  client_id: string;
  /** Kept so a refresh works without the environment that the login had. */
  client_secret: string | null;
  access_token: string;
  refresh_token: string;
  /** ISO time the access token expires. */
  expires_at: string;
  /** Seconds the token lived when issued: decides how early it is refreshed. */
  lifetime_s: number;
  /** ISO time of the login or of the last refresh. */
  saved_at: string;
}

export function credentialsFrom(client: OAuthClient, answer: TokenAnswer, now = Date.now()): Credentials {
  return {
    client_id: client.clientId, client_secret: client.clientSecret, access_token: answer.accessToken, refresh_token: answer.refreshToken,
    expires_at: new Date(now + answer.expiresIn * 1000).toISOString(), lifetime_s: answer.expiresIn, saved_at: new Date(now).toISOString(),
  };
}

/** The saved credentials, or null when there is no file (never logged in). */
export async function readCredentials(file: string): Promise<Credentials | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Credentials;
    if (typeof parsed.access_token === 'string' && typeof parsed.refresh_token === 'string' && typeof parsed.expires_at === 'string') return parsed;
  } catch {
    // fall through: a damaged file means a new login
  }
  throw new LoginNeededError(`the Yandex.Disk credentials file ${file} is damaged; log in again with \`mnemo auth yandex\``);
}

/** Writes the credentials atomically, readable by the owner only (the folder too). */
export async function saveCredentials(file: string, credentials: Credentials): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await withTemporaryPath(file, async (temporary) => {
    await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600); // the umask may have taken bits off, never added: still set it exactly
  });
}

/** Time before expiry at which a token is refreshed: a day, or half the lifetime of a short-lived one. */
export function refreshMarginMs(credentials: Credentials): number {
  return Math.min(24 * 3600_000, (credentials.lifetime_s * 1000) / 2);
}

export function isExpiring(credentials: Credentials, now = Date.now()): boolean {
  return Date.parse(credentials.expires_at) - now <= refreshMarginMs(credentials);
}

export interface TokenSourceOptions {
  oauthUrl: string;
  http?: HttpOptions;
  /** How long to wait for another process's refresh before taking its lock over. */
  lockTimeoutMs?: number;
}

/** The access token of one credentials file, refreshed when needed; shared by every request of a process. */
export class TokenSource {
  private current: Credentials | null = null;
  private refreshing: Promise<Credentials> | null = null;
  /** Refreshes this process did (for metadata and tests). */
  refreshes = 0;

  constructor(readonly file: string, private readonly options: TokenSourceOptions) {}

  /** Everything that must never be printed. */
  secrets(): string[] {
    const c = this.current;
    return c ? [c.access_token, c.refresh_token, ...(c.client_secret ? [c.client_secret] : [])] : [];
  }

  /** A token good for a while; refreshes first when the saved one is about to expire. */
  async accessToken(): Promise<string> {
    this.current ??= await this.load();
    if (isExpiring(this.current)) this.current = await this.refresh(this.current.access_token);
    return this.current.access_token;
  }

  /** After a 401 on `rejected`: a token that differs from it (refreshed here or by another process). */
  async afterUnauthorized(rejected: string): Promise<string> {
    this.current = await this.refresh(rejected);
    return this.current.access_token;
  }

  private async load(): Promise<Credentials> {
    const credentials = await readCredentials(this.file);
    if (!credentials) throw new LoginNeededError('not logged in to Yandex.Disk; run `mnemo auth yandex`');
    return credentials;
  }

  /** One refresh at a time in this process; across processes the lock file orders them. */
  private refresh(stale: string): Promise<Credentials> {
    this.refreshing ??= this.refreshLocked(stale).finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshLocked(stale: string): Promise<Credentials> {
    const release = await acquireLock(`${this.file}.lock`, this.options.lockTimeoutMs ?? 30_000);
    try {
      const saved = await this.load();
      // Another process (or an earlier call here) already refreshed: use its result (Yandex may keep the access token, so saved_at tells too).
      const replaced = saved.access_token !== stale || saved.saved_at !== this.current?.saved_at;
      if (replaced && !isExpiring(saved)) return saved;
      this.current = saved;
      const client: OAuthClient = { oauthUrl: this.options.oauthUrl, clientId: saved.client_id, clientSecret: saved.client_secret };
      const answer = await refreshTokens(client, saved.refresh_token, { ...this.options.http, secrets: () => this.secrets() });
      const fresh = credentialsFrom(client, answer);
      await saveCredentials(this.file, fresh);
      this.refreshes++;
      return fresh;
    } finally {
      await release();
    }
  }
}

/**
 * A lock file made with O_EXCL holding the owner's pid. A lock whose owner is
 * gone, or older than the timeout, is taken over; otherwise this waits.
 */
export async function acquireLock(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(path, timeoutMs) || Date.now() - started > timeoutMs) {
      await rm(path, { force: true });
      continue;
    }
    await sleep(25 + Math.random() * 50);
  }
}

async function isStaleLock(path: string, timeoutMs: number): Promise<boolean> {
  try {
    const [text, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (Date.now() - stats.mtimeMs > timeoutMs) return true;
    const pid = (JSON.parse(text) as { pid?: number }).pid;
    if (typeof pid !== 'number') return false; // being written right now
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone meanwhile, or half written: try again
  }
}
