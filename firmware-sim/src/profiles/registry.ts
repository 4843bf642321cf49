import { ConfigError, formatDuration, parseDuration } from '../../../common/index.js'
import { clockSkew, corruptPayload, duplicates, lateFrames, outOfOrder } from './data-faults.js'
import { flapping, intermittent, offline } from './connectivity.js'
import {
  cloggedLine, coolingFailure, flowMeterDrift, gasPressureLoss, noisySensor, powerBrownout, stuckSensor, valveLeak,
} from './physical.js'
import type { FailureProfile, ParamSpec, Params } from './types.js'

const H = 3_600_000

/** Every failure profile by name. */
export const PROFILES: ReadonlyMap<string, FailureProfile> = new Map(
  [
    coolingFailure, flowMeterDrift, valveLeak, cloggedLine, gasPressureLoss, stuckSensor, noisySensor, powerBrownout,
    offline, flapping, intermittent, lateFrames, outOfOrder, duplicates, corruptPayload, clockSkew,
  ].map((p) => [p.name, p]),
)

/** Timing knobs every profile takes. Onset is after the moment of assignment. */
export const TIMING_PARAMS: Readonly<Record<string, ParamSpec>> = {
  onset: { default: 0, min: 0, max: 365 * 24 * H, unit: 'ms', doc: 'delay from assignment to onset' },
  hazard_per_day: { default: 0, min: 0, max: 1_000, doc: 'if > 0, onset is drawn at this rate per day after `onset` instead' },
  progression: { default: 6 * H, min: 0, max: 365 * 24 * H, unit: 'ms', doc: 'time from onset to full failure' },
}

export function profileNames(): string[] {
  return [...PROFILES.keys()]
}

export function getProfile(name: string, where = 'profile'): FailureProfile {
  const p = PROFILES.get(name)
  if (p === undefined) throw new ConfigError(`${where}: unknown profile '${name}' (expected one of ${profileNames().join(', ')})`)
  return p
}

/**
 * Validates raw parameters (numbers, numeric strings or durations) for a profile and fills in defaults.
 * `where` prefixes every error, e.g. `profiles[2].params`.
 */
export function resolveParams(profile: FailureProfile, raw: Readonly<Record<string, unknown>>, where: string): Params {
  const specs: Record<string, ParamSpec> = { ...TIMING_PARAMS, ...profile.params }
  const out: Record<string, number> = {}
  for (const key of Object.keys(raw)) {
    if (!(key in specs)) {
      throw new ConfigError(`${where}.${key}: unknown parameter for ${profile.name} (expected one of ${Object.keys(specs).join(', ')})`)
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = raw[key]
    let n: number | undefined
    if (v === undefined) n = spec.default
    else if (typeof v === 'number') n = v
    else if (typeof v === 'string') n = spec.unit === 'ms' ? parseDuration(v) : v.trim() === '' ? undefined : Number(v)
    const shown = typeof v === 'string' ? `'${v}'` : String(v)
    if (n === undefined || !Number.isFinite(n)) {
      throw new ConfigError(`${where}.${key}: expected ${spec.unit === 'ms' ? 'a duration like 30m, 6h or 2d' : 'a number'}, got ${shown}`)
    }
    if (n < spec.min || n > spec.max) {
      const fmt = (x: number): string => (spec.unit === 'ms' ? formatDuration(x) : String(x))
      throw new ConfigError(`${where}.${key}: expected ${fmt(spec.min)}..${fmt(spec.max)}, got ${shown}`)
    }
    out[key] = n
  }
  return out
}
