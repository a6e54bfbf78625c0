// `mnemo trips`: the latest run's trips, one card's details, or a card as a
// self-contained HTML page. Parsing and printing only: app/trips.ts does the work.
import { writeFileSync } from 'node:fs';
import { common, out, UsageError, wholeNumber, workspaceOf, type Command } from './command.ts';
import { formatTable, toJson } from './format.ts';

const TRIPS_USAGE = `mnemo trips [--json]                       the trips of the latest run, newest first
mnemo trips show ID [--html FILE] [--json]  one trip: places, people, photos; --html writes a card page with the photos inside
  [--config FILE | --data DIR]`;

const trips: Command = {
  summary: 'trips away from home found by the events and trips nodes: list them, or one as a card (--html FILE)',
  usage: TRIPS_USAGE,
  options: { ...common, json: { type: 'boolean' }, html: { type: 'string' } },
  async run(values, [action, id, ...rest]) {
    const { listTrips, tripCard, tripCardHtml } = await import('../app/trips.ts');
    const workspace = await workspaceOf(values);
    if (action === undefined) {
      const rows = await listTrips(workspace);
      if (values.json) out(toJson(rows as never));
      else if (rows.length === 0) out('no trips: no run of photos was farther than awayKm from home for long enough (see mnemo show latest, node trips)');
      else {
        out(formatTable(['trip', 'title', 'from', 'to', 'days', 'photos', 'km', 'places'], rows.map((trip) => ({
          trip: trip.tripId, title: trip.title, from: trip.start.slice(0, 10), to: trip.end.slice(0, 10), days: trip.days, photos: trip.photos,
          km: Math.round(trip.distanceKm), places: trip.places.join(' → '),
        })) as never));
      }
      return 0;
    }
    if (action !== 'show') throw new UsageError(`unknown trips action '${action}'\n${TRIPS_USAGE}`);
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'\n${TRIPS_USAGE}`);
    const tripId = wholeNumber(id, 'trip ID');
    if (typeof values.html === 'string') {
      const html = await tripCardHtml(workspace, tripId);
      try {
        writeFileSync(values.html, html);
      } catch (error) {
        throw new UsageError(`cannot write ${values.html}: ${(error as Error).message}`);
      }
      out(`wrote ${values.html} (${Math.round(html.length / 1024)} KB)`);
      return 0;
    }
    const card = await tripCard(workspace, tripId);
    if (values.json) {
      out(toJson([card] as never));
      return 0;
    }
    out(`trip ${card.tripId}: ${card.title}\n${card.start} - ${card.end} (${card.days} days, ${card.photos} photos, ${Math.round(card.distanceKm)} km from home)`);
    out(`places: ${card.places.join(' → ') || '-'}\ncountries: ${card.countries.join(', ') || '-'}\ncover: ${card.coverFileId}`);
    out(card.people.length ? `people:\n${formatTable(['name', 'photos'], card.people.map((person) => ({ name: person.name, photos: person.photos })) as never)}` : 'people: none known yet');
    return 0;
  },
};

export const tripCommands: Record<string, Command> = { trips };
