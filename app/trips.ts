// Trips as cards: the latest run's trips (nodes/trips.ts) with the people
// seen on their photos (the people pages' snapshot: the run's faces with the
// decisions made since applied), thumbnails, and a self-contained HTML page.
import { readFile } from 'node:fs/promises';
import type { Catalog } from '../datasets/catalog.ts';
import { hasRunViews } from '../datasets/run-registry.ts';
import { invalid, notFound, translated } from './errors.ts';
import { People } from './people.ts';
import type { TripCard, TripPerson, TripPhoto, TripSummary } from './trip-types.ts';
import type { Workspace } from './workspace.ts';

export type { TripCard, TripPerson, TripPhoto, TripSummary };

const TRIP_VIEWS = ['trips', 'trip_photos', 'event_photos'];

const TRIPS_SQL = `
  SELECT trip_id, title, start_local, end_local, days, photos, places, countries, country_language, distance_km, cover_file_id
  FROM latest.trips`;

interface TripRow {
  trip_id: number; title: string; start_local: string; end_local: string; days: number; photos: number;
  places: string[] | null; countries: string[] | null; country_language: string | null; distance_km: number; cover_file_id: string;
}

function summaryOf(row: TripRow): TripSummary {
  return {
    tripId: row.trip_id, title: row.title, start: row.start_local, end: row.end_local, days: row.days, photos: row.photos,
    places: [...(row.places ?? [])], countries: [...(row.countries ?? [])], countryLanguage: row.country_language, distanceKm: row.distance_km, coverFileId: row.cover_file_id,
  };
}

async function withTrips<T>(workspace: Workspace, work: (catalog: Catalog) => Promise<T>): Promise<T> {
  return translated(() => workspace.store.read(async (catalog) => {
    if (!(await hasRunViews(catalog, 'latest', TRIP_VIEWS))) {
      throw notFound('the latest run has no trips: add the events and trips nodes to mnemo.yaml (mnemo init writes them) and run mnemo run');
    }
    return work(catalog);
  }));
}

/** The latest run's trips, newest first; covers as in `tripCard`. `people`: the server's open directory (else one is opened). */
export async function listTrips(workspace: Workspace, people?: People): Promise<TripSummary[]> {
  const { trips, photos } = await withTrips(workspace, async (catalog) => ({
    trips: (await catalog.rows<TripRow>(`${TRIPS_SQL} ORDER BY start_utc DESC, trip_id`)).map(summaryOf),
    photos: await catalog.rows<{ trip_id: number; file_id: string }>('SELECT trip_id, file_id FROM latest.trip_photos'),
  }));
  const peopleOn = await peopleOnPhotos(people ?? (await People.open(workspace)), new Set(photos.map((photo) => photo.file_id)));
  const photosOf = new Map<number, string[]>();
  for (const photo of photos) {
    const list = photosOf.get(photo.trip_id);
    if (list) list.push(photo.file_id);
    else photosOf.set(photo.trip_id, [photo.file_id]);
  }
  return trips.map((trip) => ({ ...trip, coverFileId: coverOf(trip.coverFileId, photosOf.get(trip.tripId) ?? [], peopleOn.byFile) }));
}

/**
 * The photo with the most known people now (decisions since the run
 * included); the run's cover (the most central) when nobody is known or it
 * ties.
 */
function coverOf(runCover: string, fileIds: readonly string[], byFile: Map<string, Set<number>>): string {
  let best = runCover;
  for (const fileId of fileIds) if ((byFile.get(fileId)?.size ?? 0) > (byFile.get(best)?.size ?? 0)) best = fileId;
  return best;
}

/** One trip with its photos in order and the people seen on them (most photos first). */
export async function tripCard(workspace: Workspace, tripId: number, people?: People): Promise<TripCard> {
  if (!Number.isInteger(tripId) || tripId < 0) throw invalid(`a trip id is a whole number (got ${tripId})`);
  const { row, photos } = await withTrips(workspace, async (catalog) => {
    const [found] = await catalog.rows<TripRow>(`${TRIPS_SQL} WHERE trip_id = $1`, [tripId]);
    if (!found) throw notFound(`no trip ${tripId} in the latest run (mnemo trips lists them)`);
    const rows = await catalog.rows<{ file_id: string; taken_at_local: string; event_id: number }>(
      `SELECT t.file_id, e.taken_at_local, t.event_id FROM latest.trip_photos t JOIN latest.event_photos e USING (file_id)
       WHERE t.trip_id = $1 ORDER BY e.taken_at_utc, t.file_id`, [tripId]);
    return { row: found, photos: rows };
  });
  const peopleOn = await peopleOnPhotos(people ?? (await People.open(workspace)), new Set(photos.map((photo) => photo.file_id)));
  const counts = new Map<number, TripPerson>();
  for (const persons of peopleOn.byFile.values()) {
    for (const personId of persons) {
      const person = counts.get(personId) ?? { personId, name: peopleOn.names.get(personId) ?? `person ${personId}`, photos: 0 };
      person.photos++;
      counts.set(personId, person);
    }
  }
  const summary = summaryOf(row);
  return {
    ...summary,
    coverFileId: coverOf(summary.coverFileId, photos.map((photo) => photo.file_id), peopleOn.byFile),
    people: [...counts.values()].sort((a, b) => b.photos - a.photos || a.name.localeCompare(b.name)),
    photoList: photos.map((photo): TripPhoto => ({ fileId: photo.file_id, takenAt: photo.taken_at_local, eventId: photo.event_id, people: peopleOn.byFile.get(photo.file_id)?.size ?? 0 })),
  };
}

/** Known, shown persons on each of these photos (merged persons count as whom they were merged into). */
async function peopleOnPhotos(people: People, fileIds: Set<string>): Promise<{ byFile: Map<string, Set<number>>; names: Map<number, string> }> {
  const snapshot = await people.snapshot();
  const byFile = new Map<string, Set<number>>();
  const shown = new Map(snapshot.persons.filter((person) => !person.hidden && person.merged_into === null).map((person) => [person.person_id, person.name]));
  if (!snapshot.run || !snapshot.index) return { byFile, names: shown };
  const { run, index } = snapshot;
  for (const [personId, faces] of index.byPerson) {
    if (!shown.has(personId)) continue;
    for (const row of faces.rows) {
      const fileId = run.files.fileId[run.file[row]!]!;
      if (!fileIds.has(fileId)) continue;
      const persons = byFile.get(fileId) ?? new Set<number>();
      persons.add(personId);
      byFile.set(fileId, persons);
    }
  }
  return { byFile, names: shown };
}

export interface Thumbnail {
  bytes: Buffer;
  type: 'image/webp';
}

/**
 * A WebP picture of a photo at least `size` px on its longer side (256, 512
 * or 1024; the run's, else made once from the original and cached: app/photo-thumbnails.ts).
 */
export async function photoThumbnail(workspace: Workspace, fileId: string, size: number): Promise<Thumbnail> {
  const { CACHED_THUMBNAIL_SIZES, cachedPhotoThumbnail } = await import('./photo-thumbnails.ts');
  const cachedSize = CACHED_THUMBNAIL_SIZES.find((cached) => cached >= size) ?? CACHED_THUMBNAIL_SIZES.at(-1)!;
  const thumbnail = await cachedPhotoThumbnail(workspace, fileId, cachedSize);
  try {
    return { bytes: await readFile(thumbnail.path), type: 'image/webp' };
  } catch (error) {
    throw notFound(`the thumbnail of file ${fileId} is gone from the cache: ${(error as Error).message}`);
  }
}

/** The card as one HTML page with its pictures inside (data: URIs): it opens anywhere, offline. */
export async function tripCardHtml(workspace: Workspace, tripId: number, options: { maxPhotos?: number } = {}): Promise<string> {
  const card = await tripCard(workspace, tripId);
  const { renderTripCard } = await import('./trip-card-html.ts');
  const shown = spreadOver(card.photoList, options.maxPhotos ?? 36);
  const images = new Map<string, string>();
  for (const [fileId, size] of [[card.coverFileId, 1024] as const, ...shown.map((photo) => [photo.fileId, 256] as const)]) {
    const key = `${fileId}@${size}`;
    if (images.has(key)) continue;
    try {
      const thumbnail = await photoThumbnail(workspace, fileId, size);
      images.set(key, `data:${thumbnail.type};base64,${thumbnail.bytes.toString('base64')}`);
    } catch {
      // a photo gone since the run: the card shows its time without a picture
    }
  }
  return renderTripCard(card, shown, (fileId, size) => images.get(`${fileId}@${size}`) ?? null);
}

/** At most `count` items, evenly spread from first to last. */
function spreadOver<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))]!);
}
