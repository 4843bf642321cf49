import type { Database } from '../../business/db/database.js'

/**
 * The registry's own schema, apart from the business's tables. Idempotent: every statement is IF NOT EXISTS, and an
 * advisory lock serialises two trainers starting at once. Append new statements; never edit these.
 */
const SQL = `
CREATE SCHEMA IF NOT EXISTS mlops;
CREATE TABLE IF NOT EXISTS mlops.registered_models (
  name        text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS mlops.model_versions (
  name          text NOT NULL REFERENCES mlops.registered_models (name),
  version       int  NOT NULL CHECK (version > 0),
  metrics       jsonb NOT NULL,
  params        jsonb NOT NULL,
  artifact_dir  text NOT NULL,
  -- file name → sha256 (hex), for every file registered with the version
  artifacts     jsonb NOT NULL,
  feature_views jsonb NOT NULL,
  window_from   timestamptz NOT NULL,
  window_to     timestamptz NOT NULL,
  data_source   text NOT NULL,
  code_version  text NOT NULL,
  report_path   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS mlops.model_aliases (
  name       text NOT NULL,
  alias      text NOT NULL,
  version    int  NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES mlops.model_versions (name, version)
);
`

// Arbitrary constant, distinct from the business migrations' lock.
const LOCK_KEY = 727_014

export async function migrateRegistry(db: Database): Promise<void> {
  await db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
    await c.query(SQL)
  })
}
