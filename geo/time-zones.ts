// Time zones offline: the IANA zone of a GPS point (tz-lookup, a bundled
// raster of the zone boundaries) and a zone's UTC offset at an instant (ICU,
// which ships with Node and knows every daylight-saving rule).
import { createRequire } from 'node:module';

const tzLookup = createRequire(import.meta.url)('tz-lookup') as (lat: number, lon: number) => string;

/** The IANA zone at a point ('Europe/Moscow'); null where tz-lookup refuses the point. */
export function zoneAt(lat: number, lon: number): string | null {
  try {
    return tzLookup(lat, lon);
  } catch {
    return null;
  }
}

/** The zone this machine runs in (the default home zone). */
export function systemZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** True when ICU knows the zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** zone -> UTC day -> the offset all that day, or NaN when it changes that day (a DST switch). */
const dayOffsets = new Map<string, Map<number, number>>();
const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 15 * 60_000;

/** ICU's offset of a zone at an instant: about 20 us a call, so callers go through the day cache. */
function icuOffset(zone: string, utcMs: number): number {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, formatter);
  }
  const name = formatter.formatToParts(utcMs).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (Number(match[2]) * 60 + Number(match[3])) * (match[1] === '-' ? -1 : 1) : 0;
}

/**
 * The zone's offset from UTC in minutes at an instant (+180 for Moscow).
 * Offsets change at most once a day (and on a quarter hour): a day whose
 * start and end agree has that offset throughout, so a whole archive needs
 * two ICU calls per zone and day instead of one per photo.
 */
export function offsetMinutes(zone: string, utcMs: number): number {
  const day = Math.floor(utcMs / DAY_MS);
  let days = dayOffsets.get(zone);
  if (!days) dayOffsets.set(zone, (days = new Map()));
  let offset = days.get(day);
  if (offset === undefined) {
    const start = icuOffset(zone, day * DAY_MS);
    offset = start === icuOffset(zone, (day + 1) * DAY_MS - 1) ? start : NaN;
    days.set(day, offset);
  }
  return Number.isNaN(offset) ? icuOffset(zone, Math.floor(utcMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS) : offset;
}

/** The UTC instant of a wall-clock time (read as if UTC) in a zone; in a DST gap or overlap, ICU's first reading. */
export function wallClockToUtc(zone: string, wallClockMs: number): { utcMs: number; offsetMinutes: number } {
  const guess = wallClockMs - offsetMinutes(zone, wallClockMs) * 60_000;
  const offset = offsetMinutes(zone, guess);
  return { utcMs: wallClockMs - offset * 60_000, offsetMinutes: offset };
}

/** '+03:00' for 180. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** '2024-07-01T09:30:00+03:00': the local time of an instant at an offset. */
export function formatLocal(utcMs: number, offsetMin: number): string {
  return `${new Date(utcMs + offsetMin * 60_000).toISOString().slice(0, 19)}${formatOffset(offsetMin)}`;
}
