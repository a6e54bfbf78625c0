// Face crops for the workbench's grids: a square around a face of the latest
// run, cut from the original photo (EXIF orientation applied, as the boxes
// are), resized and encoded as WebP. A crop depends only on the face (its id
// hashes the photo's content and the box) and the size, so it is cached at
// <data>/cache/crops/<id[0:2]>/<face_id>-<size>.webp and never goes stale.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import type { Catalog } from '../datasets/catalog.ts';
import { archiveRows, realArchivePath } from './archive-files.ts';
import { AppError, invalid, notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';
import { hasRunViews } from '../datasets/run-registry.ts';

export const MIN_CROP_SIZE = 32;
export const MAX_CROP_SIZE = 512;
/** Room around the box on each side, as a share of its longer side: hair and chin stay in. */
const MARGIN = 0.3;
const WEBP_QUALITY = 80;
/** Photos decoded at the same time for one grid: the cores, at least 2. */
const PHOTOS_AT_ONCE = Math.max(2, availableParallelism());
/** Face ids are hex hashes; anything else never reaches a path. */
const FACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** One row per face id (a photo stored twice has the face twice: one active file is enough). */
export const FACE_BOXES_SQL = `
  SELECT f.face_id, min(f.file_id) AS file_id, any_value(f.x1) AS x1, any_value(f.y1) AS y1, any_value(f.x2) AS x2, any_value(f.y2) AS y2
  FROM latest.faces f JOIN latest.files fi USING (file_id)
  WHERE list_contains($1::VARCHAR[], f.face_id) AND fi.status = 'active'
  GROUP BY f.face_id`;

interface FaceBox {
  face_id: string;
  file_id: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export function cropPath(workspace: Workspace, faceId: string, size: number): string {
  return join(workspace.store.cacheDir('crops'), faceId.slice(0, 2), `${faceId}-${size}.webp`);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < MIN_CROP_SIZE || size > MAX_CROP_SIZE) throw invalid(`size must be a whole number from ${MIN_CROP_SIZE} to ${MAX_CROP_SIZE} (got ${size})`);
}

/** One face's crop (WebP bytes). */
export async function faceCrop(workspace: Workspace, faceId: string, size: number): Promise<Buffer> {
  return (await faceCrops(workspace, [faceId], size)).get(faceId)!;
}

/**
 * Crops of many faces (a grid): cached ones are read from disk, the rest are
 * made with each photo decoded once for all its faces. Unknown face ids are
 * not_found, naming them.
 */
export async function faceCrops(workspace: Workspace, faceIds: readonly string[], size: number): Promise<Map<string, Buffer>> {
  checkSize(size);
  const unique = [...new Set(faceIds)];
  const bad = unique.filter((id) => !FACE_ID.test(id));
  if (bad.length) throw notFound(`no face ${bad.slice(0, 5).join(', ')} in the latest run`);
  const crops = new Map<string, Buffer>();
  const cached = await Promise.all(unique.map((id) => readFile(cropPath(workspace, id, size)).catch(() => null)));
  const missing = unique.filter((id, index) => {
    if (cached[index]) crops.set(id, cached[index]!);
    return !cached[index];
  });
  if (missing.length === 0) return crops;

  const { boxes, rows, roots } = await translated(() => workspace.store.read(async (catalog) => {
    const found = await faceBoxes(catalog, missing);
    return { boxes: found, ...(await archiveRows(catalog, [...new Set(found.map((box) => box.file_id))])) };
  }));
  const unknown = missing.filter((id) => !boxes.some((box) => box.face_id === id));
  if (unknown.length) throw notFound(`no face ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''} in the latest run`);

  const byFile = new Map<string, FaceBox[]>();
  for (const box of boxes) byFile.set(box.file_id, [...(byFile.get(box.file_id) ?? []), box]);
  const { decodePhoto } = await import('../imaging/image.ts');
  const { default: sharp } = await import('sharp');
  // Photos are decoded a few at a time: one decode leaves cores idle while it reads the file and encodes WebP.
  const queue = [...byFile];
  const cropPhoto = async ([fileId, fileBoxes]: [string, FaceBox[]]) => {
    const row = rows.get(fileId);
    const real = row ? await realArchivePath(row, roots) : null;
    if (!real) throw notFound(`the photo of face ${fileBoxes[0]!.face_id} is not a readable file of the archive`);
    let photo;
    try {
      photo = await decodePhoto(real.realPath);
    } catch (error) {
      throw new AppError('not_found', `the photo of face ${fileBoxes[0]!.face_id} cannot be decoded: ${(error as Error).message}`, { cause: error });
    }
    const pixels = sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), { raw: { width: photo.width, height: photo.height, channels: 3 } });
    for (const box of fileBoxes) {
      const square = squareAround(box, photo.scale, photo.width, photo.height);
      const webp = await pixels.clone().extract(square).resize(size, size).webp({ quality: WEBP_QUALITY }).toBuffer();
      await translated(() => writeFileAtomic(cropPath(workspace, box.face_id, size), webp));
      crops.set(box.face_id, webp);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PHOTOS_AT_ONCE, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await cropPhoto(next);
  }));
  return crops;
}

async function faceBoxes(catalog: Catalog, faceIds: string[]): Promise<FaceBox[]> {
  const { listValue } = await import('@duckdb/node-api');
  if (!(await hasRunViews(catalog, 'latest', ['faces', 'files']))) return [];
  return catalog.rows<FaceBox>(FACE_BOXES_SQL, [listValue(faceIds)]);
}

/** A square around the box (in original pixels) with a margin, in decoded pixels, kept inside the image. */
export function squareAround(box: { x1: number; y1: number; x2: number; y2: number }, scale: number, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const x1 = box.x1 * scale, y1 = box.y1 * scale, x2 = box.x2 * scale, y2 = box.y2 * scale;
  const longer = Math.max(x2 - x1, y2 - y1, 1);
  const side = Math.max(1, Math.min(Math.round(longer * (1 + 2 * MARGIN)), width, height));
  const clamp = (value: number, max: number) => Math.max(0, Math.min(Math.round(value), max));
  const left = clamp((x1 + x2) / 2 - side / 2, width - side);
  const top = clamp((y1 + y2) / 2 - side / 2, height - side);
  return { left, top, width: side, height: side };
}
