import type { Migration } from './migration.js'

export const m004: Migration = {
  version: 4,
  name: 'seq gaps and cellar chillers',
  statements: [
    // One row per state of a gap (as first detected); a late frame adds a row with a higher `filled`.
    `CREATE TABLE IF NOT EXISTS tapflow.gaps (
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      from_seq UInt64,
      to_seq UInt64,
      missing UInt64,
      filled UInt64,
      state LowCardinality(String),
      detected_at DateTime64(3, 'UTC'),
      updated_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree
    ORDER BY (device_id, from_seq, to_seq, filled)`,
    `CREATE VIEW IF NOT EXISTS tapflow.gaps_current AS
      SELECT device_id, any(venue_id) AS venue_id, from_seq, to_seq, min(detected_at) AS detected_at,
             argMax(missing, filled) AS missing, if(missing = 0, 'closed', 'open') AS state,
             if(missing = 0, max(updated_at), NULL) AS closed_at
      FROM tapflow.gaps GROUP BY device_id, from_seq, to_seq`,
    `CREATE TABLE IF NOT EXISTS tapflow.chiller (
      venue_id LowCardinality(String),
      chiller_id LowCardinality(String),
      ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
      metric LowCardinality(String),
      value Float64 CODEC(Gorilla, ZSTD),
      quality LowCardinality(String),
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD)
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (chiller_id, metric, ts)`,
  ],
}
