import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../common/index.js'
import {
  MemoryTransport, SimClock, Simulator, initialFleet, loadManifest, manifestAssignments, parseManifest, parseSelector, matches, pickShare, venueOf,
} from '../index.js'

const base = `
seed: 7
venues:
  - name: The Anchor
    type: pub
    timezone: Europe/London
    region: uk
    hours: "11:00-23:00"
    taps: 3
    beverages: [bev-bitter, bev-stout]
  - name: Club Nova
    type: nightclub
    timezone: Europe/Berlin
    region: eu
    taps: 2
`

function err(yaml: string): string {
  try {
    parseManifest(yaml, 'x.yaml')
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as Error).message
  }
  throw new Error('expected the manifest to be rejected')
}

describe('fleet manifests', () => {
  it('builds venues, taps, beverages, keg sizes, hours and firmware from YAML', () => {
    const m = parseManifest(base + `    keg_size_l: 20\n    firmware: 1.5.1\n`)
    expect(m.seed).toBe(7)
    expect(m.fleet.venues.map((v) => [v.venueId, v.type, v.timeZone, v.openHours])).toEqual([
      ['ven-0001', 'pub', 'Europe/London', [11, 23]],
      ['ven-0002', 'nightclub', 'Europe/Berlin', undefined],
    ])
    expect(m.fleet.devices.map((d) => d.deviceId)).toEqual(['tap-0001-01', 'tap-0001-02', 'tap-0001-03', 'tap-0002-01', 'tap-0002-02'])
    expect(m.fleet.devices.slice(0, 3).map((d) => d.beverageId)).toEqual(['bev-bitter', 'bev-stout', 'bev-bitter'])
    expect(m.fleet.devices[0]!.kegSizeMl).toBe(50_000)
    expect(m.fleet.devices[3]).toMatchObject({ kegSizeMl: 20_000, firmware: '1.5.1' })
  })

  it('ships example manifests that load: demo, default (2,000 taps) and load-10k', () => {
    const demo = loadManifest('fleets/demo.yaml')
    expect(demo.profiles.length).toBeGreaterThan(2)
    expect(manifestAssignments(demo).some((a) => a.profile === 'cooling-failure')).toBe(true)
    expect(loadManifest('fleets/default.yaml').fleet.devices).toHaveLength(2000)
    expect(loadManifest('fleets/load-10k.yaml').fleet.devices).toHaveLength(10_000)
  })

  it('respects opening hours: no pours while closed', async () => {
    const m = parseManifest(base)
    const t = new MemoryTransport()
    const start = Date.UTC(2026, 10, 20)
    const sim = new Simulator({ fleet: m.fleet, clock: new SimClock({ start, speed: 'max' }), transport: t, until: start + 3 * 86_400_000 })
    await sim.start()
    const hours = t.frames.filter((f) => f.kind === 'pour' && f.deviceId.startsWith('tap-0001')).map((f) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: 'numeric', hourCycle: 'h23' }).format(f.tsMs)))
    expect(hours.length).toBeGreaterThan(50)
    // A pour is reported when the valve closes, a moment after it opened: allow the first minutes after closing.
    expect(hours.every((h) => h >= 11 && h <= 23)).toBe(true)
  })

  it('assigns profiles by selector and by share, and applies rollouts to the starting firmware', () => {
    const m = parseManifest(`
seed: 3
generate: { taps: 200 }
profiles:
  - profile: cooling-failure
    select: venue=ven-0002
  - profile: valve-leak
    share: 0.1
    params: { drip_ml_h: 50 }
rollouts:
  - firmware: 1.5.0
    select: all
    percent: 10
`)
    const a = manifestAssignments(m)
    const venue2 = m.fleet.devices.filter((d) => d.venueId === 'ven-0002').map((d) => d.deviceId)
    expect(a.filter((x) => x.profile === 'cooling-failure').map((x) => x.deviceId)).toEqual(venue2)
    expect(a.filter((x) => x.profile === 'valve-leak')).toHaveLength(20)
    const flashed = initialFleet(m).devices.filter((d) => d.firmware === '1.5.0')
    expect(flashed).toHaveLength(20)
    expect(manifestAssignments(m)).toEqual(a)
  })

  it('rejects bad manifests with the path and line of the problem', () => {
    expect(err(base.replace('taps: 3', 'taps: 120'))).toBe('x.yaml:9: venues[0].taps: expected an integer 1..99, got 120')
    expect(err(base.replace('type: pub', 'type: disco'))).toMatch(/^x\.yaml:5: venues\[0\]\.type: expected one of pub, sports-bar, .*got 'disco'$/)
    expect(err(base.replace('Europe/Berlin', 'Mars/Olympus'))).toBe("x.yaml:13: venues[1].timezone: unknown IANA time zone 'Mars/Olympus'")
    expect(err(base.replace('bev-stout', 'bev-milk'))).toMatch(/^x\.yaml:10: venues\[0\]\.beverages\[1\]: unknown beverage 'bev-milk'/)
    expect(err(base.replace('"11:00-23:00"', '"11:30-23:00"'))).toBe("x.yaml:8: venues[0].hours: expected opening hours like '11:00-23:00' (local, whole hours), got '11:30-23:00'")
    expect(err(base + '    colour: red\n')).toBe('x.yaml:16: venues[1].colour: unknown key (expected one of id, name, type, timezone, region, city, hours, taps, beverages, keg_size_l, firmware, pours_per_day)')
    expect(err(base.replace('    taps: 2\n', ''))).toBe('x.yaml:11: venues[1].taps: required')
    expect(err('seed: 1\n')).toBe("x.yaml: a manifest needs 'generate' (a generated fleet), 'venues', or both")
    expect(err('seed: [1\n')).toMatch(/^x\.yaml:\d+: YAML: /)
    expect(err(base + 'profiles:\n  - profile: melting\n    share: 0.1\n')).toMatch(/^x\.yaml: profiles\[0\]\.profile: unknown profile 'melting' \(expected one of cooling-failure,/)
    expect(err(base + 'profiles:\n  - profile: cooling-failure\n    select: venue=ven-0009\n')).toBe("x.yaml:18: profiles[0].select: 'venue=ven-0009' matches no devices")
    expect(err(base + 'profiles:\n  - profile: cooling-failure\n    select: colour=red\n')).toMatch(/^x\.yaml: profiles\[0\]\.select: unknown key 'colour' in 'colour=red'/)
    expect(err(base + 'profiles:\n  - profile: cooling-failure\n    share: 0.5\n    params: { max_rise_c: 100 }\n')).toBe('x.yaml: profiles[0].params.max_rise_c: expected 0.5..30, got 100')
    expect(err(base + 'profiles:\n  - profile: cooling-failure\n')).toBe("x.yaml:17: profiles[0]: needs 'select' (a selector) or 'share' (0..1 of the fleet)")
    expect(err(base.replace('seed: 7', 'seed: -1'))).toBe('x.yaml:2: seed: expected an integer 0..2147483648, got -1')
    expect(err(base + 'rollouts:\n  - firmware: 1.5.0\n    percent: 0\n')).toBe('x.yaml:18: rollouts[0].percent: expected 0.01..100, got 0')
  })

  it('rejects hostile YAML as bad input (ConfigError), never as an internal error', () => {
    // An alias bomb: 9^7 strings from a few hundred bytes. YAML's maxAliasCount trips; it must surface as a ConfigError.
    const bomb = ['seed: 1', 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [i, l] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) bomb.push(`${l}: &${l} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`)
    expect(err(bomb.join('\n'))).toBe('x.yaml: YAML: Excessive alias count indicates a resource exhaustion attack')
    expect(err(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}`)).toMatch(/^x\.yaml:\d+: YAML: /)
    // A binary value is cut and escaped: one short line, no control bytes.
    const msg = err(`seed: "\\x00\\x1b[2J${'z'.repeat(200)}"\ngenerate: { taps: 2 }\n`)
    expect(msg).toBe(`x.yaml:1: seed: expected an integer 0..2147483648, got '\\x00\\x1b[2J${'z'.repeat(55)}…'`)
  })
})

describe('selectors', () => {
  const m = parseManifest(base)
  const pick = (s: string): string[] => m.fleet.devices.filter((d) => matches(parseSelector(s), d, venueOf(m.fleet, d))).map((d) => d.deviceId)

  it('match by venue, device glob, type, region and combinations', () => {
    expect(pick('venue=ven-0002')).toEqual(['tap-0002-01', 'tap-0002-02'])
    expect(pick('device=tap-0001-0*')).toHaveLength(3)
    expect(pick('type=pub region=uk line=1,2')).toEqual(['tap-0001-01', 'tap-0001-02'])
    expect(pick('all')).toHaveLength(5)
    expect(pick('venue=ven-0001;beverage=bev-stout')).toEqual(['tap-0001-02'])
  })

  it('reject bad selectors clearly', () => {
    expect(() => parseSelector('colour=red')).toThrow("selector: unknown key 'colour' in 'colour=red' (expected one of all, venue, device, firmware, type, region, country, city, beverage, line)")
    expect(() => parseSelector('venue')).toThrow("selector: 'venue' is not key=value (e.g. venue=ven-0003; or 'all')")
    expect(() => parseSelector('  ')).toThrow("selector: empty selector (use 'all' for every device)")
  })

  it('pick a stable share', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => ({ deviceId: `tap-${i}` }))
    const a = pickShare(ids, 10, 's')
    expect(a).toHaveLength(100)
    expect(pickShare([...ids].reverse(), 10, 's').map((x) => x.deviceId).sort()).toEqual(a.map((x) => x.deviceId).sort())
    expect(pickShare(ids.slice(0, 3), 10, 's')).toHaveLength(1)
  })
})
