// Trips: runs of photos taken more than a distance from home, where no two
// consecutive away photos are further apart in time than a gap (a quiet day
// on the beach has no photos) and no photo taken near home comes between.
// Photos without GPS inside a trip's span join it: the phone had GPS, the
// camera did not. Short runs (fewer photos than a minimum) are not trips.
import { localDay, type PhotoTime } from './capture-times.ts';
import type { Home } from './events.ts';
import { haversineKm } from './places.ts';

export interface TripParams {
  /** Farther than this from home is away. */
  awayKm: number;
  /** Hours between two away photos that still keep them in one trip. */
  maxGapHours: number;
  /** Fewer photos (located or joined) than this is not a trip. */
  minPhotos: number;
}

export const DEFAULT_TRIP_PARAMS: TripParams = { awayKm: 50, maxGapHours: 48, minPhotos: 5 };

export interface TripSpan {
  /** Photos first..last (indices into the time-ordered photos) are the trip's. */
  first: number;
  last: number;
  photos: number;
  located: number;
  /** The farthest photo from home. */
  distanceKm: number;
  /** Calendar days from the first photo's local date to the last's, both counted. */
  days: number;
}

/** The trips among time-ordered photos; none without a home. */
export function splitTrips(photos: readonly PhotoTime[], home: Home | null, params: TripParams = DEFAULT_TRIP_PARAMS): TripSpan[] {
  if (!home) return [];
  const trips: TripSpan[] = [];
  let first = -1;
  let lastAway = -1;
  let farthest = 0;
  const close = () => {
    if (first < 0) return;
    let located = 0;
    for (let i = first; i <= lastAway; i++) if (!Number.isNaN(photos[i]!.lat)) located++;
    const count = lastAway - first + 1;
    if (count >= params.minPhotos) {
      trips.push({ first, last: lastAway, photos: count, located, distanceKm: farthest, days: localDay(photos[lastAway]!) - localDay(photos[first]!) + 1 });
    }
    first = -1;
  };
  for (let i = 0; i < photos.length; i++) {
    const photo = photos[i]!;
    if (Number.isNaN(photo.lat)) continue;
    const km = haversineKm(home.lat, home.lon, photo.lat, photo.lon);
    if (km <= params.awayKm) {
      close();
      continue;
    }
    if (first >= 0 && photo.utcMs - photos[lastAway]!.utcMs > params.maxGapHours * 3600_000) close();
    if (first < 0) {
      first = i;
      farthest = 0;
    }
    lastAway = i;
    farthest = Math.max(farthest, km);
  }
  close();
  return trips;
}

/** Distinct non-null values in first-seen order. */
export function inOrder(values: Iterable<string | null>): string[] {
  const seen = new Set<string>();
  for (const value of values) if (value !== null && value !== '') seen.add(value);
  return [...seen];
}
