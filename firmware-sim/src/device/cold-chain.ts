import type { FaultState } from '../profiles/index.js'
import type { VenueSpec } from './types.js'
import { busyness, type LocalTime } from './venue.js'

const MIN = 60_000
/** How fast an idle line drifts towards its idle temperature (time constant). */
const LINE_TAU_MS = 25 * MIN

export interface ColdChainOptions {
  venue: VenueSpec
  /** The venue's local time, for the bar air's daily cycle. */
  local: LocalTime
  /** A cooling failure raises keg (and so line) temperature. */
  faults: FaultState
  /** Where this tap's compressor is in its duty cycle, radians (drawn from the device's RNG). */
  compressorPhase: number
}

/**
 * The temperatures around one tap: the cold room its keg sits in, the bar air, and the beer line between
 * them, which warms while idle and is flushed back to keg temperature by each pour. Pure functions of time
 * and the last flush: no randomness, so moving them here changes no frame.
 */
export class ColdChain {
  private readonly venue: VenueSpec
  private readonly local: LocalTime
  private readonly faults: FaultState
  private readonly compressorPhase: number
  private lineC: number
  private lineAt = 0
  private kegAt = Number.NaN
  private kegC = 0
  private ambientAt = Number.NaN
  private ambientC = 0

  constructor(opts: ColdChainOptions) {
    this.venue = opts.venue
    this.local = opts.local
    this.faults = opts.faults
    this.compressorPhase = opts.compressorPhase
    this.lineC = opts.venue.setpointC + 2
  }

  /** The device booted at `at`: the line starts drifting from there. */
  boot(at: number): void {
    this.lineAt = at
  }

  /** A pour at `t` left the line at `c` °C. */
  flush(t: number, c: number): void {
    this.lineC = c
    this.lineAt = t
  }

  /** Cold room: set point plus a compressor duty-cycle ripple, plus any cooling failure. */
  keg(t: number): number {
    // A pour or a reading asks for the same instant two or three times (directly and through `line`). Only the
    // ripple is kept: a fault put on at this very instant must still count.
    if (t !== this.kegAt) {
      this.kegC = this.venue.setpointC + 0.4 * Math.sin((2 * Math.PI * t) / (20 * MIN) + this.compressorPhase)
      this.kegAt = t
    }
    return this.faults.any ? this.kegC + this.faults.at(t).tempRiseC : this.kegC
  }

  /** Bar air: warmer when busy and in the afternoon. */
  ambient(t: number): number {
    if (t === this.ambientAt) return this.ambientC
    const h = this.local.hour(t)
    this.ambientC = this.venue.ambientC + 2 * busyness(this.venue.type, h) + 1.5 * Math.sin((2 * Math.PI * (h - 9)) / 24)
    this.ambientAt = t
    return this.ambientC
  }

  /** The line warms towards a mix of keg and air while idle; a pour flushes it back to keg temperature. */
  line(t: number): number {
    const kegC = this.keg(t)
    const idleTarget = kegC + 0.35 * (this.ambient(t) - kegC)
    const decay = Math.exp(-(t - this.lineAt) / LINE_TAU_MS)
    return idleTarget + (this.lineC - idleTarget) * decay
  }
}
