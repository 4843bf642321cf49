import { ConfigError, Rng } from '../../../common/index.js'
import type { DeviceSpec, VenueSpec } from '../device/types.js'
import { demandFor, LocalTime, type Demand, type VenueType } from '../device/venue.js'
import { BEVERAGES, BEVERAGE_WEIGHTS, REGIONS, REGION_WEIGHTS } from './catalogue.js'
import type { FleetSpec } from './fleet-builder.js'

/**
 * The fleet as TapFlow's installed base: venues and taps come from the business roster (accounts own venues
 * own taps), and everything physical about a venue or tap is drawn from (seed, id) alone. So the same venue gets
 * the same city, venue type and tap behaviour whichever other venues exist, in the live fleet and in the
 * business's daily model of days before telemetry.
 */
export interface RosterVenue {
  /** `ven-0001`. */
  venueId: string
  /** The owning account, e.g. `ACC_000001`. */
  accountId: string
  name: string
  /** The owning business's name. */
  customer: string
  devices: readonly RosterDevice[]
}

export interface RosterDevice {
  /** `tap-0001-01`: venue number and line. */
  deviceId: string
  lineId: number
  /** Default: '1.4.2'. */
  firmware?: string
}

export interface RosterFleetOptions {
  seed: number
  venues: readonly RosterVenue[]
  /** Mean pours per tap per day. Default: 110, as buildFleet. */
  poursPerDay?: number
}

const VENUE_TYPE_WEIGHTS: readonly (readonly [VenueType, number])[] = [
  ['pub', 0.35], ['sports-bar', 0.15], ['restaurant', 0.2], ['nightclub', 0.08], ['hotel-bar', 0.1], ['brewpub', 0.12],
]
const DEFAULT_POURS_PER_DAY = 110

/** Fleet ids from the roster's numbering: venue n → `ven-000n`, its line l → `tap-000n-0l`. */
export function rosterVenueId(n: number): string {
  return `ven-${String(n).padStart(4, '0')}`
}

export function rosterDeviceId(venueId: string, line: number): string {
  return `tap-${venueId.slice(4)}-${String(line).padStart(2, '0')}`
}

/** A venue's physical traits, from (seed, venueId) only. */
export function rosterVenueSpec(seed: number, v: Pick<RosterVenue, 'venueId' | 'name' | 'customer'>): VenueSpec & { kegSizeMl: number } {
  const rng = new Rng(`roster:${seed}:${v.venueId}`)
  const regionKey = rng.weighted(REGION_WEIGHTS)
  const region = REGIONS.find((r) => r.key === regionKey)!
  const type = rng.weighted(VENUE_TYPE_WEIGHTS)
  const [city, timeZone] = rng.pick(region.cities)
  return {
    venueId: v.venueId, name: v.name, customer: v.customer, city, country: region.country, timeZone, type, region: region.key,
    ambientC: rng.between(19, 23), setpointC: rng.between(2, 4), kegSizeMl: rng.pick(region.kegSizesMl),
  }
}

/** A tap's spec, from (seed, deviceId) and its venue. `index` must be unique in the fleet: venue number × 1000 + line. */
export function rosterDeviceSpec(seed: number, venue: VenueSpec & { kegSizeMl: number }, d: RosterDevice, poursPerDay = DEFAULT_POURS_PER_DAY): DeviceSpec {
  const rng = new Rng(`roster:${seed}:${d.deviceId}`)
  const region = REGIONS.find((r) => r.key === venue.region)!
  const bev = rng.weighted(BEVERAGES.map((b, i) => [b, BEVERAGE_WEIGHTS[i] ?? 1] as const))
  return {
    deviceId: d.deviceId,
    index: Number(venue.venueId.slice(4)) * 1000 + d.lineId,
    venueId: venue.venueId,
    lineId: d.lineId,
    beverageId: bev.beverageId,
    kegSizeMl: venue.kegSizeMl,
    servings: region.servings,
    firmware: d.firmware ?? '1.4.2',
    popularity: Math.exp(rng.normal(0, 0.35)) * (d.lineId === 1 ? 1.4 : 1),
    poursPerDay,
    rssiBaselineDbm: Math.round(rng.between(-82, -50)),
  }
}

/** The live fleet for a roster. Pure and deterministic. */
export function buildRosterFleet(o: RosterFleetOptions): FleetSpec {
  if (!Number.isInteger(o.seed)) throw new ConfigError(`seed must be an integer, got ${o.seed}`)
  const venues: VenueSpec[] = []
  const devices: DeviceSpec[] = []
  for (const rv of o.venues) {
    if (rv.devices.length === 0) continue
    const { kegSizeMl, ...venue } = rosterVenueSpec(o.seed, rv)
    venues.push(venue)
    for (const d of rv.devices) devices.push(rosterDeviceSpec(o.seed, { ...venue, kegSizeMl }, d, o.poursPerDay))
  }
  return { seed: o.seed, venues, devices }
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const zoneCache = new Map<string, LocalTime>()
const hoursCache = new Map<string, Array<readonly [hour: number, weekday: number]>>()
const demandCache = new Map<string, Demand>()

/**
 * Local (hour, weekday) of each UTC hour of the day starting at `dayStartMs`, cached per zone and day. One offset per
 * zone and day (taken at noon): a DST switch at night shifts at most an hour of a quiet night.
 */
function localHours(timeZone: string, dayStartMs: number): Array<readonly [number, number]> {
  const key = `${timeZone}|${dayStartMs}`
  let out = hoursCache.get(key)
  if (out === undefined) {
    let zone = zoneCache.get(timeZone)
    if (zone === undefined) zoneCache.set(timeZone, (zone = new LocalTime(timeZone)))
    const offset = zone.offsetMs(dayStartMs + 12 * HOUR)
    out = []
    for (let h = 0; h < 24; h++) {
      const local = dayStartMs + h * HOUR + offset
      out.push([Math.floor((((local % DAY) + DAY) % DAY) / HOUR), (((Math.floor(local / DAY) + 4) % 7) + 7) % 7])
    }
    if (hoursCache.size > 20_000) hoursCache.clear()
    hoursCache.set(key, out)
  }
  return out
}

/**
 * Expected pours of a tap of popularity 1 at this venue in [fromMs, toMs) inside one UTC day, from the same demand
 * curve the live taps draw their pours from. Multiply by each tap's popularity (and by poursPerDay/110 if changed).
 */
export function expectedPoursPerTap(venue: VenueSpec, dayStartMs: number, poursPerDay = DEFAULT_POURS_PER_DAY, fromMs = dayStartMs, toMs = dayStartMs + DAY): number {
  const key = `${venue.type}|${poursPerDay}`
  let demand = demandCache.get(key)
  if (demand === undefined) demandCache.set(key, (demand = demandFor(venue.type, poursPerDay)))
  const hours = localHours(venue.timeZone, dayStartMs)
  let sum = 0
  for (let h = 0; h < 24; h++) {
    const a = Math.max(fromMs, dayStartMs + h * HOUR)
    const b = Math.min(toMs, dayStartMs + (h + 1) * HOUR)
    if (b <= a) continue
    const [lh, wd] = hours[h]!
    sum += demand.rate(lh, wd) * ((b - a) / HOUR)
  }
  return sum
}

/** Mean time a tap is dry while its kicked keg is swapped (the device draws 10–45 min). */
const KEG_SWAP_MEAN_MS = 27.5 * 60_000

/**
 * Expected pours of one tap in [fromMs, toMs) of a UTC day, net of pours missed while a kicked keg is swapped. A keg
 * lasts N pours; swaps happen where pours are (so at the pour-weighted hourly rate r̄), each missing r̄ × swap time
 * pours L; so the tap delivers demand × N / (N + L).
 */
export function expectedTapPours(venue: VenueSpec, device: DeviceSpec, dayStartMs: number, fromMs = dayStartMs, toMs = dayStartMs + DAY): number {
  const demand = expectedPoursPerTap(venue, dayStartMs, device.poursPerDay, fromMs, toMs) * device.popularity
  if (demand <= 0) return 0
  const key = `${venue.type}|${device.poursPerDay}`
  const curve = demandCache.get(key)!
  const hours = localHours(venue.timeZone, dayStartMs)
  let sum = 0
  let sumSq = 0
  for (const [lh, wd] of hours) {
    const r = curve.rate(lh, wd) * device.popularity
    sum += r
    sumSq += r * r
  }
  const ratePerMs = sum > 0 ? sumSq / sum / HOUR : 0
  const servingMl = (device.servings.reduce((a, [size, w]) => a + size * w, 0) / device.servings.reduce((a, [, w]) => a + w, 0)) * 1.02
  const perKeg = device.kegSizeMl / servingMl
  const missed = ratePerMs * KEG_SWAP_MEAN_MS
  return (demand * perKeg) / (perKeg + missed)
}
