import type { ClickHouseClient } from '@clickhouse/client'

export interface SyntheticTelemetryOptions {
  /** Taps, named tap-00000…; four per venue (ven-0000…). */
  devices: number
  from: number
  to: number
  /** Health and temperature frame interval. Default: 5 min. */
  stepMs?: number
  /** Mean pour interval. Default: 20 min. */
  pourStepMs?: number
  database?: string
}

const id = (prefix: string, n: string, width: number): string => `concat('${prefix}', leftPad(toString(${n}), ${width}, '0'))`

/**
 * Deterministic telemetry generated inside ClickHouse (INSERT … SELECT FROM numbers), for benchmarks and tests
 * that need many devices: temperatures that drift on some taps, flow that slows, firmware flashed mid-way,
 * voltage dips and error codes now and then.
 */
export async function generateSyntheticTelemetry(ch: ClickHouseClient, o: SyntheticTelemetryOptions): Promise<void> {
  const db = o.database ?? 'tapflow'
  const step = o.stepMs ?? 300_000
  const pourStep = o.pourStepMs ?? 1_200_000
  const frames = Math.floor((o.to - o.from) / step)
  const pours = Math.floor((o.to - o.from) / pourStep)
  const dev = id('tap-', 'd', 5)
  const ven = id('ven-', 'intDiv(d, 4)', 4)
  const r = (salt: number): string => `(cityHash64(d, i, ${salt}) % 10000) / 10000`
  const grid = (n: number): string => `(SELECT number % ${o.devices} AS d, intDiv(number, ${o.devices}) AS i FROM numbers(${o.devices * n}))`
  const at = (s: number, jitter: string): string => `fromUnixTimestamp64Milli(toInt64(${o.from} + i * ${s} + ${jitter}), 'UTC')`
  const q = async (query: string): Promise<void> => { await ch.command({ query }) }
  await q(`INSERT INTO ${db}.pours SELECT ${dev}, ${ven}, i * 3, ${at(pourStep, `${r(1)} * ${pourStep}`)}, 1 + d % 4, 'bev-1',
      400 + 200 * ${r(2)}, 4000 + 2000 * ${r(3)}, 100 - (d % 7 = 0 ? i / ${pours} * 30 : 0) + 10 * ${r(4)}, 0.02 + 0.1 * ${r(5)},
      5 + 20 * ${r(6)}, concat('keg-', toString(d)), 50000 - 450 * (i % 100), 3 + ${r(7)}, false, ${at(pourStep, '0')}
    FROM ${grid(pours)}`)
  await q(`INSERT INTO ${db}.temperatures SELECT ${dev}, ${ven}, i * 3 + 1, ${at(step, `${r(8)} * 1000`)}, 1 + d % 4,
      3 + (d % 5 = 0 ? i / ${frames} * 4 : 0) + 0.5 * ${r(9)}, 2.5 + 0.3 * ${r(10)}, 19 + 3 * ${r(11)}, false, ${at(step, '0')}
    FROM ${grid(frames)}`)
  await q(`INSERT INTO ${db}.health SELECT ${dev}, ${ven}, i * 3 + 2, ${at(step, `${r(12)} * 1000`)},
      if(i > ${Math.floor(frames / 2)} + d % 50, '1.1.0', '1.0.0'), i * ${step / 1000} % 90000, -55 - toInt16(40 * ${r(13)}),
      12 - if(${r(14)} < 0.02, 1.2, 0) + 0.05 * ${r(15)}, 1000 + i * 4, if(${r(16)} < 0.01, [17], []), intDiv(i * ${step / 1000}, 90000), false, ${at(step, '0')}
    FROM ${grid(frames)}`)
  await q(`INSERT INTO ${db}.devices (device_id, venue_id, line_id, beverage_id, keg_size_ml, firmware, updated_at)
    SELECT ${dev}, ${ven}, 1 + d % 4, 'bev-1', 50000, '1.0.0', fromUnixTimestamp64Milli(toInt64(${o.from}), 'UTC') FROM (SELECT number AS d FROM numbers(${o.devices}))`)
  await q(`INSERT INTO ${db}.venues (venue_id, name, customer, account_id, city, country, time_zone, venue_type, region, updated_at)
    SELECT ${ven}, ${ven}, ${id('Customer ', 'intDiv(d, 16)', 3)}, ${id('acc-', 'intDiv(d, 16)', 5)}, 'Leeds', 'GB', 'Europe/London', 'pub', 'north', fromUnixTimestamp64Milli(toInt64(${o.from}), 'UTC')
    FROM (SELECT number * 4 AS d FROM numbers(${Math.ceil(o.devices / 4)}))`)
}
