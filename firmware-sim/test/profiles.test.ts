import { describe, expect, it } from 'vitest'
import { decodeFrame } from '../../edge-gateway/index.js'
import { GroundTruth, HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { MemoryTransport, SimClock, Simulator, buildFleet, resolveParams, getProfile, type Frame, type ProfileAssignment } from '../index.js'

const H = 3_600_000
// Friday 2026-11-20 00:00 UTC
const START = Date.UTC(2026, 10, 20)
const SICK = 'tap-0001-01'
const WELL = 'tap-0001-02'

interface Run {
  frames: Frame[]
  /** Simulated time each frame left the device, in the same order. */
  arrivals: number[]
  transport: MemoryTransport
}

async function run(profiles: Omit<ProfileAssignment, 'deviceId'>[], hours: number, seed = 5): Promise<Run> {
  const transport = new MemoryTransport()
  const clock = new SimClock({ start: START, speed: 'max' })
  const arrivals: number[] = []
  const sim = new Simulator({
    fleet: buildFleet({ devices: 2, seed, tapsPerVenue: [2, 2], poursPerDay: 200 }),
    clock,
    transport,
    until: START + hours * H,
    profiles: profiles.map((p) => ({ ...p, deviceId: SICK })),
    onFrame: () => arrivals.push(clock.now()),
  })
  await sim.start()
  await sim.close()
  return { frames: transport.frames, arrivals, transport }
}

const of = (r: Run, device: string, kind: Frame['kind']): Frame[] => r.frames.filter((f) => f.deviceId === device && f.kind === kind)
const pours = (fs: Frame[]): PourEvent[] => fs.map((f) => PourEvent.decode(f.payload))
const temps = (fs: Frame[]): TemperatureReading[] => fs.map((f) => TemperatureReading.decode(f.payload))
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)))
const between = (fs: Frame[], from: number, to: number): Frame[] => fs.filter((f) => f.tsMs >= START + from * H && f.tsMs < START + to * H)

describe('physical failure profiles leave their signature in the telemetry', () => {
  it('cooling failure: keg temperature rises past 75% of max_rise_c within the progression window', async () => {
    const r = await run([{ profile: 'cooling-failure', params: { onset: '2h', progression: '6h', max_rise_c: 8 } }], 9)
    const keg = (d: string, a: number, b: number): number => mean(temps(between(of(r, d, 'temp'), a, b)).map((t) => t.keg_temp_c))
    expect(keg(SICK, 7, 8) - keg(SICK, 0, 2)).toBeGreaterThan(6)
    expect(keg(SICK, 3, 4) - keg(SICK, 0, 2)).toBeLessThan(3)
    expect(Math.abs(keg(WELL, 7, 8) - keg(WELL, 0, 2))).toBeLessThan(1)
  })

  it('flow-meter drift: measured volume moves away from keg depletion', async () => {
    const r = await run([{ profile: 'flow-meter-drift', params: { progression: '1h', drift: 0.2 } }], 48)
    const ratio = (d: string): number => {
      const ps = pours(between(of(r, d, 'pour'), 2, 48))
      const rs: number[] = []
      for (let i = 1; i < ps.length; i++) {
        const [a, b] = [ps[i - 1]!, ps[i]!]
        const used = a.keg_remaining_ml - b.keg_remaining_ml
        if (a.keg_id === b.keg_id && used > 50) rs.push(b.volume_ml / used)
      }
      expect(rs.length).toBeGreaterThan(20)
      return median(rs)
    }
    expect(ratio(SICK)).toBeGreaterThan(1.15)
    expect(Math.abs(ratio(WELL) - 1)).toBeLessThan(0.03)
  })

  it('valve leak: drip volume recorded at a trickle flow rate with no customer pour', async () => {
    const r = await run([{ profile: 'valve-leak', params: { progression: 0, drip_ml_h: 200 } }], 24)
    const drips = (d: string): PourEvent[] => pours(of(r, d, 'pour')).filter((p) => p.flow_rate_ml_s < 1)
    // 200 ml/h for 24 h, reported every ≥ 20 ml.
    expect(drips(SICK).length).toBeGreaterThan(100)
    expect(drips(SICK).reduce((s, p) => s + p.volume_ml, 0)).toBeGreaterThan(0.9 * 200 * 24 * 0.95)
    expect(drips(WELL)).toHaveLength(0)
  })

  it('clogged line: flow rate falls and pours take longer', async () => {
    const r = await run([{ profile: 'clogged-line', params: { onset: '24h', progression: 0, flow_drop: 0.6 } }], 48)
    const before = pours(between(of(r, SICK, 'pour'), 0, 24))
    const after = pours(between(of(r, SICK, 'pour'), 24, 48))
    expect(median(after.map((p) => p.flow_rate_ml_s)) / median(before.map((p) => p.flow_rate_ml_s))).toBeLessThan(0.5)
    const msPerMl = (ps: PourEvent[]): number => median(ps.map((p) => p.duration_ms / p.volume_ml))
    expect(msPerMl(after) / msPerMl(before)).toBeGreaterThan(2)
  })

  it('gas pressure loss: foam and waste rise', async () => {
    const r = await run([{ profile: 'gas-pressure-loss', params: { onset: '24h', progression: 0, foam_rise: 0.3 } }], 48)
    const before = pours(between(of(r, SICK, 'pour'), 0, 24))
    const after = pours(between(of(r, SICK, 'pour'), 24, 48))
    expect(mean(after.map((p) => p.foam_ratio)) - mean(before.map((p) => p.foam_ratio))).toBeGreaterThan(0.2)
    const wasteShare = (ps: PourEvent[]): number => ps.reduce((s, p) => s + p.waste_ml, 0) / ps.reduce((s, p) => s + p.volume_ml, 0)
    expect(wasteShare(after)).toBeGreaterThan(2 * wasteShare(before))
  })

  it('stuck sensor repeats one reading; noisy sensor scatters', async () => {
    const stuck = await run([{ profile: 'stuck-sensor', params: { onset: '2h' } }], 6)
    const after = temps(between(of(stuck, SICK, 'temp'), 2.1, 6)).map((t) => t.line_temp_c)
    expect(after.length).toBeGreaterThan(40)
    expect(new Set(after).size).toBe(1)
    expect(new Set(temps(between(of(stuck, SICK, 'temp'), 0, 2)).map((t) => t.line_temp_c)).size).toBeGreaterThan(10)

    const noisy = await run([{ profile: 'noisy-sensor', params: { onset: '6h', progression: 0, noise_c: 3 } }], 12)
    const diffs = (a: number, b: number): number[] => {
      const ks = temps(between(of(noisy, SICK, 'temp'), a, b)).map((t) => t.keg_temp_c)
      return ks.slice(1).map((k, i) => k - ks[i]!)
    }
    expect(sd(diffs(6, 12))).toBeGreaterThan(10 * sd(diffs(0, 6)))
  })

  it('power brownout: voltage dips and the tap reboots', async () => {
    const r = await run([{ profile: 'power-brownout', params: { onset: '12h', progression: '1h', reboots_per_day: 24 } }], 36)
    const hs = of(r, SICK, 'health').map((f) => HealthFrame.decode(f.payload))
    const pre = hs.filter((h) => h.ts_ms < START + 12 * H)
    const post = hs.filter((h) => h.ts_ms >= START + 13 * H)
    expect(Math.max(...pre.map((h) => h.reboot_count))).toBe(0)
    expect(post.at(-1)!.reboot_count).toBeGreaterThan(5)
    expect(mean(post.map((h) => h.supply_voltage_v))).toBeLessThan(10)
    expect(post.some((h, i) => i > 0 && h.uptime_s < post[i - 1]!.uptime_s)).toBe(true)
    expect(post.some((h) => h.error_codes.length > 0)).toBe(true)
  })
})

describe('connectivity and data faults happen on the device side of the wire', () => {
  it('offline: silence for the outage, then the queued frames in a burst, late when over 48 h', async () => {
    const r = await run([{ profile: 'offline', params: { onset: '2h', outage: '50h' } }], 56)
    const mine = r.frames.map((f, i) => ({ f, at: r.arrivals[i]! })).filter((x) => x.f.deviceId === SICK)
    const during = mine.filter((x) => x.at > START + 2 * H + 60_000 && x.at < START + 52 * H - 60_000)
    expect(during).toHaveLength(0)
    const late = mine.filter((x) => decodeFrame(x.f.topic, x.f.payload, x.at).ok && x.at - x.f.tsMs >= 48 * H)
    expect(late.length).toBeGreaterThan(10)
    const d = decodeFrame(late[0]!.f.topic, late[0]!.f.payload, late[0]!.at)
    expect(d.ok && d.record.late).toBe(true) // the gateway flags it late
  })

  it('flapping: frames arrive in bursts, never later than one period', async () => {
    const r = await run([{ profile: 'flapping', params: { progression: 0, period: '20m', down_share: 0.5 } }], 12)
    const delays = r.frames.map((f, i) => r.arrivals[i]! - f.tsMs).filter((_, i) => r.frames[i]!.deviceId === SICK)
    expect(delays.filter((d) => d > 0).length).toBeGreaterThan(delays.length / 4)
    expect(Math.max(...delays)).toBeLessThanOrEqual(20 * 60_000)
  })

  it('intermittent: a share of frames is lost for good (seq gaps)', async () => {
    const r = await run([{ profile: 'intermittent', params: { progression: 0, loss: 0.3 } }], 24)
    const seqs = r.frames.filter((f) => f.deviceId === SICK).map((f) => f.seq)
    expect(seqs.length / Math.max(...seqs)).toBeGreaterThan(0.6)
    expect(seqs.length / Math.max(...seqs)).toBeLessThan(0.8)
  })

  it('late frames arrive ≥ 48 h after their timestamp and the gateway flags them', async () => {
    const r = await run([{ profile: 'late-frames', params: { progression: 0, share: 0.1 } }], 60)
    const late = r.frames.map((f, i) => ({ f, at: r.arrivals[i]! })).filter((x) => x.at - x.f.tsMs >= 48 * H)
    expect(late.length).toBeGreaterThan(5)
    expect(late.every((x) => x.f.deviceId === SICK)).toBe(true)
    for (const x of late) {
      const d = decodeFrame(x.f.topic, x.f.payload, x.at)
      expect(d.ok && d.record.late).toBe(true)
    }
  })

  it('out-of-order, duplicate and corrupt frames', async () => {
    const ooo = await run([{ profile: 'out-of-order', params: { progression: 0, share: 0.1 } }], 12)
    const seqs = ooo.frames.filter((f) => f.deviceId === SICK).map((f) => f.seq)
    expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!)).toBe(true)
    // Swapped, not lost: every seq up to the last arrives exactly once, bar at most one still held.
    expect(seqs.length).toBeGreaterThanOrEqual(Math.max(...seqs) - 1)
    expect(new Set(seqs).size).toBe(seqs.length)

    const dup = await run([{ profile: 'duplicates', params: { progression: 0, share: 0.1 } }], 12)
    const ds = dup.frames.filter((f) => f.deviceId === SICK).map((f) => f.seq)
    expect(ds.length - new Set(ds).size).toBeGreaterThan(5)

    const bad = await run([{ profile: 'corrupt-payload', params: { progression: 0, share: 0.1 } }], 12)
    const verdicts = bad.frames.filter((f) => f.deviceId === SICK).map((f) => decodeFrame(f.topic, f.payload, f.tsMs))
    const rejected = verdicts.filter((v) => !v.ok)
    expect(rejected.length).toBeGreaterThan(5)
    expect(rejected.every((v) => !v.ok && v.reason === 'undecodable')).toBe(true)
    expect(bad.frames.filter((f) => f.deviceId === WELL).every((f) => decodeFrame(f.topic, f.payload, f.tsMs).ok)).toBe(true)
  })

  it('clock skew offsets ts_ms from true time', async () => {
    const r = await run([{ profile: 'clock-skew', params: { progression: 0, skew: '-30m' } }], 4)
    for (const f of of(r, SICK, 'temp')) expect(TemperatureReading.decode(f.payload).ts_ms - f.tsMs).toBe(-30 * 60_000)
    for (const f of of(r, WELL, 'temp')) expect(TemperatureReading.decode(f.payload).ts_ms).toBe(f.tsMs)
  })
})

describe('profiles combine, stay deterministic and are recorded as ground truth', () => {
  const combo = [
    { profile: 'cooling-failure', params: { onset: '1h', progression: '4h' } },
    { profile: 'clogged-line', params: { hazard_per_day: 4, progression: '2h' } },
    { profile: 'duplicates', params: { share: 0.05 } },
  ]

  it('combined profiles each show their signature', async () => {
    const r = await run(combo, 24)
    const kegRise = mean(temps(between(of(r, SICK, 'temp'), 6, 8)).map((t) => t.keg_temp_c)) - mean(temps(between(of(r, SICK, 'temp'), 0, 1)).map((t) => t.keg_temp_c))
    expect(kegRise).toBeGreaterThan(8)
    const gt = r.transport.records.map((x) => GroundTruth.decode(x.payload))
    const clog = gt.find((g) => g.mode === 'clogged-line')!
    const after = pours(of(r, SICK, 'pour').filter((f) => f.tsMs > clog.failure_ms))
    const all = pours(of(r, WELL, 'pour'))
    if (after.length > 5) expect(median(after.map((p) => p.flow_rate_ml_s))).toBeLessThan(0.6 * median(all.map((p) => p.flow_rate_ml_s)))
  })

  it('gives byte-identical frames and ground truth for the same seed and profiles', async () => {
    const a = await run(combo, 12)
    const b = await run(combo, 12)
    const digest = (r: Run): string => r.frames.map((f) => Buffer.from(f.payload).toString('hex')).join('\n')
    expect(digest(a)).toBe(digest(b))
    const gt = (r: Run): string => r.transport.records.map((x) => Buffer.from(x.payload).toString('hex')).join()
    expect(gt(a)).toBe(gt(b))
  })

  it('leaves devices without profiles exactly as they were', async () => {
    const a = await run([], 12)
    const b = await run(combo, 12)
    const well = (r: Run): string => of(r, WELL, 'pour').concat(of(r, WELL, 'temp')).map((f) => Buffer.from(f.payload).toString('hex')).join()
    expect(well(b)).toBe(well(a))
  })

  it('records one ground-truth row per injection with onset, failure and parameters', async () => {
    const r = await run(combo, 2)
    const gt = r.transport.records.map((x) => GroundTruth.decode(x.payload))
    expect(gt.map((g) => g.mode)).toEqual(['cooling-failure', 'clogged-line', 'duplicates'])
    const cool = gt[0]!
    expect(cool).toMatchObject({ device_id: SICK, venue_id: 'ven-0001', onset_ms: START + H, failure_ms: START + 5 * H, source: 'manifest', recorded_ms: START, cleared_ms: 0 })
    expect(JSON.parse(cool.parameters_json)).toMatchObject({ max_rise_c: 10, onset: H, progression: 4 * H })
    // A hazard draws the onset after the assignment, the same on every run.
    expect(gt[1]!.onset_ms).toBeGreaterThan(START)
    expect(gt[1]!.failure_ms - gt[1]!.onset_ms).toBe(2 * H)
  })
})

describe('profile parameters are validated with the path in the message', () => {
  it('rejects unknown profiles, parameters, bad values and ranges', () => {
    expect(() => getProfile('melting', 'profiles[1]')).toThrow(/^profiles\[1\]: unknown profile 'melting' \(expected one of cooling-failure, /)
    const cool = getProfile('cooling-failure')
    expect(() => resolveParams(cool, { colour: 1 }, 'p')).toThrow("p.colour: unknown parameter for cooling-failure (expected one of onset, hazard_per_day, progression, max_rise_c)")
    expect(() => resolveParams(cool, { max_rise_c: 99 }, 'p')).toThrow('p.max_rise_c: expected 0.5..30, got 99')
    expect(() => resolveParams(cool, { onset: 'soon' }, 'p')).toThrow("p.onset: expected a duration like 30m, 6h or 2d, got 'soon'")
    expect(() => resolveParams(cool, { max_rise_c: 'hot' }, 'p')).toThrow("p.max_rise_c: expected a number, got 'hot'")
    expect(resolveParams(cool, { onset: '90m', max_rise_c: '4' }, 'p')).toMatchObject({ onset: 90 * 60_000, max_rise_c: 4, progression: 6 * H })
  })
})
