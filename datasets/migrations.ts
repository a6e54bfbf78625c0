// Numbered, append-only migrations of the durable catalog. Never edit a
// migration that has shipped: add the next number.
export interface Migration {
  version: number;
  description: string;
  sql: string;
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
];
