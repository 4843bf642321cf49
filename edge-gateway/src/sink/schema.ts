import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../../../common/index.js'
import { asClickHouseError } from './clickhouse.js'

/**
 * Versioned migrations for database `tapflow`. The gateway owns them and applies them at start.
 * Append only: a released migration never changes; a change is a new entry.
 *
 * Telemetry tables are ReplacingMergeTree ordered by (device_id, ts, seq): a frame delivered twice
 * collapses to one row on merge, and `FINAL` hides the copy before then. Retried batches carry an
 * insert_deduplication_token, so a retry never writes twice in the first place.
 */
export const MIGRATIONS: readonly { version: number; name: string; statements: readonly string[] }[] = [
  {
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
  },
  {
    version: 2,
    name: '5-minute device rollups',
    statements: [
      `CREATE TABLE IF NOT EXISTS tapflow.device_rollup_5m (
        device_id LowCardinality(String),
        venue_id LowCardinality(String),
        bucket DateTime('UTC'),
        pour_count SimpleAggregateFunction(sum, UInt64),
        volume_ml SimpleAggregateFunction(sum, Float64),
        temp_avg AggregateFunction(avg, Float32),
        temp_max SimpleAggregateFunction(max, Nullable(Float32))
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(bucket)
      ORDER BY (venue_id, device_id, bucket)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.device_rollup_5m_pours TO tapflow.device_rollup_5m AS
        SELECT device_id, venue_id, toStartOfFiveMinutes(ts) AS bucket,
               toUInt64(count()) AS pour_count, sum(toFloat64(volume_ml)) AS volume_ml
        FROM tapflow.pours GROUP BY device_id, venue_id, bucket`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS tapflow.device_rollup_5m_temps TO tapflow.device_rollup_5m AS
        SELECT device_id, venue_id, toStartOfFiveMinutes(ts) AS bucket,
               avgState(line_temp_c) AS temp_avg, toNullable(max(line_temp_c)) AS temp_max
        FROM tapflow.temperatures GROUP BY device_id, venue_id, bucket`,
      `CREATE VIEW IF NOT EXISTS tapflow.device_5m AS
        SELECT venue_id, device_id, bucket, sum(pour_count) AS pour_count, sum(volume_ml) AS volume_ml,
               if(isNaN(avgMerge(temp_avg)), NULL, avgMerge(temp_avg)) AS temp_avg_c, max(temp_max) AS temp_max_c
        FROM tapflow.device_rollup_5m GROUP BY venue_id, device_id, bucket`,
    ],
  },
  {
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
  },
  {
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
  },
  {
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
  },
]

/** Creates the database and applies pending migrations, recording each in tapflow.schema_migrations. */
export async function migrate(client: ClickHouseClient, log?: Logger): Promise<number> {
  try {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS tapflow' })
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS tapflow.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = MergeTree ORDER BY version`,
    })
    // Versions may land out of order (5 before 3), so apply every one not yet recorded, not just those above the max.
    const rs = await client.query({ query: 'SELECT DISTINCT version AS v FROM tapflow.schema_migrations', format: 'JSONEachRow' })
    const applied = new Set(((await rs.json()) as { v: number | string }[]).map((r) => Number(r.v)))
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue
      for (const statement of m.statements) await client.command({ query: statement })
      await client.insert({ table: 'tapflow.schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' })
      log?.info({ version: m.version, name: m.name }, 'migration applied')
    }
    return MIGRATIONS[MIGRATIONS.length - 1]!.version
  } catch (err) {
    throw asClickHouseError(err, 'migrating database tapflow')
  }
}
