// Camera-inbox import: copies photos that are new by content from the inbox
// source into the archive source, at a path made from the capture date. The
// inbox is only read, never changed; nothing in the archive is overwritten.
// Put `needs: [import]` on scan so the same run catalogues the new copies.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, stat, utimes } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode, type SourceSpec } from '../dag/node-type.ts';
import { sha256OfFile } from '../files/sha256.ts';
import { DEFAULT_LAYOUT, forEachLimit, layoutProblem, planImport, type CachedHash, type FreshHash, type ImportItem, type ImportPlan } from '../files/import-plan.ts';
import { withTemporaryPath } from '../datasets/atomic-file.ts';
import { readHashCache, upsertHashCache } from '../datasets/hash-cache.ts';
import { describe, walkSources, type WalkResult } from '../files/walk.ts';
import { filePath } from '../files/file-path.ts';

export const importParams = z.object({
  /** Name of the source to import from (a camera card, a phone dump folder). */
  inbox: z.string().min(1),
  /** Name of the source the photos are copied into. */
  archive: z.string().min(1),
  /** Where a photo goes inside the archive: {yyyy} {mm} {dd} {yyyy-mm} {yyyy-mm-dd} {name} {stem} {ext}. */
  layout: z.string().default(DEFAULT_LAYOUT).refine((layout) => layoutProblem(layout) === null, { error: (issue) => `layout: ${layoutProblem(String(issue.input))}` }),
  /** Files hashed and copied at once. */
  concurrency: z.number().int().min(1).max(16).default(4),
}).strict();
export type ImportParams = z.output<typeof importParams>;

interface Prepared {
  inbox: SourceSpec;
  archive: SourceSpec;
  inboxWalk: WalkResult;
  archiveWalk: WalkResult;
}

export const importNode = defineNode({
  name: 'import',
  version: '1',
  description: 'Copies photos new by content (SHA-256) from an inbox source into the archive source by capture date; verified, atomic, never overwrites or deletes.',
  params: importParams,
  executionParams: ['concurrency'],
  inputs: [],
  outputs: {
    imports: {
      description: "Each inbox photo and what the import did with it: 'copied', 'renamed_copy' (a suffix avoided a name clash) or 'already_in_archive' (archive_path says where).",
      columns: { sha256: 'VARCHAR', inbox_path: 'VARCHAR', archive_path: 'VARCHAR', action: 'VARCHAR', taken_at: 'VARCHAR', date_from: 'VARCHAR' },
    },
  },
  // Both folders, stat only: an unchanged inbox and archive reuse the earlier import (there is nothing new to copy).
  async inputFingerprint(ctx) {
    const prepared = walkImportSources(ctx.sources, ctx.params);
    const hash = createHash('sha256').update(JSON.stringify([prepared.inbox, prepared.archive]));
    for (const walk of [prepared.inboxWalk, prepared.archiveWalk]) {
      hash.update('\0walk\n');
      for (const file of walk.files) hash.update(`${file.path}\0${file.size}\0${file.mtimeMs}\n`);
    }
    return { fingerprint: hash.digest('hex'), prepared };
  },
  async run(ctx) {
    const { inbox, archive, inboxWalk, archiveWalk } = ctx.prepared as Prepared;
    const absent = inboxWalk.unavailableSources.length > 0; // the card is not in the reader: an item error, not a failed run
    for (const problem of inboxWalk.problems) {
      ctx.itemError(problem.item, absent && problem.item === `${inbox.name}:` ? `inbox '${inbox.name}' is not readable at ${inbox.path}: nothing imported` : problem.message);
    }
    const cache = await ctx.readCatalog((catalog) => readHashCache(catalog, [inbox.name, archive.name]));
    ctx.progress.total(inboxWalk.files.length + archiveWalk.files.length);
    const plan = await planImport({
      inbox, archive, layout: ctx.params.layout, inboxFiles: inboxWalk.files, archiveFiles: archiveWalk.files, cache,
      concurrency: ctx.params.concurrency, signal: ctx.signal, onHashed: () => ctx.progress.advance(),
    });
    for (const problem of plan.problems) ctx.itemError(problem.item, problem.message);

    const toCopy = plan.items.filter((item) => item.action !== 'already_in_archive');
    const failed = new Set<ImportItem>();
    const copied: FreshHash[] = [];
    await forEachLimit(toCopy.length, Math.min(ctx.params.concurrency, 2), async (index) => {
      ctx.signal.throwIfAborted();
      const item = toCopy[index]!;
      try {
        const written = await copyVerified(filePath(inbox.path, item.inboxPath, item.inboxPathBytes), filePath(archive.path, item.archivePath, item.archivePathBytes), item);
        copied.push({ source: archive.name, path: item.archivePath, sha256: item.sha256, ...written });
      } catch (error) {
        failed.add(item);
        ctx.itemError(`${inbox.name}:${item.inboxPath}`, `not imported to ${archive.name}:${item.archivePath}: ${describe(error)}`);
      }
    });

    const rows = plan.items.filter((item) => !failed.has(item)).map((item) => ({
      sha256: item.sha256, inbox_path: item.inboxPath, archive_path: item.archivePath, action: item.action, taken_at: item.takenAt, date_from: item.dateFrom,
    }));
    await ctx.writeTable('imports', rows);
    // The archive's (and inbox's) hashes, including the new copies, so neither is read again by import or hash.
    const fresh = [...plan.fresh, ...copied];
    ctx.onCommit((connection) => upsertHashCache(connection, fresh));
    const count = (action: string) => rows.filter((row) => row.action === action).length;
    return {
      inbox: inboxWalk.files.length, archiveFiles: plan.archiveFiles, copied: count('copied'), renamedCopies: count('renamed_copy'),
      alreadyInArchive: count('already_in_archive'), failed: failed.size, hashed: plan.fresh.length,
    };
  },
});

/** A mistake in the import's settings (a source that does not exist): the user can fix it. */
export class ImportSetupError extends Error {
  override name = 'ImportSetupError';
}

/** The two sources named by the params, checked, and walked (stat only). Throws a clear message on a mistake. */
export function walkImportSources(sources: readonly SourceSpec[], params: Pick<ImportParams, 'inbox' | 'archive'>): Prepared {
  const named = (role: string, name: string) => {
    const source = sources.find((candidate) => candidate.name === name);
    if (!source) throw new ImportSetupError(`import: ${role} '${name}' is not a source of this pipeline (sources: ${sources.map((s) => s.name).join(', ') || 'none'})`);
    return source;
  };
  const inbox = named('inbox', params.inbox);
  const archive = named('archive', params.archive);
  // A yandex-disk source's folder is mnemo's view of its download cache: copies written there would be pruned by the next sync.
  for (const source of [inbox, archive]) {
    if (source.yandexDisk) throw new ImportSetupError(`import: '${source.name}' is a yandex-disk source; the camera folder on the disk is imported by a yandex-import node (params: archive, layout) and \`mnemo import yandex\``);
  }
  if (inbox.name === archive.name || inbox.path === archive.path) throw new ImportSetupError(`import: inbox and archive must be different folders (both are ${archive.path})`);
  const archiveWalk = walkSources([archive]);
  // An absent inbox (the card is not in the reader) is an item error; an absent archive stops the import.
  if (archiveWalk.unavailableSources.length > 0) throw new ImportSetupError(`import: the archive '${archive.name}' is not readable at ${archive.path}; nothing was copied`);
  return { inbox, archive, inboxWalk: walkSources([inbox]), archiveWalk };
}


/**
 * Copies to a hidden temporary name in the target folder, checks the copy's
 * SHA-256 against the planned one (catching a changed source and a bad write),
 * syncs it to disk, gives it the original's mtime, then links it into place
 * (replace: false): a file that appeared there meanwhile is never replaced.
 */
async function copyVerified(from: string | Buffer, to: string | Buffer, item: ImportItem): Promise<{ size: number; mtime_ms: number }> {
  try {
    await withTemporaryPath(to, async (temporary) => {
      await copyFile(from, temporary, constants.COPYFILE_EXCL);
      const sha = await sha256OfFile(temporary);
      if (sha !== item.sha256) throw new Error('the copy does not match the original (it changed while importing, or the write failed); try again');
      const handle = await open(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      // Seconds as a double lose the last millisecond digit (.349 -> .348999); half a microsecond more keeps it.
      const mtime = item.mtimeMs / 1000 + 5e-7;
      await utimes(temporary, mtime, mtime);
    }, { replace: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error('a file appeared at the target path during the import; it was left alone');
    throw error;
  }
  const written = await stat(to);
  return { size: written.size, mtime_ms: Math.trunc(written.mtimeMs) };
}

/** The plan without copying anything: what `mnemo import --dry-run` prints. */
export async function previewImport(
  sources: readonly SourceSpec[],
  params: Pick<ImportParams, 'inbox' | 'archive' | 'layout' | 'concurrency'>,
  readCache: (sources: string[]) => Promise<Map<string, CachedHash>>,
): Promise<ImportPlan & { inbox: SourceSpec; archive: SourceSpec; inboxProblems: string[] }> {
  const { inbox, archive, inboxWalk, archiveWalk } = walkImportSources(sources, params);
  const cache = await readCache([inbox.name, archive.name]);
  const plan = await planImport({ inbox, archive, layout: params.layout, inboxFiles: inboxWalk.files, archiveFiles: archiveWalk.files, cache, concurrency: params.concurrency });
  return { ...plan, inbox, archive, inboxProblems: inboxWalk.problems.map((problem) => `${problem.item} ${problem.message}`) };
}
