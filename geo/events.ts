// Events: runs of photos close in time (and place). Near home a gap of a few
// hours starts a new event (breakfast and the evening walk are two); away,
// nights are longer gaps inside one day of sightseeing, so the gap allowed is
// longer. A jump in place (a flight) starts a new event whatever the gap.
// Home: the rounded location cell with photos on the most distinct days.
import { localDay, type PhotoTime } from './capture-times.ts';
import { haversineKm } from './places.ts';

export interface Home {
  lat: number;
  lon: number;
  /** Distinct days with photos in the home cell (0 when set by hand). */
  days: number;
}

/** Home = the cell of `cellDegrees` with photos on the most distinct local days; its photos' mean position. Null without GPS. */
export function detectHome(photos: readonly PhotoTime[], cellDegrees = 0.1): Home | null {
  const cells = new Map<string, { days: Set<number>; lat: number; lon: number; n: number }>();
  for (const photo of photos) {
    if (Number.isNaN(photo.lat)) continue;
    const key = `${Math.round(photo.lat / cellDegrees)},${Math.round(photo.lon / cellDegrees)}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { days: new Set(), lat: 0, lon: 0, n: 0 }));
    cell.days.add(localDay(photo));
    cell.lat += photo.lat;
    cell.lon += photo.lon;
    cell.n++;
  }
  let best: { days: Set<number>; lat: number; lon: number; n: number } | null = null;
  // Ties: more photos, then the first cell seen (photos are in time order).
  for (const cell of cells.values()) if (!best || cell.days.size > best.days.size || (cell.days.size === best.days.size && cell.n > best.n)) best = cell;
  return best ? { lat: best.lat / best.n, lon: best.lon / best.n, days: best.days.size } : null;
}

export interface EventParams {
  /** Hours without a photo that end an event near home. */
  gapHoursHome: number;
  /** The same away from home. */
  gapHoursAway: number;
  /** Within this distance of home counts as near home. */
  homeRadiusKm: number;
  /** Consecutive located photos this far apart are two events, whatever the gap. */
  jumpKm: number;
}

export const DEFAULT_EVENT_PARAMS: EventParams = { gapHoursHome: 6, gapHoursAway: 12, homeRadiusKm: 50, jumpKm: 50 };

/**
 * The event of each photo (photos in time order): 0, 1, ... A photo without
 * GPS takes the place of the last located photo before it.
 */
export function splitEvents(photos: readonly PhotoTime[], home: Home | null, params: EventParams = DEFAULT_EVENT_PARAMS): Int32Array {
  const eventOf = new Int32Array(photos.length);
  let event = 0;
  let lastLat = NaN;
  let lastLon = NaN;
  for (let i = 0; i < photos.length; i++) {
    const photo = photos[i]!;
    const located = !Number.isNaN(photo.lat);
    if (i > 0) {
      const gapHours = (photo.utcMs - photos[i - 1]!.utcMs) / 3600_000;
      const lat = located ? photo.lat : lastLat;
      const lon = located ? photo.lon : lastLon;
      const away = home !== null && !Number.isNaN(lat) && haversineKm(home.lat, home.lon, lat, lon) > params.homeRadiusKm;
      const jumped = located && !Number.isNaN(lastLat) && haversineKm(lastLat, lastLon, photo.lat, photo.lon) > params.jumpKm;
      if (gapHours > (away ? params.gapHoursAway : params.gapHoursHome) || jumped) event++;
    }
    if (located) {
      lastLat = photo.lat;
      lastLon = photo.lon;
    }
    eventOf[i] = event;
  }
  return eventOf;
}

export interface EventSummary {
  eventId: number;
  first: number;
  last: number;
  photos: number;
  located: number;
  /** Mean position of the located photos (NaN without any). */
  centroidLat: number;
  centroidLon: number;
  /** The located photo nearest the centroid: named instead of the centroid, which may fall between two towns. */
  central: number;
}

/** Each event's span, counts and centre, from `splitEvents`' answer. */
export function summariseEvents(photos: readonly PhotoTime[], eventOf: Int32Array): EventSummary[] {
  const events: EventSummary[] = [];
  let start = 0;
  for (let i = 1; i <= photos.length; i++) {
    if (i < photos.length && eventOf[i] === eventOf[start]) continue;
    events.push(summarise(photos, eventOf[start]!, start, i - 1));
    start = i;
  }
  return events;
}

function summarise(photos: readonly PhotoTime[], eventId: number, first: number, last: number): EventSummary {
  // Mean on the unit sphere, so an event across the 180th meridian is not centred in Greenwich.
  let x = 0, y = 0, z = 0, located = 0;
  for (let i = first; i <= last; i++) {
    const photo = photos[i]!;
    if (Number.isNaN(photo.lat)) continue;
    const lat = (photo.lat * Math.PI) / 180, lon = (photo.lon * Math.PI) / 180;
    x += Math.cos(lat) * Math.cos(lon);
    y += Math.cos(lat) * Math.sin(lon);
    z += Math.sin(lat);
    located++;
  }
  const centroidLat = located ? (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI : NaN;
  const centroidLon = located ? (Math.atan2(y, x) * 180) / Math.PI : NaN;
  let central = -1;
  let bestKm = Infinity;
  for (let i = first; i <= last && located; i++) {
    const photo = photos[i]!;
    if (Number.isNaN(photo.lat)) continue;
    const km = haversineKm(centroidLat, centroidLon, photo.lat, photo.lon);
    if (km < bestKm) [bestKm, central] = [km, i];
  }
  return { eventId, first, last, photos: last - first + 1, located, centroidLat, centroidLon, central };
}
