// events and trips through the real engine on JPEG files with EXIF (the
// synthetic trips archive in a Cyrillic folder): the tables, the bad input
// counted, places named in Russian, the trip card with a person on it, its
// self-contained HTML, and `mnemo trips`. Plus the demo photos' real GPS.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../dag/executor.ts';
import { parseSpec } from '../dag/spec.ts';
import { Persons } from '../datasets/persons.ts';
import { readOnlyQuery } from '../datasets/read-only-sql.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { Workspace } from '../app/workspace.ts';
import { listTrips, tripCard, tripCardHtml } from '../app/trips.ts';
import { demoPhotosDir, repoRoot, skipUnless } from './fixtures.ts';
import { runCli, tempDir } from './helpers.ts';
import { EXPECTED_TRIPS } from './support/trip-photos.ts';
import { writeTripArchive } from './support/trip-workspace.ts';

const skip = skipUnless(demoPhotosDir);

test('events and trips on a synthetic archive: tables, bad input counted, Russian names, a card with people and its HTML', { skip }, async () => {
  const dir = join(tempDir('mnemo-trips-'), 'Архив семьи');
  mkdirSync(dir);
  const { yaml, photos, demoFiles } = await writeTripArchive(dir);
  writeFileSync(join(dir, 'mnemo.yaml'), yaml);
  const store = new Store(join(dir, 'data'));
  const run = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store, {});
  assert.equal(run.status, 'succeeded', run.message ?? '');
  const sql = async (query: string) => (await readOnlyQuery(store, query)).rows;

  const events = run.nodes.find((node) => node.node === 'events')!.metadata;
  assert.deepEqual([events.noCaptureTime, events.future, events.before1900, events.gpsNullIsland, events.clockOffByZone], [1, 1, 1, 1, 1]);
  assert.equal(events.photos, photos.length - 3);
  assert.match(String(events.home), /^55\.7\d\d, 37\.6\d\d \(most days: \d\d, Moscow\)$/);
  assert.deepEqual((await sql('SELECT reason, count(*) AS n FROM latest.undated_photos GROUP BY reason ORDER BY reason')).map((row) => [row.reason, row.n]), [
    ['capture time before 1900', 1], ['capture time in the future', 1], ['no capture time', 1],
  ]);
  const zones = Object.fromEntries((await sql('SELECT zone_source, count(*) AS n FROM latest.event_photos GROUP BY zone_source')).map((row) => [row.zone_source, row.n]));
  assert.deepEqual(zones, { exif: 22, gps: photos.length - 3 - 22 - 15, home: 15 });

  const trips = await sql('SELECT trip_id, title, days, photos, places, countries, country_language, distance_km, cover_file_id FROM latest.trips ORDER BY trip_id');
  assert.equal(trips.length, EXPECTED_TRIPS.length);
  EXPECTED_TRIPS.forEach((expected, i) => {
    const trip = trips[i]!;
    assert.deepEqual([trip.days, trip.photos, trip.countries, trip.country_language], [expected.days, expected.photos, [expected.country], 'ru'], expected.scene);
    if (expected.place) assert.ok((trip.places as string[]).includes(expected.place), `${expected.scene}: ${trip.places}`);
  });
  assert.equal(trips[0]!.title, 'Sergiyev Posad, Россия');
  assert.deepEqual(trips[2]!.places, ['Kazan', 'Perm', 'Yekaterinburg'], 'the train, in the order visited');
  assert.match(String(trips[1]!.title), /Италия$/);
  const rome = trips[1]!;
  // No person is known in this run: the cover is the most central located photo of the week in Rome.
  const [cover] = await sql(`SELECT f.name, e.lat FROM latest.files f JOIN latest.event_photos e USING (file_id) WHERE file_id = '${rome.cover_file_id}'`);
  const coverPhoto = photos.find((photo) => `${photo.fileId}.jpg` === cover?.name);
  assert.equal(coverPhoto?.scene, 'week in Rome');
  assert.ok(cover!.lat !== null, 'a photo with GPS');

  // A person on the demo photos in Rome: the card counts their photos at once (the journal's decision, before any re-run).
  const faces = await sql(`SELECT fa.face_id, fi.name FROM latest.faces fa JOIN latest.files fi USING (file_id) WHERE NOT fa.rejected ORDER BY fi.name, fa.x1`);
  const demoNames = new Set([...demoFiles.keys()].map((fileId) => `${fileId}.jpg`));
  const demoFaces = faces.filter((face) => demoNames.has(String(face.name)));
  assert.ok(demoFaces.length >= 3, `faces on the demo photos: ${demoFaces.length}`);
  const firstFaceOf = new Map<string, string>();
  for (const face of demoFaces) if (!firstFaceOf.has(String(face.name))) firstFaceOf.set(String(face.name), String(face.face_id));
  const persons = await Persons.open(store, { author: 'test' });
  await persons.createWithFaces('Анна', [...firstFaceOf.values()].slice(0, 2));

  const workspace = await Workspace.open({ data: join(dir, 'data') });
  const listed = await listTrips(workspace);
  assert.deepEqual(listed.map((trip) => trip.tripId), [4, 3, 2, 1, 0], 'newest first');
  const card = await tripCard(workspace, 1);
  assert.deepEqual(card.people, [{ personId: card.people[0]!.personId, name: 'Анна', photos: 2 }]);
  assert.equal(card.photoList.length, 36);
  assert.equal(card.photoList.filter((photo) => photo.people > 0).length, 2);
  assert.match(card.start, /^2024-05-10T09:00:00\+02:00$/);
  await assert.rejects(tripCard(workspace, 99), /no trip 99 in the latest run/);

  const html = await tripCardHtml(workspace, 1);
  assert.match(html, /<html lang="ru">/);
  assert.match(html, /10 мая 2024 г\. – 16 мая 2024 г\./);
  assert.match(html, /Анна <span>2<\/span>/);
  assert.match(html, /Италия/);
  assert.match(html, /GeoNames \(CC BY 4\.0\)/);
  assert.equal((html.match(/<img /g) ?? []).length, 1 + 36, 'the cover and every photo, inside the page');
  assert.ok((html.match(/src="data:image\/webp;base64,/g) ?? []).length >= 36, 'the run\'s WebP thumbnails are embedded');
  assert.doesNotMatch(html, /(src|href)="(https?:|\/)/, 'nothing loaded from outside the page');
  mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
  writeFileSync(join(repoRoot, 'test-output', 'trip-card.html'), html);

  // The CLI: the list, one trip, the HTML card.
  const list = runCli(['trips'], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /Sergiyev Posad, Россия/);
  assert.match(list.stdout, /Kazan → Perm → Yekaterinburg/);
  const shown = runCli(['trips', 'show', '1'], dir);
  assert.match(shown.stdout, /Анна\s+2/);
  const out = join(dir, 'карточка.html');
  const written = runCli(['trips', 'show', '1', '--html', out], dir);
  assert.equal(written.code, 0, written.stderr);
  assert.match(readFileSync(out, 'utf8'), /Анна/);
  const missing = runCli(['trips', 'show', '42'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no trip 42/);
});

test('the demo photos are named where they were taken: San Jose area, California, США', { skip }, async () => {
  const dir = tempDir('mnemo-trips-demo-');
  const photosDir = join(dir, 'photos');
  mkdirSync(photosDir);
  for (const i of [1, 2, 3, 4, 5, 6]) copyFileSync(join(demoPhotosDir, `sample${i}.jpg`), join(photosDir, `sample${i}.jpg`));
  const yaml = `data: ./data\nsources:\n  - name: photos\n    path: ${JSON.stringify(photosDir)}\nnodes:\n  scan:\n  hash:\n  exif:\n  events:\n    params: {language: ru, homeTimeZone: Europe/Moscow}\n  trips:\n`;
  const store = new Store(join(dir, 'data'));
  const run = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store, {});
  assert.equal(run.status, 'succeeded', run.message ?? '');
  const rows = (await readOnlyQuery(store, 'SELECT place, region, country, country_code, time_zone, photos FROM latest.events ORDER BY start_utc')).rows;
  assert.equal(rows.length, 6, 'six photos years apart: six events');
  for (const row of rows) {
    // GeoNames' nearest populated place to 37.3196, -121.9465 is Burbank, a neighbourhood of San Jose in Santa Clara County.
    assert.deepEqual(row, { place: 'Burbank', region: 'California', country: 'Соединенные Штаты', country_code: 'US', time_zone: 'America/Los_Angeles', photos: 1 });
  }
  // No zone in their EXIF: the zone comes from GPS, so 20:16 in California is 03:16 UTC the next day.
  const sample1 = (await readOnlyQuery(store, `SELECT strftime(e.taken_at_utc, '%Y-%m-%dT%H:%M:%S') AS utc, e.taken_at_local, e.zone_source FROM latest.event_photos e JOIN latest.files f USING (file_id) WHERE f.name = 'sample1.jpg'`)).rows[0];
  assert.deepEqual(sample1, { utc: '2017-11-01T03:16:18', taken_at_local: '2017-10-31T20:16:18-07:00', zone_source: 'gps' });
  assert.equal((await readOnlyQuery(store, 'SELECT count(*) AS n FROM latest.trips')).rows[0]!.n, 0, 'home: one place, no trips');
});
