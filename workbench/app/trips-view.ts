// <trips-view>: the latest run's trips as cards (cover, title, dates, days,
// photos, places in order), newest first; with `tripId`, one trip's card:
// the people seen with their photo counts and every photo.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TripCard, TripSummary } from '../../app/trip-types.ts';
import { api, errorText, thumbnailUrl } from './api.ts';
import { controls, viewHost } from './shared-styles.ts';

declare global {
  interface HTMLElementTagNameMap {
    'trips-view': TripsView;
  }
}

/** '10 мая 2024 г.' in the language the trip's names are in. */
function day(localTime: string, language: string | null): string {
  try {
    return new Intl.DateTimeFormat(language ?? undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${localTime.slice(0, 10)}T00:00:00Z`));
  } catch {
    return localTime.slice(0, 10);
  }
}

const dates = (trip: TripSummary) => (trip.start.slice(0, 10) === trip.end.slice(0, 10) ? day(trip.start, trip.countryLanguage) : `${day(trip.start, trip.countryLanguage)} – ${day(trip.end, trip.countryLanguage)}`);

@customElement('trips-view')
export class TripsView extends LitElement {
  static override styles = [
    controls,
    viewHost,
    css`
      .cards {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr));
        gap: 1rem;
        margin-top: 1rem;
      }
      a.card {
        display: block;
        color: inherit;
        text-decoration: none;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        box-shadow: var(--mn-shadow);
        overflow: hidden;
      }
      a.card:hover {
        border-color: var(--mn-accent);
      }
      .cover {
        width: 100%;
        aspect-ratio: 16 / 10;
        object-fit: cover;
        display: block;
        background: var(--mn-nav-bg);
      }
      .body {
        padding: 0.75rem 0.9rem 0.9rem;
      }
      .title {
        font-weight: 600;
        font-size: 1.05rem;
      }
      .facts {
        color: var(--mn-muted);
        font-size: 0.85rem;
        margin: 0.2rem 0 0.4rem;
      }
      .places {
        font-size: 0.85rem;
      }
      .places span + span::before {
        content: ' → ';
        color: var(--mn-muted);
      }
      .hero {
        width: 100%;
        max-height: 22rem;
        object-fit: cover;
        object-position: 50% 30%;
        border-radius: var(--mn-radius);
        display: block;
        background: var(--mn-nav-bg);
        margin: 0.75rem 0;
      }
      .people {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        padding: 0;
        margin: 0;
        list-style: none;
      }
      .people a {
        display: inline-block;
        background: var(--mn-surface);
        border: 1px solid var(--mn-border);
        border-radius: 1rem;
        padding: 0.2rem 0.75rem;
        color: inherit;
        text-decoration: none;
      }
      .people .count {
        color: var(--mn-muted);
        margin-left: 0.3rem;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr));
        gap: 0.5rem;
      }
      figure {
        margin: 0;
      }
      figure img {
        width: 100%;
        aspect-ratio: 4 / 3;
        object-fit: cover;
        border-radius: 6px;
        display: block;
        background: var(--mn-nav-bg);
      }
      figcaption {
        font-size: 0.75rem;
        color: var(--mn-muted);
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
    `,
  ];

  /** Bumped by the shell when the server's data changed. */
  @property({ type: Number }) generation = 0;
  /** One trip's card; null: every trip. */
  @property({ type: Number }) tripId: number | null = null;

  @state() private trips: TripSummary[] | null = null;
  @state() private card: TripCard | null = null;
  @state() private error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('generation') || changed.has('tripId')) void this.load();
  }

  private async load(): Promise<void> {
    this.error = '';
    try {
      if (this.tripId === null) this.trips = await api.trips();
      else this.card = await api.trip(this.tripId);
    } catch (error) {
      this.error = errorText(error);
    }
  }

  override render() {
    if (this.error) return html`<h1>Trips</h1><p class="error">${this.error}</p>`;
    return this.tripId === null ? this.renderList() : this.renderCard();
  }

  private renderList() {
    if (!this.trips) return html`<h1>Trips</h1><p class="muted">Loading…</p>`;
    return html`
      <h1>Trips</h1>
      <p class="muted">${this.trips.length} trips away from home, newest first. Place names: GeoNames (CC BY 4.0).</p>
      <div class="cards">
        ${this.trips.map((trip) => html`
          <a class="card" href="#/trips/${trip.tripId}" data-trip=${trip.tripId}>
            <img class="cover" src=${thumbnailUrl(trip.coverFileId, 512)} alt="" loading="lazy" />
            <div class="body">
              <div class="title">${trip.title}</div>
              <div class="facts">${dates(trip)} · ${trip.days} ${trip.days === 1 ? 'day' : 'days'} · ${trip.photos} photos</div>
              <div class="places">${trip.places.map((place) => html`<span>${place}</span>`)}</div>
            </div>
          </a>
        `)}
      </div>
    `;
  }

  private renderCard() {
    const card = this.card;
    if (!card || card.tripId !== this.tripId) return html`<h1>Trip</h1><p class="muted">Loading…</p>`;
    return html`
      <a href="#/trips">← All trips</a>
      <img class="hero" src=${thumbnailUrl(card.coverFileId, 1024)} alt="cover photo" />
      <h1>${card.title}</h1>
      <p class="muted">${dates(card)} · ${card.days} ${card.days === 1 ? 'day' : 'days'} · ${card.photos} photos · ${Math.round(card.distanceKm)} km from home · ${card.countries.join(', ')}</p>
      <p class="places">${card.places.map((place) => html`<span>${place}</span>`)}</p>
      <h2>People</h2>
      ${card.people.length
        ? html`<ul class="people">${card.people.map((person) => html`<li><a href="#/people/${person.personId}">${person.name}<span class="count">${person.photos}</span></a></li>`)}</ul>`
        : html`<p class="muted">No known people on these photos yet.</p>`}
      <h2>Photos</h2>
      <div class="grid">
        ${card.photoList.map((photo) => html`
          <figure>
            <img src=${thumbnailUrl(photo.fileId, 256)} alt="" loading="lazy" />
            <figcaption>${photo.takenAt.replace('T', ' ').slice(0, 16)}${photo.people ? html` · ${photo.people} ${photo.people === 1 ? 'person' : 'people'}` : nothing}</figcaption>
          </figure>
        `)}
      </div>
    `;
  }
}
