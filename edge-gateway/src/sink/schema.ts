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
]

/** Creates the database and applies pending migrations, recording each in tapflow.schema_migrations. */
export async function migrate(client: ClickHouseClient, log?: Logger): Promise<number> {
  try {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS tapflow' })
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS tapflow.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = MergeTree ORDER BY version`,
    })
    const rs = await client.query({ query: 'SELECT max(version) AS v FROM tapflow.schema_migrations', format: 'JSONEachRow' })
    const current = Number(((await rs.json()) as { v: number | string }[])[0]?.v ?? 0)
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue
      for (const statement of m.statements) await client.command({ query: statement })
      await client.insert({ table: 'tapflow.schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' })
      log?.info({ version: m.version, name: m.name }, 'migration applied')
    }
    return MIGRATIONS[MIGRATIONS.length - 1]!.version
  } catch (err) {
    throw asClickHouseError(err, 'migrating database tapflow')
  }
}
