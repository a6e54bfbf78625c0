// What a node type is: a declaration plus a pure-ish run function. The engine
// (planner, executor) only sees this shape and knows nothing about photos.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { z } from 'zod';
import type { Row, TableSchema } from '../datasets/schema.ts';
import type { Catalog } from '../datasets/catalog.ts';
import type { Columns } from '../datasets/parquet.ts';

export interface SourceSpec {
  name: string;
  /** Absolute folder path. */
  path: string;
  include: string[];
  exclude: string[];
  tags: string[];
  /**
   * Set for a `type: yandex-disk` source: its files live on Yandex.Disk and
   * `path` is a local view of them (hard links into a download cache) that
   * scan refreshes before it walks it, so every other node reads it as a folder.
   */
  yandexDisk?: YandexDiskSource;
}

/** Where a Yandex.Disk source's files are and where mnemo keeps its copies (no secrets: the spec is stored with each run). */
export interface YandexDiskSource {
  /** The folder on the disk, e.g. `disk:/Фото`. */
  root: string;
  /** REST API base, default https://cloud-api.yandex.net. */
  apiUrl: string;
  /** OAuth server, default https://oauth.yandex.ru. */
  oauthUrl: string;
  /** The OAuth application's client id (`client_id`, else MNEMO_YANDEX_CLIENT_ID); its secret only ever comes from the environment. */
  clientId: string | null;
  /** The credentials file (mode 0600) that `mnemo auth yandex` writes. */
  credentialsFile: string;
  /** This source's listing state (the resumable cursor, the last complete listing). */
  stateDir: string;
  /** The content-addressed download cache, shared by all Yandex.Disk sources of the data folder. */
  cacheDir: string;
  /** Bytes the cache may hold; least recently used downloads no view needs leave first. */
  cacheLimitBytes: number;
}

export interface NodeContext<P = unknown, Prepared = unknown> {
  runId: number;
  node: string;
  params: P;
  sources: SourceSpec[];
  /** Upstream tables by table name: absolute Parquet paths. */
  inputs: Record<string, string>;
  /** Per-node-type cache folder inside the data dir (survives runs). */
  cacheDir: string;
  /** What `inputFingerprint` prepared, if the node type has one. */
  prepared: Prepared;
  /**
   * What the node type's `cacheKeys` returned for these params (empty without
   * it). Caches are opened only with these keys, which are in the fingerprint.
   */
  cacheKeys: Readonly<Record<string, unknown>>;
  /** Reads the durable catalog (opened briefly, read-only). */
  readCatalog<T>(work: (catalog: Catalog) => Promise<T>): Promise<T>;
  /**
   * Queues a durable update that lands in the same transaction that completes
   * this node; it gets the absolute Parquet paths of the tables just written.
   */
  onCommit(update: (connection: DuckDBConnection, outputs: Record<string, string>) => Promise<void>): void;
  /** Writes one of the node's declared output tables (once per table). */
  writeTable(table: string, rows: Iterable<Row>): Promise<number>;
  /** Writes an output table from a query on the scratch DuckDB (bulk: joins of Parquet files). */
  writeTableFromQuery(table: string, sql: string): Promise<number>;
  /** Writes an output table given as columns of `rowCount` values each (bulk: per-photo tables at archive scale, no row objects). */
  writeTableColumns(table: string, columns: Columns, rowCount: number): Promise<number>;
  /** Records a failure on one item (one photo) and lets the node go on. */
  itemError(item: string, message: string): void;
  progress: ProgressHandle;
  log(message: string): void;
  signal: AbortSignal;
}

export interface ProgressHandle {
  total(count: number): void;
  advance(count?: number): void;
}

export interface InputFingerprint<Prepared> {
  fingerprint: string;
  prepared: Prepared;
}

export interface NodeType<Schema extends z.ZodType = z.ZodType, Prepared = unknown> {
  name: string;
  /** Bump only when the output for the same inputs changes. */
  version: string;
  description: string;
  params: Schema;
  /**
   * Parameters that change how the work is done but never its result (worker
   * counts): left out of the fingerprint, so changing them reuses outputs.
   */
  executionParams?: string[];
  /** Table names read from upstream nodes. */
  inputs: string[];
  /** Tables read when some upstream writes them (ctx.inputs lacks them otherwise). */
  optionalInputs?: string[];
  outputs: Record<string, TableSchema>;
  /**
   * Fingerprint of data the node reads from outside the pipeline (the file
   * system, the durable catalog). Root nodes need it for reuse to be correct.
   */
  inputFingerprint?(ctx: Omit<NodeContext<z.output<Schema>, undefined>, 'prepared' | 'cacheKeys' | 'writeTable' | 'writeTableFromQuery' | 'writeTableColumns' | 'onCommit' | 'itemError'>): Promise<InputFingerprint<Prepared>>;
  /**
   * Cache name -> everything that changes that cache's content (code and model
   * versions, the params that matter). The engine hashes it into the
   * fingerprint and hands it to `run` as `ctx.cacheKeys`; a node opens its
   * caches only with those keys, so a cache can never be newer than the
   * fingerprint that lets its output be reused.
   */
  cacheKeys?(params: z.output<Schema>): Record<string, unknown>;
  /** Does the work; returns metadata shown by `mnemo show` (counts, shares). */
  run(ctx: NodeContext<z.output<Schema>, Prepared>): Promise<Record<string, unknown> | void>;
}

/** Identity helper that keeps the params type attached to the declaration. */
export function defineNode<Schema extends z.ZodType, Prepared = undefined>(node: NodeType<Schema, Prepared>): NodeType<Schema, Prepared> {
  return node;
}
