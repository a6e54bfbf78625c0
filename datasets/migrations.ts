// Numbered, append-only migrations of the durable catalog. Never edit a
// migration that has shipped: add the next number.
import type { DuckDBConnection } from '@duckdb/node-api';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** A step SQL text cannot say (it depends on what the catalog holds), run after `sql` in the same transaction. */
  apply?: (connection: DuckDBConnection) => Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'run registry, errors, file registry, hash cache',
    sql: `
      CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
      CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status VARCHAR NOT NULL,            -- running | succeeded | failed (a dead 'running' run reads as interrupted)
        spec JSON NOT NULL,                 -- the resolved pipeline spec
        config_path VARCHAR,
        pid INTEGER,
        message VARCHAR,
        tags JSON
      );
      CREATE TABLE run_nodes (
        run_id INTEGER NOT NULL,
        node VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        status VARCHAR NOT NULL,            -- pending | done | reused | failed | skipped
        fingerprint VARCHAR NOT NULL,
        reused_from INTEGER,                -- run whose output this node reused
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        duration_ms DOUBLE,
        rows_written BIGINT,
        error_count INTEGER,
        outputs JSON,                       -- table name -> Parquet path relative to the data dir
        metadata JSON,                      -- what the node reported about itself
        message VARCHAR,
        PRIMARY KEY (run_id, node)
      );
      CREATE TABLE errors (run_id INTEGER NOT NULL, node VARCHAR NOT NULL, item VARCHAR, message VARCHAR NOT NULL, logged_at TIMESTAMP NOT NULL);
      CREATE TABLE file_registry (
        file_id VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        size BIGINT,
        mtime TIMESTAMP,
        status VARCHAR NOT NULL,            -- active | deleted
        first_seen_run INTEGER NOT NULL,
        last_seen_run INTEGER NOT NULL,
        deleted_at TIMESTAMP
      );
      CREATE TABLE hash_cache (
        source VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        mtime_ms DOUBLE NOT NULL,
        sha256 VARCHAR NOT NULL,
        PRIMARY KEY (source, path)
      );
    `,
  },
  {
    version: 2,
    description: 'file_events: the life of each file (added, deleted, restored, purged)',
    // source and path are kept on every event so history stays readable after gc purges the registry row.
    // Existing registry rows are backfilled: 'added' at their first run, 'deleted' at deleted_at.
    sql: `
      CREATE TABLE file_events (
        file_id VARCHAR NOT NULL,
        event VARCHAR NOT NULL,             -- added | deleted | restored | purged
        run_id INTEGER,                     -- the run that saw it; NULL for mnemo gc
        event_at TIMESTAMP NOT NULL,        -- not 'at': a reserved word in DuckDB, unusable unquoted
        source VARCHAR,
        path VARCHAR,
        detail VARCHAR                      -- e.g. 'missing', 'moved to _delete/2019/a.jpg'
      );
      INSERT INTO file_events
        SELECT r.file_id, 'added', r.first_seen_run, coalesce(runs.started_at, now()), r.source, r.path, 'backfilled by migration 2'
        FROM file_registry r LEFT JOIN runs ON runs.run_id = r.first_seen_run;
      INSERT INTO file_events
        SELECT file_id, 'deleted', last_seen_run, coalesce(deleted_at, now()), source, path, 'backfilled by migration 2'
        FROM file_registry WHERE status = 'deleted';
    `,
  },
  {
    version: 3,
    description: 'people: persons, person_events, the append-only assignments journal and its batches; faces_gold, pets_gold',
    // Human decisions refer to face_ids, never to runs. assignments is never updated:
    // the newest effective row per face wins, and an undo appends rows whose `undoes`
    // retracts an earlier row (datasets/persons.ts folds the journal).
    sql: `
      CREATE TABLE persons (
        person_id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        notes VARCHAR,
        created_at TIMESTAMP NOT NULL,
        hidden BOOLEAN NOT NULL,
        merged_into INTEGER                 -- set while merged into another person (then also hidden)
      );
      CREATE TABLE journal_batches (
        batch_id BIGINT PRIMARY KEY,
        action VARCHAR NOT NULL,            -- create | rename | hide | show | merge | assign | undo
        author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        summary VARCHAR,
        undoes_batch BIGINT                 -- for action 'undo': the batch it reverts
      );
      CREATE TABLE person_events (
        event_id BIGINT PRIMARY KEY,
        batch_id BIGINT NOT NULL,
        person_id INTEGER NOT NULL,
        event VARCHAR NOT NULL,             -- created | renamed | hidden | shown | merged | unmerged
        old_value VARCHAR,
        new_value VARCHAR,
        other_person_id INTEGER,            -- merged / unmerged: the person merged into
        undoes BIGINT,                      -- the event this one reverts
        author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
      );
      CREATE TABLE assignments (
        assignment_id BIGINT PRIMARY KEY,
        face_id VARCHAR NOT NULL,
        target VARCHAR NOT NULL,            -- person id as text | stranger | not_a_face | not:<person id>
        source VARCHAR NOT NULL,            -- manual | import
        author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        undoes BIGINT,                      -- retracts that assignment row (target repeats its target)
        batch_id BIGINT NOT NULL
      );
      CREATE TABLE faces_gold (
        face_id VARCHAR PRIMARY KEY,
        person_name VARCHAR,                -- NULL: a face of nobody named (counts as its own person)
        is_face BOOLEAN NOT NULL,
        verified_at TIMESTAMP NOT NULL
      );
      CREATE TABLE pets_gold (
        pet_id VARCHAR PRIMARY KEY,
        correct BOOLEAN NOT NULL,
        label VARCHAR,
        verified_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: 'assignments_archive: journal rows of faces purged by mnemo gc',
    // Before this migration gc created the table itself (CREATE TABLE AS from
    // assignments, the same columns without constraints), so it may exist.
    sql: `
      CREATE TABLE IF NOT EXISTS assignments_archive (
        assignment_id BIGINT NOT NULL,
        face_id VARCHAR NOT NULL,
        target VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        undoes BIGINT,
        batch_id BIGINT NOT NULL,
        archived_at TIMESTAMP,
        archived_reason VARCHAR             -- e.g. 'photo purged by mnemo gc'
      );
    `,
  },
  {
    version: 5,
    description: 'duplicate_decisions and duplicate_moves: the keeper a person chose per duplicate group, and the files moved into _delete',
    sql: `
      CREATE TABLE duplicate_decisions (
        group_key VARCHAR PRIMARY KEY,      -- exact:<sha256> | near:<sha256 of the members' sorted sha256s>: the same group in every run
        kind VARCHAR NOT NULL,              -- exact | near
        keeper_file_id VARCHAR NOT NULL,    -- file_id is stable across runs (source + path)
        keeper_sha256 VARCHAR NOT NULL,
        members INTEGER NOT NULL,
        decided_at TIMESTAMP NOT NULL,
        author VARCHAR NOT NULL
      );
      CREATE TABLE duplicate_moves (
        file_id VARCHAR NOT NULL,
        group_key VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        from_path VARCHAR NOT NULL,         -- relative to the source folder
        to_path VARCHAR NOT NULL,           -- inside <source>/_delete/
        sha256 VARCHAR,
        moved_at TIMESTAMP NOT NULL,
        author VARCHAR NOT NULL
      );
    `,
  },
  {
    version: 6,
    description: 'run<ID> views are no longer stored (each open of the catalog loaded them all): SQL sessions build them from run_nodes',
    sql: '',
    apply: async (connection) => {
      const reader = await connection.runAndReadAll(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND regexp_full_match(schema_name, 'run[0-9]+')",
      );
      for (const { schema_name: schema } of reader.getRowObjectsJS() as { schema_name: string }[]) {
        await connection.run(`DROP SCHEMA "${schema}" CASCADE`);
      }
    },
  },
];
