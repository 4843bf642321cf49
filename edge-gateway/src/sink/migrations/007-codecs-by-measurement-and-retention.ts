import type { Migration } from './migration.js'

/**
 * Codecs chosen by measurement (bench/storage.bench.ts, EXPLORE=1: one merged day of 2,000 taps, every column under
 * every candidate codec) and default retention.
 *
 * - Sensor values are quantized (firmware-sim/src/device/sensors.ts), so each column holds few distinct values:
 *   plain ZSTD entropy-codes them far better than Gorilla (whose XOR stream of float bits ZSTD cannot then compress).
 *   ZSTD(9) saved another 0.3 B per frame (6.3 instead of 6.6) but took 1.4–2.4× the insert-and-merge time of these
 *   tables; ZSTD(3) costs what migration 1's codecs did, and the ingest path is CPU-bound on two cores, so level 3.
 * - Smooth series (keg level falls by each pour, bar air drifts) compress best as deltas, also for Float32.
 * - Times: Delta beats DoubleDelta on regular series (temperatures, health), Delta + T64 on random pour times.
 * - Types stay as they were. Int16 sixteenths of a degree would save ~0.5 B per temperature row, but would change
 *   the columns' unit for every reader and the rollup views, and the gateway would have to convert.
 * - ORDER BY stays (device_id, ts, seq): ordering by venue first or by seq measured the same.
 *
 * A codec change is metadata only: existing parts keep their codecs until a merge rewrites them.
 * Retention (TTL) defaults: raw telemetry and chiller readings 90 days, rollups and gaps two years, dead letters
 * 30 days; ground truth, device state and the dimensions are kept. `tapflow up --retention-raw …` changes them
 * (sink/retention.ts). Raw rows age from when they landed (received_at), not from their device timestamp, so a
 * frame that arrives late still lands and stays for the full period (every accepted frame is a row). TTL is by row:
 * a merge drops the rows past it, so it holds to the day even with monthly partitions.
 */
export const m007: Migration = {
  version: 7,
  name: 'codecs by measurement and retention',
  statements: [
    `ALTER TABLE tapflow.pours
      MODIFY COLUMN seq UInt64 CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN ts DateTime64(3, 'UTC') CODEC(Delta, T64, ZSTD(3)),
      MODIFY COLUMN line_id UInt16 CODEC(ZSTD(3)),
      MODIFY COLUMN volume_ml Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN duration_ms UInt32 CODEC(T64, ZSTD(3)),
      MODIFY COLUMN flow_rate_ml_s Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN foam_ratio Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN waste_ml Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN keg_remaining_ml Float32 CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN beverage_temp_c Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN received_at DateTime64(3, 'UTC') CODEC(Delta, T64, ZSTD(3))`,
    `ALTER TABLE tapflow.temperatures
      MODIFY COLUMN seq UInt64 CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN line_id UInt16 CODEC(ZSTD(3)),
      MODIFY COLUMN line_temp_c Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN keg_temp_c Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN ambient_temp_c Float32 CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3))`,
    `ALTER TABLE tapflow.health
      MODIFY COLUMN ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN rssi_dbm Int16 CODEC(Delta, T64, ZSTD(3)),
      MODIFY COLUMN supply_voltage_v Float32 CODEC(ZSTD(3)),
      MODIFY COLUMN valve_cycles UInt64 CODEC(Delta, ZSTD(3)),
      MODIFY COLUMN received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3))`,
    `ALTER TABLE tapflow.pours MODIFY TTL toDateTime(received_at) + INTERVAL 90 DAY`,
    `ALTER TABLE tapflow.temperatures MODIFY TTL toDateTime(received_at) + INTERVAL 90 DAY`,
    `ALTER TABLE tapflow.health MODIFY TTL toDateTime(received_at) + INTERVAL 90 DAY`,
    `ALTER TABLE tapflow.chiller MODIFY TTL toDateTime(received_at) + INTERVAL 90 DAY`,
    `ALTER TABLE tapflow.device_rollup_5m MODIFY TTL bucket + INTERVAL 730 DAY`,
    `ALTER TABLE tapflow.venue_beverage_1h MODIFY TTL hour + INTERVAL 730 DAY`,
    `ALTER TABLE tapflow.gaps MODIFY TTL greatest(toDateTime(detected_at), toDateTime(updated_at)) + INTERVAL 730 DAY`,
    `ALTER TABLE tapflow.dead_letters MODIFY TTL toDateTime(received_at) + INTERVAL 30 DAY`,
  ],
}
