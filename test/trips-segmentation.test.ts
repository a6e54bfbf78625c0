// Capture times, home, events and trips on a synthetic archive with known
// answers (test/support/trip-photos.ts), through the pure functions; place
// names offline, in Russian.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpsStatus, localDay, resolveCaptureTimes } from '../geo/capture-times.ts';
import { detectHome, splitEvents, summariseEvents } from '../geo/events.ts';
import { countryName, haversineKm, PlaceNamer } from '../geo/places.ts';
import { formatLocal, offsetMinutes, wallClockToUtc, zoneAt } from '../geo/time-zones.ts';
import { splitTrips } from '../geo/trips.ts';
import { EXPECTED_TRIPS, HOME, tripPhotos } from './support/trip-photos.ts';

const NOW = Date.UTC(2026, 0, 1);

function archive() {
  const rows = tripPhotos();
  const scene = new Map(rows.map((row) => [row.fileId, row.scene]));
  const times = resolveCaptureTimes(rows, 'Europe/Moscow', NOW);
  return { rows, scene, ...times };
}

test('capture times: zone from EXIF, else GPS, else home; bad times left out and counted', () => {
  const { photos, undated, counts, scene, rows } = archive();
  assert.deepEqual(undated.map((row) => [scene.get(row.fileId), row.reason]), [
    ['no time', 'no capture time'], ['future', 'capture time in the future'], ['before 1900', 'capture time before 1900'],
  ]);
  assert.equal(photos.length + undated.length, rows.length);
  assert.deepEqual([counts.noCaptureTime, counts.future, counts.before1900, counts.gpsNullIsland, counts.clockOffByZone], [1, 1, 1, 1, 1]);
  assert.equal(counts.zoneFromExif, 22, 'the Rome phone (21) and the camera on Moscow time');
  assert.equal(counts.zoneFromHome, 14 + 1, 'the Rome camera without GPS or zone, and the 0,0 photo');
  for (let i = 1; i < photos.length; i++) assert.ok(photos[i]!.utcMs >= photos[i - 1]!.utcMs, 'in time order');

  const byScene = (name: string) => photos.filter((photo) => scene.get(photo.fileId) === name);
  const nullIsland = byScene('null island')[0]!;
  assert.ok(Number.isNaN(nullIsland.lat) && nullIsland.gps === 'null_island', '0,0 is no position');
  // The Rome camera on Moscow time: 20:00+03:00 is 17:00 UTC, 19:00 in Rome.
  const offClock = rows.find((row) => row.tzOffset === '+03:00')!;
  const fixed = photos.find((photo) => photo.fileId === offClock.fileId)!;
  assert.equal(formatLocal(fixed.utcMs, fixed.offsetMinutes), '2024-05-12T19:00:00+02:00');
  // Yekaterinburg's zone comes from GPS: 09:00 there is 04:00 UTC.
  const yekaterinburg = byScene('train east').at(-3)!;
  assert.equal(new Date(yekaterinburg.utcMs).toISOString(), '2024-06-02T04:00:00.000Z');
  assert.equal(yekaterinburg.zoneSource, 'gps');
});

test('home is the cell with photos on the most days; events split on gaps, not at midnight', () => {
  const { photos, scene } = archive();
  const home = detectHome(photos)!;
  assert.ok(haversineKm(home.lat, home.lon, HOME.lat, HOME.lon) < 1, `home ${home.lat}, ${home.lon}`);
  assert.ok(home.days >= 28, `${home.days} days`);

  const eventOf = splitEvents(photos, home);
  const events = summariseEvents(photos, eventOf);
  const eventsOf = (name: string) => new Set(photos.flatMap((photo, i) => (scene.get(photo.fileId) === name ? [eventOf[i]] : [])));
  assert.equal(eventsOf('day trip').size, 1, 'a day trip is one event');
  assert.equal(eventsOf('weekend at home').size, 2, 'Saturday and Sunday at home: two events (a night is over 6 h)');
  // The train: Kazan at 23:30 and 00:15 are one event; Perm, 500 km on, is another.
  const train = photos.map((photo, i) => ({ photo, event: eventOf[i]! })).filter(({ photo }) => scene.get(photo.fileId) === 'train east');
  assert.equal(localDay(train[2]!.photo) + 1, localDay(train[3]!.photo), 'across midnight');
  assert.equal(train[2]!.event, train[3]!.event, 'midnight does not split an event');
  assert.notEqual(train[3]!.event, train[4]!.event, 'a 500 km jump does');
  // Rome: one event per day (nights away are over 12 h), camera photos without GPS inside them.
  assert.equal(eventsOf('week in Rome').size, 7);
  assert.equal(events.reduce((sum, event) => sum + event.photos, 0), photos.length);
  const rome = events.find((event) => event.eventId === [...eventsOf('week in Rome')][0])!;
  assert.equal(rome.photos, 5);
  assert.equal(rome.located, 3);
});

test('trips: the day trip, the week abroad, the train across zones, two trips back to back; not the weekend at home', () => {
  const { photos, scene } = archive();
  const home = detectHome(photos)!;
  const trips = splitTrips(photos, home);
  assert.deepEqual(trips.map((trip) => {
    const scenes = new Set(photos.slice(trip.first, trip.last + 1).map((photo) => scene.get(photo.fileId)));
    return { scenes: [...scenes], days: trip.days, photos: trip.photos };
  }), EXPECTED_TRIPS.map((trip) => ({ scenes: [trip.scene], days: trip.days, photos: trip.photos })));
  const rome = trips[1]!;
  assert.equal(rome.photos - rome.located, 14, 'the camera photos without GPS joined the trip');
  assert.ok(rome.distanceKm > 2300 && rome.distanceKm < 2450, `${rome.distanceKm} km`);

  // Fewer photos than the minimum: no trip; a short gap limit splits the week in Rome.
  assert.equal(splitTrips(photos, home, { awayKm: 50, maxGapHours: 48, minPhotos: 6 }).length, 4);
  assert.equal(splitTrips(photos, home, { awayKm: 50, maxGapHours: 12, minPhotos: 5 }).filter((trip) => trip.days === 1).length, 1 + 7 + 0);
  assert.deepEqual(splitTrips(photos, null), [], 'no home, no trips');
});

test('place names offline: nearest place within 25 km, region, country in Russian; the country alone at sea', () => {
  const ru = new PlaceNamer('ru');
  assert.deepEqual(pick(ru.at(56.3153, 38.1358)), { place: 'Sergiyev Posad', region: 'Moscow Oblast', countryCode: 'RU', country: 'Россия', countryLanguage: 'ru' });
  assert.deepEqual(pick(ru.at(59.9386, 30.3141)), { place: 'Saint Petersburg', region: 'St.-Petersburg', countryCode: 'RU', country: 'Россия', countryLanguage: 'ru' });
  // The Atlantic off the Azores: no place within 25 km, the country from the borders (its sea area).
  assert.deepEqual(pick(ru.at(40, -30)), { place: null, region: null, countryCode: 'PT', country: 'Португалия', countryLanguage: 'ru' });
  assert.equal(ru.at(0, 0).country, null, 'open sea: nothing');
  // Across the 180th meridian: Levuka (Fiji, 179.32 E) is 73 km from 179.99 W, Tubou (178.81 W) on this side 125 km.
  assert.equal(new PlaceNamer('en', 150).at(-18.07, -179.99).place, 'Levuka');
  assert.equal(new PlaceNamer('en').at(41.9028, 12.4964).country, 'Italy');
  assert.equal(countryName('DE', 'ru'), 'Германия');
  assert.equal(gpsStatus(91, 0), 'out_of_range');
  assert.equal(gpsStatus(0, 0), 'null_island');
});

test('time zones: the zone at a point, its offset on a date, a wall clock in a zone', () => {
  assert.equal(zoneAt(55.7558, 37.6173), 'Europe/Moscow');
  assert.equal(zoneAt(41.9028, 12.4964), 'Europe/Rome');
  assert.equal(offsetMinutes('Europe/Rome', Date.UTC(2024, 0, 15)), 60);
  assert.equal(offsetMinutes('Europe/Rome', Date.UTC(2024, 6, 15)), 120);
  assert.equal(offsetMinutes('Asia/Kolkata', Date.UTC(2024, 6, 15)), 330);
  const { utcMs, offsetMinutes: offset } = wallClockToUtc('America/Los_Angeles', Date.UTC(2017, 9, 31, 20, 16, 18));
  assert.equal(new Date(utcMs).toISOString(), '2017-11-01T03:16:18.000Z');
  assert.equal(formatLocal(utcMs, offset), '2017-10-31T20:16:18-07:00');
});

function pick(place: ReturnType<PlaceNamer['at']>) {
  const { placeDistanceKm, ...rest } = place;
  assert.ok(placeDistanceKm === null || placeDistanceKm < 25);
  return rest;
}
