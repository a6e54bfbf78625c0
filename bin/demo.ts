// The built-in demo photos: six real group photos (EXIF, GPS) that ship
// inside the installed @vladmandic/face-api package, so `npm start` needs
// nothing beyond `npm ci`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function demoPhotosFolder(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
}
