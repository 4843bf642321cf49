import { ConfigError } from '../../../common/index.js'
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

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: H, d: 24 * H }

/** "90s", "15m", "6h", "2d" → ms; a bare number is ms. */
export function parseDurationMs(v: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim())
  if (!m) return undefined
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!
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
    else if (typeof v === 'string') n = spec.unit === 'ms' ? parseDurationMs(v) : v.trim() === '' ? undefined : Number(v)
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

export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : ''
  const a = Math.abs(ms)
  for (const [u, f] of [['d', 24 * H], ['h', H], ['m', 60_000], ['s', 1_000]] as const) {
    if (a >= f && a % f === 0) return `${sign}${a / f}${u}`
  }
  return `${ms}ms`
}
