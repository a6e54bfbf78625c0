// A trip card as a self-contained HTML page: no scripts, no links out, the
// pictures inside as data: URIs. Dates are written in the names' language.
import type { TripCard, TripPhoto } from './trip-types.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** '10 мая 2024 г.' for the local date of '2024-05-10T09:00:00+02:00'. */
export function localDate(localTime: string, language: string, options: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long', year: 'numeric' }): string {
  const day = new Date(`${localTime.slice(0, 10)}T00:00:00Z`);
  try {
    return new Intl.DateTimeFormat(language, { ...options, timeZone: 'UTC' }).format(day);
  } catch {
    return localTime.slice(0, 10);
  }
}

export function renderTripCard(card: TripCard, photos: readonly TripPhoto[], image: (fileId: string, size: number) => string | null): string {
  const language = card.countryLanguage ?? 'en';
  const cover = image(card.coverFileId, 1024);
  const dates = `${localDate(card.start, language)} – ${localDate(card.end, language)}`;
  const people = card.people.length
    ? `<ul class="people">${card.people.map((person) => `<li>${escape(person.name)} <span>${person.photos}</span></li>`).join('')}</ul>`
    : '<p class="none">No known people on these photos yet.</p>';
  const grid = photos.map((photo) => {
    const src = image(photo.fileId, 256);
    const time = escape(photo.takenAt.replace('T', ' ').slice(0, 16));
    return `<figure>${src ? `<img src="${src}" alt="photo ${escape(photo.fileId)}" loading="lazy">` : '<div class="missing">not readable</div>'}<figcaption>${time}</figcaption></figure>`;
  }).join('\n');
  return `<!doctype html>
<html lang="${escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(card.title)} · ${escape(dates)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #222; }
  main { max-width: 960px; margin: 0 auto; padding: 24px; }
  .cover { width: 100%; max-height: 520px; object-fit: cover; object-position: 50% 30%; border-radius: 10px; display: block; background: #ddd; }
  h1 { margin: 18px 0 4px; font-size: 28px; }
  .dates { color: #555; margin: 0 0 12px; }
  .facts { display: flex; gap: 24px; flex-wrap: wrap; margin: 0 0 16px; padding: 0; list-style: none; }
  .facts b { display: block; font-size: 20px; }
  .places { margin: 0 0 16px; }
  .places span + span::before { content: ' → '; color: #999; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  .people { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
  .people li { background: #fff; border: 1px solid #ddd; border-radius: 16px; padding: 3px 12px; }
  .people span { color: #777; margin-left: 4px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; }
  figure { margin: 0; }
  figure img, .missing { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; border-radius: 6px; background: #ddd; display: block; }
  .missing { display: flex; align-items: center; justify-content: center; color: #888; font-size: 12px; }
  figcaption { font-size: 12px; color: #666; }
  footer { margin-top: 24px; font-size: 12px; color: #888; }
</style>
</head>
<body>
<main>
${cover ? `<img class="cover" src="${cover}" alt="cover photo">` : ''}
<h1>${escape(card.title)}</h1>
<p class="dates">${escape(dates)}</p>
<ul class="facts">
  <li><b>${card.days}</b> ${card.days === 1 ? 'day' : 'days'}</li>
  <li><b>${card.photos}</b> photos</li>
  <li><b>${Math.round(card.distanceKm).toLocaleString(language)}</b> km from home</li>
  <li><b>${escape(card.countries.join(', ') || '—')}</b> ${card.countries.length === 1 ? 'country' : 'countries'}</li>
</ul>
<p class="places">${card.places.map((place) => `<span>${escape(place)}</span>`).join('')}</p>
<h2>People</h2>
${people}
<h2>Photos${photos.length < card.photos ? ` (${photos.length} of ${card.photos})` : ''}</h2>
<div class="grid">
${grid}
</div>
<footer>Place names: GeoNames (CC BY 4.0). Made by mnemo.</footer>
</main>
</body>
</html>
`;
}
