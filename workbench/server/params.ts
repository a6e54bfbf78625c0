// Typed reading of path and query parameters. They always arrive as text;
// bodies are validated by JSON schema without coercion, but these are turned
// into numbers and flags here, one parameter at a time, so that a bad value
// gets a 400 naming the parameter and its allowed range.
import { parseRunRef, type RunRef } from '../../app/runs.ts';
import { badRequest } from './http-errors.ts';

type Query = Record<string, string | undefined>;

/** A querystring schema: these names only, each a single text value. */
export function querySchema(...names: string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) };
}

/** A params schema: these names, each text. */
export function paramsSchema(...names: string[]): Record<string, unknown> {
  return { type: 'object', properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) };
}

export function int(text: string | undefined, name: string, range: { min: number; max: number }, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw badRequest(`${name} is required`);
    return fallback;
  }
  if (!/^-?\d+$/.test(text)) throw badRequest(`${name} must be a whole number (got '${text}')`);
  const value = Number(text);
  if (value < range.min || value > range.max) throw badRequest(`${name} must be from ${range.min} to ${range.max} (got ${value})`);
  return value;
}

export function bool(text: string | undefined, name: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === 'true' || text === 'false') return text === 'true';
  throw badRequest(`${name} must be true or false (got '${text}')`);
}

export function oneOf<T extends string>(text: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw badRequest(`${name} must be one of ${allowed.join(', ')} (got '${text}')`);
}

/** offset >= 0 and limit 1..1000, as the app's pages take them. */
export function paging(query: Query): { offset: number; limit: number } {
  return { offset: int(query.offset, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER }, 0), limit: int(query.limit, 'limit', { min: 1, max: 1000 }, 100) };
}

/** A person id in the path. */
export function personId(text: string | undefined): number {
  return int(text, 'id', { min: 1, max: 2 ** 31 - 1 });
}

/** A run: a number or `latest`. */
export function runRef(text: string | undefined, name = 'run'): RunRef {
  if (text !== undefined && text !== 'latest' && !/^\d+$/.test(text)) throw badRequest(`${name} must be a run number or 'latest' (got '${text}')`);
  return parseRunRef(text);
}
