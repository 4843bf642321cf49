import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRetention, migrate, openClickHouse, type ClickHouseClient } from '../../../edge-gateway/index.js'
import { buildDemandDataset, DEMAND_FEATURES, demandForecaster, naiveDemand } from '../demand.js'
import type { Dataset, Matrix } from '../types.js'

const H = 3_600_000
const D = 24 * H
/** Monday 2026-11-02, 00:00 UTC: day 0 of the hand-built pours. */
const T0 = Date.UTC(2026, 10, 2)
const chTs = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const col = (name: (typeof DEMAND_FEATURES)[number]): number => DEMAND_FEATURES.indexOf(name)

let dir: string
let client: ClickHouseClient
let seq = 0

/** Litres tap-a pours on day i: 10 + i on weekdays, 30 on Saturdays; tap-b starts on day 10 with 2 l a day. */
const litresA = (i: number): number => (new Date(T0 + i * D).getUTCDay() === 6 ? 30 : 10 + i)

function pour(device: string, ts: number, ml: number, keg: number): Record<string, unknown> {
  return {
    device_id: device, venue_id: 'ven-1', seq: ++seq, ts: chTs(ts), line_id: 1, beverage_id: device === 'tap-a' ? 'bev-ipa' : 'bev-lager', volume_ml_in: ml, duration_ms: 5000,
    flow_rate_ml_s_in: 100, foam_ratio_in: 0.05, waste_ml_in: 10, keg_id: 'keg-1', keg_remaining_ml_in: keg, beverage_temp_c_in: 4, late: false, received_at_in: chTs(ts),
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapflow-demand-'))
  client = openClickHouse({ path: join(dir, 'clickhouse') }).client
  await migrate(client)
  // Fixed dates: keep them past the wall-clock TTL.
  await applyRetention(client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
  const rows: Record<string, unknown>[] = []
  for (let i = 0; i < 21; i++) {
    // Each day's litres in two pours: one at the first instant of the day, one at its last millisecond.
    const half = (litresA(i) * 1000) / 2
    rows.push(pour('tap-a', T0 + i * D, half, 40_000 - i * 1000), pour('tap-a', T0 + (i + 1) * D - 1, half, 39_500 - i * 1000))
    if (i >= 10) rows.push(pour('tap-b', T0 + i * D + 12 * H, 2000, 10_000))
  }
  // Sensor values and the arrival time go in through the EPHEMERAL inputs (edge-gateway migrations 10, 11), named.
  await client.insert({ table: 'tapflow.pours', values: rows, format: 'JSONEachRow', columns: Object.keys(rows[0]!) as [string, ...string[]] })
  await client.insert({
    table: 'tapflow.devices', format: 'JSONEachRow',
    values: ['tap-a', 'tap-b'].map((d) => ({ device_id: d, venue_id: 'ven-1', line_id: 1, beverage_id: 'bev', keg_size_ml: 50_000, firmware: '1.0.0', updated_at: chTs(T0) })),
  })
})

afterAll(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

const value = (ds: Dataset, entity: string, day: number, name: (typeof DEMAND_FEATURES)[number]): number => {
  const i = ds.rows.findIndex((r) => r.entity === entity && r.ts === T0 + day * D)
  expect(i).toBeGreaterThanOrEqual(0)
  return ds.x.values[i * ds.x.cols + col(name)]!
}

describe('demand dataset (chDB)', () => {
  it('targets the litres of the 24 h from the prediction time, counting the day\'s last millisecond and not the next midnight', async () => {
    const ds = await buildDemandDataset({ client, from: T0 + 7 * D, to: T0 + 21 * D })
    const a = ds.rows.flatMap((r, i) => (r.entity === 'tap-a' ? [[(r.ts - T0) / D, ds.targets.litres_24h![i]!]] : []))
    expect(a).toEqual(Array.from({ length: 14 }, (_, k) => [k + 7, litresA(k + 7)]))
    // tap-b has no row until it has a week of history.
    expect(ds.rows.filter((r) => r.entity === 'tap-b').map((r) => (r.ts - T0) / D)).toEqual([17, 18, 19, 20])
    expect(ds.rows.filter((r) => r.split === 'test').every((r) => r.ts >= Math.max(...ds.rows.filter((q) => q.split !== 'test').map((q) => q.ts)))).toBe(true)
  })

  it('takes ISO dates as well as epoch ms, and refuses a range without a whole day', async () => {
    const iso = await buildDemandDataset({ client, from: '2026-11-16', to: '2026-11-18' })
    const ms = await buildDemandDataset({ client, from: T0 + 14 * D, to: T0 + 16 * D })
    expect(iso.rows).toEqual(ms.rows)
    await expect(buildDemandDataset({ client, from: T0 + 14 * D, to: T0 + 14 * D + H })).rejects.toThrow(/DemandDatasetOptions.to must be at least a whole day/)
  })

  it('reads features only from before the prediction time', async () => {
    const ds = await buildDemandDataset({ client, from: T0 + 14 * D, to: T0 + 15 * D })
    expect(value(ds, 'tap-a', 14, 'litres_lag1')).toBeCloseTo(litresA(13))
    expect(value(ds, 'tap-a', 14, 'litres_lag7')).toBeCloseTo(litresA(7))
    expect(value(ds, 'tap-a', 14, 'litres_lag14')).toBeCloseTo(litresA(0))
    expect(value(ds, 'tap-a', 14, 'litres_mean7')).toBeCloseTo([7, 8, 9, 10, 11, 12, 13].map(litresA).reduce((s, l) => s + l) / 7)
    expect(value(ds, 'tap-a', 14, 'weekday')).toBe(1)
    // The keg level of the last pour before midnight, not of the day's first pour.
    expect(value(ds, 'tap-a', 14, 'keg_remaining_l')).toBeCloseTo(39.5 - 13)
    expect(value(ds, 'tap-a', 14, 'keg_fraction')).toBeCloseTo((39_500 - 13_000) / 50_000)
    // Days before a tap's first pour are unknown, not zero.
    const young = await buildDemandDataset({ client, from: T0 + 17 * D, to: T0 + 18 * D })
    expect(value(young, 'tap-b', 17, 'litres_lag7')).toBeCloseTo(2)
    expect(value(young, 'tap-b', 17, 'litres_lag14')).toBeNaN()
    expect(value(young, 'tap-b', 17, 'venue_litres_per_tap_7d')).toBeCloseTo(([10, 11, 12, 13, 14, 15, 16].map(litresA).reduce((s, l) => s + l) + 7 * 2) / 14)
  })

  it('the naive baselines repeat last week, or yesterday, falling back when the lag is missing', () => {
    const x: Matrix = { rows: 3, cols: DEMAND_FEATURES.length, values: new Float32Array(3 * DEMAND_FEATURES.length).fill(NaN) }
    const set = (r: number, name: (typeof DEMAND_FEATURES)[number], v: number): void => { x.values[r * x.cols + col(name)] = v }
    set(0, 'litres_lag1', 5)
    set(0, 'litres_lag7', 9)
    set(1, 'litres_lag1', 4)
    expect(Array.from(naiveDemand(x))).toEqual([9, 4, 0])
    expect(Array.from(naiveDemand(x, 'yesterday'))).toEqual([5, 4, 0])
  })

  it('forecasts for the dashboard with the given model, leaving out taps without a week of history', async () => {
    // A stand-in model: the mean of the last 7 days.
    const predictor = { featureCount: DEMAND_FEATURES.length, predictBatch: (m: Matrix) => Float32Array.from({ length: m.rows }, (_, r) => m.values[r * m.cols + col('litres_mean7')]!) }
    const forecast = demandForecaster({ client, predictor, model: 'demand@1' })
    const out = await forecast(['tap-a', 'tap-b', 'tap-unknown'])
    // The data's newest pour is on day 20: forecast day 20 from days 13–19.
    expect(out.get('tap-a')?.litres24h).toBeCloseTo([13, 14, 15, 16, 17, 18, 19].map(litresA).reduce((s, l) => s + l) / 7, 4)
    expect(out.get('tap-a')?.model).toBe('demand@1')
    expect(out.get('tap-b')?.litres24h).toBeCloseTo(2)
    expect(out.has('tap-unknown')).toBe(false)
    expect((await forecast([])).size).toBe(0)
  })

  it('serves with exactly the features it trains on (no training/serving skew)', async () => {
    const seen: Matrix[] = []
    const predictor = { featureCount: DEMAND_FEATURES.length, predictBatch: (m: Matrix) => (seen.push(m), new Float32Array(m.rows)) }
    await demandForecaster({ client, predictor, model: 'demand@1' })(['tap-a', 'tap-b'])
    const ds = await buildDemandDataset({ client, from: T0 + 20 * D, to: T0 + 21 * D })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.rows).toBe(ds.x.rows)
    const row = (m: Matrix, r: number): number[] => Array.from(m.values.subarray(r * m.cols, (r + 1) * m.cols))
    const sortByFirst = (m: Matrix): number[][] => Array.from({ length: m.rows }, (_, r) => row(m, r)).sort((a, b) => a[0]! - b[0]!)
    expect(sortByFirst(seen[0]!)).toEqual(sortByFirst(ds.x))
  })
})
