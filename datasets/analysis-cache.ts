// A per-photo result cache keyed by content (SHA-256) and by everything that
// changes the result (analyzer version, models, parameters). Results are
// appended in Parquet parts, each written atomically, so a killed run keeps
// every part it flushed and a resumed or later run only computes what is
// missing. A photo with no results (no faces) is stored as one row whose
// result columns are null, so "analysed, nothing found" is remembered too.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical-json.ts';
import { queryRows, writeParquetColumns, type Columns } from './parquet.ts';
import { quoteString, type TableSchema } from './schema.ts';

export class AnalysisCache {
  readonly dir: string;
  private readonly pending: { sha256: string; columns: Columns; count: number }[] = [];
  private pendingRows = 0;
  private part = 0;

  /** `key` is everything that changes the output; its hash names the cache folder. */
  /** `flushEvery`: photos per Parquet part (what a killed run can lose at most). */
  constructor(root: string, readonly name: string, key: unknown, readonly schema: TableSchema, private readonly flushEvery = 256) {
    if (!('sha256' in schema.columns)) throw new Error(`cache ${name}: the schema needs a sha256 column`);
    // Keys come from ctx.cacheKeys (so they are in the node's fingerprint): a missing one is a cache the node type did not declare.
    if (key === undefined) throw new Error(`cache ${name}: no key; declare it in the node type's cacheKeys`);
    const digest = createHash('sha256').update(canonicalJson(key)).digest('hex').slice(0, 16);
    this.dir = join(root, `${name}-${digest}`);
    mkdirSync(this.dir, { recursive: true });
    const keyFile = join(this.dir, 'key.json');
    if (!existsSync(keyFile)) writeFileSync(keyFile, `${JSON.stringify(key, null, 2)}\n`);
  }

  private parts(): string[] {
    return readdirSync(this.dir).filter((file) => file.endsWith('.parquet')).map((file) => join(this.dir, file));
  }

  /** SQL source over every flushed part (or an empty relation of the right shape). */
  source(): string {
    const parts = this.parts();
    if (parts.length === 0) return emptyRelation(this.schema);
    return `read_parquet([${parts.map(quoteString).join(', ')}])`;
  }

  /** The photos already analysed with this key. */
  async done(): Promise<Set<string>> {
    if (this.parts().length === 0) return new Set();
    const rows = await queryRows<{ sha256: string }>(`SELECT DISTINCT sha256 FROM ${this.source()}`);
    return new Set(rows.map((row) => row.sha256));
  }

  /**
   * Adds one photo's rows as columns (`count` rows; 0 rows becomes the
   * null-marker row). Returns true when enough is pending to flush.
   */
  add(sha256: string, columns: Columns, count: number): boolean {
    this.pending.push({ sha256, columns, count });
    this.pendingRows += Math.max(count, 1);
    return this.pendingRows >= 2000 || this.pending.length >= this.flushEvery;
  }

  get pendingPhotos(): number {
    return this.pending.length;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    const total = this.pendingRows;
    this.pendingRows = 0;
    const merged: Record<string, unknown[] | Float32Array> = {};
    for (const [name, type] of Object.entries(this.schema.columns)) {
      const width = /^FLOAT\[(\d+)\]$/.exec(type)?.[1];
      if (width) {
        const packed = new Float32Array(total * Number(width));
        let offset = 0;
        for (const photo of batch) {
          const values = photo.count > 0 ? (photo.columns[name] as Float32Array) : new Float32Array(Number(width)).fill(Number.NaN);
          packed.set(values, offset);
          offset += Math.max(photo.count, 1) * Number(width);
        }
        merged[name] = packed;
      } else {
        const values: unknown[] = [];
        for (const photo of batch) {
          if (name === 'sha256') for (let i = 0; i < Math.max(photo.count, 1); i++) values.push(photo.sha256);
          else if (photo.count === 0) values.push(null);
          else values.push(...(photo.columns[name] as readonly unknown[]));
        }
        merged[name] = values;
      }
    }
    const file = join(this.dir, `part-${Date.now().toString(36)}-${process.pid}-${this.part++}.parquet`);
    await writeParquetColumns(file, this.schema, merged, total);
  }
}

/** A relation with the schema's columns and no rows. */
export function emptyRelation(schema: TableSchema): string {
  const columns = Object.entries(schema.columns).map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ');
  return `(SELECT ${columns} WHERE false)`;
}
