import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MemoryTransport, SimClock, Simulator, buildFleet, profileNames, type ProfileAssignment } from '../index.js'

// Friday 2026-11-20 00:00 UTC
const START = Date.UTC(2026, 10, 20)
const DAY = 86_400_000

/**
 * Pins what devices report: performance work on the simulator (encoding, scheduling, transport) must not change one
 * byte of any frame, its order, or the ground truth. A change of physics or wire format is a deliberate change of
 * these hashes, made in the same commit with the reason.
 */
describe('golden frames', () => {
  it('a healthy fleet sends the same frames, in the same order, as when this hash was taken', async () => {
    expect(await digest(buildFleet({ devices: 200, seed: 42 }), [], DAY / 2)).toEqual({
      frames: 47_677,
      sha256: '135eb55b6b1be74f886e00ee89193a2748f8679f26c42d28d554eedbeb91e4ca',
    })
  })

  it('a fleet with every failure profile on some tap sends the same frames and ground truth', async () => {
    const fleet = buildFleet({ devices: 60, seed: 9 })
    // Every profile on its own tap, onset soon, so each fault path runs within the day.
    const profiles: ProfileAssignment[] = profileNames().map((profile, i) => ({
      deviceId: fleet.devices[i]!.deviceId,
      profile,
      params: { onset: '1h', progression: '6h' },
    }))
    expect(await digest(fleet, profiles, DAY)).toEqual({
      frames: 30_899,
      sha256: 'b10edcca9be075309e02c4ce126ae986707402d5c5aa89a307053a03fbe4d05b',
    })
  })
})

async function digest(fleet: ReturnType<typeof buildFleet>, profiles: ProfileAssignment[], ms: number): Promise<{ frames: number; sha256: string }> {
  const transport = new MemoryTransport()
  const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport, profiles, until: START + ms })
  await sim.start()
  await sim.close()
  const h = createHash('sha256')
  for (const f of transport.frames) h.update(`${f.kind} ${f.deviceId} ${f.seq} ${f.tsMs} ${f.topic} `).update(f.payload).update('\n')
  for (const r of transport.records) h.update(`${r.topic} `).update(r.payload).update('\n')
  return { frames: transport.frames.length, sha256: h.digest('hex') }
}
