import { describe, expect, it } from 'vitest'
import { WallBoundClock } from '../wall-bound-clock.js'

describe('tapflow sim: simulated time never passes the real clock', () => {
  const wall = { t: 1_000_000_000_000, now(): number { return this.t } }

  it("at 'max' replays the past at once, then waits for the real clock", () => {
    const c = new WallBoundClock({ start: wall.t - 60_000, speed: 'max', wall })
    expect(c.realDelayUntil(wall.t - 1)).toBe(0)
    c.advanceTo(wall.t - 1)
    expect(c.now()).toBe(wall.t - 1)
    expect(c.realDelayUntil(wall.t + 500)).toBe(500)
    wall.t += 500
    expect(c.realDelayUntil(wall.t)).toBe(0)
  })

  it('at a fast numeric speed runs ahead until now, then at real time', () => {
    const c = new WallBoundClock({ start: wall.t - 3_600_000, speed: 60, wall })
    wall.t += 30_000 // 30 real s at 60× = 30 simulated minutes
    expect(c.now()).toBe(wall.t - 3_600_000 + 30 * 60_000 - 30_000)
    wall.t += 60_000 // would be 30 simulated minutes past now
    expect(c.now()).toBe(wall.t)
    expect(c.realDelayUntil(wall.t + 1_000)).toBe(1_000)
  })
})
