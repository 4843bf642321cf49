import type { Migration } from './migration.js'

/** The telemetry tables whose arrival time becomes a delay. */
const TABLES = ['pours', 'temperatures', 'health'] as const

/** Milliseconds from the frame's device time to its arrival, as inserted through `received_at_in`. */
const DELAY_FROM_INPUT = 'if(received_at_in = 0, 0, toUnixTimestamp64Milli(received_at_in) - toUnixTimestamp64Milli(ts))'

/**
 * `received_at` stored as its delay to `ts` (bench/storage.bench.ts, one merged day of 2,000 taps).
 *
 * `received_at` cost as much as `ts` itself: on pours 2.91 B/row of 16.1, because a column codec cannot see that
 * it follows another column. The delay is a small number: `receive_delay_ms Int64 CODEC(T64, ZSTD(3))` costs
 * ~1.0 B/row even for delays spread evenly over 20–220 ms (Delta 1.7, plain ZSTD 1.02), and next to nothing when
 * frames land at their device time, as the seeded history does. Int64 because `ts` is the device's clock, which
 * may be anything in the past (an unset RTC reports 1970): Int32 milliseconds end at 24.8 days.
 *
 * Every reader still sees `received_at`, an ALIAS (`SELECT *` leaves an ALIAS out; every reader here names its
 * columns, and the lake export reads DESCRIBE). The gateway's rows and WAL lines keep the arrival time; the insert names the
 * EPHEMERAL input `received_at_in` for it, and ClickHouse computes the delay. A writer that leaves
 * `received_at_in` out lands the row as arriving at its device time. TTLs cannot name an ALIAS: raw retention ages
 * from `ts + receive_delay_ms`, the same instant. The live stream's skip index `pours_received_at` is rebuilt on
 * the ALIAS (ClickHouse matches `received_at >= …` against the expression).
 *
 * Existing rows are converted by a mutation (the delay from both stored columns), then `received_at` is dropped.
 */
export const m010: Migration = {
  version: 10,
  name: 'received_at stored as the receive delay',
  statements: [
    ...TABLES.flatMap((t) => [
      `ALTER TABLE tapflow.${t} ADD COLUMN IF NOT EXISTS receive_delay_ms Int64 CODEC(T64, ZSTD(3)) AFTER late`,
      `ALTER TABLE tapflow.${t} UPDATE receive_delay_ms = toUnixTimestamp64Milli(received_at) - toUnixTimestamp64Milli(ts) WHERE true
        SETTINGS mutations_sync = 2`,
      `ALTER TABLE tapflow.${t} REMOVE TTL`,
    ]),
    `ALTER TABLE tapflow.pours DROP INDEX IF EXISTS pours_received_at`,
    ...TABLES.flatMap((t) => [
      `ALTER TABLE tapflow.${t} DROP COLUMN received_at SETTINGS mutations_sync = 2`,
      `ALTER TABLE tapflow.${t}
        ADD COLUMN received_at_in DateTime64(3, 'UTC') EPHEMERAL,
        ADD COLUMN received_at DateTime64(3, 'UTC') ALIAS ts + toIntervalMillisecond(receive_delay_ms),
        MODIFY COLUMN receive_delay_ms Int64 DEFAULT ${DELAY_FROM_INPUT} CODEC(T64, ZSTD(3))`,
      `ALTER TABLE tapflow.${t} MODIFY TTL toDateTime(ts + toIntervalMillisecond(receive_delay_ms)) + INTERVAL 90 DAY`,
    ]),
    `ALTER TABLE tapflow.pours ADD INDEX IF NOT EXISTS pours_received_at received_at TYPE minmax GRANULARITY 1`,
    `ALTER TABLE tapflow.pours MATERIALIZE INDEX pours_received_at SETTINGS mutations_sync = 2`,
  ],
}
