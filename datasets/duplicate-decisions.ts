// The keeper a person chose for each duplicate group, and the non-keepers the
// workbench moved into `_delete` (migration 5). A group is keyed by its
// members' content, not by a run's group number, so a decision holds across
// runs: `exact:<sha256>` for identical files, `near:<sha256 of the sorted
// member sha256s>` for near-duplicates (a new member makes a new group, which
// is asked about again: it may be the better keeper).
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog.ts';

export type DuplicateKind = 'exact' | 'near';

export interface DuplicateDecision {
  groupKey: string;
  kind: DuplicateKind;
  keeperFileId: string;
  keeperSha256: string;
  members: number;
  decidedAt: Date;
  author: string;
}

export interface DuplicateMove {
  fileId: string;
  groupKey: string;
  source: string;
  fromPath: string;
  toPath: string;
  sha256: string | null;
  movedAt: Date;
  author: string;
}

export function exactGroupKey(sha256: string): string {
  return `exact:${sha256}`;
}

export function nearGroupKey(memberSha256s: readonly string[]): string {
  return `near:${createHash('sha256').update([...memberSha256s].sort().join('\n')).digest('hex')}`;
}

interface DecisionRow {
  group_key: string;
  kind: DuplicateKind;
  keeper_file_id: string;
  keeper_sha256: string;
  members: number;
  decided_at: Date;
  author: string;
}

/** A catalog opened read-only before migration 5 has neither table yet: nothing decided, nothing moved. */
async function haveTables(catalog: Catalog): Promise<boolean> {
  const [row] = await catalog.rows<{ n: number }>("SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN ('duplicate_decisions', 'duplicate_moves')");
  return row?.n === 2;
}

export async function readDuplicateDecisions(catalog: Catalog): Promise<Map<string, DuplicateDecision>> {
  if (!(await haveTables(catalog))) return new Map();
  const rows = await catalog.rows<DecisionRow>('SELECT * FROM duplicate_decisions');
  return new Map(rows.map((row) => [row.group_key, { groupKey: row.group_key, kind: row.kind, keeperFileId: row.keeper_file_id, keeperSha256: row.keeper_sha256, members: Number(row.members), decidedAt: row.decided_at, author: row.author }]));
}

/** Records (or replaces) the decision of one group, in one transaction. */
export async function writeDuplicateDecision(catalog: Catalog, decision: Omit<DuplicateDecision, 'decidedAt'>): Promise<void> {
  await catalog.transaction(async (connection) => {
    await connection.run('DELETE FROM duplicate_decisions WHERE group_key = $1', [decision.groupKey]);
    await connection.run('INSERT INTO duplicate_decisions VALUES ($1, $2, $3, $4, $5, now(), $6)', [
      decision.groupKey, decision.kind, decision.keeperFileId, decision.keeperSha256, decision.members, decision.author,
    ]);
  });
}

interface MoveRow {
  file_id: string;
  group_key: string;
  source: string;
  from_path: string;
  to_path: string;
  sha256: string | null;
  moved_at: Date;
  author: string;
}

export async function readDuplicateMoves(catalog: Catalog): Promise<DuplicateMove[]> {
  if (!(await haveTables(catalog))) return [];
  const rows = await catalog.rows<MoveRow>('SELECT * FROM duplicate_moves ORDER BY moved_at, source, from_path');
  return rows.map((row) => ({ fileId: row.file_id, groupKey: row.group_key, source: row.source, fromPath: row.from_path, toPath: row.to_path, sha256: row.sha256, movedAt: row.moved_at, author: row.author }));
}

export async function recordDuplicateMove(catalog: Catalog, move: Omit<DuplicateMove, 'movedAt'>): Promise<void> {
  await catalog.transaction(async (connection) => {
    await connection.run('INSERT INTO duplicate_moves VALUES ($1, $2, $3, $4, $5, $6, now(), $7)', [move.fileId, move.groupKey, move.source, move.fromPath, move.toPath, move.sha256, move.author]);
  });
}
