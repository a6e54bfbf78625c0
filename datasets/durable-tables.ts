// What each durable catalog table is for, who writes it and who reads it.
// The columns are not repeated here: docs/ARCHITECTURE.md takes them from a
// freshly migrated catalog (scripts/architecture-doc.ts), and
// test/architecture-doc.test.ts fails when a migration adds a table that is
// not declared here.

export interface DurableTable {
  /** One line: what a row is. */
  description: string;
  /** The file that writes the table (a path from the repository root). */
  owner: string;
  /** Who reads it, briefly (files or commands). */
  readBy: string[];
}

export const DURABLE_TABLES: Readonly<Record<string, DurableTable>> = {
  schema_migrations: {
    description: 'Each numbered migration applied to this catalog (datasets/migrations.ts), with when.',
    owner: 'datasets/catalog.ts',
    readBy: ['datasets/catalog.ts (which migrations are still to apply)'],
  },
  meta: {
    description: "Key-value facts about the catalog: 'latest_run' (what latest.* points at) and 'data_dir' (where the latest.* views point).",
    owner: 'datasets/store.ts',
    readBy: ['datasets/store.ts (moved data folder)', 'every lookup of `latest`'],
  },
  runs: {
    description: 'One row per run: start and finish, status, the resolved spec, pid, message, tags (sweeps).',
    owner: 'datasets/store.ts',
    readBy: ['dag/executor.ts (--resume)', 'mnemo runs / show', 'sweeps', 'mnemo sql'],
  },
  run_nodes: {
    description: 'Per run and node: type, version, status (done / reused / failed), fingerprint, reused_from, timings, rows, outputs (Parquet paths), metadata.',
    owner: 'datasets/store.ts',
    readBy: ['dag/executor.ts (reuse by fingerprint, --resume)', 'reports/metrics.ts', 'mnemo show / export'],
  },
  errors: {
    description: 'Item errors of a run: run_id, node, item, message, logged_at. One bad photo never stops a run.',
    owner: 'datasets/store.ts',
    readBy: ['mnemo show', 'the `run<ID>.errors` and `latest.errors` views'],
  },
  file_registry: {
    description: "Each file's life: source, path, size, mtime, active / deleted, first and last seen run, deleted_at; mnemo gc deletes purged rows.",
    owner: 'nodes/scan.ts',
    readBy: ['nodes/scan.ts (lifecycle, input fingerprint)', 'datasets/gc.ts'],
  },
  file_events: {
    description: 'Every added / deleted / restored / purged event of a file, with its run, time, source, path and detail.',
    owner: 'nodes/scan.ts',
    readBy: ['nodes/scan.ts (input fingerprint)', 'datasets/gc.ts (appends purged)', 'mnemo sql'],
  },
  hash_cache: {
    description: '(source, path) -> size, mtime, sha256: a file whose size and mtime are unchanged is never re-read.',
    owner: 'datasets/hash-cache.ts',
    readBy: ['nodes/hash.ts', 'nodes/import.ts', 'datasets/gc.ts (drops purged files)'],
  },
  persons: {
    description: 'The person directory: name, notes, created_at, hidden, merged_into.',
    owner: 'datasets/persons.ts',
    readBy: ['datasets/persons.ts (mnemo person)'],
  },
  journal_batches: {
    description: 'One row per human action (create, rename, hide, merge, assign, undo): author, time, summary; undo names the batch it reverts.',
    owner: 'datasets/persons.ts',
    readBy: ['datasets/persons.ts (undo, history)'],
  },
  person_events: {
    description: 'Every change to a person (created, renamed, hidden, shown, merged, unmerged), by batch; undo appends the inverse.',
    owner: 'datasets/persons.ts',
    readBy: ['datasets/persons.ts (undo, history)'],
  },
  assignments: {
    description: 'The append-only journal of human decisions per face_id (person id, stranger, not_a_face, `not:<person>`); the newest row per face wins.',
    owner: 'datasets/persons.ts',
    readBy: ['nodes/cluster.ts', 'nodes/assign.ts', 'reports/metrics.ts', 'datasets/gc.ts (moves purged faces out)'],
  },
  assignments_archive: {
    description: 'Journal rows of faces whose photos mnemo gc purged, with archived_at and archived_reason.',
    owner: 'datasets/gc.ts',
    readBy: ['mnemo sql'],
  },
  faces_gold: {
    description: 'Verified face labels imported from CSV: face_id, person_name, is_face, verified_at.',
    owner: 'datasets/gold.ts',
    readBy: ['reports/metrics.ts', 'mnemo sweep'],
  },
  pets_gold: {
    description: 'Verified pet detections imported from CSV: pet_id, correct, label, verified_at.',
    owner: 'datasets/gold.ts',
    readBy: ['reports/metrics.ts'],
  },
  duplicate_decisions: {
    description: 'The keeper a person confirmed or chose per duplicate group (exact or near), keyed by the content of the members so it holds across runs.',
    owner: 'datasets/duplicate-decisions.ts',
    readBy: ['app/duplicates.ts (the Duplicates view, the non-keepers export and move)'],
  },
  duplicate_moves: {
    description: 'Each non-keeper the workbench moved into a `_delete` folder of its source: from and to path, content, when, by whom.',
    owner: 'datasets/duplicate-decisions.ts',
    readBy: ['app/duplicates.ts (files shown as moved until the next scan records them)', 'mnemo sql'],
  },
};
