import type { Migration } from './migration.js'

export const m005: Migration = {
  version: 5,
  name: 'dashboard dimensions and rollups',
  statements: [
    // Dimensions from the fleet spec, rewritten whenever `tapflow up` starts; the newest row wins.
    `CREATE TABLE IF NOT EXISTS tapflow.venues (
      venue_id String, name String, customer String, city LowCardinality(String), country LowCardinality(String),
      time_zone LowCardinality(String), venue_type LowCardinality(String), region LowCardinality(String),
      updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY venue_id`,
    `CREATE TABLE IF NOT EXISTS tapflow.devices (
      device_id String, venue_id String, line_id UInt16, beverage_id LowCardinality(String), keg_size_ml Float32,
      firmware LowCardinality(String), updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY device_id`,
    `CREATE TABLE IF NOT EXISTS tapflow.beverages (
      beverage_id String, name String, style LowCardinality(String), abv Float32, price_per_litre Float64,
      updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY beverage_id`,
    // The live pour stream polls by arrival time; the primary key is by device, so skip parts by received_at.
    `ALTER TABLE tapflow.pours ADD INDEX IF NOT EXISTS pours_received_at received_at TYPE minmax GRANULARITY 1`,
    `CREATE TABLE IF NOT EXISTS tapflow.venue_beverage_1h (
      venue_id LowCardinality(String), beverage_id LowCardinality(String), hour DateTime('UTC'),
      pours UInt64, volume_ml Float64, waste_ml Float64
    ) ENGINE = SummingMergeTree PARTITION BY toYYYYMM(hour) ORDER BY (venue_id, hour, beverage_id)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.venue_beverage_1h_pours TO tapflow.venue_beverage_1h AS
      SELECT venue_id, beverage_id, toStartOfHour(ts) AS hour, toUInt64(count()) AS pours,
             sum(toFloat64(volume_ml)) AS volume_ml, sum(toFloat64(waste_ml)) AS waste_ml
      FROM tapflow.pours GROUP BY venue_id, beverage_id, hour`,
    // Latest state per device (fleet overview, keg levels) without scanning the telemetry tables.
    `CREATE TABLE IF NOT EXISTS tapflow.device_state (
      venue_id LowCardinality(String), device_id LowCardinality(String),
      last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
      last_pour SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
      keg_id AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
      keg_remaining_ml AggregateFunction(argMax, Float32, DateTime64(3, 'UTC')),
      line_temp_c AggregateFunction(argMax, Float32, DateTime64(3, 'UTC')),
      firmware_version AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
      rssi_dbm AggregateFunction(argMax, Int16, DateTime64(3, 'UTC')),
      supply_voltage_v AggregateFunction(argMax, Float32, DateTime64(3, 'UTC')),
      error_codes AggregateFunction(argMax, Array(UInt32), DateTime64(3, 'UTC')),
      reboot_count AggregateFunction(argMax, UInt32, DateTime64(3, 'UTC'))
    ) ENGINE = AggregatingMergeTree ORDER BY (venue_id, device_id)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.device_state_pours TO tapflow.device_state AS
      SELECT venue_id, device_id, max(ts) AS last_seen, max(ts) AS last_pour,
             argMaxState(toString(keg_id), ts) AS keg_id, argMaxState(keg_remaining_ml, ts) AS keg_remaining_ml
      FROM tapflow.pours GROUP BY venue_id, device_id`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.device_state_temps TO tapflow.device_state AS
      SELECT venue_id, device_id, max(ts) AS last_seen, argMaxState(line_temp_c, ts) AS line_temp_c
      FROM tapflow.temperatures GROUP BY venue_id, device_id`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.device_state_health TO tapflow.device_state AS
      SELECT venue_id, device_id, max(ts) AS last_seen,
             argMaxState(toString(firmware_version), ts) AS firmware_version, argMaxState(rssi_dbm, ts) AS rssi_dbm,
             argMaxState(supply_voltage_v, ts) AS supply_voltage_v, argMaxState(error_codes, ts) AS error_codes,
             argMaxState(reboot_count, ts) AS reboot_count
      FROM tapflow.health GROUP BY venue_id, device_id`,
    `CREATE VIEW IF NOT EXISTS tapflow.device_latest AS
      SELECT venue_id, device_id, max(last_seen) AS last_seen, max(last_pour) AS last_pour,
             argMaxMerge(keg_id) AS keg_id, argMaxMerge(keg_remaining_ml) AS keg_remaining_ml,
             argMaxMerge(line_temp_c) AS line_temp_c, argMaxMerge(firmware_version) AS firmware_version,
             argMaxMerge(rssi_dbm) AS rssi_dbm, argMaxMerge(supply_voltage_v) AS supply_voltage_v,
             argMaxMerge(error_codes) AS error_codes, argMaxMerge(reboot_count) AS reboot_count
      FROM tapflow.device_state GROUP BY venue_id, device_id`,
  ],
}
