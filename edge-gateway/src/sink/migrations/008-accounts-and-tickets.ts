import type { Migration } from './migration.js'

export const m008: Migration = {
  version: 8,
  name: 'accounts and tickets',
  statements: [
    // One company: every venue and tap belongs to a business account; decommissioned taps stay, marked.
    `ALTER TABLE tapflow.venues ADD COLUMN IF NOT EXISTS account_id String DEFAULT ''`,
    `ALTER TABLE tapflow.devices ADD COLUMN IF NOT EXISTS account_id String DEFAULT ''`,
    `ALTER TABLE tapflow.devices ADD COLUMN IF NOT EXISTS decommissioned_at Nullable(DateTime64(3, 'UTC'))`,
    // Copied from the business (PostgreSQL) after each daily DAG run, for the dashboards; the newest row wins.
    `CREATE TABLE IF NOT EXISTS tapflow.accounts (
      account_id String, name String, status LowCardinality(String), tier LowCardinality(String), mrr_cents Int64,
      health Float64, open_tickets UInt32, updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY account_id`,
    `CREATE TABLE IF NOT EXISTS tapflow.support_tickets (
      ticket_id String, account_id String, venue_id String, device_id String, fault_kind LowCardinality(String),
      priority LowCardinality(String), status LowCardinality(String), opened_day Date, resolved_day Nullable(Date),
      updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (device_id, ticket_id)`,
  ],
}
