// The download cache: each file's bytes once, named by their SHA-256
// (`<dir>/<sha[0:2]>/<sha>`), written through a temporary name and renamed
// into place only when the bytes match the SHA-256 the disk announced.
// Sources read them through hard links in their views (sync.ts), so a blob
// with more than one link is in use. The size limit removes the least
// recently used blobs that no view links to; the usage times live in
// `usage.json` beside them.
import { createHash } from 'node:crypto';
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { readFile, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withTemporaryPath, writeFileAtomic } from '../../datasets/atomic-file.ts';
import { requestWithRetry, type HttpOptions } from './http.ts';

/** The bytes that arrived are not the ones the disk announced (changed meanwhile, or damaged on the way). */
export class ChecksumMismatchError extends Error {
  override name = 'ChecksumMismatchError';
  constructor(readonly expected: string, readonly actual: string) {
    super(`the download's SHA-256 ${actual.slice(0, 12)}… is not the announced ${expected.slice(0, 12)}…; it was refused`);
  }
}

export interface EvictionResult {
  evicted: number;
  evictedBytes: number;
  /** Bytes of blobs that views link to: they stay even above the limit. */
  inUseBytes: number;
  totalBytes: number;
}

export class BlobCache {
  /** Downloads that landed, and their bytes (for metadata and tests). */
  downloads = 0;
  downloadedBytes = 0;

  constructor(readonly dir: string, readonly limitBytes: number) {}

  pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  // Synchronous stats here and in evict: one per file on every run, and the thread pool's round trip costs far more than the call.
  async has(sha256: string): Promise<boolean> {
    return statSync(this.pathOf(sha256), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  /**
   * Streams `href` (following its redirects) into the cache, hashing as it
   * goes; only bytes whose SHA-256 is `sha256` are renamed into place, with
   * the file's modification time. Returns the blob's path.
   */
  async download(href: string, sha256: string, modifiedMs: number, http: HttpOptions): Promise<string> {
    const path = this.pathOf(sha256);
    const response = await requestWithRetry(href, { redirect: 'follow' }, 'downloading', http);
    if (!response.body) throw new Error('downloading: the answer has no body');
    let bytes = 0;
    await withTemporaryPath(path, async (temporary) => {
      const hash = createHash('sha256');
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(temporary, { mode: 0o644 }), { signal: http.signal });
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new ChecksumMismatchError(sha256, actual);
      const seconds = modifiedMs / 1000;
      await utimes(temporary, seconds, seconds);
    });
    this.downloads++;
    this.downloadedBytes += bytes;
    return path;
  }

  /** Marks blobs as used now (they stay longest). */
  async touch(shas: Iterable<string>, now = Date.now()): Promise<void> {
    const usage = await this.readUsage();
    for (const sha of shas) usage[sha] = now;
    await writeFileAtomic(join(this.dir, 'usage.json'), JSON.stringify(usage));
  }

  /** Removes least recently used blobs that no view links to until the cache fits its limit. */
  async evict(): Promise<EvictionResult> {
    const usage = await this.readUsage();
    const blobs: { sha: string; path: string; size: number; inUse: boolean }[] = [];
    const list = (dir: string) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    for (const prefix of list(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of list(join(this.dir, prefix))) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue; // temporary names are hidden and not blobs
        const path = join(this.dir, prefix, name);
        const stats = statSync(path, { throwIfNoEntry: false });
        if (stats?.isFile()) blobs.push({ sha: name, path, size: stats.size, inUse: stats.nlink > 1 });
      }
    }
    let totalBytes = blobs.reduce((sum, blob) => sum + blob.size, 0);
    const result: EvictionResult = { evicted: 0, evictedBytes: 0, inUseBytes: blobs.filter((b) => b.inUse).reduce((sum, b) => sum + b.size, 0), totalBytes };
    const candidates = blobs.filter((blob) => !blob.inUse).sort((a, b) => (usage[a.sha] ?? 0) - (usage[b.sha] ?? 0));
    for (const blob of candidates) {
      if (totalBytes <= this.limitBytes) break;
      await unlink(blob.path).catch(() => undefined);
      delete usage[blob.sha];
      totalBytes -= blob.size;
      result.evicted++;
      result.evictedBytes += blob.size;
    }
    if (result.evicted) await writeFileAtomic(join(this.dir, 'usage.json'), JSON.stringify(usage));
    result.totalBytes = totalBytes;
    return result;
  }

  private async readUsage(): Promise<Record<string, number>> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'usage.json'), 'utf8')) as Record<string, number>;
    } catch {
      return {}; // none yet, or damaged: every blob counts as long unused
    }
  }
}
