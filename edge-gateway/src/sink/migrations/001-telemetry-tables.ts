import type { Migration } from './migration.js'

export const m001: Migration = {
  version: 1,
  name: 'telemetry tables',
  statements: [
    `CREATE TABLE IF NOT EXISTS tapflow.pours (
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      seq UInt64 CODEC(Delta, ZSTD),
      ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
      line_id UInt16,
      beverage_id LowCardinality(String),
      volume_ml Float32 CODEC(Gorilla, ZSTD),
      duration_ms UInt32 CODEC(ZSTD),
      flow_rate_ml_s Float32 CODEC(Gorilla, ZSTD),
      foam_ratio Float32 CODEC(Gorilla, ZSTD),
      waste_ml Float32 CODEC(Gorilla, ZSTD),
      keg_id LowCardinality(String),
      keg_remaining_ml Float32 CODEC(Gorilla, ZSTD),
      beverage_temp_c Float32 CODEC(Gorilla, ZSTD),
      late Bool,
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD)
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (device_id, ts, seq)
    SETTINGS non_replicated_deduplication_window = 1000`,
    `CREATE TABLE IF NOT EXISTS tapflow.temperatures (
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      seq UInt64 CODEC(Delta, ZSTD),
      ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
      line_id UInt16,
      line_temp_c Float32 CODEC(Gorilla, ZSTD),
      keg_temp_c Float32 CODEC(Gorilla, ZSTD),
      ambient_temp_c Float32 CODEC(Gorilla, ZSTD),
      late Bool,
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD)
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (device_id, ts, seq)
    SETTINGS non_replicated_deduplication_window = 1000`,
    `CREATE TABLE IF NOT EXISTS tapflow.health (
      device_id LowCardinality(String),
      venue_id LowCardinality(String),
      seq UInt64 CODEC(Delta, ZSTD),
      ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
      firmware_version LowCardinality(String),
      uptime_s UInt64 CODEC(Delta, ZSTD),
      rssi_dbm Int16 CODEC(ZSTD),
      supply_voltage_v Float32 CODEC(Gorilla, ZSTD),
      valve_cycles UInt64 CODEC(Delta, ZSTD),
      error_codes Array(UInt32),
      reboot_count UInt32,
      late Bool,
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD)
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (device_id, ts, seq)
    SETTINGS non_replicated_deduplication_window = 1000`,
    `CREATE TABLE IF NOT EXISTS tapflow.dead_letters (
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
      topic String CODEC(ZSTD),
      device_id LowCardinality(String),
      reason LowCardinality(String),
      detail String CODEC(ZSTD),
      payload_base64 String CODEC(ZSTD)
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(received_at)
    ORDER BY (reason, received_at)`,
  ],
}
