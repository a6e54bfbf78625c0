// The typed client of the workbench server's JSON API (workbench/server).
// Every call resolves to the parsed body or rejects with an ApiError that
// carries the server's `{ error: { kind, message } }`. Writes send JSON and the
// `X-Mnemo: 1` header the server requires of every POST and PATCH.

import type { ClusterEntry, DirectoryEntry, FaceMapColumns, FaceRow, Page, RunListItem } from '../../app/api-types.ts';

import { fetchFaceMap } from './face-map-data.ts';
import type { TripCard, TripSummary } from '../../app/trip-types.ts';

// The server's shapes are declared once, in the application layer; these are the names the views use.
export type { Page };
export type RunRow = RunListItem;
export type Person = DirectoryEntry;
export type Face = FaceRow;
export type Cluster = ClusterEntry;
export type FaceMapData = FaceMapColumns;

/** A person's page: the directory row as the catalog has it, and the journal's view of them. */
export interface PersonDetail {
  person: { name: string; notes: string | null; hidden: boolean };
  /** The faces a human put on the person. */
  manualFaces: string[];
  /** The faces a human said are not the person. */
  notFaces: string[];
  events: unknown[];
}

/** Where a decision puts faces: a person id as text, `stranger`, `not_a_face` or `not:<id>`. */
export type Target = string;

/** The RunEvents of dag/progress.ts, as the server streams them. */
export type RunEvent =
  | { type: 'run-started'; runId: number; nodes: string[]; resumed: boolean; alreadyDone: number }
  | { type: 'node-started'; node: string }
  | { type: 'node-progress'; node: string; done: number; total: number; perSecond: number }
  | { type: 'node-finished'; node: string; status: 'done' | 'reused' | 'failed'; reusedFrom: number | null; alreadyDone: boolean; durationMs: number; rows: number; errors: number; message: string | null }
  | { type: 'item-error'; node: string; item: string | null; message: string }
  | { type: 'log'; node: string | null; message: string }
  | { type: 'run-finished'; runId: number; status: 'succeeded' | 'failed'; message: string | null };

/** What /api/events streams: decisions, re-matches and run events. */
export type ServerEvent = { type: 'decision' | 'rematch-started' | 'rematch-finished'; [key: string]: unknown } | RunEvent;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers = { ...init.headers, 'content-type': 'application/json', 'x-mnemo': '1' };
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    const error = (parsed as { error?: { kind?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.kind ?? 'http', error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  }
  return parsed as T;
}

const query = (params: Record<string, string | number | boolean | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};

export const api = {
  runs: () => request<{ runs: RunRow[] }>('GET', '/api/runs').then((r) => r.runs),
  startRun: (set?: string[]) => request<{ runId: number }>('POST', '/api/runs', set ? { set } : {}),

  people: (options: { hidden?: boolean; sort?: 'faces' | 'name' } = {}) =>
    request<{ people: Person[] }>('GET', `/api/people${query({ hidden: options.hidden, sort: options.sort })}`).then((r) => r.people),
  person: (personId: number) => request<PersonDetail>('GET', `/api/people/${personId}`),
  createPerson: (name: string) => request<{ personId: number; batchId: number }>('POST', '/api/people', { name }),
  updatePerson: (personId: number, change: { name?: string; hidden?: boolean }) => request<{ batchId: number | null }>('PATCH', `/api/people/${personId}`, change),
  merge: (from: number, into: number) => request<{ batchId: number }>('POST', `/api/people/${from}/merge`, { into }),
  personFaces: (personId: number, offset = 0, limit = 200) => request<Page<Face>>('GET', `/api/people/${personId}/faces${query({ offset, limit })}`),
  split: (faceIds: string[], name: string) => request<{ personId: number; batchId: number }>('POST', '/api/people/split', { faceIds, name }),

  clusters: (options: { run?: string; unnamed?: boolean } = {}) =>
    request<{ clusters: Cluster[] }>('GET', `/api/clusters${query({ run: options.run ?? 'latest', unnamed: options.unnamed })}`).then((r) => r.clusters),
  clusterFaces: (clusterId: number, offset = 0, limit = 24) => request<Page<Face>>('GET', `/api/clusters/${clusterId}/faces${query({ offset, limit })}`),

  assign: (faceIds: string[], target: Target) => request<{ batchId: number }>('POST', '/api/assignments', { faceIds, target }),
  /** Undoes one batch: the one named, or the newest. */
  undo: (batchId?: number) => request<{ batchId: number; undid: number }>('POST', '/api/undo', batchId ? { batchId } : {}),

  /** The face map as typed columns (Arrow IPC from the server: face-map-data.ts). */
  map: (run: string | number = 'latest') => fetchFaceMap(run),
  crops: (faceIds: string[], size = 128) =>
    request<{ crops: Record<string, string> }>('GET', `/api/crops${query({ ids: faceIds.join(','), size })}`).then((r) => r.crops),

  trips: () => request<{ trips: TripSummary[] }>('GET', '/api/trips').then((r) => r.trips),
  trip: (tripId: number) => request<TripCard>('GET', `/api/trips/${tripId}`),
};

/** The URL of a WebP thumbnail of a trip's photo (at least `size` px), for an <img>. */
export const thumbnailUrl = (fileId: string, size = 256): string => `/api/trips/thumbnails/${encodeURIComponent(fileId)}?size=${size}`;

/** The URL of one face crop (image/webp), for an <img>. */
export const cropUrl = (faceId: string, size = 128): string => `/api/faces/${encodeURIComponent(faceId)}/crop?size=${size}`;

const cropCache = new Map<string, Promise<string | undefined>>();

/**
 * Data URLs of many crops, fetched in batches of 50 ids per request and cached
 * for the page's life. A crop the server has not got resolves to undefined.
 */
export function loadCrops(faceIds: readonly string[], size = 128): Map<string, Promise<string | undefined>> {
  const missing = faceIds.filter((id) => !cropCache.has(`${size}:${id}`));
  for (let i = 0; i < missing.length; i += 50) {
    const chunk = missing.slice(i, i + 50);
    const batch = api.crops(chunk, size).catch(() => ({}) as Record<string, string>);
    for (const id of chunk) cropCache.set(`${size}:${id}`, batch.then((crops) => crops[id]));
  }
  return new Map(faceIds.map((id) => [id, cropCache.get(`${size}:${id}`)!]));
}

const SSE_EVENT_NAMES = ['decision', 'rematch-started', 'rematch-finished', 'run-started', 'node-started', 'node-progress', 'node-finished', 'item-error', 'log', 'run-finished'];

/** Opens an SSE stream of JSON events; returns a function that closes it. */
export function subscribe<T>(path: string, onEvent: (event: T) => void): () => void {
  const source = new EventSource(path);
  const handle = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as T);
    } catch {
      // a malformed event is skipped
    }
  };
  source.onmessage = handle;
  // A server may name its events (`event: <type>`): those skip onmessage.
  for (const name of SSE_EVENT_NAMES) source.addEventListener(name, handle);
  return () => source.close();
}

/** A short description of an error for a toast. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// ---- the review queue (docs/API.md, "Review queue") ----

import type { ClusterSuggestion, ReviewItem, ReviewQueue } from '../../app/api-types.ts';

export type { ClusterSuggestion, ReviewItem, ReviewQueue };

export const reviewApi = {
  /** The best suggestions, `limit` items, leaving out the `skip`ped faces. */
  next: (options: { limit?: number; skip?: readonly string[]; groups?: boolean } = {}) =>
    request<ReviewQueue>('GET', `/api/review/next${query({ limit: options.limit, groups: options.groups, skip: options.skip?.length ? options.skip.join(',') : undefined })}`),
  /** For each unnamed cluster whose faces all point to one person: that person. */
  clusters: () => request<{ clusters: ClusterSuggestion[] }>('GET', '/api/review/clusters').then((r) => r.clusters),
};

// ---- merge candidates and split suggestions (docs/API.md, "Merge candidates and split suggestions") ----

import type { MergeSuggestion, MergeSuggestions, PersonSubclusters, SimilarPeople, SimilarPerson, Subcluster } from '../../app/api-types.ts';

export type { MergeSuggestion, MergeSuggestions, PersonSubclusters, SimilarPeople, SimilarPerson, Subcluster };

export const similarityApi = {
  /** The persons most like this one, best first, with their closest faces. */
  similar: (personId: number, limit = 10) => request<SimilarPeople>('GET', `/api/people/${personId}/similar${query({ limit })}`),
  /** Pairs of persons across the directory that may be one, best first. */
  mergeSuggestions: (limit = 20) => request<MergeSuggestions>('GET', `/api/people/merge-suggestions${query({ limit })}`),
  /** The person's faces in groups of look-alikes, largest (the main one) first. */
  subclusters: (personId: number) => request<PersonSubclusters>('GET', `/api/people/${personId}/subclusters`),
};

// ---- compare runs and sweeps (docs/API.md, "Compare") ----

import type { AdoptResult, CompareView, FlowLink, SweepDetail, SweepSettingRow, SweepSummary } from '../../app/compare-types.ts';

export type { AdoptResult, CompareView, FlowLink, SweepDetail, SweepSettingRow, SweepSummary };

export const compareApi = {
  /** Two runs compared: a number, `latest`, `previous` or a sweep setting each. */
  compare: (a: string, b: string) => request<CompareView>('GET', `/api/compare${query({ a, b })}`),
  sweeps: () => request<{ sweeps: SweepSummary[] }>('GET', '/api/sweeps').then((r) => r.sweeps),
  sweep: (sweepId: string) => request<SweepDetail>('GET', `/api/sweeps/${encodeURIComponent(sweepId)}`),
  /** Writes the sweep's best setting (or the one of `runId`) into mnemo.yaml. */
  adopt: (sweepId: string, runId?: number) => request<AdoptResult>('POST', `/api/sweeps/${encodeURIComponent(sweepId)}/adopt`, runId === undefined ? {} : { runId }),
};

// ---- duplicates (docs/API.md, "Duplicates") ----

import type { DuplicateGroup, DuplicateGroups, MovePlan, MoveResult } from '../../app/duplicate-types.ts';

export type { DuplicateGroup, DuplicateGroups, MovePlan, MoveResult };

export const duplicatesApi = {
  groups: (options: { kind?: 'all' | 'exact' | 'near'; offset?: number; limit?: number } = {}) =>
    request<DuplicateGroups>('GET', `/api/duplicates${query({ kind: options.kind, offset: options.offset, limit: options.limit })}`),
  decide: (groupKey: string, keeperFileId: string) => request<DuplicateGroup>('POST', '/api/duplicates/decisions', { groupKey, keeperFileId }),
  /** What a move would do, and the token that confirms it (changes nothing). */
  movePlan: () => request<MovePlan>('POST', '/api/duplicates/move-plan', {}),
  move: (token: string) => request<MoveResult>('POST', '/api/duplicates/move', { token }),
  /** The CSV of non-keepers, for a download link. */
  nonKeepersCsvUrl: '/api/duplicates/non-keepers.csv',
};
