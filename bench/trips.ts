// Events, trips and offline place names at archive scale:
//   1. place naming: the gazetteer's one load (time, heap kept) and N lookups
//      of points spread over the world, uncached and as photos repeat places;
//   2. the pure steps (capture times, home, events, trips) on N synthetic photos;
//   3. the events and trips nodes through the real engine (Parquet in, Parquet out),
//      fed by a bench-only node that writes the synthetic exif table.
//
//   npm run bench -- trips [--photos 200000] [--points 200000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { runPipeline } from '../dag/executor.ts';
import { defineNode, type NodeType } from '../dag/node-type.ts';
import { parseSpec } from '../dag/spec.ts';
import { Store } from '../datasets/store.ts';
import { seededRandom as random } from '../reports/statistics.ts'; // the same archive every run
import { resolveCaptureTimes, type ExifTime } from '../geo/capture-times.ts';
import { detectHome, splitEvents, summariseEvents } from '../geo/events.ts';
import { gazetteerLoad, PlaceNamer } from '../geo/places.ts';
import { splitTrips } from '../geo/trips.ts';
import { NODE_TYPES } from '../nodes/index.ts';

const { values: args } = parseArgs({ options: { photos: { type: 'string', default: '200000' }, points: { type: 'string', default: '200000' } }, allowPositionals: true });
const photoCount = Number(args.photos);
const pointCount = Number(args.points);

const DESTINATIONS = [
  { lat: 41.9028, lon: 12.4964, zone: '+02:00' }, { lat: 43.5855, lon: 39.7231, zone: '+03:00' }, { lat: 59.9386, lon: 30.3141, zone: '+03:00' },
  { lat: 40.4168, lon: -3.7038, zone: '+02:00' }, { lat: 13.7563, lon: 100.5018, zone: '+07:00' }, { lat: 55.7963, lon: 49.1088, zone: '+03:00' },
  { lat: 41.7151, lon: 44.8271, zone: '+04:00' }, { lat: 25.2048, lon: 55.2708, zone: '+04:00' }, { lat: 43.2389, lon: 76.8897, zone: '+05:00' },
];

/** A family archive: most days at home in Moscow, a trip of 2-14 days about every three weeks, about 35 photos a day (200,000 photos: 16 years); a share without zone, GPS or time. */
function syntheticArchive(n: number): ExifTime[] {
  const next = random(42);
  const rows: ExifTime[] = [];
  let day = Date.UTC(2010, 0, 1) / 86_400_000;
  while (rows.length < n) {
    const away = next() < 0.06 ? DESTINATIONS[Math.floor(next() * DESTINATIONS.length)]! : null;
    const days = away ? 2 + Math.floor(next() * 13) : 1;
    for (let d = 0; d < days && rows.length < n; d++, day++) {
      const perDay = away ? 40 + Math.floor(next() * 80) : Math.floor(next() * 60);
      for (let k = 0; k < perDay && rows.length < n; k++) {
        const wall = new Date((day * 24 + 8 + next() * 14) * 3600_000).toISOString().slice(0, 19);
        const where = away ?? { lat: 55.7558, lon: 37.6173, zone: '+03:00' };
        const kind = next();
        rows.push({
          fileId: `p${rows.length.toString(16).padStart(7, '0')}`,
          takenAt: kind < 0.01 ? null : wall,
          tzOffset: kind < 0.5 ? where.zone : null,
          lat: kind < 0.85 ? where.lat + (next() - 0.5) * 0.1 : null,
          lon: kind < 0.85 ? where.lon + (next() - 0.5) * 0.1 : null,
        });
      }
    }
  }
  return rows;
}

const ms = (start: number) => `${(performance.now() - start).toFixed(0)} ms`;
let t = performance.now();

// 1. Place naming: first the gazetteer's one load, measured with collections forced before and after.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
gc();
const heapBefore = process.memoryUsage().heapUsed;
new PlaceNamer('ru').at(55.75, 37.62);
gc();
console.log(`gazetteer: ${gazetteerLoad.places} places, loaded and indexed in ${gazetteerLoad.ms.toFixed(0)} ms; the heap keeps ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(0)} MB for it`);
const next = random(7);
const points = Array.from({ length: pointCount }, () => {
  // Half near destinations people go to (photos repeat places), half anywhere on Earth (most of it sea).
  if (next() < 0.5) {
    const at = DESTINATIONS[Math.floor(next() * DESTINATIONS.length)]!;
    return [at.lat + (next() - 0.5) * 2, at.lon + (next() - 0.5) * 2] as const;
  }
  return [Math.asin(2 * next() - 1) * (180 / Math.PI), next() * 360 - 180] as const;
});
for (const [label, namer] of [['uncached (a new namer per point)', null], ['as photos repeat places (1 km cells cached)', new PlaceNamer('ru')]] as const) {
  t = performance.now();
  let named = 0;
  let countryOnly = 0;
  for (const [lat, lon] of points) {
    const place = (namer ?? new PlaceNamer('ru')).at(lat, lon);
    if (place.place) named++;
    else if (place.country) countryOnly++;
  }
  const elapsed = performance.now() - t;
  console.log(`place naming, ${label}: ${pointCount} points in ${elapsed.toFixed(0)} ms (${((pointCount / elapsed) * 1000).toFixed(0)}/s); ${named} near a place, ${countryOnly} a country only`);
}
console.log(`heap after naming: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);


// 2. The pure steps.
t = performance.now();
const archive = syntheticArchive(photoCount);
console.log(`synthetic archive: ${archive.length} photos (${ms(t)})`);
const total = performance.now();
t = performance.now();
const times = resolveCaptureTimes(archive, 'Europe/Moscow');
console.log(`capture times: ${ms(t)} (${times.photos.length} dated, ${times.counts.zoneFromExif} zone from EXIF, ${times.counts.zoneFromGps} from GPS, ${times.counts.zoneFromHome} from home)`);
t = performance.now();
const home = detectHome(times.photos);
console.log(`home: ${ms(t)} (${home?.lat.toFixed(3)}, ${home?.lon.toFixed(3)}, ${home?.days} days)`);
t = performance.now();
const eventOf = splitEvents(times.photos, home);
const events = summariseEvents(times.photos, eventOf);
console.log(`events: ${ms(t)} (${events.length} events)`);
t = performance.now();
const trips = splitTrips(times.photos, home);
console.log(`trips: ${ms(t)} (${trips.length} trips)`);
console.log(`pure steps in all: ${ms(total)}`);

// 3. The nodes through the engine.
const syntheticExif = defineNode({
  name: 'synthetic_exif',
  version: '1',
  description: 'The synthetic archive as an exif table (bench only).',
  params: z.object({ n: z.number().int() }).strict(),
  inputs: [],
  outputs: { exif: { description: 'exif', columns: { file_id: 'VARCHAR', taken_at: 'VARCHAR', tz_offset: 'VARCHAR', lat: 'DOUBLE', lon: 'DOUBLE' } } },
  async run(ctx) {
    await ctx.writeTable('exif', archive.map((row) => ({ file_id: row.fileId, taken_at: row.takenAt, tz_offset: row.tzOffset, lat: row.lat, lon: row.lon })));
  },
});
const registry = new Map<string, NodeType>([...NODE_TYPES, ['synthetic_exif', syntheticExif as NodeType]]);
const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-trips-'));
try {
  const yaml = `data: ./data\nsources: []\nnodes:\n  synthetic_exif:\n    params: {n: ${photoCount}}\n  events:\n    params: {language: ru, homeTimeZone: Europe/Moscow}\n  trips:\n`;
  const run = await runPipeline(parseSpec(yaml, join(dir, 'mnemo.yaml'), registry), registry, new Store(join(dir, 'data')), {});
  if (run.status !== 'succeeded') throw new Error(run.message ?? 'run failed');
  for (const node of run.nodes) console.log(`node ${node.node}: ${(node.durationMs / 1000).toFixed(2)} s (${node.rowsWritten} rows)`);
  const [eventsNode, tripsNode] = ['events', 'trips'].map((name) => run.nodes.find((node) => node.node === name)!);
  console.log(`events + trips nodes: ${((eventsNode!.durationMs + tripsNode!.durationMs) / 1000).toFixed(2)} s (events by phase, ms: ${JSON.stringify(eventsNode!.metadata.ms)}; the gazetteer was loaded above, once per process)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

