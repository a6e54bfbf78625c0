// The synthetic trip archive (trip-photos.ts) as real JPEG files with EXIF,
// in a folder with a Cyrillic name, and a pipeline over it: scan, hash, exif,
// images (faces and thumbnails), cluster, assign, events (names in Russian,
// home zone Moscow) and trips. The first Rome photos are the demo group
// photos, so the Rome trip has faces to put people on.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { demoPhotosDir } from '../fixtures.ts';
import { tripPhotos, type TripPhoto } from './trip-photos.ts';

/** Degrees as the EXIF rational triple sharp writes: "55/1 45/1 2088/100". */
function dms(value: number): string {
  const abs = Math.abs(value);
  const degrees = Math.floor(abs);
  const minutes = Math.floor((abs - degrees) * 60);
  const seconds = Math.round(((abs - degrees) * 60 - minutes) * 60 * 1000);
  return `${degrees}/1 ${minutes}/1 ${seconds}/1000`;
}

function exifOf(photo: TripPhoto): Record<string, Record<string, string>> {
  const exif: Record<string, Record<string, string>> = { IFD0: { Make: 'Test', Model: photo.lat === null ? 'Camera' : 'Phone' } };
  if (photo.takenAt) {
    exif.IFD2 = { DateTimeOriginal: photo.takenAt.replace(/^(\d{4})-(\d{2})-(\d{2})T/, '$1:$2:$3 ') };
    if (photo.tzOffset) exif.IFD2.OffsetTimeOriginal = photo.tzOffset;
  }
  if (photo.lat !== null && photo.lon !== null) {
    exif.IFD3 = { GPSLatitudeRef: photo.lat < 0 ? 'S' : 'N', GPSLatitude: dms(photo.lat), GPSLongitudeRef: photo.lon < 0 ? 'W' : 'E', GPSLongitude: dms(photo.lon) };
  }
  return exif;
}

/** Writes the archive under `<dir>/Фото/Поездки` and returns the pipeline spec text (data in `<dir>/data`). */
export async function writeTripArchive(dir: string): Promise<{ photosDir: string; yaml: string; photos: TripPhoto[]; demoFiles: Map<string, string> }> {
  const photosDir = join(dir, 'Фото', 'Поездки');
  mkdirSync(photosDir, { recursive: true });
  const photos = tripPhotos();
  const rome = photos.filter((photo) => photo.scene === 'week in Rome' && photo.lat !== null).slice(0, 3);
  const demoFiles = new Map(rome.map((photo, i) => [photo.fileId, `sample${[2, 3, 6][i]}.jpg`]));
  for (const [i, photo] of photos.entries()) {
    const demo = demoFiles.get(photo.fileId);
    const image = demo
      ? sharp(readFileSync(join(demoPhotosDir, demo))).rotate().resize(800, 800, { fit: 'inside' })
      : sharp({ create: { width: 48, height: 36, channels: 3, background: { r: (i * 47) % 256, g: (i * 91) % 256, b: (i * 13) % 256 } } });
    await image.withExif(exifOf(photo)).jpeg({ quality: 80 }).toFile(join(photosDir, `${photo.fileId}.jpg`));
  }
  const yaml = `data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(photosDir)}
nodes:
  scan:
  hash:
  exif:
  images:
    params: {pets: {enabled: false}, thumbnails: {sizes: [256]}}
  cluster:
  assign:
  events:
    params: {language: ru, homeTimeZone: Europe/Moscow}
  trips:
`;
  return { photosDir, yaml, photos, demoFiles };
}
