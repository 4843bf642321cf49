import type { Migration } from './migration.js'

/** One quantized sensor field, stored as a whole number of its sensor's steps: value = steps × num / den. */
interface StepColumn {
  table: 'pours' | 'temperatures' | 'health'
  /** The field readers and writers name (Float32). */
  field: string
  /** The stored column. */
  steps: string
  type: 'Int16' | 'Int32'
  num: number
  den: number
  codec: string
}

/**
 * The steps of firmware-sim/src/device/sensors.ts (README "Sensors"). Int16 holds every step count inside the
 * gateway's validated ranges (ingest/decode.ts RANGES: −40…100 °C is −640…1600 sixteenths, 5 l is 2,250 pulses,
 * 1,000 ml/s is 10,000 tenths, 60 V is 12,000 ADC steps); the keg counter needs Int32 (200,000 ml); Int32 steps
 * measured the same bytes. Codecs are each column's smallest under EXPLORE=1 (the Float32 columns cast to steps,
 * under every codec; on this schema the integer variants re-measure them): Delta where the series moves slowly along
 * a device's rows (line and beverage temperature, keg level, flow), T64 where it is independent per pour.
 */
export const STEP_COLUMNS: readonly StepColumn[] = [
  { table: 'pours', field: 'volume_ml', steps: 'volume_pulses', type: 'Int16', num: 20, den: 9, codec: 'T64, ZSTD(3)' },
  { table: 'pours', field: 'flow_rate_ml_s', steps: 'flow_rate_steps', type: 'Int16', num: 1, den: 10, codec: 'Delta, T64, ZSTD(3)' },
  { table: 'pours', field: 'foam_ratio', steps: 'foam_steps', type: 'Int16', num: 1, den: 100, codec: 'T64, ZSTD(3)' },
  { table: 'pours', field: 'waste_ml', steps: 'waste_steps', type: 'Int16', num: 1, den: 1, codec: 'T64, ZSTD(3)' },
  { table: 'pours', field: 'keg_remaining_ml', steps: 'keg_remaining_steps', type: 'Int32', num: 1, den: 1, codec: 'Delta, T64, ZSTD(3)' },
  { table: 'pours', field: 'beverage_temp_c', steps: 'beverage_temp_steps', type: 'Int16', num: 1, den: 16, codec: 'Delta, T64, ZSTD(3)' },
  { table: 'temperatures', field: 'line_temp_c', steps: 'line_temp_steps', type: 'Int16', num: 1, den: 16, codec: 'Delta, T64, ZSTD(3)' },
  { table: 'temperatures', field: 'keg_temp_c', steps: 'keg_temp_steps', type: 'Int16', num: 1, den: 16, codec: 'T64, ZSTD(3)' },
  { table: 'temperatures', field: 'ambient_temp_c', steps: 'ambient_temp_steps', type: 'Int16', num: 1, den: 16, codec: 'Delta, ZSTD(3)' },
  { table: 'health', field: 'supply_voltage_v', steps: 'supply_voltage_steps', type: 'Int16', num: 1, den: 200, codec: 'T64, ZSTD(3)' },
]

/** The step count of a value in °C, ml, … (nearest step: a reading off the sensor's grid moves by under half a step). */
const toSteps = (c: StepColumn, x: string): string => {
  const perUnit = c.den % c.num === 0 ? (c.den / c.num === 1 ? '' : ` * ${c.den / c.num}`) : ` * ${c.den} / ${c.num}`
  return `to${c.type}(round(${x}${perUnit}))`
}
/** The value readers see, as Float32 as before: the nearest Float32 to steps × step, as the device sent it. */
const fromSteps = (c: StepColumn): string => `toFloat32(${c.steps}${c.num !== 1 ? ` * ${c.num}` : ''}${c.den !== 1 ? ` / ${c.den}` : ''})`

const TABLES = ['pours', 'temperatures', 'health'] as const
const of = (t: (typeof TABLES)[number]): StepColumn[] => STEP_COLUMNS.filter((c) => c.table === t)

/**
 * Quantized sensor values stored as whole sensor steps in integers (bench/storage.bench.ts, one merged day of
 * 2,000 taps). A Float32 multiple of 1/16 °C or of a 20/9 ml pulse spreads its few distinct values over four
 * bytes of mantissa that ZSTD codes byte by byte; the step count is a small integer that T64 and Delta shrink to
 * its few significant bits.
 *
 * Readers see nothing change: each field (`volume_ml`, `line_temp_c`, …) is now an ALIAS of its step column with
 * the same name and type, Float32 and equal to what the device sent (`SELECT *` leaves an ALIAS out: the feature
 * views name them after their `*`; the lake export reads DESCRIBE and also carries the step columns). The rollup views read
 * the ALIAS. Writers name the EPHEMERAL input `<field>_in` (as migration 10's `received_at_in`), and ClickHouse
 * computes the steps; the gateway's rows and WAL lines keep the values, so lines logged before the change insert as
 * they are. A writer that leaves an input out stores 0.
 *
 * Not taken, measured: ZSTD(9) on pour `ts` (−0.09 B per pour row, level 9's write cost, see migration 7).
 * `flow_rate_ml_s` cannot be an ALIAS of `volume_ml / duration_ms`: the device model reports the rate while beer
 * runs, and the valve-open time also holds 200–600 ms of dead time the device does not report.
 *
 * Existing rows are converted by a mutation (steps from the stored floats); each float column then becomes the
 * ALIAS (the rollup views read it, so it cannot be dropped and added back), and the next merge drops its data.
 */
export const m011: Migration = {
  version: 11,
  name: 'sensor values stored as whole sensor steps',
  statements: TABLES.flatMap((t) => [
    `ALTER TABLE tapflow.${t}
      ${of(t).map((c) => `ADD COLUMN IF NOT EXISTS ${c.steps} ${c.type} CODEC(${c.codec}) AFTER ${c.field}`).join(',\n      ')}`,
    `ALTER TABLE tapflow.${t} UPDATE ${of(t).map((c) => `${c.steps} = ${toSteps(c, c.field)}`).join(', ')} WHERE true
      SETTINGS mutations_sync = 2`,
    // A column the rollup views read cannot be dropped, but it can become an ALIAS (which takes no codec); merges
    // then drop its data.
    `ALTER TABLE tapflow.${t} ${of(t).map((c) => `MODIFY COLUMN ${c.field} REMOVE CODEC`).join(', ')}`,
    `ALTER TABLE tapflow.${t}
      ${of(t).map((c) => `MODIFY COLUMN ${c.field} Float32 ALIAS ${fromSteps(c)}`).join(',\n      ')}
      SETTINGS mutations_sync = 2`,
    `ALTER TABLE tapflow.${t}
      ${of(t)
        .map(
          (c) =>
            `ADD COLUMN IF NOT EXISTS ${c.field}_in Float32 EPHEMERAL,
      MODIFY COLUMN ${c.steps} ${c.type} DEFAULT ${toSteps(c, `${c.field}_in`)} CODEC(${c.codec})`,
        )
        .join(',\n      ')}`,
  ]),
}
