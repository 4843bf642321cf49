import { Rng } from '../../../common/index.js'
import { NO_EFFECTS, type Effects, type FailureProfile, type Params } from './types.js'

/** One injected fault on one device: what, with which parameters, when it starts and fails, and why. */
export interface ActiveFault {
  recordId: string
  profile: FailureProfile
  params: Params
  onsetMs: number
  failureMs: number
  /** manifest | command | firmware:<version> */
  source: string
  recordedMs: number
}

/**
 * A device's fault state. The device asks `at(t)` for the combined effects of every active fault;
 * faults draw randomness from their own seeded stream, so a device with no faults is untouched.
 */
export class FaultState {
  readonly active: ActiveFault[] = []
  /** The faults' own random stream, separate from the device's. */
  readonly rng: Rng
  private cachedAt = Number.NaN
  private cached: Effects = { ...NO_EFFECTS }
  private injected = 0

  constructor(seed: string) {
    this.rng = new Rng(`${seed}:faults`)
  }

  /** Next record id for this device: stable for the same seed and sequence of injections. */
  nextRecordId(deviceId: string): string {
    return `${deviceId}:${++this.injected}`
  }

  add(f: ActiveFault): void {
    this.active.push(f)
    this.cachedAt = Number.NaN
  }

  /** Removes the faults `match` picks and returns them. */
  remove(match: (f: ActiveFault) => boolean): ActiveFault[] {
    const gone = this.active.filter(match)
    for (const f of gone) this.active.splice(this.active.indexOf(f), 1)
    this.cachedAt = Number.NaN
    return gone
  }

  get any(): boolean {
    return this.active.length > 0
  }

  /** 0 before onset, rising linearly to 1 at failure. */
  static severity(f: ActiveFault, t: number): number {
    if (t < f.onsetMs) return 0
    if (f.failureMs <= f.onsetMs) return 1
    return Math.min(1, (t - f.onsetMs) / (f.failureMs - f.onsetMs))
  }

  /** Combined effects at `t`: additive knobs add, gains multiply, flags OR, probabilities combine. */
  at(t: number): Readonly<Effects> {
    if (this.active.length === 0) return NO_EFFECTS
    if (t === this.cachedAt) return this.cached
    const e: Effects = { ...NO_EFFECTS }
    for (const f of this.active) {
      const s = FaultState.severity(f, t)
      if (s <= 0) continue
      const x = f.profile.effects(s, f.params, t - f.onsetMs)
      e.tempRiseC += x.tempRiseC ?? 0
      e.meterGain *= x.meterGain ?? 1
      e.flowFactor *= x.flowFactor ?? 1
      e.foamAdd += x.foamAdd ?? 0
      e.leakMlPerH += x.leakMlPerH ?? 0
      e.sensorStuck ||= x.sensorStuck ?? false
      e.sensorNoiseC = Math.hypot(e.sensorNoiseC, x.sensorNoiseC ?? 0)
      e.voltageDropV += x.voltageDropV ?? 0
      e.rebootsPerDay += x.rebootsPerDay ?? 0
      e.offline ||= x.offline ?? false
      e.lossProb = orProb(e.lossProb, x.lossProb)
      e.lateProb = orProb(e.lateProb, x.lateProb)
      e.lateMs = Math.max(e.lateMs, x.lateMs ?? 0)
      e.reorderProb = orProb(e.reorderProb, x.reorderProb)
      e.duplicateProb = orProb(e.duplicateProb, x.duplicateProb)
      e.corruptProb = orProb(e.corruptProb, x.corruptProb)
      e.skewMs += x.skewMs ?? 0
    }
    this.cachedAt = t
    this.cached = e
    return e
  }
}

function orProb(a: number, b: number | undefined): number {
  return 1 - (1 - a) * (1 - (b ?? 0))
}
