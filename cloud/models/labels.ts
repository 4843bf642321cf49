/**
 * Maintenance labels from ground truth. Pure: records and prediction times in, one target column per mode out.
 * The rule per mode, and why, is in docs/models.md; MODE_RULES below is its source.
 */
import { DEFAULT_HORIZON_MS } from '../../common/index.js'
import type { GroundTruthRecord } from './history/ground-truth.js'

export type { GroundTruthRecord }

/** How a failure mode relates to maintenance. */
export type ModeClass = 'physical' | 'sensor' | 'connectivity' | 'data'

export interface ModeRule {
  mode: string
  class: ModeClass
  /** A maintenance target: a model should see it coming. */
  target: boolean
  why: string
}

/** Every failure profile of firmware-sim/src/profiles, classified. A test checks that none is missing. */
export const MODE_RULES: readonly ModeRule[] = [
  { mode: 'cooling-failure', class: 'physical', target: true, why: 'keg and line temperature creep up over the progression' },
  { mode: 'valve-leak', class: 'physical', target: true, why: 'drip pours at a trickle flow rate grow over the progression' },
  { mode: 'clogged-line', class: 'physical', target: true, why: 'flow rate falls and pours lengthen over the progression' },
  { mode: 'gas-pressure-loss', class: 'physical', target: true, why: 'foam and waste rise over the progression' },
  { mode: 'power-brownout', class: 'physical', target: true, why: 'voltage dips, brownout errors and reboots grow over the progression' },
  { mode: 'flow-meter-drift', class: 'sensor', target: false, why: 'the tap pours and cools normally; only the reported volume is wrong (a data-quality matter; firmware 1.5.0 causes it too)' },
  { mode: 'stuck-sensor', class: 'sensor', target: false, why: 'only the reported temperature is wrong, and it freezes at onset: no precursor' },
  { mode: 'noisy-sensor', class: 'sensor', target: false, why: 'only the reported temperature is wrong: a data-quality check, not a repair forecast' },
  { mode: 'intermittent', class: 'connectivity', target: true, why: 'precursor: the share of lost frames (seq gaps) grows from onset; a target only when progression > 0' },
  { mode: 'offline', class: 'connectivity', target: false, why: 'the uplink drops at onset in one step: no precursor' },
  { mode: 'flapping', class: 'connectivity', target: false, why: 'queued frames arrive late but complete, so the device features (by event time) show nothing before failure' },
  { mode: 'late-frames', class: 'data', target: false, why: 'delivery fault: data quality, not maintenance' },
  { mode: 'out-of-order', class: 'data', target: false, why: 'delivery fault: data quality, not maintenance' },
  { mode: 'duplicates', class: 'data', target: false, why: 'delivery fault: data quality, not maintenance' },
  { mode: 'corrupt-payload', class: 'data', target: false, why: 'delivery fault: data quality, not maintenance' },
  { mode: 'clock-skew', class: 'data', target: false, why: 'delivery fault: data quality, not maintenance' },
]

/** The modes a maintenance dataset predicts by default. */
export const TARGET_MODES: readonly string[] = MODE_RULES.filter((r) => r.target).map((r) => r.mode)

/** A prediction point: features as of `ts`, labels looking forward from it. */
export interface LabelPoint {
  entity: string
  ts: number
}

export interface LabelOptions {
  /** Look-ahead H, ms: positive when a failure falls in (ts, ts + H]. Default: 24 h. */
  horizonMs?: number
  /** Modes to label. Default: TARGET_MODES. */
  modes?: readonly string[]
}

// In common (light), so `tapflow models train --help` shows it without loading the models.
export { DEFAULT_HORIZON_MS }

/**
 * Whether a record is a failure to predict for its mode: a target mode, not a firmware bug (a release's bug is a
 * data-quality matter fixed by flashing), and, for connectivity modes, with a progression to see it coming.
 */
export function isPredictable(r: GroundTruthRecord): boolean {
  const rule = MODE_RULES.find((m) => m.mode === r.mode)
  if (rule?.target !== true || r.source.startsWith('firmware:')) return false
  return rule.class !== 'connectivity' || r.failureMs > r.onsetMs
}

/**
 * One column per mode, aligned with `points`: 1 when a predictable failure of that mode falls in (ts, ts + H],
 * NaN when the row is excluded for that mode, else 0. Excluded: the device is failed in that mode (at or after
 * a failure and before its clearance), or it carries an unpredictable fault of that mode from H before its
 * failure (or its onset, if earlier) until clearance, whose symptoms would otherwise count as negatives.
 * A predictable record cleared before its failure (a repair in time) never failed: nothing is positive for it.
 */
export function labelPoints(records: readonly GroundTruthRecord[], points: readonly LabelPoint[], opts: LabelOptions = {}): Record<string, Float32Array> {
  const h = opts.horizonMs ?? DEFAULT_HORIZON_MS
  const modes = opts.modes ?? TARGET_MODES
  const byDeviceMode = new Map<string, GroundTruthRecord[]>()
  for (const r of records) {
    const key = `${r.deviceId}\u0000${r.mode}`
    const list = byDeviceMode.get(key)
    if (list === undefined) byDeviceMode.set(key, [r])
    else list.push(r)
  }
  const out: Record<string, Float32Array> = {}
  for (const mode of modes) {
    const col = new Float32Array(points.length)
    for (const [i, p] of points.entries()) col[i] = labelAt(byDeviceMode.get(`${p.entity}\u0000${mode}`) ?? [], p.ts, h)
    out[mode] = col
  }
  return out
}

function labelAt(records: readonly GroundTruthRecord[], t: number, h: number): number {
  let positive = false
  for (const r of records) {
    const cleared = r.clearedMs ?? Number.POSITIVE_INFINITY
    if (!isPredictable(r)) {
      if (t >= Math.min(r.onsetMs, r.failureMs - h) && t < cleared) return Number.NaN
      continue
    }
    if (cleared <= r.failureMs) continue
    if (t >= r.failureMs && t < cleared) return Number.NaN
    if (r.failureMs > t && r.failureMs <= t + h) positive = true
  }
  return positive ? 1 : 0
}

export interface ModeCount {
  mode: string
  class: ModeClass
  /** Injections (assignments, re-arms after repair, firmware bugs). */
  injected: number
  /** Of those, failures reached before `to` and before any clearance. */
  failed: number
  /** Failures that are maintenance targets (isPredictable). */
  predictable: number
}

/** Injections and failures per mode, in MODE_RULES order (modes not seen are left out). */
export function countFailures(records: readonly GroundTruthRecord[], to: number): ModeCount[] {
  return MODE_RULES.flatMap((rule) => {
    const mine = records.filter((r) => r.mode === rule.mode)
    if (mine.length === 0) return []
    const failed = mine.filter((r) => r.failureMs < to && (r.clearedMs === null || r.clearedMs > r.failureMs))
    return [{ mode: rule.mode, class: rule.class, injected: mine.length, failed: failed.length, predictable: failed.filter(isPredictable).length }]
  })
}
