import type { ClickHouseClient } from '@clickhouse/client'
import { expectedTapPours, rosterDeviceSpec, rosterVenueSpec } from '../../firmware-sim/index.js'
import { TapflowClickHouseError, errorMessage } from '../../common/index.js'
import { dayToMs } from '../business/sim/dates.js'
import type { DaySource, DeviceFailure, DeviceFailureSource, VenueDay, VenueTaps } from '../business/sim/failures.js'

const DAY_MS = 86_400_000
/**
 * Health frames are due every 15 minutes; one arriving more than 10 minutes later than the fleet's frames received
 * in the same minute was queued behind an outage. (Relative, because at --speed max every frame lags the racing clock.)
 */
const HEALTH_PERIOD_MIN = 15
const ON_TIME_MS = 10 * 60_000
/** A tap that delivered under half its health frames on time was offline for a meaningful part of the day. */
const OFFLINE_SHARE = 0.5
/** Keg temperature that means failing cooling (set points are 2–4 °C), and readings (5 min apart) above it that make a complaint: one hour. */
const WARM_KEG_C = 8
const WARM_READINGS = 12
/** Frames lost for good that make a data complaint. */
const GAP_FRAMES = 20

export interface TelemetrySourceOptions {
  /** ClickHouse holding the telemetry; a promise while it is still opening (the business starts beside it). */
  client: ClickHouseClient | Promise<ClickHouseClient>
  seed: number
  /** When the fleet started publishing, ms since the epoch: days ending after it are measured. */
  fromMs: number
  /** Used for days before `fromMs`. */
  fallback: DeviceFailureSource
  /** Called before a measured day is read, so every frame of it is in ClickHouse. Default: none. */
  beforeRead?: () => Promise<void>
}

interface DeviceObs {
  venueId: string
  frames: number
  onTime: number
  codes: number[]
  warm: number
  lost: number
}

/**
 * The business's view of the running fleet: failures from ground truth and from what the gateway saw (offline
 * periods, lost frames, error codes, warm lines), and pours per venue, all for one UTC day, from ClickHouse.
 */
export class TelemetrySource implements DeviceFailureSource {
  readonly name = 'telemetry'
  private readonly o: TelemetrySourceOptions
  private readonly cache = new Map<string, Promise<Map<string, DeviceObs>>>()

  constructor(o: TelemetrySourceOptions) {
    this.o = o
  }

  sourceOf(day: string): DaySource {
    return dayToMs(day) + DAY_MS > this.o.fromMs ? 'measured' : 'simulated_daily'
  }

  async failuresOn(day: string, venues: readonly VenueTaps[]): Promise<DeviceFailure[]> {
    if (this.sourceOf(day) !== 'measured') return this.o.fallback.failuresOn(day, venues)
    await this.o.beforeRead?.()
    const { from, to, coverage } = this.window(day)
    const truth = await this.rows<{ device_id: string; mode: string; onset: string }>(`
      SELECT device_id, mode, toString(onset_ts) AS onset FROM tapflow.ground_truth FINAL
      WHERE onset_ts >= {from:DateTime64(3)} AND onset_ts < {to:DateTime64(3)} AND cleared_at IS NULL ORDER BY device_id, mode`, { from, to })
    const byDevice = new Map<string, Array<{ kind: string; source: string; evidence: string }>>()
    const add = (id: string, kind: string, source: string, evidence: string): void => {
      const list = byDevice.get(id) ?? []
      if (!list.some((x) => x.kind === kind)) list.push({ kind, source, evidence })
      byDevice.set(id, list)
    }
    for (const r of truth) add(r.device_id, r.mode, 'ground_truth', `onset ${r.onset}Z`)
    const obs = await this.observed(day)
    const due = (24 * 60 * coverage) / HEALTH_PERIOD_MIN
    const out: DeviceFailure[] = []
    for (const v of venues) {
      for (const id of v.deviceIds) {
        const o = obs.get(id)
        const onTime = o?.onTime ?? 0
        if (due >= 4 && onTime < due * OFFLINE_SHARE) add(id, 'offline', 'gateway', `${onTime} of ${Math.round(due)} health frames on time`)
        if (o !== undefined) {
          if (o.warm >= WARM_READINGS) add(id, 'warm-keg', 'gateway', `${o.warm} keg readings above ${WARM_KEG_C} °C`)
          if (o.lost >= GAP_FRAMES) add(id, 'seq-gaps', 'gateway', `${o.lost} frames lost`)
          for (const c of o.codes) add(id, `error-code-${c}`, 'gateway', `health error code ${c}`)
        }
        // Ground truth names the cause; what the gateway saw of the same device is evidence, not another fault.
        const found = byDevice.get(id) ?? []
        const truthKinds = found.filter((f) => f.source === 'ground_truth')
        for (const f of truthKinds.length > 0 ? truthKinds : found) {
          out.push({ venueId: v.venueId, accountId: v.accountId, deviceId: id, kind: f.kind, source: f.source, evidence: f.evidence })
        }
      }
    }
    return out
  }

  async venueDaysOn(day: string, venues: readonly VenueTaps[], failures: readonly DeviceFailure[]): Promise<VenueDay[]> {
    if (this.sourceOf(day) !== 'measured') return this.o.fallback.venueDaysOn?.(day, venues, failures) ?? []
    const { from, to, startMs } = this.window(day)
    const pours = new Map((await this.rows<{ venue_id: string; pours: number; ml: number; revenue: number }>(`
      SELECT venue_id, sum(v.pours) AS pours, sum(v.volume_ml) AS ml, sum(v.volume_ml / 1000 * b.price) * 100 AS revenue
      FROM tapflow.venue_beverage_1h AS v
      LEFT JOIN (SELECT beverage_id, argMax(price_per_litre, updated_at) AS price FROM tapflow.beverages GROUP BY beverage_id) AS b USING (beverage_id)
      WHERE hour >= toStartOfHour({from:DateTime64(3)}) AND hour < {to:DateTime64(3)} GROUP BY venue_id`, { from, to })).map((r) => [r.venue_id, r]))
    const obs = await this.observed(day)
    const dayStart = dayToMs(day)
    return venues.map((v) => {
      const spec = rosterVenueSpec(this.o.seed, { venueId: v.venueId, name: '', customer: '' })
      let expected = 0
      let down = 0
      const due = ((dayStart + DAY_MS - startMs) / 60_000) / HEALTH_PERIOD_MIN
      for (const id of v.deviceIds) {
        expected += expectedTapPours(spec, rosterDeviceSpec(this.o.seed, spec, { deviceId: id, lineId: Number(id.split('-')[2]) }), dayStart, startMs)
        down += Math.max(0, due - (obs.get(id)?.onTime ?? 0)) * HEALTH_PERIOD_MIN
      }
      const p = pours.get(v.venueId)
      return {
        venueId: v.venueId, pours: Number(p?.pours ?? 0), litres: Number(p?.ml ?? 0) / 1000, revenueCents: Math.round(Number(p?.revenue ?? 0)),
        expectedPours: expected, downtimeMinutes: down,
      }
    })
  }

  /** The part of the day the fleet was running. */
  private window(day: string): { from: string; to: string; startMs: number; coverage: number } {
    const start = dayToMs(day)
    const startMs = Math.max(start, Math.min(start + DAY_MS, this.o.fromMs))
    const fmt = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
    return { from: fmt(startMs), to: fmt(start + DAY_MS), startMs, coverage: (start + DAY_MS - startMs) / DAY_MS }
  }

  /** Per device: health frames (and those on time), error codes, warm-line readings and frames lost, for the day. */
  private observed(day: string): Promise<Map<string, DeviceObs>> {
    let p = this.cache.get(day)
    if (p === undefined) {
      p = this.readObserved(day)
      this.cache.clear()
      this.cache.set(day, p)
    }
    return p
  }

  private async readObserved(day: string): Promise<Map<string, DeviceObs>> {
    const { from, to } = this.window(day)
    const out = new Map<string, DeviceObs>()
    const get = (id: string, venueId: string): DeviceObs => {
      let o = out.get(id)
      if (o === undefined) out.set(id, (o = { venueId, frames: 0, onTime: 0, codes: [], warm: 0, lost: 0 }))
      return o
    }
    const p = { from, to, onTime: ON_TIME_MS }
    for (const r of await this.rows<{ device_id: string; venue_id: string; frames: number; on_time: number; codes: number[] }>(`
      SELECT h.device_id AS device_id, any(h.venue_id) AS venue_id, count() AS frames,
             countIf(dateDiff('millisecond', h.ts, h.received_at) <= b.lag + {onTime:UInt32}) AS on_time, groupUniqArrayArray(h.error_codes) AS codes
      FROM tapflow.health AS h
      LEFT JOIN (SELECT toStartOfMinute(received_at) AS bucket, quantileExact(0.5)(dateDiff('millisecond', ts, received_at)) AS lag
                 FROM tapflow.health WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} GROUP BY bucket) AS b
        ON toStartOfMinute(h.received_at) = b.bucket
      WHERE h.ts >= {from:DateTime64(3)} AND h.ts < {to:DateTime64(3)} GROUP BY h.device_id`, p)) {
      const o = get(r.device_id, r.venue_id)
      o.frames = Number(r.frames)
      o.onTime = Number(r.on_time)
      o.codes = r.codes.map(Number).sort((a, b) => a - b)
    }
    for (const r of await this.rows<{ device_id: string; venue_id: string; warm: number }>(`
      SELECT device_id, any(venue_id) AS venue_id, countIf(keg_temp_c > ${WARM_KEG_C}) AS warm
      FROM tapflow.temperatures WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} GROUP BY device_id HAVING warm > 0`, p)) {
      get(r.device_id, r.venue_id).warm = Number(r.warm)
    }
    for (const r of await this.rows<{ device_id: string; venue_id: string; lost: number }>(`
      SELECT device_id, any(venue_id) AS venue_id, sum(missing) AS lost
      FROM tapflow.gaps_current WHERE detected_at >= {from:DateTime64(3)} AND detected_at < {to:DateTime64(3)} GROUP BY device_id`, p)) {
      get(r.device_id, r.venue_id).lost = Number(r.lost)
    }
    return out
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    try {
      const rs = await (await this.o.client).query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
      return await rs.json<T>()
    } catch (err) {
      throw new TapflowClickHouseError(`reading telemetry for the business: ${errorMessage(err)}`, undefined, { cause: err })
    }
  }
}
