import type { Migration } from './migration.js'

/**
 * Tables of the cloud's serving and analytics paths, created with the telemetry schema so that every reader (the
 * dashboards, the lake's export, the live report) finds them on any stack, even before the first row.
 *
 * - `predictions`: one row per device, model mode and scoring round. `ts` is the simulated time of the round (the
 *   fleet's clock), so risk over time lines up with telemetry and ground truth; `scored_at` is wall time.
 * - `alerts`: one alert per device and mode while it is open; each change (risk update, resolve, ticket link) writes
 *   a new row with a later `updated_at` (simulated time) and the newest wins: read with FINAL.
 *   `top_features` is JSON: `[{"feature": "...", "value": 1.5, "contribution": 0.42}, ...]`.
 * - `product_events`: PostHog's event shape. Real browser events (posthog-js through the capture endpoint) and the
 *   business simulation's visitors land side by side, told apart by `source` ('real' | 'simulated'). posthog-js sends
 *   a uuid per event and may retry a batch: the uuid in the sorting key lets a merge drop the copy.
 */
export const m009: Migration = {
  version: 9,
  name: 'predictions, alerts and product events',
  statements: [
    `CREATE TABLE IF NOT EXISTS tapflow.predictions (
      ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3)),
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      account_id LowCardinality(String),
      model LowCardinality(String),
      version UInt32,
      mode LowCardinality(String),
      score Float32,
      features_hash UInt64,
      scored_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (device_id, mode, ts)`,
    `CREATE TABLE IF NOT EXISTS tapflow.alerts (
      alert_id String,
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      account_id LowCardinality(String),
      mode LowCardinality(String),
      model LowCardinality(String),
      version UInt32,
      risk Float32,
      threshold Float32,
      opened_at DateTime64(3, 'UTC'),
      expected_failure_at Nullable(DateTime64(3, 'UTC')),
      top_features String,
      status LowCardinality(String),
      resolved_at Nullable(DateTime64(3, 'UTC')),
      resolution LowCardinality(String) DEFAULT '',
      ticket_id String DEFAULT '',
      updated_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(updated_at)
    ORDER BY (device_id, alert_id)`,
    `CREATE TABLE IF NOT EXISTS tapflow.product_events (
      uuid String,
      event LowCardinality(String),
      distinct_id String,
      session_id String DEFAULT '',
      properties String CODEC(ZSTD(3)),
      timestamp DateTime64(3, 'UTC'),
      received_at DateTime64(3, 'UTC') DEFAULT now64(3),
      source LowCardinality(String)
    ) ENGINE = ReplacingMergeTree(received_at)
    PARTITION BY toYYYYMM(timestamp)
    ORDER BY (event, timestamp, uuid)`,
  ],
}
