// A synthetic archive with known answers for events and trips: a family in
// Moscow with a month of photos at home, a weekend at home, a day trip to
// Sergiyev Posad, a week in Rome (camera photos without GPS interleaved, one
// camera still on Moscow time), a train across midnight and two time zones to
// Yekaterinburg, and two trips back to back (St Petersburg, home, Kazan).
// Plus the bad input: no capture time, 0,0, the year 2999 and 1850.
import type { ExifTime } from '../../geo/capture-times.ts';

export interface TripPhoto extends ExifTime {
  /** What the photo is part of, for the test's answers. */
  scene: string;
}

export const HOME = { lat: 55.7558, lon: 37.6173 };
const SERGIEV_POSAD = { lat: 56.3153, lon: 38.1358 };
const ROME = { lat: 41.9028, lon: 12.4964 };
const KAZAN = { lat: 55.7963, lon: 49.1088 };
const PERM = { lat: 58.0105, lon: 56.2502 };
const YEKATERINBURG = { lat: 56.8389, lon: 60.6057 };
const ST_PETERSBURG = { lat: 59.9386, lon: 30.3141 };

/** The trips the archive holds, in order; `place`: a name the trip's places must include (Rome's nearest GeoNames place is one of its quarters). */
export const EXPECTED_TRIPS = [
  { scene: 'day trip', days: 1, photos: 5, country: 'Россия', place: 'Sergiyev Posad' },
  { scene: 'week in Rome', days: 7, photos: 36, country: 'Италия', place: null },
  { scene: 'train east', days: 2, photos: 8, country: 'Россия', place: 'Yekaterinburg' },
  { scene: 'St Petersburg', days: 3, photos: 9, country: 'Россия', place: 'Saint Petersburg' },
  { scene: 'Kazan', days: 3, photos: 9, country: 'Россия', place: 'Kazan' },
];

const pad = (n: number) => String(n).padStart(2, '0');

export function tripPhotos(): TripPhoto[] {
  const photos: TripPhoto[] = [];
  let n = 0;
  const add = (scene: string, takenAt: string | null, where: { lat: number; lon: number } | null, tzOffset: string | null = null, jitter = true) => {
    const k = n++;
    // A few hundred metres of scatter, deterministic.
    const dLat = jitter ? ((k * 37) % 11 - 5) * 0.0008 : 0;
    const dLon = jitter ? ((k * 53) % 13 - 6) * 0.0008 : 0;
    photos.push({ fileId: `f${String(k).padStart(4, '0')}`, scene, takenAt, tzOffset, lat: where ? where.lat + dLat : null, lon: where ? where.lon + dLon : null });
  };
  const day = (date: string, hours: number[], scene: string, where: { lat: number; lon: number } | null, tzOffset: string | null = null) => {
    for (const hour of hours) add(scene, `${date}T${pad(Math.floor(hour))}:${pad(Math.round((hour % 1) * 60))}:00`, where, tzOffset);
  };

  // March at home: three photos a day make Moscow home by days.
  for (let d = 1; d <= 28; d++) day(`2024-03-${pad(d)}`, [9, 13, 19], 'home', HOME);
  // A weekend at home: Saturday and Sunday in the city.
  day('2024-04-06', [10, 12, 15], 'weekend at home', { lat: HOME.lat + 0.05, lon: HOME.lon - 0.08 });
  day('2024-04-07', [11, 16], 'weekend at home', HOME);
  // A day trip 70 km out.
  day('2024-04-13', [10, 11, 12.5, 14, 16], 'day trip', SERGIEV_POSAD);
  day('2024-04-14', [12], 'home', HOME);
  // A week in Rome: a phone with GPS and zone, a camera without GPS or zone in between.
  for (let d = 0; d < 7; d++) {
    const date = `2024-05-${pad(10 + d)}`;
    day(date, [9, 13, 18], 'week in Rome', ROME, '+02:00');
    day(date, [11, 15.5], 'week in Rome', null);
  }
  // A photo whose camera kept Moscow's clock and zone in Rome: the instant is right, the local time is Rome's.
  add('week in Rome', '2024-05-12T20:00:00', ROME, '+03:00');
  day('2024-05-18', [10, 18], 'home', HOME);
  // A night train east: Kazan before and after midnight, Perm at dawn, Yekaterinburg next day (zones +03:00 -> +05:00).
  day('2024-06-01', [20, 22, 23.5], 'train east', KAZAN);
  day('2024-06-02', [0.25], 'train east', KAZAN);
  day('2024-06-02', [6], 'train east', PERM);
  day('2024-06-02', [9, 12, 15], 'train east', YEKATERINBURG);
  day('2024-06-05', [10, 19], 'home', HOME);
  // Two trips back to back with one day at home between.
  for (const date of ['2024-07-01', '2024-07-02', '2024-07-03']) day(date, [10, 14, 20], 'St Petersburg', ST_PETERSBURG);
  day('2024-07-04', [12, 18], 'home', HOME);
  for (const date of ['2024-07-05', '2024-07-06', '2024-07-07']) day(date, [10, 14, 20], 'Kazan', KAZAN);
  day('2024-07-09', [12], 'home', HOME);

  // Bad input.
  add('no time', null, HOME);
  add('null island', '2024-03-15T15:00:00', { lat: 0, lon: 0 }, null, false);
  add('future', '2999-01-01T12:00:00', HOME);
  add('before 1900', '1850-06-01T12:00:00', HOME);
  return photos;
}
