// When each photo was taken, as a UTC instant with the local offset where it
// was taken. EXIF writes a wall-clock time and, on newer cameras and phones,
// its offset; without one the zone comes from the photo's GPS position, else
// the archive's home zone. Photos without a capture time are left out (a
// file's modification time is when it was copied, not when it was taken),
// and so are impossible times; each reason is counted.
import { offsetMinutes, wallClockToUtc, zoneAt } from './time-zones.ts';

/** One row of the exif table, as the events node reads it. */
export interface ExifTime {
  fileId: string;
  /** Wall-clock time as written, '2017-10-31T20:16:18'; null without one. */
  takenAt: string | null;
  /** '+02:00' when EXIF recorded the zone. */
  tzOffset: string | null;
  lat: number | null;
  lon: number | null;
}

export type ZoneSource = 'exif' | 'gps' | 'home';
export type GpsStatus = 'ok' | 'none' | 'null_island' | 'out_of_range';

export interface PhotoTime {
  fileId: string;
  utcMs: number;
  /** The offset of the place it was taken (for local times and calendar days). */
  offsetMinutes: number;
  zoneSource: ZoneSource;
  /** NaN without a usable GPS position. */
  lat: number;
  lon: number;
  gps: GpsStatus;
}

export type UndatedReason = 'no capture time' | 'capture time in the future' | 'capture time before 1900';

export interface CaptureTimes {
  /** Photos with a usable capture time, oldest first. */
  photos: PhotoTime[];
  undated: { fileId: string; reason: UndatedReason }[];
  counts: {
    noCaptureTime: number; future: number; before1900: number;
    zoneFromExif: number; zoneFromGps: number; zoneFromHome: number;
    /** The offset EXIF recorded differs from the zone at the photo's GPS position: the camera kept another zone's clock. */
    clockOffByZone: number;
    gpsNone: number; gpsNullIsland: number; gpsOutOfRange: number;
  };
}

/** A time more than a day ahead of now is a wrong clock, not a zone difference. */
const FUTURE_SLACK_MS = 24 * 3600_000;
const YEAR_1900_MS = Date.UTC(1900, 0, 1);

export function gpsStatus(lat: number | null, lon: number | null): GpsStatus {
  if (lat === null || lon === null || !Number.isFinite(lat) || !Number.isFinite(lon)) return 'none';
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return 'out_of_range';
  // 0,0 is in the Gulf of Guinea: a receiver without a fix writes it.
  if (Math.abs(lat) < 1e-6 && Math.abs(lon) < 1e-6) return 'null_island';
  return 'ok';
}

function parseOffsetMinutes(text: string): number | null {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(text.trim());
  return match ? (Number(match[2]) * 60 + Number(match[3])) * (match[1] === '-' ? -1 : 1) : null;
}

/** Capture instants of `rows`, in time order; `homeZone` for photos with neither a zone nor GPS. */
export function resolveCaptureTimes(rows: readonly ExifTime[], homeZone: string, nowMs = Date.now()): CaptureTimes {
  const counts: CaptureTimes['counts'] = {
    noCaptureTime: 0, future: 0, before1900: 0, zoneFromExif: 0, zoneFromGps: 0, zoneFromHome: 0, clockOffByZone: 0, gpsNone: 0, gpsNullIsland: 0, gpsOutOfRange: 0,
  };
  const photos: PhotoTime[] = [];
  const undated: CaptureTimes['undated'] = [];
  for (const row of rows) {
    const wallMs = row.takenAt ? Date.parse(`${row.takenAt}Z`) : NaN;
    if (Number.isNaN(wallMs)) {
      counts.noCaptureTime++;
      undated.push({ fileId: row.fileId, reason: 'no capture time' });
      continue;
    }
    const gps = gpsStatus(row.lat, row.lon);
    if (gps === 'none') counts.gpsNone++;
    else if (gps === 'null_island') counts.gpsNullIsland++;
    else if (gps === 'out_of_range') counts.gpsOutOfRange++;
    const located = gps === 'ok';
    const zone = located ? zoneAt(row.lat!, row.lon!) : null;
    const recorded = row.tzOffset ? parseOffsetMinutes(row.tzOffset) : null;

    let utcMs: number;
    let offset: number;
    let zoneSource: ZoneSource;
    let clockOffByZone = false;
    if (recorded !== null) {
      utcMs = wallMs - recorded * 60_000;
      offset = recorded;
      zoneSource = 'exif';
      if (zone) {
        // The recorded offset fixes the instant; the place fixes the local time shown.
        const local = offsetMinutes(zone, utcMs);
        clockOffByZone = local !== recorded;
        offset = local;
      }
    } else if (zone) {
      ({ utcMs, offsetMinutes: offset } = wallClockToUtc(zone, wallMs));
      zoneSource = 'gps';
    } else {
      ({ utcMs, offsetMinutes: offset } = wallClockToUtc(homeZone, wallMs));
      zoneSource = 'home';
    }

    if (utcMs > nowMs + FUTURE_SLACK_MS) {
      counts.future++;
      undated.push({ fileId: row.fileId, reason: 'capture time in the future' });
    } else if (utcMs < YEAR_1900_MS) {
      counts.before1900++;
      undated.push({ fileId: row.fileId, reason: 'capture time before 1900' });
    } else {
      if (zoneSource === 'exif') counts.zoneFromExif++;
      else if (zoneSource === 'gps') counts.zoneFromGps++;
      else counts.zoneFromHome++;
      if (clockOffByZone) counts.clockOffByZone++;
      photos.push({ fileId: row.fileId, utcMs, offsetMinutes: offset, zoneSource, lat: located ? row.lat! : NaN, lon: located ? row.lon! : NaN, gps });
    }
  }
  photos.sort((a, b) => a.utcMs - b.utcMs || (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0));
  return { photos, undated, counts };
}

const DAY_MS = 86_400_000;

/** The calendar day where the photo was taken, as days since 1970-01-01. */
export function localDay(photo: Pick<PhotoTime, 'utcMs' | 'offsetMinutes'>): number {
  return Math.floor((photo.utcMs + photo.offsetMinutes * 60_000) / DAY_MS);
}
