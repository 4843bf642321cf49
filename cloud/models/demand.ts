import type { ClickHouseClient } from '@clickhouse/client'
import { OptionError } from '../../common/index.js'
import { splitDays } from './churn.js'
import type { Dataset, DatasetRow, Matrix, Predictor } from './types.js'

/**
 * Demand: litres a tap pours over the next 24 h. One row per tap × UTC day D: the prediction time is D's midnight
 * (UTC), the target is the litres poured during D, and every feature comes from pours before that midnight
 * (daily totals of D−1, D−7…, the keg's level at the last pour before D). Read from ClickHouse `tapflow.pours`
 * (deduplicated with FINAL) and `tapflow.devices`.
 */

const DAY_MS = 86_400_000
/** Days of history a row's features look back over. */
const LOOKBACK = 28

export const DEMAND_FEATURES = [
  'litres_lag1', 'litres_lag7', 'litres_lag14', 'litres_mean7', 'litres_mean28', 'same_weekday_mean4', 'weekday',
  'venue_litres_per_tap_7d', 'beverage_litres_per_tap_7d', 'keg_remaining_l', 'keg_fraction', 'days_observed',
] as const

/** The feature set's version, for the registry's lineage. */
export const DEMAND_FEATURE_VIEW = { name: 'demand_tap_daily', version: 1 } as const

export interface DemandDatasetOptions {
  client: ClickHouseClient
  /** First target day: the UTC day containing this instant (epoch ms or ISO text). Rows need 7 days of a tap's history before it. */
  from: number | string
  /** Target days end before this instant (epoch ms or ISO text); only whole days are targets. */
  to: number | string
  /** ClickHouse database. Default: 'tapflow'. */
  database?: string
  /** Share of target days in validation and in test (latest last). Default: 0.2 each. */
  validationShare?: number
  testShare?: number
}

/** Daily pours of one tap over a span of days, as read. */
export interface TapHistory {
  deviceId: string
  venueId: string
  beverageId: string
  kegSizeMl: number
  /** Day number (ms / 86 400 000) of the first day with a pour. */
  firstDay: number
  /** Litres per day number; a day without a row poured nothing. */
  litres: Map<number, number>
  /** keg_remaining_ml of the day's last pour. */
  kegEndMl: Map<number, number>
}

/** Build the demand dataset from ClickHouse. */
export async function buildDemandDataset(o: DemandDatasetOptions): Promise<Dataset> {
  const [fromMs, toMs] = [o.from, o.to].map((v) => (typeof v === 'number' ? v : Date.parse(v))) as [number, number]
  const first = Math.floor(fromMs / DAY_MS)
  const end = Math.floor(toMs / DAY_MS)
  if (!(end > first)) throw new OptionError('DemandDatasetOptions.to', `must be at least a whole day after from, got ${String(o.from)} .. ${String(o.to)}`)
  const taps = await readTapHistory(o.client, first - LOOKBACK, end, o.database)
  const days: number[] = []
  for (let d = first; d < end; d++) days.push(d)
  return demandDataset(taps, days, { validationShare: o.validationShare, testShare: o.testShare, source: `clickhouse ${o.database ?? 'tapflow'}.pours ${new Date(first * DAY_MS).toISOString().slice(0, 10)}..${new Date(end * DAY_MS).toISOString().slice(0, 10)} (UTC days, end exclusive)` })
}

/** The pure half: rows for every tap with 7 days of history before each target day. */
export function demandDataset(taps: readonly TapHistory[], days: readonly number[], o: { validationShare?: number; testShare?: number; source?: string } = {}): Dataset {
  const splitOf = splitDays(days, o.validationShare ?? 0.2, o.testShare ?? 0.2)
  const ctx = new FleetContext(taps)
  const values: number[] = []
  const target: number[] = []
  const rows: DatasetRow[] = []
  for (const day of days) {
    for (const t of taps) {
      if (t.firstDay > day - 7) continue
      values.push(...demandFeatures(t, day, ctx))
      target.push(t.litres.get(day) ?? 0)
      rows.push({ entity: t.deviceId, ts: day * DAY_MS, split: splitOf(day) })
    }
  }
  return {
    name: 'demand',
    featureNames: [...DEMAND_FEATURES],
    x: { rows: rows.length, cols: DEMAND_FEATURES.length, values: Float32Array.from(values) },
    targets: { litres_24h: Float32Array.from(target) },
    rows,
    featureViews: [{ ...DEMAND_FEATURE_VIEW }],
    window: { from: (days[0] ?? 0) * DAY_MS, to: ((days.at(-1) ?? 0) + 1) * DAY_MS, source: o.source ?? 'tap histories' },
  }
}

/** Litres a tap poured on a day: NaN before its first pour (unknown), else 0 for a quiet day. */
function litresOn(t: TapHistory, day: number): number {
  return day < t.firstDay ? NaN : (t.litres.get(day) ?? 0)
}

/** Per venue and per beverage, litres per tap-day over the 7 days before a day, cached per day. */
class FleetContext {
  private readonly cache = new Map<number, { venue: Map<string, number>; beverage: Map<string, number> }>()
  constructor(private readonly taps: readonly TapHistory[]) {}

  at(day: number): { venue: Map<string, number>; beverage: Map<string, number> } {
    let c = this.cache.get(day)
    if (c !== undefined) return c
    const sums = { venue: new Map<string, [number, number]>(), beverage: new Map<string, [number, number]>() }
    for (const t of this.taps) {
      for (let d = day - 7; d < day; d++) {
        const l = litresOn(t, d)
        if (Number.isNaN(l)) continue
        for (const [m, k] of [[sums.venue, t.venueId], [sums.beverage, t.beverageId]] as const) {
          const s = m.get(k) ?? [0, 0]
          s[0] += l
          s[1]++
          m.set(k, s)
        }
      }
    }
    const mean = (m: Map<string, [number, number]>): Map<string, number> => new Map([...m].map(([k, [s, n]]) => [k, s / n]))
    c = { venue: mean(sums.venue), beverage: mean(sums.beverage) }
    this.cache.set(day, c)
    return c
  }
}

/** Features of one tap for target day `day`: only days before it. */
function demandFeatures(t: TapHistory, day: number, ctx: FleetContext): number[] {
  const mean = (lo: number, hi: number): number => {
    let s = 0
    let n = 0
    for (let d = lo; d <= hi; d++) {
      const l = litresOn(t, d)
      if (!Number.isNaN(l)) {
        s += l
        n++
      }
    }
    return n > 0 ? s / n : NaN
  }
  const weekdays = [7, 14, 21, 28].map((k) => litresOn(t, day - k)).filter((l) => !Number.isNaN(l))
  let kegMl = NaN
  for (let d = day - 1; d >= day - LOOKBACK && Number.isNaN(kegMl); d--) kegMl = t.kegEndMl.get(d) ?? NaN
  const fleet = ctx.at(day)
  return [
    litresOn(t, day - 1),
    litresOn(t, day - 7),
    litresOn(t, day - 14),
    mean(day - 7, day - 1),
    mean(day - LOOKBACK, day - 1),
    weekdays.length > 0 ? weekdays.reduce((a, b) => a + b, 0) / weekdays.length : NaN,
    new Date(day * DAY_MS).getUTCDay(),
    fleet.venue.get(t.venueId) ?? NaN,
    fleet.beverage.get(t.beverageId) ?? NaN,
    kegMl / 1000,
    t.kegSizeMl > 0 ? kegMl / t.kegSizeMl : NaN,
    Math.min(day - t.firstDay, LOOKBACK),
  ]
}

/**
 * The naive forecast: litres on the same weekday last week ('last_week'), or yesterday's ('yesterday'), read from
 * the dataset's own lag columns; a tap too young for the lag falls back to the other, then to 0.
 */
export function naiveDemand(x: Matrix, basis: 'last_week' | 'yesterday' = 'last_week'): Float32Array {
  const [a, b] = basis === 'last_week' ? [1, 0] : [0, 1]
  const out = new Float32Array(x.rows)
  for (let r = 0; r < x.rows; r++) {
    const first = x.values[r * x.cols + a]!
    const second = x.values[r * x.cols + b]!
    out[r] = Number.isNaN(first) ? (Number.isNaN(second) ? 0 : second) : first
  }
  return out
}

/** A demand forecast for the dashboard: litres over the next 24 h per tap, and which model made it. */
export type DemandForecast = (deviceIds: string[]) => Promise<Map<string, { litres24h: number; model: string }>>

export interface DemandForecasterOptions {
  client: ClickHouseClient
  predictor: Predictor
  /** Shown beside each forecast, e.g. 'demand@3'. */
  model: string
  database?: string
}

/**
 * Forecasts for the taps asked about, for the current day of the data (the UTC day of their newest pour), with the
 * same features as training. The features only change at midnight, so the whole fleet is scored once per day and
 * later calls that day are lookups. Taps with under 7 days of history are left out (the caller's naive fallback
 * covers them).
 */
export function demandForecaster(o: DemandForecasterOptions): DemandForecast {
  const db = o.database ?? 'tapflow'
  let cached: { day: number; forecasts: Promise<Map<string, number>> } | undefined
  const score = async (day: number): Promise<Map<string, number>> => {
    // A week beyond the lookback, so a tap quiet on the lookback's first day still counts from its real first pour.
    const all = await readTapHistory(o.client, day - LOOKBACK - 7, day, db)
    // Venue and beverage paces count every tap, young ones too, as in training.
    const ctx = new FleetContext(all)
    const taps = all.filter((t) => t.firstDay <= day - 7)
    const values = Float32Array.from(taps.flatMap((t) => demandFeatures(t, day, ctx)))
    const pred = taps.length === 0 ? new Float32Array(0) : o.predictor.predictBatch({ rows: taps.length, cols: DEMAND_FEATURES.length, values })
    return new Map(taps.map((t, i) => [t.deviceId, Math.max(0, pred[i] ?? 0)]))
  }
  return async (deviceIds) => {
    const out = new Map<string, { litres24h: number; model: string }>()
    if (deviceIds.length === 0) return out
    const [now] = await query<{ ms: number }>(o.client, `SELECT toUnixTimestamp64Milli(max(ts)) AS ms FROM ${db}.pours WHERE device_id IN {ids:Array(String)}`, { ids: deviceIds })
    if (now === undefined || !(now.ms > 0)) return out
    const day = Math.floor(now.ms / DAY_MS)
    if (cached?.day !== day) {
      cached = { day, forecasts: score(day) }
      // A failed read is retried on the next call, not cached for the day.
      cached.forecasts.catch(() => (cached = undefined))
    }
    const forecasts = await cached.forecasts
    for (const id of deviceIds) {
      const l = forecasts.get(id)
      if (l !== undefined) out.set(id, { litres24h: l, model: o.model })
    }
    return out
  }
}

/** Daily litres and end-of-day keg level per tap, for days [lo, hi). */
export async function readTapHistory(client: ClickHouseClient, lo: number, hi: number, database = 'tapflow'): Promise<TapHistory[]> {
  const [daily, dims] = await Promise.all([
    query<{ device: string; venue: string; beverage: string; day: number; litres: number; keg: number }>(client,
      `SELECT device_id AS device, any(venue_id) AS venue, argMax(beverage_id, ts) AS beverage, intDiv(toUnixTimestamp(ts), 86400) AS day,
              sum(volume_ml) / 1000 AS litres, argMax(keg_remaining_ml, ts) AS keg
       FROM ${database}.pours FINAL WHERE ts >= {lo:DateTime64(3)} AND ts < {hi:DateTime64(3)}
       GROUP BY device, day ORDER BY device, day`,
      { lo: chTime(lo * DAY_MS), hi: chTime(hi * DAY_MS) }),
    query<{ device: string; keg: number }>(client, `SELECT device_id AS device, keg_size_ml AS keg FROM ${database}.devices FINAL`),
  ])
  const kegSize = new Map(dims.map((d) => [d.device, d.keg]))
  const taps = new Map<string, TapHistory>()
  for (const r of daily) {
    let t = taps.get(r.device)
    if (t === undefined) {
      t = { deviceId: r.device, venueId: r.venue, beverageId: r.beverage, kegSizeMl: kegSize.get(r.device) ?? NaN, firstDay: r.day, litres: new Map(), kegEndMl: new Map() }
      taps.set(r.device, t)
    }
    // The newest day's beverage is the tap's beverage now.
    t.beverageId = r.beverage
    t.litres.set(r.day, r.litres)
    t.kegEndMl.set(r.day, r.keg)
  }
  return [...taps.values()]
}

async function query<T>(client: ClickHouseClient, sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await client.query({ query: sql, format: 'JSONEachRow', query_params: params, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  return rs.json<T>()
}

function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}
