// Events: the photos in capture order, split where time (or place) jumps,
// each named offline after the place nearest its centre. Writes the home it
// found (or was given) for the trips node, and the photos it left out.
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { readColumns } from '../datasets/column-reader.ts';
import { parquetSource, scratchConnection } from '../datasets/parquet.ts';
import { resolveCaptureTimes, type ExifTime } from '../geo/capture-times.ts';
import { DEFAULT_EVENT_PARAMS, detectHome, splitEvents, summariseEvents, type Home } from '../geo/events.ts';
import { DEFAULT_PLACE_RADIUS_KM, gazetteerLoad, haversineKm, isLanguageTag, PlaceNamer, systemLanguage } from '../geo/places.ts';
import { formatLocal, isTimeZone, systemZone, zoneAt } from '../geo/time-zones.ts';

export const events = defineNode({
  name: 'events',
  version: '1',
  description: 'Photos in capture order (EXIF zone, else the zone at the GPS position, else home), split into events on time gaps and place jumps, named offline (GeoNames).',
  params: z.object({
    /** The language of country names (BCP 47: ru, en, de); default the system locale's. */
    language: z.string().refine(isLanguageTag, 'a language tag such as ru or en').default(systemLanguage()),
    /** The zone of photos with neither a recorded offset nor GPS; default this machine's. */
    homeTimeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Moscow').default(systemZone()),
    /** Home by hand; default: the 0.1-degree cell with photos on the most distinct days. */
    home: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict().optional(),
    homeRadiusKm: z.number().positive().default(DEFAULT_EVENT_PARAMS.homeRadiusKm),
    /** Hours without photos that end an event near home, and away (nights away are longer gaps in one outing). */
    gapHoursHome: z.number().positive().max(168).default(DEFAULT_EVENT_PARAMS.gapHoursHome),
    gapHoursAway: z.number().positive().max(168).default(DEFAULT_EVENT_PARAMS.gapHoursAway),
    /** Consecutive photos this far apart start a new event whatever the gap (a flight). */
    jumpKm: z.number().positive().default(DEFAULT_EVENT_PARAMS.jumpKm),
    /** The nearest populated place names a point only within this distance. */
    placeRadiusKm: z.number().positive().max(200).default(DEFAULT_PLACE_RADIUS_KM),
  }).strict(),
  inputs: ['exif'],
  outputs: {
    events: {
      description: 'Runs of photos close in time and place; place and region as GeoNames writes them, country in country_language; local times at the offset where taken.',
      columns: {
        event_id: 'INTEGER', start_utc: 'TIMESTAMP', end_utc: 'TIMESTAMP', start_local: 'VARCHAR', end_local: 'VARCHAR', photos: 'INTEGER', located_photos: 'INTEGER',
        centroid_lat: 'DOUBLE', centroid_lon: 'DOUBLE', distance_from_home_km: 'DOUBLE', place: 'VARCHAR', region: 'VARCHAR', country: 'VARCHAR', country_code: 'VARCHAR',
        country_language: 'VARCHAR', time_zone: 'VARCHAR',
      },
    },
    event_photos: {
      description: 'Each dated photo: its event, UTC instant, local time (its date: left(taken_at_local, 10)), where its zone came from (exif | gps | home), usable GPS (null for none, 0,0 or out of range) and gps status.',
      columns: {
        file_id: 'VARCHAR', event_id: 'INTEGER', taken_at_utc: 'TIMESTAMP', taken_at_local: 'VARCHAR', utc_offset_minutes: 'INTEGER',
        zone_source: 'VARCHAR', lat: 'DOUBLE', lon: 'DOUBLE', gps: 'VARCHAR',
      },
    },
    undated_photos: {
      description: "Photos left out of events: no EXIF capture time (a file's time is not when it was taken), or a time in the future or before 1900.",
      columns: { file_id: 'VARCHAR', reason: 'VARCHAR' },
    },
    home: {
      description: "Home for events and trips: from mnemo.yaml (source 'mnemo.yaml') or the cell with photos on the most days ('most days'); no row without GPS.",
      columns: { lat: 'DOUBLE', lon: 'DOUBLE', source: 'VARCHAR', days: 'INTEGER', place: 'VARCHAR', country: 'VARCHAR', time_zone: 'VARCHAR' },
    },
  },
  async run(ctx) {
    const clock = phaseClock();
    const exifTimes = await readExifTimes(ctx.inputs.exif!);
    clock.lap('read');
    ctx.progress.total(exifTimes.length);
    const { photos, undated, counts } = resolveCaptureTimes(exifTimes, ctx.params.homeTimeZone);
    const given = ctx.params.home;
    const home: Home | null = given ? { ...given, days: 0 } : detectHome(photos);
    const eventOf = splitEvents(photos, home, ctx.params);
    const summaries = summariseEvents(photos, eventOf);
    clock.lap('segment');

    const namer = new PlaceNamer(ctx.params.language, ctx.params.placeRadiusKm);
    await ctx.writeTable('events', summaries.map((event) => {
      const first = photos[event.first]!;
      const last = photos[event.last]!;
      const central = event.central >= 0 ? photos[event.central]! : null;
      const place = central ? namer.at(central.lat, central.lon) : null;
      return {
        event_id: event.eventId, start_utc: first.utcMs, end_utc: last.utcMs,
        start_local: formatLocal(first.utcMs, first.offsetMinutes), end_local: formatLocal(last.utcMs, last.offsetMinutes),
        photos: event.photos, located_photos: event.located,
        centroid_lat: central ? event.centroidLat : null, centroid_lon: central ? event.centroidLon : null,
        distance_from_home_km: central && home ? haversineKm(home.lat, home.lon, event.centroidLat, event.centroidLon) : null,
        place: place?.place ?? null, region: place?.region ?? null, country: place?.country ?? null, country_code: place?.countryCode ?? null,
        country_language: ctx.params.language, time_zone: central ? zoneAt(central.lat, central.lon) : null,
      };
    }));
    clock.lap('events'); // named and written
    // As columns: 200,000 row objects cost about a second more to write.
    await ctx.writeTableColumns('event_photos', {
      file_id: photos.map((photo) => photo.fileId), event_id: Array.from(eventOf), taken_at_utc: photos.map((photo) => photo.utcMs),
      taken_at_local: photos.map((photo) => formatLocal(photo.utcMs, photo.offsetMinutes)), utc_offset_minutes: photos.map((photo) => photo.offsetMinutes),
      zone_source: photos.map((photo) => photo.zoneSource), lat: photos.map((photo) => (Number.isNaN(photo.lat) ? null : photo.lat)),
      lon: photos.map((photo) => (Number.isNaN(photo.lon) ? null : photo.lon)), gps: photos.map((photo) => photo.gps),
    }, photos.length);
    await ctx.writeTable('undated_photos', undated.map((row) => ({ file_id: row.fileId, reason: row.reason })));
    const homePlace = home ? namer.at(home.lat, home.lon) : null;
    await ctx.writeTable('home', home ? [{
      lat: home.lat, lon: home.lon, source: given ? 'mnemo.yaml' : 'most days', days: home.days,
      place: homePlace?.place ?? null, country: homePlace?.country ?? null, time_zone: zoneAt(home.lat, home.lon),
    }] : []);
    clock.lap('photos'); // event_photos, undated_photos, home written
    ctx.progress.advance(exifTimes.length);
    if (counts.noCaptureTime > 0) ctx.log(`${counts.noCaptureTime} photos have no EXIF capture time and are left out of events (see undated_photos)`);
    return {
      photos: photos.length, events: summaries.length, undated: undated.length, ...counts,
      home: home ? `${home.lat.toFixed(3)}, ${home.lon.toFixed(3)} (${given ? 'mnemo.yaml' : `most days: ${home.days}`}${homePlace?.place ? `, ${homePlace.place}` : ''})` : null,
      language: ctx.params.language, gazetteerLoadMs: Math.round(gazetteerLoad.ms), ms: clock.laps,
    };
  },
});

/** The exif table as columns (row objects from DuckDB cost seconds at 200,000 photos). */
async function readExifTimes(exifPath: string): Promise<ExifTime[]> {
  const connection = await scratchConnection();
  try {
    const columns = await readColumns(connection, `SELECT file_id, taken_at, tz_offset, lat::DOUBLE AS lat, lon::DOUBLE AS lon FROM ${parquetSource(exifPath)} ORDER BY file_id`);
    const [fileIds, takenAt, tzOffset] = [columns.file_id, columns.taken_at, columns.tz_offset] as (string | null)[][];
    const [lat, lon] = [columns.lat, columns.lon] as Float64Array[];
    return fileIds!.map((fileId, i) => ({
      fileId: fileId!, takenAt: takenAt![i] ?? null, tzOffset: tzOffset![i] ?? null,
      lat: Number.isNaN(lat![i]!) ? null : lat![i]!, lon: Number.isNaN(lon![i]!) ? null : lon![i]!,
    }));
  } finally {
    connection.closeSync();
  }
}

/** Milliseconds per phase, for the node's metadata (where the time of a large archive goes). */
function phaseClock(): { laps: Record<string, number>; lap(name: string): void } {
  let last = performance.now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name) {
      const now = performance.now();
      laps[name] = Math.round(now - last);
      last = now;
    },
  };
}
