import { systemClock, type Clock } from '../common/index.js'
import { SimClock, type Speed } from '../firmware-sim/index.js'

/**
 * A separate gateway judges frames against its own clock, as it must for real devices (a frame more than 5 min
 * ahead is a `future_timestamp` dead letter). So a separate fleet behaves like real devices: faster than real
 * time it replays the past, and once it catches up with the real clock it runs live. (`tapflow up` shares one
 * simulated clock with its gateway, so nothing it sends is ever ahead of that gateway's clock either.)
 */
export class WallBoundClock extends SimClock {
  private readonly wall: Clock
  constructor(opts: { start: number; speed: Speed; wall?: Clock }) {
    const wall = opts.wall ?? systemClock
    super({ start: opts.start, speed: opts.speed, realClock: wall })
    this.wall = wall
  }

  override now(): number {
    return Math.min(super.now(), this.wall.now())
  }

  override realDelayUntil(t: number): number {
    return Math.max(super.realDelayUntil(t), t - this.wall.now())
  }
}
