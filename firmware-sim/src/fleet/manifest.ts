import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument } from 'yaml'
import { ConfigError, errorMessage, Rng } from '../../../common/index.js'
import { VENUE_TYPES, type VenueType } from '../device/venue.js'
import type { DeviceSpec, VenueSpec } from '../device/types.js'
import { BUILTIN_FIRMWARE, getProfile, resolveParams, type FirmwareCatalogue, type FirmwareRelease } from '../profiles/index.js'
import { BEVERAGES, REGIONS } from './catalogue.js'
import { buildFleet, type FleetSpec } from './fleet-builder.js'
import { matches, parseSelector, pickShare, type Selector } from './selector.js'
import type { ProfileAssignment } from './simulator.js'
import { Obj, documentValue, fail } from './manifest-read.js'

/** A firmware rollout: `percent` of the devices `select` picks, in stages of `stagePercent`. */
export interface Rollout {
  firmware: string
  select: Selector
  percent: number
  stagePercent: number
  stageIntervalMs: number
  where: string
}

/** A profile put on the devices `select` picks, or on a `share` of the fleet. */
export interface ProfileRule {
  profile: string
  select?: Selector
  /** Share of the (selected) fleet, 0..1. */
  share?: number
  params: Readonly<Record<string, number | string>>
  where: string
}

export interface FleetManifest {
  name: string
  seed: number
  fleet: FleetSpec
  firmware: FirmwareCatalogue
  profiles: readonly ProfileRule[]
  rollouts: readonly Rollout[]
}

const ID = /^[A-Za-z0-9._+-]{1,32}$/

/** Reads and validates a manifest file; every error names the file, the path and (when known) the line. */
export function loadManifest(file: string): FleetManifest {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read manifest ${file}: ${errorMessage(err)}`)
  }
  return parseManifest(text, file)
}

export function parseManifest(text: string, source = 'manifest'): FleetManifest {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const pos = lines.linePos(e.pos[0])
    throw new ConfigError(`${source}:${pos.line}: YAML: ${e.message.split('\n')[0]}`)
  }
  try {
    return build(new Obj(documentValue(doc), '', doc, lines))
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${source}${err.message.startsWith(':') ? '' : ': '}${err.message}`)
    throw err
  }
}

function build(root: Obj): FleetManifest {
  root.only(['name', 'seed', 'defaults', 'firmware', 'generate', 'venues', 'profiles', 'rollouts'])
  const seed = root.int('seed', 0, 2 ** 31, 42)!
  const defaults = root.obj('defaults', true)
  defaults?.only(['firmware', 'pours_per_day'])
  const defaultFirmware = defaults?.str('firmware', ID, '1.4.2') ?? '1.4.2'
  const poursPerDay = defaults?.num('pours_per_day', 1, 5_000, 110) ?? 110

  const firmware = new Map<string, FirmwareRelease>(BUILTIN_FIRMWARE)
  const fw = root.obj('firmware', true)
  for (const version of fw?.keys() ?? []) {
    if (!ID.test(version)) fail(fw!.path(version), `firmware version must match ${ID.source}`, fw!.lineOf(version))
    const rel = fw!.obj(version)!
    rel.only(['notes', 'faults'])
    const faults = rel.list('faults', true).map((f, i) => {
      f.only(['profile', 'params'])
      const profile = f.str('profile')!
      const params = f.params('params')
      checkProfile(profile, params, f, `faults[${i}]`)
      return { profile, params }
    })
    firmware.set(version, { notes: rel.str('notes', undefined, '') ?? '', faults })
  }

  const gen = root.obj('generate', true)
  gen?.only(['taps', 'taps_per_venue'])
  const venuesIn = root.list('venues', true)
  if (gen === undefined && venuesIn.length === 0) fail('', "a manifest needs 'generate' (a generated fleet), 'venues', or both")
  let fleet: FleetSpec = { seed, venues: [], devices: [] }
  if (gen !== undefined) {
    const taps = gen.int('taps', 1, 1_000_000)!
    const range = gen.pair('taps_per_venue', 1, 99, [4, 12])
    fleet = buildFleet({ devices: taps, seed, tapsPerVenue: range, firmware: defaultFirmware, poursPerDay })
  }
  venuesIn.forEach((v, i) => addVenue(fleet, v, i, seed, defaultFirmware, poursPerDay, firmware))

  const profiles = root.list('profiles', true).map((p, i) => {
    p.only(['profile', 'select', 'share', 'params'])
    const profile = p.str('profile')!
    const params = p.params('params')
    checkProfile(profile, params, p, '')
    const sel = p.has('select') ? parseSelector(p.str('select')!, p.path('select')) : undefined
    const share = p.num('share', 0, 1, null)
    if (sel === undefined && share === undefined) fail(p.path(''), "needs 'select' (a selector) or 'share' (0..1 of the fleet)", p.line())
    const rule: ProfileRule = { profile, select: sel, share, params, where: `profiles[${i}]` }
    if (sel !== undefined && selectRule(fleet, rule).length === 0) fail(p.path('select'), `'${sel.text}' matches no devices`, p.lineOf('select'))
    return rule
  })

  const rollouts = root.list('rollouts', true).map((r, i) => {
    r.only(['firmware', 'select', 'percent', 'stage_percent', 'stage_interval'])
    const version = r.str('firmware', ID)!
    const select = parseSelector(r.str('select', undefined, 'all')!, r.path('select'))
    const percent = r.num('percent', 0.01, 100, 100)!
    const stagePercent = r.num('stage_percent', 0.01, 100, percent)!
    const stageIntervalMs = r.duration('stage_interval', 0)
    if (fleet.devices.every((d) => !matches(select, d, venueOf(fleet, d)))) fail(r.path('select'), `'${select.text}' matches no devices`, r.lineOf('select'))
    return { firmware: version, select, percent, stagePercent, stageIntervalMs, where: `rollouts[${i}]` }
  })
  return { name: root.str('name', undefined, 'fleet') ?? 'fleet', seed, fleet, firmware, profiles, rollouts }
}

function checkProfile(profile: string, params: Readonly<Record<string, unknown>>, o: Obj, sub: string): void {
  const where = o.path(sub === '' ? 'profile' : `${sub}.profile`)
  resolveParams(getProfile(profile, where), params, o.path(sub === '' ? 'params' : `${sub}.params`))
}

const venueCache = new WeakMap<FleetSpec, Map<string, VenueSpec>>()
export function venueOf(fleet: FleetSpec, d: DeviceSpec): VenueSpec {
  let m = venueCache.get(fleet)
  if (m === undefined || m.size !== fleet.venues.length) venueCache.set(fleet, (m = new Map(fleet.venues.map((v) => [v.venueId, v]))))
  return m.get(d.venueId)!
}

/** The devices a profile rule picks in `fleet`. */
export function selectRule(fleet: FleetSpec, rule: ProfileRule, firmwareOf?: (d: DeviceSpec) => string): DeviceSpec[] {
  const picked = fleet.devices.filter((d) => rule.select === undefined || matches(rule.select, d, venueOf(fleet, d), firmwareOf?.(d)))
  return rule.share === undefined ? picked : pickShare(picked, rule.share * 100, `${fleet.seed}:${rule.where}:${rule.profile}`)
}

/** Profile assignments for a fresh fleet, in manifest order. */
export function manifestAssignments(m: FleetManifest): ProfileAssignment[] {
  return m.profiles.flatMap((rule) => selectRule(m.fleet, rule).map((d) => ({ deviceId: d.deviceId, profile: rule.profile, params: rule.params, where: rule.where })))
}

/** The devices each rollout flashes, by the same stable choice the live Flash uses. */
export function rolloutDevices(fleet: FleetSpec, r: Pick<Rollout, 'firmware' | 'select' | 'percent'>, firmwareOf?: (d: DeviceSpec) => string): DeviceSpec[] {
  const picked = fleet.devices.filter((d) => matches(r.select, d, venueOf(fleet, d), firmwareOf?.(d)))
  return pickShare(picked, r.percent, `rollout:${r.firmware}`)
}

/** The fleet as it starts: rollouts already applied to each device's firmware. */
export function initialFleet(m: FleetManifest): FleetSpec {
  const firmware = new Map<string, string>()
  for (const r of m.rollouts) for (const d of rolloutDevices(m.fleet, r, (x) => firmware.get(x.deviceId) ?? x.firmware)) firmware.set(d.deviceId, r.firmware)
  return { ...m.fleet, devices: m.fleet.devices.map((d) => (firmware.has(d.deviceId) ? { ...d, firmware: firmware.get(d.deviceId)! } : d)) }
}

function addVenue(fleet: FleetSpec, v: Obj, i: number, seed: number, defaultFirmware: string, poursPerDay: number, catalogue: FirmwareCatalogue): void {
  v.only(['id', 'name', 'type', 'timezone', 'region', 'city', 'hours', 'taps', 'beverages', 'keg_size_l', 'firmware', 'pours_per_day'])
  const n = fleet.venues.length + 1
  const venueId = v.str('id', /^ven-[0-9]{4,6}$/, `ven-${String(n).padStart(4, '0')}`)!
  if (fleet.venues.some((x) => x.venueId === venueId)) fail(v.path('id'), `duplicate venue id '${venueId}'`, v.lineOf('id'))
  const type = v.str('type') as VenueType
  if (!VENUE_TYPES.includes(type)) fail(v.path('type'), `expected one of ${VENUE_TYPES.join(', ')}, got '${type}'`, v.lineOf('type'))
  const regionKey = v.str('region')!
  const region = REGIONS.find((r) => r.key === regionKey)
  if (region === undefined) fail(v.path('region'), `expected one of ${REGIONS.map((r) => r.key).join(', ')}, got '${regionKey}'`, v.lineOf('region'))
  const timeZone = v.str('timezone')!
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
  } catch {
    fail(v.path('timezone'), `unknown IANA time zone '${timeZone}'`, v.lineOf('timezone'))
  }
  const taps = v.int('taps', 1, 99)!
  const bevs = v.has('beverages') ? v.strings('beverages') : []
  bevs.forEach((b, j) => {
    if (!BEVERAGES.some((x) => x.beverageId === b)) fail(`${v.path('beverages')}[${j}]`, `unknown beverage '${b}' (expected one of ${BEVERAGES.map((x) => x.beverageId).join(', ')})`, v.lineOf('beverages'))
  })
  const kegL = v.num('keg_size_l', 5, 200, region!.kegSizesMl[0]! / 1000)!
  const fw = v.str('firmware', ID, defaultFirmware)!
  if (!catalogue.has(fw)) fail(v.path('firmware'), `unknown firmware '${fw}' (known: ${[...catalogue.keys()].join(', ')}; add it under 'firmware')`, v.lineOf('firmware'))
  const rng = new Rng(`manifest:${seed}:${venueId}`)
  const venue: VenueSpec = {
    venueId,
    name: v.str('name')!,
    customer: v.str('name')!,
    city: v.str('city', undefined, timeZone.split('/').at(-1)!.replace(/_/g, ' '))!,
    country: region!.country,
    timeZone,
    type,
    region: region!.key,
    ambientC: rng.between(19, 23),
    setpointC: rng.between(2, 4),
    openHours: v.has('hours') ? v.hours('hours') : undefined,
  }
  fleet.venues.push(venue)
  for (let line = 1; line <= taps; line++) {
    fleet.devices.push({
      deviceId: `tap-${venueId.slice(4)}-${String(line).padStart(2, '0')}`,
      index: fleet.devices.length,
      venueId,
      lineId: line,
      beverageId: bevs.length > 0 ? bevs[(line - 1) % bevs.length]! : rng.pick(BEVERAGES).beverageId,
      kegSizeMl: kegL * 1000,
      servings: region!.servings,
      firmware: fw,
      popularity: Math.exp(rng.normal(0, 0.35)) * (line === 1 ? 1.4 : 1),
      poursPerDay: v.num('pours_per_day', 1, 5_000, poursPerDay)!,
      rssiBaselineDbm: Math.round(rng.between(-82, -50)),
    })
  }
  void i
}
