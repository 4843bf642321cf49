import type { Migration } from './migration.js'

export const m002: Migration = {
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
}
