// A run's tables by name in SQL: `run<ID>.<table>` and `run<ID>.errors`.
//
// They are not stored in the catalog. DuckDB loads every stored view each time
// the file opens, and a run names about 20 tables, so a year of daily runs made
// every open (every decision saved in the workbench, every unit of a run's
// work) about a quarter of a second slower (`npm run bench -- catalog`).
// Instead, the places that name a run build its views from run_nodes.outputs
// when they need them: read-only SQL sessions (`mnemo sql`, notebooks, the
// workbench's SQL) in their own in-memory database, and the app's queries over
// the catalog through `runTables`, which reads the Parquet files directly.
// `latest.*` stays stored: one set of views whatever the number of runs.
import { dirname, isAbsolute, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Catalog } from './catalog.ts';
import { runOutputs } from './run-registry.ts';
import { quoteIdent, quoteString } from './schema.ts';

/** A schema name that means a numbered run, as written in SQL (`run12`, not `run012`). */
export function runIdOfSchema(name: string): number | null {
  const match = /^run([1-9][0-9]*)$/i.exec(name);
  return match && Number.isSafeInteger(Number(match[1])) ? Number(match[1]) : null;
}

export interface ViewDefinition {
  schema_name: string;
  view_name: string;
  sql: string;
}

/**
 * The views of run `runId` in `schema`: one per table it completed
 * (`outputs`: table -> Parquet path in the data folder, or absolute) and
 * `errors`, which reads the durable `main.errors` rows of that run.
 */
export function runViewDefinitions(runId: number, outputs: Record<string, string>, dataDir: string, schema = `run${runId}`): ViewDefinition[] {
  const views = new Map<string, string>();
  for (const [table, path] of Object.entries(outputs)) {
    views.set(table, `SELECT * FROM read_parquet(${quoteString(isAbsolute(path) ? path : join(dataDir, path))})`);
  }
  views.set('errors', `SELECT * FROM main.errors WHERE run_id = ${runId}`);
  return [...views].map(([view, select]) => ({ schema_name: schema, view_name: view, sql: `CREATE VIEW ${quoteIdent(schema)}.${quoteIdent(view)} AS ${select}` }));
}

/**
 * The view definitions of these runs (`run<ID>`) and of `latest` when asked,
 * read from a catalog attached as `database` on `connection`, with paths in
 * `dataDir` (wherever the folder was when the runs were made). A run that does
 * not exist gets none, so naming it fails as an unknown schema.
 */
export async function storedRunsViewDefinitions(
  connection: DuckDBConnection, database: string, runIds: readonly number[], dataDir: string, options: { latest?: boolean } = {},
): Promise<ViewDefinition[]> {
  const db = quoteIdent(database);
  let latest: number | null = null;
  if (options.latest) {
    const rows = (await connection.runAndReadAll(`SELECT value::INTEGER AS run_id FROM ${db}.main.meta WHERE key = 'latest_run'`)).getRowObjectsJS() as { run_id: number }[];
    latest = rows[0]?.run_id ?? null;
  }
  const wanted = [...new Set([...runIds, ...(latest === null ? [] : [latest])])];
  if (wanted.length === 0) return [];
  const reader = await connection.runAndReadAll(
    `SELECT r.run_id, n.outputs FROM ${db}.main.runs r
       LEFT JOIN ${db}.main.run_nodes n ON n.run_id = r.run_id AND n.status IN ('done', 'reused')
     WHERE r.run_id IN (${wanted.map(Number).join(', ')}) ORDER BY r.run_id, n.node`,
  );
  const outputsOfRun = new Map<number, Record<string, string>>();
  for (const row of reader.getRowObjectsJS() as { run_id: number; outputs: string | null }[]) {
    const outputs = outputsOfRun.get(row.run_id) ?? {};
    Object.assign(outputs, JSON.parse(row.outputs ?? '{}'));
    outputsOfRun.set(row.run_id, outputs);
  }
  return [
    ...[...outputsOfRun].filter(([runId]) => runIds.includes(runId)).flatMap(([runId, outputs]) => runViewDefinitions(runId, outputs, dataDir)),
    ...(latest !== null && outputsOfRun.has(latest) ? runViewDefinitions(latest, outputsOfRun.get(latest)!, dataDir, 'latest') : []),
  ];
}

/** How SQL over the catalog reads a run's tables. */
export interface RunTables {
  /** Whether the run has every one of these tables (a run may lack nodes). */
  has(tables: readonly string[]): boolean;
  /** What goes after FROM or JOIN to read the table (give it an alias when columns are qualified). */
  from(table: string): string;
}

/** The stored `latest.*` views (whether a table exists is asked with hasRunViews). */
export const LATEST_TABLES: Pick<RunTables, 'from'> = { from: (table) => `latest.${quoteIdent(table)}` };

/** `latest` reads the stored `latest.*` views; a numbered run reads its Parquet files. */
export async function runTables(catalog: Catalog, ref: 'latest' | number): Promise<RunTables> {
  if (ref === 'latest') {
    const rows = await catalog.rows<{ view_name: string }>("SELECT DISTINCT view_name FROM duckdb_views() WHERE schema_name = 'latest'");
    const names = new Set(rows.map((row) => row.view_name));
    return { has: (tables) => tables.every((table) => names.has(table)), from: LATEST_TABLES.from };
  }
  const dataDir = dirname(catalog.path);
  const outputs = await runOutputs(catalog, ref);
  return {
    has: (tables) => tables.every((table) => table in outputs),
    from: (table) => {
      const path = outputs[table];
      if (path === undefined) throw new Error(`run ${ref} has no table ${table}`);
      return `read_parquet(${quoteString(isAbsolute(path) ? path : join(dataDir, path))})`;
    },
  };
}
