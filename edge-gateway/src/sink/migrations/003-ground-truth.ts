import type { Migration } from './migration.js'

export const m003: Migration = {
  version: 3,
  name: 'ground truth',
  statements: [
    // One row per injected fault; a later record with the same record_id (e.g. cleared) replaces it: read with FINAL.
    `CREATE TABLE IF NOT EXISTS tapflow.ground_truth (
      record_id String,
      device_id LowCardinality(String),
      recorded_at DateTime64(3, 'UTC'),
      venue_id LowCardinality(String),
      mode LowCardinality(String),
      onset_ts DateTime64(3, 'UTC'),
      failure_ts DateTime64(3, 'UTC'),
      parameters String,
      source LowCardinality(String),
      cleared_at Nullable(DateTime64(3, 'UTC')),
      received_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(recorded_at)
    ORDER BY (device_id, mode, record_id)`,
  ],
}
