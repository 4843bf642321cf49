import { describe, expect, it } from 'vitest'
import { MemoryTransport, SimClock, Simulator, buildRosterFleet, rosterDeviceId, rosterVenueId, type RosterVenue } from '../../firmware-sim/index.js'
import { SimulatedFailureSource } from '../index.js'

const DAY = 86_400_000

/**
 * No jump at the boundary: the daily model (used for history) and the live taps (measured) are the same venue and
 * device models, so over one overlapping week they agree on pours and volume per venue and per day.
 */
describe('daily model vs measured telemetry over one week', () => {
  it('agrees on pours and litres per venue and per day', async () => {
    const seed = 5
    const venues: RosterVenue[] = Array.from({ length: 8 }, (_, i) => {
      const venueId = rosterVenueId(i + 1)
      return {
        venueId, accountId: `ACC_${i + 1}`, name: `Venue ${i + 1}`, customer: `Customer ${i + 1}`,
        devices: Array.from({ length: 6 }, (_, l) => ({ deviceId: rosterDeviceId(venueId, l + 1), lineId: l + 1 })),
      }
    })
    const fleet = buildRosterFleet({ seed, venues })
    const start = Date.UTC(2026, 2, 2) // a Monday, 00:00 UTC
    const days = 7
    const transport = new MemoryTransport()
    const measured = new Map<string, { pours: number }>()
    const venueOf = new Map(fleet.devices.map((d) => [d.deviceId, d.venueId]))
    const sim = new Simulator({
      fleet, clock: new SimClock({ start, speed: 'max' }), transport, until: start + days * DAY,
      onFrame: (f) => {
        if (f.kind !== 'pour') return
        const key = `${venueOf.get(f.deviceId)}|${Math.floor((f.tsMs - start) / DAY)}`
        const m = measured.get(key) ?? { pours: 0 }
        m.pours++
        measured.set(key, m)
      },
    })
    await sim.start()
    await sim.close()

    const model = new SimulatedFailureSource({ seed, tapFailureRate: 0 })
    const taps = venues.map((v) => ({ venueId: v.venueId, accountId: v.accountId, taps: 6, failureRate: 1, deviceIds: v.devices.map((d) => d.deviceId) }))
    const perVenue = new Map<string, { model: number; measured: number }>()
    const perDay: Array<{ model: number; measured: number }> = []
    for (let d = 0; d < days; d++) {
      const day = new Date(start + d * DAY).toISOString().slice(0, 10)
      const rows = await model.venueDaysOn(day, taps, [])
      const today = { model: 0, measured: 0 }
      for (const r of rows) {
        const m = measured.get(`${r.venueId}|${d}`)?.pours ?? 0
        const v = perVenue.get(r.venueId) ?? { model: 0, measured: 0 }
        v.model += r.expectedPours
        v.measured += m
        perVenue.set(r.venueId, v)
        today.model += r.expectedPours
        today.measured += m
        expect(r.litres / Math.max(1, r.pours)).toBeGreaterThan(0.2) // a serving, not a drip
      }
      perDay.push(today)
    }
    // Per venue over the week: within 5 % (thousands of pours each, so Poisson noise is ~1.5 %).
    for (const [venue, v] of perVenue) {
      expect(v.measured, venue).toBeGreaterThan(500)
      expect(Math.abs(v.measured / v.model - 1), venue).toBeLessThan(0.05)
    }
    // Fleet-wide per day, weekdays and weekend alike: within 5 %.
    for (const d of perDay) expect(Math.abs(d.measured / d.model - 1)).toBeLessThan(0.05)
  }, 120_000)
})
