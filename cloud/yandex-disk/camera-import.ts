// The camera folder as an inbox: photos new by content (SHA-256, which the
// disk announces) are copied on the server into the archive tree, at the
// path the local camera import would choose (files/import-plan.ts: the EXIF
// capture date, else the modification time in local time; a name taken by a
// different file gets a suffix). The copy never overwrites (overwrite=false)
// and nothing is deleted or moved: the camera folder stays as it was.
import { join } from 'node:path';
import { readExif } from '../../files/exif.ts';
import { matchesAny } from '../../files/glob.ts';
import { localIso, renderLayout, type ImportAction } from '../../files/import-plan.ts';
import { YandexApiError, redact } from './http.ts';
import { diskPath, listTree, relativeTo, type RemoteFile } from './listing.ts';
import { connect, ensureBlob, type DownloadCounts, type YandexDiskSourceFolder } from './sync.ts';

export interface CameraImportItem {
  sha256: string;
  /** Full disk path in the camera folder. */
  cameraPath: string;
  /** Relative to the archive's root: the new copy, or where the content already is. */
  archivePath: string;
  action: ImportAction;
  takenAt: string | null;
  dateFrom: 'exif' | 'mtime' | null;
}

export interface CameraImportResult {
  cameraFolder: string | null;
  items: CameraImportItem[];
  problems: { item: string; message: string }[];
  /** Camera photos downloaded to read their capture date. */
  downloaded: number;
  copied: number;
}

export interface CameraImportOptions {
  layout: string;
  retry?: import('./http.ts').RetryPolicy;
  signal?: AbortSignal;
  /** How often a copy operation is polled. */
  pollMs?: number;
}

/** A mistake in the setup (the camera folder inside the archive): the user can fix it. */
export class CameraImportSetupError extends Error {
  override name = 'ImportSetupError';
}

export interface CameraListing {
  cameraFolder: string | null;
  /** The archive's files by path below its root. */
  archiveFiles: Record<string, RemoteFile>;
  /** The camera folder's photos (the archive's include/exclude rules), by path below the camera folder, in path order. */
  photos: [string, RemoteFile][];
}

/** Lists the camera folder and the archive (the archive's listing is the one scan resumes and reuses). */
export async function listCameraImport(archive: YandexDiskSourceFolder, options: Omit<CameraImportOptions, 'layout'> = {}): Promise<CameraListing> {
  const settings = archive.yandexDisk;
  const { client } = connect(settings, options);
  const cameraFolder = await client.cameraFolder();
  if (!cameraFolder) return { cameraFolder, archiveFiles: {}, photos: [] }; // a disk that never had camera uploads
  if (relativeTo(settings.root, cameraFolder) !== null || settings.root === cameraFolder || relativeTo(cameraFolder, settings.root) !== null) {
    throw new CameraImportSetupError(`the camera folder ${cameraFolder} and the archive ${settings.root} overlap; point the yandex-disk source at a folder beside the camera folder`);
  }
  const archiveFiles = (await listTree(client, join(settings.stateDir, 'listing.json'), settings.root, archive.exclude)).files;
  const cameraFiles = (await listTree(client, join(settings.stateDir, 'camera-listing.json'), cameraFolder, archive.exclude)).files;
  const photos = Object.entries(cameraFiles).filter(([path]) => matchesAny(path, archive.include) && !matchesAny(path, archive.exclude)).sort(([a], [b]) => (a < b ? -1 : 1));
  return { cameraFolder, archiveFiles, photos };
}

/** The camera photos whose content the archive lacks: what an import would copy. */
export function photosToImport(listing: CameraListing): [string, RemoteFile][] {
  const inArchive = new Set(Object.values(listing.archiveFiles).map((file) => file.sha256));
  return listing.photos.filter(([, file]) => !inArchive.has(file.sha256));
}

/**
 * Copies the camera folder's new photos into `archive` (a yandex-disk
 * source) on the server. Problems with one photo are reported and the rest go on.
 */
export async function importCameraFolder(archive: YandexDiskSourceFolder, listing: CameraListing, options: CameraImportOptions): Promise<CameraImportResult> {
  const settings = archive.yandexDisk;
  const { tokens, client, cache } = connect(settings, options);
  const scrub = (message: string) => redact(message, tokens.secrets());
  const result: CameraImportResult = { cameraFolder: listing.cameraFolder, items: [], problems: [], downloaded: 0, copied: 0 };
  const { archiveFiles, photos } = listing;
  const madeFolders = new Set<string>();
  const inArchive = new Map<string, string>(); // sha256 -> archive path (first in path order)
  const taken = new Set<string>(); // archive paths in lower case: a clash on a case-insensitive copy too
  for (const [path, file] of Object.entries(archiveFiles).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (file.sha256 && !inArchive.has(file.sha256)) inArchive.set(file.sha256, path);
    taken.add(path.toLowerCase());
  }
  const counts: DownloadCounts = { refused: 0, changed: 0 };
  for (const [path, listed] of photos) {
    options.signal?.throwIfAborted();
    try {
      if (!listed.sha256) throw new Error('the disk has not computed this photo\'s SHA-256 yet; it is imported on a later run');
      const existing = inArchive.get(listed.sha256);
      if (existing !== undefined) {
        result.items.push({ sha256: listed.sha256, cameraPath: listed.path, archivePath: existing, action: 'already_in_archive', takenAt: null, dateFrom: null });
        continue;
      }
      // The capture date is in the photo's EXIF: read from the verified download (which the archive's view then reuses).
      const file = await ensureBlob(client, cache, listed, counts);
      const exifTakenAt = (await readExif(cache.pathOf(file.sha256!))).takenAt;
      const takenAt = exifTakenAt ?? localIso(Date.parse(file.modified));
      const wanted = renderLayout(options.layout, takenAt, path.slice(path.lastIndexOf('/') + 1));
      const archivePath = await copyToFreePath(file, wanted);
      inArchive.set(file.sha256!, archivePath); // a second copy in the camera folder is then already in the archive
      result.items.push({ sha256: file.sha256!, cameraPath: file.path, archivePath, action: archivePath === wanted ? 'copied' : 'renamed_copy', takenAt, dateFrom: exifTakenAt ? 'exif' : 'mtime' });
      result.copied++;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      result.problems.push({ item: `camera:${path}`, message: scrub(`not imported: ${error instanceof Error ? error.message : String(error)}`) });
    }
  }
  result.downloaded = cache.downloads;
  return result;

  /** Copies to `wanted`, or to name-1, name-2 ... when that path is taken (by the listing or by a file that appeared meanwhile). */
  async function copyToFreePath(file: RemoteFile, wanted: string): Promise<string> {
    const slash = wanted.lastIndexOf('/') + 1;
    const dot = wanted.lastIndexOf('.');
    const end = dot > slash ? dot : wanted.length;
    for (let n = 0; n < 100; n++) {
      const candidate = n === 0 ? wanted : `${wanted.slice(0, end)}-${n}${wanted.slice(end)}`;
      if (taken.has(candidate.toLowerCase())) continue;
      const target = diskPath(settings.root, candidate);
      await makeParents(target);
      try {
        await client.copy(file.path, target, options.pollMs);
      } catch (error) {
        if (error instanceof YandexApiError && error.error === 'DiskResourceAlreadyExistsError') {
          taken.add(candidate.toLowerCase());
          continue;
        }
        throw error;
      }
      taken.add(candidate.toLowerCase());
      return candidate;
    }
    throw new Error(`no free name for ${wanted} in ${settings.root}`);
  }

  /** Creates the folders between the archive's root and `target`. */
  async function makeParents(target: string): Promise<void> {
    const relative = relativeTo(settings.root, target)!;
    const segments = relative.split('/').slice(0, -1);
    for (let i = 1; i <= segments.length; i++) {
      const folder = diskPath(settings.root, segments.slice(0, i).join('/'));
      if (madeFolders.has(folder)) continue;
      await client.makeFolder(folder);
      madeFolders.add(folder);
    }
  }
}
