// Brings a Yandex.Disk source's local view up to date: list the tree
// (resumable), download what the cache lacks (verified by SHA-256), and make
// the view (`<state>/view/<path on the disk below the root>`) a hard link per
// file into the cache. scan then walks the view as it walks any folder, so
// every node reads these files unchanged. A file whose content is already in
// the cache is never downloaded again, whatever its path or revision.
//
// Nothing here writes to the disk on Yandex, and the view only ever holds
// links into mnemo's own cache: removing one never touches a user's photo.
import { lstatSync, statSync } from 'node:fs';
import { link, lstat, readdir, readFile, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { withTemporaryPath, writeFileAtomic } from '../../datasets/atomic-file.ts';
import { matchesAny } from '../../files/glob.ts';
import { forEachLimit } from '../../files/import-plan.ts';
import { BlobCache, ChecksumMismatchError } from './blob-cache.ts';
import { DiskClient } from './client.ts';
import { TokenSource } from './credentials.ts';
import { redact, YandexApiError, type RetryPolicy } from './http.ts';
import { listTree, ListingInterruptedError, remoteFileOf, type RemoteFile } from './listing.ts';
import { LoginNeededError } from './oauth.ts';

/** What sync needs of a source (dag's SourceSpec with its yandexDisk settings). */
export interface YandexDiskSourceFolder {
  name: string;
  path: string;
  include: string[];
  exclude: string[];
  yandexDisk: {
    root: string;
    apiUrl: string;
    oauthUrl: string;
    credentialsFile: string;
    stateDir: string;
    cacheDir: string;
    cacheLimitBytes: number;
  };
}

export interface SyncProblem {
  item: string;
  message: string;
}

export interface SyncResult {
  /** Files under the root that the include/exclude rules select. */
  files: number;
  downloaded: number;
  downloadedBytes: number;
  /** Downloads refused because their SHA-256 did not match (each was tried again). */
  refusedDownloads: number;
  /** Files that changed between the listing and their download (taken in their new state). */
  changedWhileSyncing: number;
  problems: SyncProblem[];
  /** The listing did not complete (or no login): the view is kept as the last sync left it. */
  unavailable: boolean;
  /** A new login is needed (`mnemo auth yandex`). */
  loginNeeded: boolean;
  resumedListing: boolean;
  requests: number;
  refreshes: number;
  evicted: number;
}

export interface SyncOptions {
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Downloads at once. */
  concurrency?: number;
  pageSize?: number;
  onProgress?: (done: number, total: number) => void;
}

const DOWNLOAD_TRIES = 3;

/** The token source, API client and download cache of one source's settings. */
export function connect(settings: YandexDiskSourceFolder['yandexDisk'], options: { retry?: RetryPolicy; signal?: AbortSignal } = {}) {
  const tokens = new TokenSource(settings.credentialsFile, { oauthUrl: settings.oauthUrl, http: { retry: options.retry, signal: options.signal } });
  const client = new DiskClient({ apiUrl: settings.apiUrl, tokens, retry: options.retry, signal: options.signal });
  return { tokens, client, cache: new BlobCache(settings.cacheDir, settings.cacheLimitBytes) };
}

export async function syncYandexDiskSource(source: YandexDiskSourceFolder, options: SyncOptions = {}): Promise<SyncResult> {
  const settings = source.yandexDisk;
  const { tokens, client, cache } = connect(settings, options);
  const result: SyncResult = {
    files: 0, downloaded: 0, downloadedBytes: 0, refusedDownloads: 0, changedWhileSyncing: 0, problems: [],
    unavailable: false, loginNeeded: false, resumedListing: false, requests: 0, refreshes: 0, evicted: 0,
  };
  const finish = () => Object.assign(result, { downloaded: cache.downloads, downloadedBytes: cache.downloadedBytes, requests: client.requests, refreshes: tokens.refreshes });
  const counts: DownloadCounts = { refused: 0, changed: 0 };
  const scrub = (message: string) => redact(message, tokens.secrets());

  let listed: Record<string, RemoteFile>;
  try {
    const listing = await listTree(client, join(settings.stateDir, 'listing.json'), settings.root, source.exclude, { pageSize: options.pageSize });
    listed = listing.files;
    result.resumedListing = listing.resumed;
  } catch (error) {
    const reason = error instanceof ListingInterruptedError ? error.reason : error;
    if (options.signal?.aborted) throw error;
    result.unavailable = true;
    result.loginNeeded = reason instanceof LoginNeededError;
    const kept = 'its files are kept as the last sync left them';
    const message = reason instanceof LoginNeededError
      ? `Yandex.Disk login needed for source '${source.name}': ${reason.message}; ${kept}`
      : `Yandex.Disk source '${source.name}' (${settings.root}): ${error instanceof Error ? error.message : String(error)}; ${kept}`;
    result.problems.push({ item: `${source.name}:`, message: scrub(message) });
    return finish();
  }

  const wanted = Object.entries(listed).filter(([path]) => matchesAny(path, source.include) && !matchesAny(path, source.exclude));
  result.files = wanted.length;
  // What the view held after the last sync (path -> SHA-256): a file unchanged since then costs one lstat.
  const indexFile = join(settings.stateDir, 'view-index.json');
  const viewIndex = await readFile(indexFile, 'utf8').then((text) => JSON.parse(text) as Record<string, string>, () => ({}) as Record<string, string>);
  const inView = new Map<string, string | null>(); // path -> the SHA-256 of what the view holds there (null: unknown)
  let done = 0;
  await forEachLimit(wanted.length, options.concurrency ?? 4, async (index) => {
    options.signal?.throwIfAborted();
    const [path, listedFile] = wanted[index]!;
    if (listedFile.sha256 && viewIndex[path] === listedFile.sha256 && (lstatSync(join(source.path, path), { throwIfNoEntry: false })?.nlink ?? 0) > 1) {
      inView.set(path, listedFile.sha256);
      options.onProgress?.(++done, wanted.length);
      return;
    }
    try {
      const file = await ensureBlob(client, cache, listedFile, counts);
      if (file !== listedFile) listed[path] = file;
      await linkIntoView(cache.pathOf(file.sha256!), join(source.path, path));
      inView.set(path, file.sha256);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // A file that could not be brought up to date keeps the view's older copy, if there is one.
      if (await lstat(join(source.path, path)).then(() => true, () => false)) inView.set(path, viewIndex[path] ?? null);
      result.problems.push({ item: `${source.name}:${path}`, message: scrub(describeFailure(error)) });
    }
    options.onProgress?.(++done, wanted.length);
  });
  await pruneView(source.path, inView);
  await writeFileAtomic(indexFile, JSON.stringify(Object.fromEntries([...inView].filter(([, sha]) => sha !== null))));

  await cache.touch(wanted.map(([path]) => listed[path]?.sha256).filter((sha): sha is string => Boolean(sha)));
  const eviction = await cache.evict();
  result.evicted = eviction.evicted;
  if (eviction.inUseBytes > settings.cacheLimitBytes) {
    result.problems.push({ item: `${source.name}:`, message: `the Yandex.Disk cache needs ${formatBytes(eviction.inUseBytes)} for the files the sources show, more than its cache_limit of ${formatBytes(settings.cacheLimitBytes)}; raise cache_limit in mnemo.yaml (nothing in use was removed)` });
  }
  result.refusedDownloads = counts.refused;
  result.changedWhileSyncing = counts.changed;
  return finish();
}

/** Counts of downloads refused for a wrong SHA-256, and of files that changed since they were listed. */
export interface DownloadCounts {
  refused: number;
  changed: number;
}

/**
 * The file's bytes in the cache: downloaded and verified unless already
 * there. Bytes that do not match are refused; the disk's facts then tell a
 * file changed since the listing (taken as it is now) from one damaged on
 * the way (tried again). Returns the facts the cached bytes match.
 */
export async function ensureBlob(client: DiskClient, cache: BlobCache, file: RemoteFile, counts: DownloadCounts): Promise<RemoteFile> {
  if (!file.sha256) throw new Error('the disk has not computed this file\'s SHA-256 yet (just uploaded?); it is taken on a later run');
  if (await cache.has(file.sha256)) return file;
  let current = file;
  for (let attempt = 1; ; attempt++) {
    const href = await client.downloadLink(current.path);
    try {
      await cache.download(href, current.sha256!, Date.parse(current.modified), client.http);
      return current;
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      counts.refused++;
      const now = remoteFileOf(await client.resource(current.path));
      if (now.sha256 && now.sha256 !== current.sha256) {
        counts.changed++;
        current = now;
        if (await cache.has(now.sha256)) return current;
      }
      if (attempt >= DOWNLOAD_TRIES) throw new Error(`${error.message} ${DOWNLOAD_TRIES} times; nothing was kept, it is tried again on the next run`);
    }
  }
}

/** Points `viewPath` at `blobPath` (a hard link), replacing an older link atomically; nothing when it is already right. */
async function linkIntoView(blobPath: string, viewPath: string): Promise<void> {
  const blob = statSync(blobPath);
  const view = lstatSync(viewPath, { throwIfNoEntry: false });
  if (view && view.ino === blob.ino && view.dev === blob.dev) return;
  await withTemporaryPath(viewPath, (temporary) => link(blobPath, temporary));
}

/** Removes view entries the disk no longer has (links into the cache only), then empty folders. */
async function pruneView(view: string, keep: ReadonlyMap<string, unknown>): Promise<void> {
  const entries = await readdir(view, { recursive: true, withFileTypes: true }).catch(() => []);
  const folders: string[] = [];
  for (const entry of entries) {
    const absolute = join(entry.parentPath, entry.name);
    const relative = absolute.slice(view.length + 1);
    if (entry.isDirectory()) folders.push(absolute);
    else if (!keep.has(relative)) await unlink(absolute).catch(() => undefined);
  }
  for (const folder of folders.sort((a, b) => b.length - a.length)) await rmdir(folder).catch(() => undefined); // fails while not empty: kept
}

function describeFailure(error: unknown): string {
  if (error instanceof YandexApiError && error.status === 404) return `gone from the disk since the listing (${error.error}); it is dropped on the next run`;
  return error instanceof Error ? error.message : String(error);
}

function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
