// Trips: runs of days away from home (geo/trips.ts) over the events node's
// photos, with the places visited in order, the countries, how far, and a
// cover: the photo with the most people the run knows, else the most central.
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { readColumns } from '../datasets/column-reader.ts';
import { parquetSource, queryRows, scratchConnection } from '../datasets/parquet.ts';
import type { PhotoTime } from '../geo/capture-times.ts';
import { haversineKm } from '../geo/places.ts';
import { DEFAULT_TRIP_PARAMS, inOrder, splitTrips, type TripSpan } from '../geo/trips.ts';
import { formatLocal } from '../geo/time-zones.ts';

interface EventPlace {
  place: string | null;
  region: string | null;
  country: string | null;
  language: string | null;
}

export const trips = defineNode({
  name: 'trips',
  version: '1',
  description: 'Trips: runs of photos farther than awayKm from home with no gap over maxGapHours, photos without GPS in between joined; places in order, countries, distance, cover.',
  params: z.object({
    awayKm: z.number().positive().default(DEFAULT_TRIP_PARAMS.awayKm),
    /** A quiet day without photos does not end a trip; two do (36-72 h work for most archives). */
    maxGapHours: z.number().min(36).max(72).default(DEFAULT_TRIP_PARAMS.maxGapHours),
    minPhotos: z.number().int().min(1).default(DEFAULT_TRIP_PARAMS.minPhotos),
  }).strict(),
  inputs: ['event_photos', 'events', 'home'],
  // With faces and their persons in the pipeline, the cover is the photo with the most known people.
  optionalInputs: ['faces', 'person_assignment'],
  outputs: {
    trips: {
      description: 'Trips away from home: local start and end, calendar days, photos, places and countries in the order visited (names as in events), farthest distance from home, cover photo.',
      columns: {
        trip_id: 'INTEGER', title: 'VARCHAR', start_utc: 'TIMESTAMP', end_utc: 'TIMESTAMP', start_local: 'VARCHAR', end_local: 'VARCHAR', days: 'INTEGER',
        photos: 'INTEGER', located_photos: 'INTEGER', places: 'VARCHAR[]', countries: 'VARCHAR[]', country_language: 'VARCHAR', distance_km: 'DOUBLE', cover_file_id: 'VARCHAR',
      },
    },
    trip_photos: {
      description: 'The photos of each trip, with the event each belongs to.',
      columns: { file_id: 'VARCHAR', trip_id: 'INTEGER', event_id: 'INTEGER' },
    },
  },
  async run(ctx) {
    const { photos, eventIds } = await readPhotoTimes(ctx.inputs.event_photos!);
    ctx.progress.total(photos.length);
    const [homeRow] = await queryRows<{ lat: number; lon: number }>(`SELECT lat, lon FROM ${parquetSource(ctx.inputs.home!)}`);
    const spans = splitTrips(photos, homeRow ? { ...homeRow, days: 0 } : null, ctx.params);

    const eventRows = await queryRows<EventPlace & { event_id: number }>(
      `SELECT event_id, place, region, country, country_language AS language FROM ${parquetSource(ctx.inputs.events!)}`,
    );
    const eventPlaces = new Map(eventRows.map((row) => [row.event_id, row]));
    const peopleOnPhoto = ctx.inputs.faces && ctx.inputs.person_assignment ? await knownPeoplePerPhoto(ctx.inputs.faces, ctx.inputs.person_assignment) : new Map<string, number>();

    const tripRows = spans.map((span, tripId) => {
      const first = photos[span.first]!;
      const last = photos[span.last]!;
      const events = [...new Set(eventIds.subarray(span.first, span.last + 1))].map((eventId) => eventPlaces.get(eventId)!);
      return {
        trip_id: tripId, title: titleOf(photos, eventIds, span, eventPlaces), start_utc: first.utcMs, end_utc: last.utcMs,
        start_local: formatLocal(first.utcMs, first.offsetMinutes), end_local: formatLocal(last.utcMs, last.offsetMinutes), days: span.days,
        photos: span.photos, located_photos: span.located, places: inOrder(events.map((event) => event.place)), countries: inOrder(events.map((event) => event.country)),
        country_language: events.find((event) => event.language)?.language ?? null, distance_km: Math.round(span.distanceKm * 10) / 10,
        cover_file_id: coverOf(photos, span, peopleOnPhoto),
      };
    });
    await ctx.writeTable('trips', tripRows);
    const tripPhotos = { file_id: [] as string[], trip_id: [] as number[], event_id: [] as number[] };
    spans.forEach((span, tripId) => {
      for (let i = span.first; i <= span.last; i++) {
        tripPhotos.file_id.push(photos[i]!.fileId);
        tripPhotos.trip_id.push(tripId);
        tripPhotos.event_id.push(eventIds[i]!);
      }
    });
    await ctx.writeTableColumns('trip_photos', tripPhotos, tripPhotos.file_id.length);
    ctx.progress.advance(photos.length);
    return {
      trips: spans.length, photosInTrips: spans.reduce((sum, span) => sum + span.photos, 0), joinedWithoutGps: spans.reduce((sum, span) => sum + span.photos - span.located, 0),
      home: homeRow ? `${homeRow.lat.toFixed(3)}, ${homeRow.lon.toFixed(3)}` : 'none (no photo has GPS)', coversWithPeople: tripRows.filter((trip) => (peopleOnPhoto.get(trip.cover_file_id) ?? 0) > 0).length,
    };
  },
});

/** Distinct known persons per photo in this run (faces on nobody or strangers do not count). */
async function knownPeoplePerPhoto(faces: string, assignment: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ file_id: string; people: number }>(
    `SELECT f.file_id, count(DISTINCT a.person_id) AS people FROM ${parquetSource(faces)} f JOIN ${parquetSource(assignment)} a USING (face_id)
     WHERE a.person_id IS NOT NULL AND NOT f.rejected GROUP BY f.file_id`,
  );
  return new Map(rows.map((row) => [row.file_id, Number(row.people)]));
}

/** The photo with the most known people; ties (and none) go to the located photo nearest the trip's mean position, else the middle one. */
function coverOf(photos: readonly PhotoTime[], span: TripSpan, peopleOnPhoto: Map<string, number>): string {
  let lat = 0, lon = 0, located = 0;
  for (let i = span.first; i <= span.last; i++) {
    if (Number.isNaN(photos[i]!.lat)) continue;
    lat += photos[i]!.lat;
    lon += photos[i]!.lon;
    located++;
  }
  const middle = (span.first + span.last) >> 1;
  let best = middle;
  let bestKey = [peopleOnPhoto.get(photos[middle]!.fileId) ?? 0, -Infinity];
  for (let i = span.first; i <= span.last; i++) {
    const photo = photos[i]!;
    const centrality = Number.isNaN(photo.lat) || located === 0 ? -Infinity : -haversineKm(lat / located, lon / located, photo.lat, photo.lon);
    const key = [peopleOnPhoto.get(photo.fileId) ?? 0, centrality];
    if (key[0]! > bestKey[0]! || (key[0] === bestKey[0] && key[1]! > bestKey[1]!)) [best, bestKey] = [i, key];
  }
  return photos[best]!.fileId;
}

/** The narrowest name most of the trip's located photos share: 'Сочи, Россия', 'Tuscany, Италия', or the countries. */
function titleOf(photos: readonly PhotoTime[], eventIds: Int32Array, span: TripSpan, places: Map<number, EventPlace>): string {
  const tally = (key: (place: EventPlace) => string | null) => {
    const counts = new Map<string, number>();
    for (let i = span.first; i <= span.last; i++) {
      if (Number.isNaN(photos[i]!.lat)) continue;
      const name = key(places.get(eventIds[i]!)!);
      if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const [top] = [...counts].sort((a, b) => b[1] - a[1]);
    return top && top[1] * 2 >= span.located ? top[0] : null;
  };
  const country = tally((place) => place.country);
  const place = tally((place) => place.place);
  const region = tally((place) => place.region);
  const within = place ?? region;
  if (within) return country && country !== within ? `${within}, ${country}` : within;
  if (country) return country;
  const countries = inOrder(Array.from(eventIds.subarray(span.first, span.last + 1), (eventId) => places.get(eventId)?.country ?? null));
  return countries.join(', ') || 'trip';
}

/** The events node's photos in time order, as columns (row objects from DuckDB cost seconds at 200,000 photos). */
async function readPhotoTimes(eventPhotosPath: string): Promise<{ photos: PhotoTime[]; eventIds: Int32Array }> {
  const connection = await scratchConnection();
  try {
    const columns = await readColumns(connection, `SELECT file_id, event_id, epoch_ms(taken_at_utc)::DOUBLE AS utc_ms, utc_offset_minutes, lat::DOUBLE AS lat, lon::DOUBLE AS lon
      FROM ${parquetSource(eventPhotosPath)} ORDER BY taken_at_utc, file_id`);
    const fileIds = columns.file_id as string[];
    const [utcMs, lat, lon] = [columns.utc_ms, columns.lat, columns.lon] as Float64Array[];
    const offsets = columns.utc_offset_minutes as Int32Array;
    const photos = fileIds.map((fileId, i): PhotoTime => ({
      // zoneSource is not read by splitTrips.
      fileId, utcMs: utcMs![i]!, offsetMinutes: offsets[i]!, zoneSource: 'exif', lat: lat![i]!, lon: lon![i]!, gps: Number.isNaN(lat![i]!) ? 'none' : 'ok',
    }));
    return { photos, eventIds: Int32Array.from(columns.event_id as ArrayLike<number>) };
  } finally {
    connection.closeSync();
  }
}
