import { Rng } from './prng.js'

/** A venue whose taps can fail, as the failure source sees it. */
export interface VenueTaps {
  venueId: string
  accountId: string
  taps: number
  /** Venue-specific daily failure multiplier (kit age, cellar conditions). */
  failureRate: number
}

export interface DeviceFailure {
  venueId: string
  accountId: string
  /** Device id, `<venue_id>-T<nn>`, matching the fleet's naming. */
  deviceId: string
  /** e.g. 'flow_sensor', 'cooling', 'valve', 'offline'. */
  kind: string
  source: string
}

/**
 * Where device failures come from. The default simulates them from tap counts; a ClickHouse
 * `tapflow.ground_truth` source can replace it once telemetry exists.
 */
export interface DeviceFailureSource {
  readonly name: string
  failuresOn(day: string, venues: readonly VenueTaps[]): Promise<DeviceFailure[]>
}

const KINDS = ['flow_sensor', 'cooling', 'valve', 'offline', 'keg_coupler'] as const

export interface SimulatedFailureSourceOptions {
  /** Seed. Default: 42. */
  seed?: number
  /** Mean daily failure probability per tap, scaled by each venue's rate. Default: 0.002. */
  tapFailureRate?: number
}

/** Failures drawn per tap from the venue's hazard: deterministic for (seed, day). */
export class SimulatedFailureSource implements DeviceFailureSource {
  readonly name = 'simulated'
  private readonly seed: number
  private readonly rate: number

  constructor(opts: SimulatedFailureSourceOptions = {}) {
    this.seed = opts.seed ?? 42
    this.rate = opts.tapFailureRate ?? 0.002
  }

  failuresOn(day: string, venues: readonly VenueTaps[]): Promise<DeviceFailure[]> {
    const rng = new Rng(this.seed, day, 'device-failures')
    const out: DeviceFailure[] = []
    for (const v of venues) {
      const n = rng.poisson(v.taps * this.rate * v.failureRate)
      for (let i = 0; i < n; i++) {
        const tap = rng.int(1, Math.max(1, v.taps))
        out.push({
          venueId: v.venueId,
          accountId: v.accountId,
          deviceId: `${v.venueId}-T${String(tap).padStart(2, '0')}`,
          kind: rng.pick(KINDS),
          source: this.name,
        })
      }
    }
    return Promise.resolve(out)
  }
}
