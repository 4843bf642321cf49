import { defineTable, type AnyTableSpec, type RecordOf } from './table-spec.js'

/**
 * Every table the gateway writes, one spec each. The migrations create the tables; `tables.test.ts` checks
 * each spec against `DESCRIBE TABLE` after they ran. Adding a column: a migration, then one line at the END of
 * the spec's columns (WAL records logged before the change are shorter, and replay pads them at the end); the
 * compiler then points at every place that builds that table's record.
 */

/** Every telemetry frame's first columns (the header every message starts with, and its venue)… */
const FRAME_HEAD = {
  device_id: 'LowCardinality(String)',
  venue_id: 'LowCardinality(String)',
  seq: 'UInt64',
  ts: "DateTime64(3, 'UTC')",
} as const

/** …and its last ones: flagged late, and when the gateway received it. */
const FRAME_TAIL = {
  late: 'Bool',
  received_at: "DateTime64(3, 'UTC')",
} as const

/**
 * The telemetry tables store the arrival time as its delay to `ts` (migration 10): the insert hands it to the
 * EPHEMERAL input `received_at_in`, ClickHouse stores `receive_delay_ms`, and readers see `received_at` (an ALIAS).
 * Rows and WAL lines keep the arrival time itself, so lines logged before the change insert as they are.
 */
const FRAME_INSERT_AS = { received_at: 'received_at_in' } as const

/**
 * Sensor values are stored as whole sensor steps (migration 11): the insert hands each to its EPHEMERAL input
 * `<field>_in` (Float32, as the spec says), ClickHouse stores the step count, and readers see the field (an ALIAS).
 */
const stepInputs = <const F extends string>(...fields: F[]): Record<F, `${F}_in`> =>
  Object.fromEntries(fields.map((f) => [f, `${f}_in`])) as Record<F, `${F}_in`>

export const POURS = defineTable({
  name: 'tapflow.pours',
  columns: {
    ...FRAME_HEAD,
    line_id: 'UInt16',
    beverage_id: 'LowCardinality(String)',
    volume_ml: 'Float32',
    duration_ms: 'UInt32',
    flow_rate_ml_s: 'Float32',
    foam_ratio: 'Float32',
    waste_ml: 'Float32',
    keg_id: 'LowCardinality(String)',
    keg_remaining_ml: 'Float32',
    beverage_temp_c: 'Float32',
    ...FRAME_TAIL,
  },
  key: ['device_id', 'seq'],
  insertAs: {
    ...FRAME_INSERT_AS,
    ...stepInputs('volume_ml', 'flow_rate_ml_s', 'foam_ratio', 'waste_ml', 'keg_remaining_ml', 'beverage_temp_c'),
  },
})

export const TEMPERATURES = defineTable({
  name: 'tapflow.temperatures',
  columns: {
    ...FRAME_HEAD,
    line_id: 'UInt16',
    line_temp_c: 'Float32',
    keg_temp_c: 'Float32',
    ambient_temp_c: 'Float32',
    ...FRAME_TAIL,
  },
  key: ['device_id', 'seq'],
  insertAs: { ...FRAME_INSERT_AS, ...stepInputs('line_temp_c', 'keg_temp_c', 'ambient_temp_c') },
})

export const HEALTH = defineTable({
  name: 'tapflow.health',
  columns: {
    ...FRAME_HEAD,
    firmware_version: 'LowCardinality(String)',
    uptime_s: 'UInt64',
    rssi_dbm: 'Int16',
    supply_voltage_v: 'Float32',
    valve_cycles: 'UInt64',
    error_codes: 'Array(UInt32)',
    reboot_count: 'UInt32',
    ...FRAME_TAIL,
  },
  key: ['device_id', 'seq'],
  insertAs: { ...FRAME_INSERT_AS, ...stepInputs('supply_voltage_v') },
})

/** Rejected frames with the reason; the key is the whole row but the device (a dead letter has no seq). */
export const DEAD_LETTERS = defineTable({
  name: 'tapflow.dead_letters',
  columns: {
    received_at: "DateTime64(3, 'UTC')",
    topic: 'String',
    device_id: 'LowCardinality(String)',
    reason: 'LowCardinality(String)',
    detail: 'String',
    payload_base64: 'String',
  },
  key: ['received_at', 'topic', 'reason', 'detail', 'payload_base64'],
})

/**
 * A gap is keyed by the range first detected; each change (a late frame filling part of it) inserts a new
 * version with a higher `filled`, and ReplacingMergeTree keeps the latest. No `received_at`: WAL replay
 * inserts gap rows again rather than looking them up, and the copy collapses.
 */
export const GAPS = defineTable({
  name: 'tapflow.gaps',
  columns: {
    device_id: 'LowCardinality(String)',
    venue_id: 'LowCardinality(String)',
    from_seq: 'UInt64',
    to_seq: 'UInt64',
    missing: 'UInt64',
    filled: 'UInt64',
    state: 'LowCardinality(String)',
    detected_at: "DateTime64(3, 'UTC')",
    updated_at: "DateTime64(3, 'UTC')",
  },
  key: ['device_id', 'from_seq', 'to_seq', 'filled'],
})

/** OPC-UA cellar-chiller readings, long format: one row per metric change (ChillerBridge). */
export const CHILLER = defineTable({
  name: 'tapflow.chiller',
  columns: {
    venue_id: 'LowCardinality(String)',
    chiller_id: 'LowCardinality(String)',
    ts: "DateTime64(3, 'UTC')",
    metric: 'LowCardinality(String)',
    value: 'Float64',
    quality: 'LowCardinality(String)',
    received_at: "DateTime64(3, 'UTC')",
  },
  key: ['chiller_id', 'metric', 'ts'],
})

/** The simulator's record of every injected fault; a later record with the same record_id replaces it. */
export const GROUND_TRUTH = defineTable({
  name: 'tapflow.ground_truth',
  columns: {
    record_id: 'String',
    device_id: 'LowCardinality(String)',
    recorded_at: "DateTime64(3, 'UTC')",
    venue_id: 'LowCardinality(String)',
    mode: 'LowCardinality(String)',
    onset_ts: "DateTime64(3, 'UTC')",
    failure_ts: "DateTime64(3, 'UTC')",
    parameters: 'String',
    source: 'LowCardinality(String)',
    cleared_at: "Nullable(DateTime64(3, 'UTC'))",
    received_at: "DateTime64(3, 'UTC')",
    actor: 'LowCardinality(String)',
  },
  key: ['record_id', 'recorded_at'],
})

export type PourRecord = RecordOf<typeof POURS.columns>
export type TemperatureRecord = RecordOf<typeof TEMPERATURES.columns>
export type HealthRecord = RecordOf<typeof HEALTH.columns>
export type DeadLetterRecord = RecordOf<typeof DEAD_LETTERS.columns>
export type GapRecord = RecordOf<typeof GAPS.columns>
export type ChillerRecord = RecordOf<typeof CHILLER.columns>
export type GroundTruthRecord = RecordOf<typeof GROUND_TRUTH.columns>

/** The three telemetry tables, by frame kind. */
export const TELEMETRY = { pour: POURS, temp: TEMPERATURES, health: HEALTH } as const

/** Every table the gateway writes: one batcher each. */
export const TABLE_SPECS: readonly AnyTableSpec[] = [POURS, TEMPERATURES, HEALTH, DEAD_LETTERS, GAPS, CHILLER, GROUND_TRUTH]
