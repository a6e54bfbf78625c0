// A run's counts, each one SQL aggregate over the run's Parquet tables (the
// same numbers `mnemo sql` gives over run<ID>.<table>). A table the run does
// not have gives null counts, never zeros.
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import type { Count } from './report-schema.ts';
import type { RunFacts } from './run-facts.ts';

interface CountQuery {
  table: string;
  /** One SELECT list of aggregates; each alias is a count key. */
  select: string;
  titles: Record<string, string>;
}

const COUNT_QUERIES: CountQuery[] = [
  {
    table: 'files',
    select: "count(*) FILTER (WHERE status IS DISTINCT FROM 'deleted') AS files, count(*) FILTER (WHERE status = 'deleted') AS deleted_files",
    titles: { files: 'files', deleted_files: 'deleted files' },
  },
  {
    table: 'faces',
    select: 'count(*) AS faces, count(*) FILTER (WHERE coalesce(rejected, false)) AS rejected_faces',
    titles: { faces: 'faces detected', rejected_faces: 'faces rejected' },
  },
  {
    table: 'clusters',
    select: 'count(DISTINCT cluster_id) FILTER (WHERE cluster_id >= 0) AS clusters, count(*) FILTER (WHERE cluster_id < 0) AS noise_faces',
    titles: { clusters: 'clusters', noise_faces: 'faces in no cluster' },
  },
  {
    table: 'person_assignment',
    select: 'count(DISTINCT person_id) AS persons, avg(stranger::INTEGER) AS strangers_share, count(*) FILTER (WHERE person_id IS NULL) AS unassigned_faces',
    titles: { persons: 'persons with faces', strangers_share: 'strangers share', unassigned_faces: 'faces with no person' },
  },
  {
    table: 'near_duplicates',
    select: 'count(DISTINCT group_id) AS near_duplicate_groups',
    titles: { near_duplicate_groups: 'near-duplicate groups' },
  },
];

/** Pet kinds always listed, so "no dogs" reads 0 rather than missing. */
const PET_KINDS = ['cat', 'dog'];

export async function runCounts(facts: RunFacts): Promise<Count[]> {
  const counts: Count[] = [];
  for (const query of COUNT_QUERIES) {
    const table = facts.tables[query.table];
    const [row] = table ? await queryRows<Record<string, number | null>>(`SELECT ${query.select} FROM ${parquetSource(table.path)}`) : [undefined];
    for (const [key, title] of Object.entries(query.titles)) counts.push({ key, node: table?.node ?? null, title, value: row ? numberOrNull(row[key]) : null });
    if (query.table === 'faces') counts.push(...(await petCounts(facts)));
  }
  for (const node of facts.nodes) counts.push({ key: `errors.${node.node}`, node: node.node, title: `item errors in ${node.node}`, value: node.errors });
  return counts;
}

async function petCounts(facts: RunFacts): Promise<Count[]> {
  const table = facts.tables.pets;
  if (!table) return PET_KINDS.map((kind) => ({ key: `pets.${kind}`, node: null, title: `pets: ${kind}`, value: null }));
  const rows = await queryRows<{ kind: string; n: number }>(`SELECT coalesce(lower(label), 'unknown') AS kind, count(*) AS n FROM ${parquetSource(table.path)} GROUP BY 1 ORDER BY 1`);
  const byKind = new Map(PET_KINDS.map((kind) => [kind, 0]));
  for (const row of rows) byKind.set(row.kind, Number(row.n));
  return [...byKind].map(([kind, n]) => ({ key: `pets.${kind}`, node: table.node, title: `pets: ${kind}`, value: n }));
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
