import { BEVERAGES, LocalTime, expectedTapPours, rosterDeviceSpec, rosterVenueSpec, type DeviceSpec, type VenueSpec } from '../../../firmware-sim/index.js'
import { Rng } from './prng.js'
import { dayToMs } from './dates.js'

/** A venue whose taps can fail, as the failure source sees it. */
export interface VenueTaps {
  venueId: string
  accountId: string
  taps: number
  /** Venue-specific daily failure multiplier (kit age, cellar conditions). */
  failureRate: number
  /** Live taps, fleet ids (`tap-0001-01`). */
  deviceIds: readonly string[]
}

export interface DeviceFailure {
  venueId: string
  accountId: string
  /** Fleet device id, `tap-0001-01`. */
  deviceId: string
  /** A failure-profile name ('cooling-failure', 'offline', …) or what the gateway saw ('seq-gaps', 'error-code-7'). */
  kind: string
  /** 'simulated' (daily model), 'ground_truth' or 'gateway'. */
  source: string
  /** What showed it, e.g. 'onset 2025-03-01T18:00Z' or '41 of 96 health frames'. Default: none. */
  evidence?: string
}

/** One venue's day of use: pours, volume and revenue at the venue, against what its taps should have poured. */
export interface VenueDay {
  venueId: string
  pours: number
  litres: number
  revenueCents: number
  expectedPours: number
  downtimeMinutes: number
}

export type DaySource = 'simulated_daily' | 'measured'

/**
 * Where device data comes from: failures, and (optionally) the venues' pours. The daily model simulates both from
 * the fleet's device and venue models; a ClickHouse source reads them from telemetry once the fleet runs.
 */
export interface DeviceFailureSource {
  readonly name: string
  failuresOn(day: string, venues: readonly VenueTaps[]): Promise<DeviceFailure[]>
  /** Pours and downtime per venue. Default: absent, meaning no venue-day rows. */
  venueDaysOn?(day: string, venues: readonly VenueTaps[], failures: readonly DeviceFailure[]): Promise<VenueDay[]>
  /** How the day's device data was obtained. Default: 'simulated_daily'. */
  sourceOf?(day: string): DaySource
}

/**
 * The profiles a tap can develop by itself, with their share of failures. The live fleet gets the same hazards
 * (see `weakPoint`), so the daily model and telemetry agree on what fails and how often.
 */
export const FAILURE_KINDS: readonly (readonly [string, number])[] = [
  ['cooling-failure', 3], ['flow-meter-drift', 2], ['valve-leak', 2], ['clogged-line', 2], ['gas-pressure-loss', 2],
  ['stuck-sensor', 1], ['power-brownout', 1], ['offline', 2],
]
/** Minutes a tap is down after a failure of this kind, in the daily model (the profiles' default outage). */
const DOWNTIME_MIN: Readonly<Record<string, number>> = { offline: 120, 'power-brownout': 10 }

/** The profile a tap develops when it fails: fixed per (seed, device), the same in both modes. */
export function weakPoint(seed: number, deviceId: string): string {
  return new Rng(seed, deviceId, 'weak-point').weighted(FAILURE_KINDS)
}

export interface SimulatedFailureSourceOptions {
  /** Seed. Default: 42. */
  seed?: number
  /** Mean daily failure probability per tap, scaled by each venue's rate. Default: 0.002. */
  tapFailureRate?: number
}

interface DeviceModel {
  spec: DeviceSpec
  litresPerPour: number
  pricePerLitre: number
}

/** A venue's day of demand: expected pours, litres and revenue (cents) of its live taps. */
type VenueDemand = readonly [expected: number, litres: number, revenueCents: number]

interface VenueModel {
  spec: VenueSpec & { kegSizeMl: number }
  /** The live taps `byShape` was computed for, comma-joined. */
  taps: string
  /**
   * Demand by the shape of the day, `<UTC offset>|<weekday>`: the demand curve sees nothing else of a date, so a
   * venue has a few dozen distinct days a year. Computing each once keeps the daily model cheap (`business run`).
   */
  byShape: Map<string, VenueDemand>
}

const DAY_MS = 86_400_000

/**
 * The daily model: failures drawn per tap from its venue's hazard, pours drawn around the demand curve the live taps
 * use. Deterministic for (seed, day).
 */
export class SimulatedFailureSource implements DeviceFailureSource {
  readonly name = 'simulated'
  private readonly seed: number
  private readonly rate: number
  private readonly venues = new Map<string, VenueModel>()
  private readonly devices = new Map<string, DeviceModel>()
  private readonly zones = new Map<string, LocalTime>()

  constructor(opts: SimulatedFailureSourceOptions = {}) {
    this.seed = opts.seed ?? 42
    this.rate = opts.tapFailureRate ?? 0.002
  }

  failuresOn(day: string, venues: readonly VenueTaps[]): Promise<DeviceFailure[]> {
    const rng = new Rng(this.seed, day, 'device-failures')
    const out: DeviceFailure[] = []
    for (const v of venues) {
      const p = this.rate * v.failureRate
      for (const id of v.deviceIds) {
        if (!rng.chance(p)) continue
        out.push({ venueId: v.venueId, accountId: v.accountId, deviceId: id, kind: weakPoint(this.seed, id), source: this.name })
      }
    }
    return Promise.resolve(out)
  }

  venueDaysOn(day: string, venues: readonly VenueTaps[], failures: readonly DeviceFailure[]): Promise<VenueDay[]> {
    const rng = new Rng(this.seed, day, 'venue-pours')
    const start = dayToMs(day)
    const down = new Map<string, number>()
    for (const f of failures) down.set(f.venueId, (down.get(f.venueId) ?? 0) + (DOWNTIME_MIN[f.kind] ?? 0))
    const offsets = new Map<string, number>()
    return Promise.resolve(venues.map((v) => {
      const [expected, litres, revenue] = this.demand(v, start, offsets)
      const downtime = down.get(v.venueId) ?? 0
      const up = v.deviceIds.length === 0 ? 0 : 1 - Math.min(1, downtime / (v.deviceIds.length * 1440))
      const pours = rng.poisson(expected * up)
      const scale = expected > 0 ? pours / expected : 0
      return { venueId: v.venueId, pours, litres: litres * scale, revenueCents: Math.round(revenue * scale), expectedPours: expected, downtimeMinutes: downtime }
    }))
  }

  /** The venue's expected demand on the UTC day starting at `start`, summed over its live taps in line order. */
  private demand(v: VenueTaps, start: number, offsets: Map<string, number>): VenueDemand {
    const model = this.venue(v.venueId)
    const taps = v.deviceIds.join(',')
    if (model.taps !== taps) {
      model.taps = taps
      model.byShape.clear()
    }
    const zone = model.spec.timeZone
    let offset = offsets.get(zone)
    if (offset === undefined) {
      let local = this.zones.get(zone)
      if (local === undefined) this.zones.set(zone, (local = new LocalTime(zone)))
      // The offset at noon, as expectedTapPours takes it.
      offsets.set(zone, (offset = local.offsetMs(start + DAY_MS / 2)))
    }
    const shape = `${offset}|${Math.floor(start / DAY_MS) % 7}`
    let d = model.byShape.get(shape)
    if (d === undefined) {
      let expected = 0
      let litres = 0
      let revenue = 0
      for (const id of v.deviceIds) {
        const dm = this.device(model.spec, id)
        const e = expectedTapPours(model.spec, dm.spec, start)
        expected += e
        litres += e * dm.litresPerPour
        revenue += e * dm.litresPerPour * dm.pricePerLitre * 100
      }
      model.byShape.set(shape, (d = [expected, litres, revenue]))
    }
    return d
  }

  sourceOf(): DaySource {
    return 'simulated_daily'
  }

  /** Venue specs only depend on (seed, id); name and customer do not matter to the model. */
  private venue(venueId: string): VenueModel {
    let v = this.venues.get(venueId)
    if (v === undefined) this.venues.set(venueId, (v = { spec: rosterVenueSpec(this.seed, { venueId, name: '', customer: '' }), taps: '', byShape: new Map() }))
    return v
  }

  private device(venue: VenueSpec & { kegSizeMl: number }, deviceId: string): DeviceModel {
    let d = this.devices.get(deviceId)
    if (d === undefined) {
      const spec: DeviceSpec = rosterDeviceSpec(this.seed, venue, { deviceId, lineId: Number(deviceId.split('-')[2]) })
      const ml = spec.servings.reduce((s, [size, w]) => s + size * w, 0) / spec.servings.reduce((s, [, w]) => s + w, 0)
      d = {
        spec,
        litresPerPour: (ml * 1.02) / 1000,
        pricePerLitre: BEVERAGES.find((b) => b.beverageId === spec.beverageId)?.pricePerLitre ?? 12,
      }
      this.devices.set(deviceId, d)
    }
    return d
  }
}
