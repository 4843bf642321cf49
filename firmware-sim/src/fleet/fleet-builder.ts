import { Faker, en } from '@faker-js/faker'
import { ConfigError, Rng } from '../../../common/index.js'
import type { VenueType } from '../device/venue.js'
import type { DeviceSpec, VenueSpec } from '../device/types.js'
import { BEVERAGES, BEVERAGE_WEIGHTS, REGIONS, REGION_WEIGHTS } from './catalogue.js'

export interface FleetOptions {
  /** Number of taps. Default: 2000. */
  devices?: number
  /** Seed for names, layout and every device's behaviour. Default: 42. */
  seed?: number
  /** Taps per venue, inclusive range. Default: [4, 12]. */
  tapsPerVenue?: readonly [number, number]
  /** Firmware every tap starts on. Default: '1.4.2'. */
  firmware?: string
  /** Mean pours per tap per day. Default: 110 (with the default telemetry periods ≈ 500 frames per tap per day). */
  poursPerDay?: number
}

export interface FleetSpec {
  seed: number
  venues: VenueSpec[]
  devices: DeviceSpec[]
}

const VENUE_TYPE_WEIGHTS: readonly (readonly [VenueType, number])[] = [
  ['pub', 0.35], ['sports-bar', 0.15], ['restaurant', 0.2], ['nightclub', 0.08], ['hotel-bar', 0.1], ['brewpub', 0.12],
]

/** Lays out a fleet: venues with faker names across time zones, and their taps. Pure and deterministic. */
export function buildFleet(opts: FleetOptions = {}): FleetSpec {
  const devices = opts.devices ?? 2000
  const seed = opts.seed ?? 42
  const [minTaps, maxTaps] = opts.tapsPerVenue ?? [4, 12]
  if (!Number.isInteger(devices) || devices < 1 || devices > 1_000_000) {
    throw new ConfigError(`devices must be an integer from 1 to 1000000, got ${devices}`)
  }
  if (!Number.isInteger(seed)) throw new ConfigError(`seed must be an integer, got ${seed}`)
  if (!(minTaps >= 1 && maxTaps >= minTaps && maxTaps <= 99)) {
    throw new ConfigError(`tapsPerVenue must satisfy 1 <= min <= max <= 99, got [${minTaps}, ${maxTaps}]`)
  }
  const faker = new Faker({ locale: [en] })
  faker.seed(seed)
  const rng = new Rng(`fleet:${seed}`)
  const bevWeights = BEVERAGES.map((b, i) => [b, BEVERAGE_WEIGHTS[i] ?? 1] as const)

  const venues: VenueSpec[] = []
  const out: DeviceSpec[] = []
  while (out.length < devices) {
    const n = venues.length + 1
    const venueId = `ven-${String(n).padStart(4, '0')}`
    const regionKey = rng.weighted(REGION_WEIGHTS)
    const region = REGIONS.find((r) => r.key === regionKey)!
    const type = rng.weighted(VENUE_TYPE_WEIGHTS)
    const [city, timeZone] = rng.pick(region.cities)
    const venue: VenueSpec = {
      venueId,
      name: venueName(faker, type),
      customer: faker.company.name(),
      city,
      country: region.country,
      timeZone,
      type,
      region: region.key,
      ambientC: rng.between(19, 23),
      setpointC: rng.between(2, 4),
    }
    venues.push(venue)
    const taps = Math.min(rng.int(minTaps, maxTaps), devices - out.length)
    const kegSize = rng.pick(region.kegSizesMl)
    const poured = new Set<string>()
    for (let line = 1; line <= taps; line++) {
      let bev = rng.weighted(bevWeights)
      for (let tries = 0; poured.has(bev.beverageId) && tries < 5; tries++) bev = rng.weighted(bevWeights)
      poured.add(bev.beverageId)
      out.push({
        deviceId: `tap-${String(n).padStart(4, '0')}-${String(line).padStart(2, '0')}`,
        index: out.length,
        venueId,
        lineId: line,
        beverageId: bev.beverageId,
        kegSizeMl: kegSize,
        servings: region.servings,
        firmware: opts.firmware ?? '1.4.2',
        popularity: Math.exp(rng.normal(0, 0.35)) * (line === 1 ? 1.4 : 1),
        poursPerDay: opts.poursPerDay ?? 110,
        rssiBaselineDbm: Math.round(rng.between(-82, -50)),
      })
    }
  }
  return { seed, venues, devices: out }
}

function venueName(faker: Faker, type: VenueType): string {
  switch (type) {
    case 'pub':
      return `The ${faker.word.adjective({ length: { min: 3, max: 8 } })} ${faker.animal.type()}`.replace(/\b\w/g, (c) => c.toUpperCase())
    case 'sports-bar':
      return `${faker.location.street()} Sports Bar`
    case 'restaurant':
      return `${faker.person.lastName()}'s Kitchen`
    case 'nightclub':
      return `Club ${faker.word.noun({ length: { min: 4, max: 8 } })}`.replace(/\b\w/g, (c) => c.toUpperCase())
    case 'hotel-bar':
      return `${faker.location.city()} Hotel Bar`
    case 'brewpub':
      return `${faker.location.county()} Brewing Co.`
  }
}
