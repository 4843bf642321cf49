import type { Clock } from '../../../common/index.js'

export type Speed = number | 'max'

export interface SimClockOptions {
  /** Simulated start, ms since the epoch. Default: the real clock's now. */
  start?: number
  /** Simulated ms per real ms, or 'max' to jump from event to event. Default: 1. */
  speed?: Speed
  /** Real time source. Default: Date.now. */
  realClock?: Clock
}

/**
 * Simulated time. At a numeric speed it runs `speed` times faster than the real clock;
 * at 'max' it stands still until the scheduler advances it to the next event.
 */
export class SimClock implements Clock {
  readonly start: number
  readonly speed: Speed
  private readonly real: Clock
  private realStart: number
  private current: number

  constructor(opts: SimClockOptions = {}) {
    this.real = opts.realClock ?? { now: () => Date.now() }
    this.speed = opts.speed ?? 1
    if (this.speed !== 'max' && !(this.speed > 0 && Number.isFinite(this.speed))) {
      throw new RangeError(`speed must be a positive number or 'max', got ${String(this.speed)}`)
    }
    this.realStart = this.real.now()
    this.start = opts.start ?? this.realStart
    this.current = this.start
  }

  now(): number {
    if (this.speed === 'max') return this.current
    return this.start + (this.real.now() - this.realStart) * this.speed
  }

  /** Real milliseconds until simulated time `t` (0 if already past, or at 'max'). */
  realDelayUntil(t: number): number {
    if (this.speed === 'max') return 0
    return Math.max(0, (t - this.now()) / this.speed)
  }

  /** Starts paced time over: `now()` is `start` again at this real instant. Called once the fleet is connected. */
  anchor(): void {
    this.realStart = this.real.now()
  }

  /** Moves a 'max' clock forward; no-op for paced clocks. */
  advanceTo(t: number): void {
    if (this.speed === 'max' && t > this.current) this.current = t
  }
}
