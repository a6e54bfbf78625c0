// The gold labels, and what a run's tables say about the gold items only
// (a few thousand ids at most), so accuracy never loads a whole run.
import { readFacesGold, readPetsGold } from '../datasets/gold.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { quoteString } from '../datasets/schema.ts';
import type { Store } from '../datasets/store.ts';
import type { GoldSet, RunGoldView } from './accuracy.ts';
import type { RunTable } from './run-facts.ts';

export async function readGold(store: Store): Promise<GoldSet> {
  return store.read(async (catalog) => ({ faces: await readFacesGold(catalog), pets: await readPetsGold(catalog) }));
}

/** The listed ids as an SQL IN list; ids are compared as text. */
const inList = (ids: string[]) => (ids.length ? ids.map(quoteString).join(', ') : 'NULL');

export async function runGoldView(tables: Record<string, RunTable>, gold: GoldSet): Promise<RunGoldView> {
  const faceIds = inList(gold.faces.map((face) => face.face_id));
  const byFace = async <T>(table: string, select: string, group = '') => {
    if (!tables[table]) return null;
    const rows = await queryRows<{ face_id: string; value: T }>(`SELECT face_id, ${select} AS value FROM ${parquetSource(tables[table]!.path)} WHERE face_id IN (${faceIds}) ${group}`);
    return new Map(rows.map((row) => [row.face_id, row.value]));
  };
  let pets: Map<string, string> | null = null;
  if (tables.pets) {
    const rows = await queryRows<{ pet_id: string; label: string }>(
      `SELECT pet_id, lower(label) AS label FROM ${parquetSource(tables.pets.path)} WHERE pet_id IN (${inList(gold.pets.map((pet) => pet.pet_id))})`,
    );
    pets = new Map(rows.map((row) => [row.pet_id, row.label]));
  }
  return {
    accepted: await byFace<boolean>('faces', 'bool_or(NOT coalesce(rejected, false))', 'GROUP BY face_id'),
    person: await byFace<number | null>('person_assignment', 'person_id'),
    cluster: await byFace<number | null>('clusters', 'cluster_id'),
    pets,
  };
}
