// EXIF facts of one photo: capture time, place, camera, orientation, size.
// Never throws: a file with broken or missing metadata gets nulls and, when
// something was wrong rather than merely absent, a warning in words.
//
// How: sharp reads the container header (size, orientation) and hands back
// the raw EXIF block for JPEG, PNG, WebP, AVIF/HEIF and TIFF alike; exifr
// parses that block. exifr alone cannot read WebP ("Unknown file format")
// and failed on the AVIF sharp writes, so it is only the fallback when sharp
// cannot read the container (e.g. a HEIC codec missing from sharp's build,
// which exifr's own HEIC parser may still handle). GIF has no EXIF: nulls.
import { readFile } from 'node:fs/promises';
import type Exifr from 'exifr';
import { loadSharp } from '../imaging/sharp.ts';

// exifr (~80 ms to load) loads with the first photo read, like sharp: a run that reads no photo needs neither.
let exifrLoading: Promise<typeof Exifr> | null = null;
const loadExifr = () => (exifrLoading ??= import('exifr').then((module) => module.default as typeof Exifr));

export interface ExifFacts {
  /** Capture time as written in the file, ISO 8601 without zone ('2017-10-31T20:16:18'): the local wall-clock time. */
  takenAt: string | null;
  /** The zone of takenAt, '+02:00', from OffsetTimeOriginal (OffsetTimeDigitized for CreateDate); null when not recorded. */
  tzOffset: string | null;
  /** takenAt as a UTC instant in ms, only when tzOffset is known (a guessed zone would be wrong by hours). */
  takenAtUtc: number | null;
  /** Decimal degrees, WGS84. */
  lat: number | null;
  lon: number | null;
  make: string | null;
  model: string | null;
  /** EXIF orientation 1-8 as recorded. */
  orientation: number | null;
  /** Pixel size as displayed (orientations 5-8 swap the stored sides), from the image header, not the often stale EXIF size tags. */
  width: number | null;
  height: number | null;
  /** Container format as sharp names it ('jpeg', 'png', 'webp', 'heif', 'gif', ...). */
  format: string | null;
  /** Why something is null when it should not be (unreadable file, malformed EXIF, impossible values); null when all is well. */
  warning: string | null;
}

const EMPTY: Omit<ExifFacts, 'warning'> = {
  takenAt: null,
  tzOffset: null,
  takenAtUtc: null,
  lat: null,
  lon: null,
  make: null,
  model: null,
  orientation: null,
  width: null,
  height: null,
  format: null,
};

// Only the TIFF blocks with the tags used here; raw values (dates stay strings as written).
const EXIFR_OPTIONS = {
  tiff: true,
  ifd0: {},
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  reviveValues: false,
  translateValues: false,
  mergeOutput: true,
} as const;

type Tags = Record<string, unknown>;

/** Reads the EXIF facts of a photo file (path) or its bytes. */
export async function readExif(input: string | Uint8Array): Promise<ExifFacts> {
  const warnings: string[] = [];
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (error) {
    return { ...EMPTY, warning: `cannot read file: ${messageOf(error)}` };
  }

  let header: { width: number | null; height: number | null; format: string | null; exif: Uint8Array | null } | null = null;
  let headerError = '';
  try {
    const meta = await (await loadSharp())(bytes, { limitInputPixels: false }).metadata();
    const swapped = (meta.orientation ?? 1) >= 5;
    header = {
      width: (swapped ? meta.height : meta.width) ?? null,
      height: (swapped ? meta.width : meta.height) ?? null,
      format: meta.format ?? null,
      exif: meta.exif ? tiffPayload(meta.exif) : null,
    };
  } catch (error) {
    headerError = messageOf(error);
  }

  let tags: Tags | null = null;
  try {
    // With a header, parse only its EXIF block; without one, let exifr try the whole file (its own HEIC parser).
    const source = header ? header.exif : bytes;
    if (source && source.length > 0) tags = ((await (await loadExifr()).parse(source, EXIFR_OPTIONS)) as Tags | undefined) ?? null;
  } catch (error) {
    if (header) warnings.push(`EXIF unreadable (${messageOf(error)})`);
  }
  if (tags && Array.isArray(tags.errors)) {
    // exifr collects parse errors instead of throwing: the block is malformed.
    const errors = (tags.errors as unknown[]).map(messageOf);
    warnings.push(`EXIF malformed (${errors.join('; ') || 'unknown error'})`);
    delete tags.errors;
  }
  if (!header) warnings.unshift(tags ? `image header unreadable, size unknown (${headerError})` : `not a readable image (${headerError})`);

  const facts = { ...EMPTY, width: header?.width ?? null, height: header?.height ?? null, format: header?.format ?? null };
  if (tags) Object.assign(facts, factsFromTags(tags, warnings));
  return { ...facts, warning: warnings.length > 0 ? warnings.join('; ') : null };
}

/** sharp gives the EXIF block with its "Exif\0\0" APP1 prefix for some formats and bare for others; exifr wants the TIFF structure. */
function tiffPayload(block: Uint8Array): Uint8Array {
  const hasPrefix = block.length >= 6 && block[0] === 0x45 && block[1] === 0x78 && block[2] === 0x69 && block[3] === 0x66 && block[4] === 0 && block[5] === 0;
  return hasPrefix ? block.subarray(6) : block;
}

function factsFromTags(tags: Tags, warnings: string[]): Partial<ExifFacts> {
  const facts: Partial<ExifFacts> = {};
  facts.make = cleanString(tags.Make);
  facts.model = cleanString(tags.Model);

  const orientation = tags.Orientation;
  if (typeof orientation === 'number' && Number.isInteger(orientation) && orientation >= 1 && orientation <= 8) facts.orientation = orientation;
  else if (orientation !== undefined) warnings.push(`impossible Orientation ${JSON.stringify(orientation)}`);

  // DateTimeOriginal is the shutter; CreateDate (DateTimeDigitized) the scan or the same. ModifyDate is an edit, not a capture.
  const [dateTag, offsetTag] = isBlankDate(tags.DateTimeOriginal) ? ['CreateDate', 'OffsetTimeDigitized'] : ['DateTimeOriginal', 'OffsetTimeOriginal'];
  const written = tags[dateTag];
  if (!isBlankDate(written)) {
    const parsed = parseExifDate(written);
    if (parsed) {
      facts.takenAt = parsed.iso;
      const offset = parseOffset(tags[offsetTag]);
      if (offset) {
        facts.tzOffset = offset.text;
        facts.takenAtUtc = parsed.wallClockMs - offset.minutes * 60_000;
      } else if (tags[offsetTag] !== undefined) {
        warnings.push(`unreadable ${offsetTag} ${JSON.stringify(tags[offsetTag])}`);
      }
    } else {
      warnings.push(`unreadable ${dateTag} ${JSON.stringify(written)}`);
    }
  }

  const { latitude, longitude } = tags;
  if (typeof latitude === 'number' && typeof longitude === 'number') {
    if (Number.isFinite(latitude) && Number.isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      facts.lat = latitude;
      facts.lon = longitude;
    } else {
      warnings.push(`impossible GPS position ${latitude}, ${longitude}`);
    }
  }
  return facts;
}

function cleanString(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.replace(/\0+$/, '').trim();
  return text === '' ? null : text;
}

/** Absent, or "0000:00:00 00:00:00" / spaces as cameras write when the clock was never set: absent, not broken. */
function isBlankDate(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && /^[\s0:.-]*$/.test(value));
}

/** "2017:10:31 20:16:18" (also with '-' or 'T', optional fraction) -> ISO text and the wall clock read as if UTC. */
export function parseExifDate(value: unknown): { iso: string; wallClockMs: number } | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls Feb 30 into March: reject instead of inventing a date.
  if (year < 1800 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return { iso: `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`, wallClockMs: ms };
}

function parseOffset(value: unknown): { text: string; minutes: number } | null {
  if (typeof value !== 'string') return null;
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) return null;
  const minutes = (Number(match[2]) * 60 + Number(match[3])) * (match[1] === '-' ? -1 : 1);
  if (Math.abs(minutes) > 14 * 60) return null;
  return { text: `${match[1]}${match[2]}:${match[3]}`, minutes };
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}
