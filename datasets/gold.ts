// Verified labels ("gold") that runs are measured against, durable in the
// catalog (migration 3) and imported from CSV. A face's gold says who it is
// (person_name; empty = nobody named, a person of their own) and whether it
// is a face at all; a pet's gold says whether the detection is right and,
// optionally, the right label. Re-importing a face_id / pet_id replaces it.
//
//   faces CSV: face_id, person_name, is_face, verified_at   (only face_id required; is_face defaults to true)
//   pets CSV:  pet_id, correct, label, verified_at          (pet_id and correct required)
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Catalog } from './catalog.ts';
import { quoteIdent, quoteString } from './schema.ts';
import type { Store } from './store.ts';

export class GoldError extends Error {
  override name = 'GoldError';
}

export interface FaceGold {
  face_id: string;
  person_name: string | null;
  is_face: boolean;
}

export interface PetGold {
  pet_id: string;
  correct: boolean;
  label: string | null;
}

const TRUE_WORDS = ['true', 't', '1', 'yes', 'y'];
const FALSE_WORDS = ['false', 'f', '0', 'no', 'n'];

/** SQL for a CSV text column as BOOLEAN: NULL when empty, 'invalid' rows are caught before inserting. */
function booleanSql(column: string, fallback: string): string {
  const word = `lower(trim(${column}))`;
  return `CASE WHEN ${column} IS NULL OR trim(${column}) = '' THEN ${fallback}
    WHEN ${word} IN (${TRUE_WORDS.map(quoteString).join(', ')}) THEN true
    WHEN ${word} IN (${FALSE_WORDS.map(quoteString).join(', ')}) THEN false END`;
}

interface ImportSpec {
  table: 'faces_gold' | 'pets_gold';
  key: string;
  required: string[];
  optional: string[];
  /** SELECT list over the CSV's columns (all text), producing the table's columns in order. */
  select: (has: (column: string) => boolean) => string;
  /** Columns that must not come out NULL (a bad boolean). */
  checked: string[];
}

const FACES: ImportSpec = {
  table: 'faces_gold',
  key: 'face_id',
  required: ['face_id'],
  optional: ['person_name', 'is_face', 'verified_at'],
  select: (has) => [
    'trim(face_id) AS face_id',
    has('person_name') ? "nullif(trim(person_name), '') AS person_name" : 'NULL::VARCHAR AS person_name',
    `${has('is_face') ? booleanSql('is_face', 'true') : 'true'} AS is_face`,
    `${has('verified_at') ? 'coalesce(try_cast(verified_at AS TIMESTAMP), now()::TIMESTAMP)' : 'now()::TIMESTAMP'} AS verified_at`,
  ].join(', '),
  checked: ['is_face'],
};

const PETS: ImportSpec = {
  table: 'pets_gold',
  key: 'pet_id',
  required: ['pet_id', 'correct'],
  optional: ['label', 'verified_at'],
  select: (has) => [
    'trim(pet_id) AS pet_id',
    `${booleanSql('correct', 'NULL')} AS correct`,
    has('label') ? "nullif(lower(trim(label)), '') AS label" : 'NULL::VARCHAR AS label',
    `${has('verified_at') ? 'coalesce(try_cast(verified_at AS TIMESTAMP), now()::TIMESTAMP)' : 'now()::TIMESTAMP'} AS verified_at`,
  ].join(', '),
  checked: ['correct'],
};

export function importFacesGold(store: Store, csvPath: string): Promise<{ rows: number; total: number }> {
  return importCsv(store, csvPath, FACES);
}

export function importPetsGold(store: Store, csvPath: string): Promise<{ rows: number; total: number }> {
  return importCsv(store, csvPath, PETS);
}

/** Reads the CSV with DuckDB, validates it whole, and upserts it in one transaction. */
async function importCsv(store: Store, csvPath: string, spec: ImportSpec): Promise<{ rows: number; total: number }> {
  const path = resolve(csvPath);
  if (!existsSync(path)) throw new GoldError(`no such file: ${path}`);
  const csv = `read_csv(${quoteString(path)}, header = true, all_varchar = true)`;
  return store.write((catalog) =>
    catalog.transaction(async (connection) => {
      const columns = (await catalog.rows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${csv}`)).map((row) => row.column_name.trim().toLowerCase());
      const missing = spec.required.filter((column) => !columns.includes(column));
      if (missing.length) throw new GoldError(`${csvPath}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${[...spec.required, ...spec.optional].join(', ')})`);
      const unknown = columns.filter((column) => ![...spec.required, ...spec.optional].includes(column));
      if (unknown.length) throw new GoldError(`${csvPath}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (expected ${[...spec.required, ...spec.optional].join(', ')})`);
      // Line numbers count the header as line 1; a later line for the same key wins.
      const staged = `(SELECT ${spec.select((column) => columns.includes(column))}, line FROM (SELECT *, row_number() OVER () + 1 AS line FROM ${csv}))`;
      const bad = await catalog.rows<{ line: number; key: string | null }>(
        `SELECT line, ${quoteIdent(spec.key)} AS key FROM ${staged} WHERE ${[spec.key, ...spec.checked].map((c) => `${quoteIdent(c)} IS NULL OR ${quoteIdent(c)}::VARCHAR = ''`).join(' OR ')} ORDER BY line LIMIT 5`,
      );
      if (bad.length) {
        const words = `${TRUE_WORDS.join('/')} or ${FALSE_WORDS.join('/')}`;
        throw new GoldError(`${csvPath}: line${bad.length > 1 ? 's' : ''} ${bad.map((row) => row.line).join(', ')}: needs a ${spec.key} and ${spec.checked.join(', ')} as ${words}`);
      }
      const [{ total }] = (await catalog.rows<{ total: number }>(`SELECT count(*) AS total FROM ${staged}`)) as [{ total: number }];
      const reader = await connection.runAndReadAll(
        `INSERT OR REPLACE INTO ${spec.table} SELECT * EXCLUDE (line) FROM ${staged} QUALIFY row_number() OVER (PARTITION BY ${quoteIdent(spec.key)} ORDER BY line DESC) = 1`,
      );
      return { rows: Number(reader.getRows()[0]?.[0] ?? 0), total };
    }),
  );
}

export async function readFacesGold(catalog: Catalog): Promise<FaceGold[]> {
  return catalog.rows<FaceGold>('SELECT face_id, person_name, is_face FROM faces_gold ORDER BY face_id');
}

export async function readPetsGold(catalog: Catalog): Promise<PetGold[]> {
  return catalog.rows<PetGold>('SELECT pet_id, correct, label FROM pets_gold ORDER BY pet_id');
}
