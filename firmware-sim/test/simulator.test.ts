import { describe, expect, it } from 'vitest'
import { PourEvent, TemperatureReading } from '../../proto/index.js'
import { MemoryTransport, SimClock, Simulator, buildFleet, type Frame, type FleetSpec } from '../index.js'

const DAY = 86_400_000
// Friday 2026-11-20 00:00 UTC
const START = Date.UTC(2026, 10, 20)

async function run(fleet: FleetSpec, ms: number, start = START): Promise<Frame[]> {
  const transport = new MemoryTransport()
  const sim = new Simulator({ fleet, clock: new SimClock({ start, speed: 'max' }), transport, until: start + ms })
  await sim.start()
  await sim.close()
  return transport.frames
}

function digest(frames: Frame[]): string {
  return frames.map((f) => `${f.topic}:${Buffer.from(f.payload).toString('hex')}`).join('\n')
}

describe('simulator determinism', () => {
  it('gives byte-identical frames for the same seed and config', async () => {
    const a = await run(buildFleet({ devices: 60, seed: 7 }), DAY / 4)
    const b = await run(buildFleet({ devices: 60, seed: 7 }), DAY / 4)
    expect(a.length).toBeGreaterThan(1000)
    expect(digest(a)).toBe(digest(b))
  })

  it('gives different frames for a different seed', async () => {
    const a = await run(buildFleet({ devices: 20, seed: 7 }), DAY / 8)
    const b = await run(buildFleet({ devices: 20, seed: 8 }), DAY / 8)
    expect(digest(a)).not.toBe(digest(b))
  })

  it('gives each device the same frames when the fleet is sharded', async () => {
    const fleet = buildFleet({ devices: 30, seed: 3 })
    const whole = await run(fleet, DAY / 8)
    const shards: Frame[] = []
    for (let i = 0; i < 3; i++) {
      const t = new MemoryTransport()
      const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport: t, shard: { index: i, count: 3 }, until: START + DAY / 8 })
      await sim.start()
      shards.push(...t.frames)
    }
    const byDevice = (fs: Frame[]): Map<string, string> => {
      const m = new Map<string, string>()
      for (const f of fs) m.set(f.deviceId, (m.get(f.deviceId) ?? '') + Buffer.from(f.payload).toString('hex'))
      return m
    }
    expect(byDevice(shards)).toEqual(byDevice(whole))
  })
})

describe('device behaviour', () => {
  it('goes on from each tap\'s last seq after a restart (the counter is kept in flash)', async () => {
    const fleet = buildFleet({ devices: 10, seed: 1 })
    const [resumed, fresh] = [fleet.devices[0]!.deviceId, fleet.devices[1]!.deviceId]
    const transport = new MemoryTransport()
    const resumeSeq = new Map([[resumed, 5_000]])
    const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport, resumeSeq, until: START + DAY / 8 })
    await sim.start()
    await sim.close()
    const first = (id: string): number | undefined => transport.frames.find((f) => f.deviceId === id)?.seq
    expect(first(resumed)).toBe(5_001)
    expect(first(fresh)).toBe(1)
  })

  it('numbers frames with a strictly rising seq per device across all kinds', async () => {
    const frames = await run(buildFleet({ devices: 40, seed: 1 }), DAY / 2)
    const last = new Map<string, number>()
    for (const f of frames) {
      expect(f.seq).toBe((last.get(f.deviceId) ?? 0) + 1)
      last.set(f.deviceId, f.seq)
    }
    expect(new Set(frames.map((f) => f.kind))).toEqual(new Set(['pour', 'temp', 'health']))
  })

  it('produces about 500 frames per tap per day with the default periods', async () => {
    const frames = await run(buildFleet({ devices: 100, seed: 2 }), DAY)
    const perTap = frames.length / 100
    expect(perTap).toBeGreaterThan(400)
    expect(perTap).toBeLessThan(650)
    expect(frames.filter((f) => f.kind === 'temp').length).toBe(100 * 288)
  })

  it('pours only while the venue is open, busiest in the evening', async () => {
    const fleet = buildFleet({ devices: 300, seed: 5 })
    const frames = await run(fleet, 3 * DAY)
    const venues = new Map(fleet.venues.map((v) => [v.venueId, v]))
    const devices = new Map(fleet.devices.map((d) => [d.deviceId, d]))
    const restaurantHours = new Array<number>(24).fill(0)
    for (const f of frames) {
      if (f.kind !== 'pour') continue
      const v = venues.get(devices.get(f.deviceId)!.venueId)!
      if (v.type !== 'restaurant') continue
      const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: v.timeZone, hour: '2-digit', hourCycle: 'h23' }).format(f.tsMs))
      restaurantHours[hour]!++
    }
    // Restaurants are closed 01:00-10:59 local and peak at dinner.
    expect(restaurantHours.slice(1, 11).reduce((a, b) => a + b, 0)).toBe(0)
    expect(restaurantHours[19]!).toBeGreaterThan(restaurantHours[15]! * 2)
  })

  it('serves realistic pours and keeps kegs and lines cold', async () => {
    const frames = await run(buildFleet({ devices: 50, seed: 9 }), DAY)
    const pours = frames.filter((f) => f.kind === 'pour').map((f) => PourEvent.decode(f.payload))
    const temps = frames.filter((f) => f.kind === 'temp').map((f) => TemperatureReading.decode(f.payload))
    expect(pours.length).toBeGreaterThan(1000)
    for (const p of pours) {
      expect(p.volume_ml).toBeGreaterThanOrEqual(0)
      expect(p.volume_ml).toBeLessThan(700)
      expect(p.flow_rate_ml_s).toBeGreaterThan(30)
      expect(p.flow_rate_ml_s).toBeLessThan(90)
      expect(p.foam_ratio).toBeGreaterThan(0)
      expect(p.foam_ratio).toBeLessThan(1)
    }
    for (const t of temps) {
      expect(t.keg_temp_c).toBeGreaterThan(1)
      expect(t.keg_temp_c).toBeLessThan(5)
      expect(t.line_temp_c).toBeGreaterThanOrEqual(t.keg_temp_c - 0.5)
      expect(t.line_temp_c).toBeLessThan(t.ambient_temp_c)
    }
    // Kegs deplete between swaps: within one keg the remaining volume only falls.
    const byKeg = new Map<string, number>()
    for (const p of pours) {
      const prev = byKeg.get(p.keg_id)
      if (prev !== undefined) expect(p.keg_remaining_ml).toBeLessThan(prev)
      byKeg.set(p.keg_id, p.keg_remaining_ml)
    }
  })
})
