// The shapes of trips that app/trips.ts, the CLI, the server and the web
// client share (no imports: the web app type-checks this file too).

export interface TripSummary {
  tripId: number;
  /** The narrowest name most of its photos share ('Сочи, Россия'), else its countries. */
  title: string;
  /** Local times where the first and last photo were taken, with their offsets ('2024-05-10T09:00:00+02:00'). */
  start: string;
  end: string;
  /** Calendar days, first and last counted. */
  days: number;
  photos: number;
  /** Places in the order visited, as GeoNames writes them. */
  places: string[];
  /** Countries in the order visited, in `countryLanguage`. */
  countries: string[];
  countryLanguage: string | null;
  /** The farthest photo from home. */
  distanceKm: number;
  coverFileId: string;
}

export interface TripPerson {
  personId: number;
  name: string;
  /** Photos of the trip the person is on. */
  photos: number;
}

export interface TripPhoto {
  fileId: string;
  /** Local time where it was taken. */
  takenAt: string;
  eventId: number;
  /** Known people on it. */
  people: number;
}

export interface TripCard extends TripSummary {
  /** The people seen, most photos first. */
  people: TripPerson[];
  /** Every photo of the trip in time order. */
  photoList: TripPhoto[];
}
