import { describe, expect, it } from 'vitest'
import { DeviceCommand, GroundTruth, HealthFrame, PourEvent } from '../../proto/index.js'
import { DirectCommandBus, FleetControl, MemoryTransport, SimClock, Simulator, buildFleet, type FleetSpec } from '../index.js'

const H = 3_600_000
const START = Date.UTC(2026, 10, 20)

function fleetOn(firmware: string): FleetSpec {
  return buildFleet({ devices: 4, seed: 9, tapsPerVenue: [2, 2], firmware, poursPerDay: 200 })
}

async function run(fleet: FleetSpec, hours: number): Promise<{ sim: Simulator; t: MemoryTransport }> {
  const t = new MemoryTransport()
  const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport: t, until: START + hours * H })
  await sim.start()
  return { sim, t }
}

/** Median of measured volume over keg depletion across consecutive pours of one device. */
function meterRatio(t: MemoryTransport, device: string, from = START): number {
  const ps = t.frames.filter((f) => f.deviceId === device && f.kind === 'pour' && f.tsMs >= from).map((f) => PourEvent.decode(f.payload))
  const rs: number[] = []
  for (let i = 1; i < ps.length; i++) {
    const used = ps[i - 1]!.keg_remaining_ml - ps[i]!.keg_remaining_ml
    if (ps[i]!.keg_id === ps[i - 1]!.keg_id && used > 50) rs.push(ps[i]!.volume_ml / used)
  }
  return rs.sort((a, b) => a - b)[Math.floor(rs.length / 2)]!
}

describe('firmware carries behaviour', () => {
  it('1.5.0 makes the flow meter drift (recorded as ground truth); 1.4.2 does not', async () => {
    const buggy = await run(fleetOn('1.5.0'), 72)
    const clean = await run(fleetOn('1.4.2'), 72)
    // 1.5.0 reads 12% high once the drift has fully developed (2 days).
    expect(meterRatio(buggy.t, 'tap-0001-01', START + 48 * H)).toBeGreaterThan(1.1)
    expect(Math.abs(meterRatio(clean.t, 'tap-0001-01') - 1)).toBeLessThan(0.03)
    const gt = buggy.t.records.map((r) => GroundTruth.decode(r.payload))
    expect(gt).toHaveLength(4)
    expect(gt.every((g) => g.mode === 'flow-meter-drift' && g.source === 'firmware:1.5.0')).toBe(true)
    expect(clean.t.records).toHaveLength(0)
  })

  it('a flash reboots into the new firmware, acknowledges with a health frame, and 1.5.1 clears the 1.5.0 bug', async () => {
    const { sim, t } = await run(fleetOn('1.5.0'), 1)
    const before = t.frames.length
    const cmd = DeviceCommand.encode({ command_id: 'c-1', issued_ms: 1, flash: { firmware: '1.5.1' } }).finish()
    t.deliver('tap-0001-02', cmd)
    const ack = t.frames.slice(before)
    expect(ack).toHaveLength(1)
    const h = HealthFrame.decode(ack[0]!.payload)
    expect(h).toMatchObject({ device_id: 'tap-0001-02', firmware_version: '1.5.1', reboot_count: 1, uptime_s: 0 })
    expect(sim.device('tap-0001-02')!.faults.active).toHaveLength(0)
    const cleared = GroundTruth.decode(t.records.at(-1)!.payload)
    expect(cleared).toMatchObject({ device_id: 'tap-0001-02', mode: 'flow-meter-drift', source: 'firmware:1.5.0' })
    expect(cleared.cleared_ms).toBeGreaterThan(0)
    // The same record id as the injection, so tapflow.ground_truth FINAL keeps one row per injection.
    expect(t.records.map((r) => GroundTruth.decode(r.payload).record_id).filter((id) => id === cleared.record_id)).toHaveLength(2)
  })

  it('FleetControl flashes exactly the selected devices, and validates everything before sending anything', async () => {
    const { sim, t } = await run(buildFleet({ devices: 200, seed: 4 }), 1)
    const control = new FleetControl({ sim, bus: new DirectCommandBus((id, p) => t.deliver(id, p)), now: () => START })
    const firmwareNow = (): Map<string, string> => new Map(sim.devices.map((d) => [d.deviceId, d.firmware]))
    const before = firmwareNow()
    await expect(control.flash({ selector: 'venue=ven-0001 colour=red', firmware: '1.5.1' })).rejects.toThrow(/unknown key 'colour'/)
    await expect(control.flash({ selector: 'all', firmware: '1.5.1', percent: 150 })).rejects.toThrow('percent: expected 0 < p <= 100, got 150')
    await expect(control.flash({ selector: 'all', firmware: 'bad version!' })).rejects.toThrow("firmware: expected a version like 1.5.1, got 'bad version!'")
    await expect(control.setProfile('venue=ven-0003', 'cooling-failure', { onset: 'later' })).rejects.toThrow("params.onset: expected a duration like 30m, 6h or 2d, got 'later'")
    expect(firmwareNow()).toEqual(before)
    expect(sim.devices.every((d) => !d.faults.any)).toBe(true)

    const res = await control.flash({ selector: 'type=pub', firmware: '1.5.1', percent: 10 })
    const pubs = sim.devices.filter((d) => sim.fleet.venues.find((v) => v.venueId === d.spec.venueId)!.type === 'pub')
    expect(res.deviceIds).toHaveLength(Math.round(pubs.length / 10))
    const after = firmwareNow()
    const changed = [...after].filter(([id, fw]) => fw !== before.get(id)).map(([id]) => id)
    expect(changed.sort()).toEqual([...res.deviceIds].sort())
    expect(res.deviceIds.every((id) => pubs.some((p) => p.deviceId === id))).toBe(true)
    // The same request picks the same devices (a stable share), and the list reports them acknowledged.
    const again = await control.flash({ selector: 'type=pub', firmware: '1.5.1', percent: 10 })
    expect(again.deviceIds).toEqual(res.deviceIds)
    expect(control.list('firmware=1.5.1').devices.every((d) => d.pending_command_id === '' && d.reboot_count === 2)).toBe(true)
    await control.close()
  })

  it('ApplyManifest flashes and assigns profiles on the running fleet, or changes nothing when any part is bad', async () => {
    const { sim, t } = await run(buildFleet({ devices: 100, seed: 4 }), 1)
    const control = new FleetControl({ sim, bus: new DirectCommandBus((id, p) => t.deliver(id, p)), now: () => START })
    const bad = 'seed: 4\ngenerate: { taps: 100 }\nrollouts:\n  - firmware: 1.5.1\n    percent: 20\nprofiles:\n  - profile: cooling-failure\n    select: venue=ven-0999\n'
    await expect(control.applyManifest(bad, 'x.yaml')).rejects.toThrow("x.yaml:8: profiles[0].select: 'venue=ven-0999' matches no devices")
    expect(sim.devices.every((d) => d.firmware === '1.4.2' && !d.faults.any)).toBe(true)
    const good = 'seed: 4\ngenerate: { taps: 100 }\nrollouts:\n  - firmware: 1.5.1\n    percent: 20\nprofiles:\n  - profile: cooling-failure\n    select: venue=ven-0002\n'
    const res = await control.applyManifest(good, 'x.yaml')
    expect(res).toMatchObject({ flashed: 20, notes: [] })
    expect(sim.devices.filter((d) => d.firmware === '1.5.1')).toHaveLength(20)
    const venue2 = sim.devices.filter((d) => d.spec.venueId === 'ven-0002')
    expect(res.profiles).toBe(venue2.length)
    expect(sim.devices.filter((d) => d.faults.any)).toEqual(venue2)
    await control.close()
  })
})
