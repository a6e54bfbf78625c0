// Fixtures live in ../shared beside the checkout and are never copied in.
// Tests that need them skip with a clear message when the folder is absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const facesFixtures = fileURLToPath(new URL('../../shared/fixtures/faces/', import.meta.url));
export const petsFixtures = fileURLToPath(new URL('../../shared/fixtures/pets/', import.meta.url));

/** Pass as the `skip` option of a test: false when present, otherwise the reason. */
export function skipUnless(dir: string): string | false {
  return existsSync(dir) ? false : `fixtures not found at ${dir}`;
}

/** The six real group photos (EXIF, GPS) that ship in @vladmandic/face-api. */
export const demoPhotosDir = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
