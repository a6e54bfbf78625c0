// The Yandex.Disk camera folder as an inbox: photos new by content are
// copied on the server into a yandex-disk source (the archive), by the local
// import's layout rules; the camera folder is never changed. Put
// `needs: [yandex-import]` on scan so the same run catalogues the copies.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineNode, type SourceSpec } from '../dag/node-type.ts';
import { DEFAULT_LAYOUT, layoutProblem } from '../files/import-plan.ts';
import { importCameraFolder, listCameraImport, photosToImport, type CameraListing } from '../cloud/yandex-disk/camera-import.ts';
import type { YandexDiskSourceFolder } from '../cloud/yandex-disk/sync.ts';

export const yandexImportParams = z.object({
  /** Name of the yandex-disk source the camera photos are copied into. */
  archive: z.string().min(1),
  /** Where a photo goes inside the archive: {yyyy} {mm} {dd} {yyyy-mm} {yyyy-mm-dd} {name} {stem} {ext}. */
  layout: z.string().default(DEFAULT_LAYOUT).refine((layout) => layoutProblem(layout) === null, { error: (issue) => `layout: ${layoutProblem(String(issue.input))}` }),
}).strict();

interface Prepared {
  archive: YandexDiskSourceFolder;
  listing: CameraListing | null;
  /** Why the camera folder could not be listed (no login, the disk unreachable). */
  problem: string | null;
}

export const yandexImport = defineNode<typeof yandexImportParams, Prepared>({
  name: 'yandex-import',
  version: '1',
  description: 'Copies photos new by content (SHA-256) from the Yandex.Disk camera folder into a yandex-disk archive source on the server, by capture date; never overwrites, deletes or moves.',
  params: yandexImportParams,
  inputs: [],
  outputs: {
    yandex_imports: {
      description: "Each camera-folder photo and what the import did with it: 'copied', 'renamed_copy' (a suffix avoided a name clash) or 'already_in_archive' (archive_path says where).",
      columns: { sha256: 'VARCHAR', camera_path: 'VARCHAR', archive_path: 'VARCHAR', action: 'VARCHAR', taken_at: 'VARCHAR', date_from: 'VARCHAR' },
    },
  },
  // The photos still to import decide: with none, the earlier import is reused (and scan after it too).
  async inputFingerprint(ctx) {
    const archive = archiveSource(ctx.sources, ctx.params.archive);
    const hash = createHash('sha256').update(JSON.stringify(archive));
    try {
      const listing = await listCameraImport(archive, { signal: ctx.signal });
      for (const [path, file] of photosToImport(listing)) hash.update(`${path}\0${file.sha256}\n`);
      return { fingerprint: hash.digest('hex'), prepared: { archive, listing, problem: null } };
    } catch (error) {
      if (ctx.signal.aborted || (error as Error).name === 'ImportSetupError') throw error;
      hash.update(`problem\0${Date.now()}`); // reported on every run it happens
      return { fingerprint: hash.digest('hex'), prepared: { archive, listing: null, problem: (error as Error).message } };
    }
  },
  async run(ctx) {
    const { archive, listing, problem } = ctx.prepared;
    if (!listing) {
      ctx.itemError('camera:', `the Yandex.Disk camera folder was not read: ${problem}; nothing was imported`);
      await ctx.writeTable('yandex_imports', []);
      return { copied: 0, renamedCopies: 0, alreadyInArchive: 0, failed: 0 };
    }
    ctx.progress.total(listing.photos.length);
    const result = await importCameraFolder(archive, listing, { layout: ctx.params.layout, signal: ctx.signal });
    for (const item of result.problems) ctx.itemError(item.item, item.message);
    ctx.progress.advance(listing.photos.length);
    const rows = result.items.map((item) => ({
      sha256: item.sha256, camera_path: item.cameraPath, archive_path: item.archivePath, action: item.action, taken_at: item.takenAt, date_from: item.dateFrom,
    }));
    await ctx.writeTable('yandex_imports', rows);
    const count = (action: string) => rows.filter((row) => row.action === action).length;
    return {
      cameraFolder: result.cameraFolder, photos: listing.photos.length, copied: count('copied'), renamedCopies: count('renamed_copy'),
      alreadyInArchive: count('already_in_archive'), failed: result.problems.length, downloadedForDates: result.downloaded,
    };
  },
});

/** The archive named by the params: it must be a yandex-disk source (the copy happens on the server). */
function archiveSource(sources: readonly SourceSpec[], name: string): YandexDiskSourceFolder {
  const source = sources.find((candidate) => candidate.name === name);
  if (!source?.yandexDisk) {
    const error = new Error(`yandex-import: archive '${name}' is not a yandex-disk source of this pipeline (yandex-disk sources: ${sources.filter((s) => s.yandexDisk).map((s) => s.name).join(', ') || 'none'})`);
    error.name = 'ImportSetupError';
    throw error;
  }
  return source as YandexDiskSourceFolder;
}
