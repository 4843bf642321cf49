import { Rng } from '../../common/index.js'
import type { Dataset, DatasetRow, SplitName } from './types.js'

const H = 3_600_000
export const SYNTHETIC_START = Date.UTC(2025, 0, 1)

/**
 * A small labelled maintenance history: hourly rows per device, two failure modes whose precursor features drift
 * up over the 36 h before a failure, labels "fails within 24 h", rows excluded from a failure until its clearance
 * 12 h later, and a time split by day (train, then validation, then test).
 */
export function syntheticMaintenance(opts: { devices?: number; days?: number; seed?: number } = {}): Dataset {
  const devices = opts.devices ?? 30
  const days = opts.days ?? 20
  const rng = new Rng(opts.seed ?? 1)
  const modes = ['cooling', 'seal_leak'] as const
  const featureNames = ['temp_trend', 'flow_var', 'pours_1h', 'noise']
  const rows: DatasetRow[] = []
  const x: number[] = []
  const targets: Record<string, number[]> = { cooling: [], seal_leak: [] }
  const split = (day: number): SplitName => (day < days * 0.6 ? 'train' : day < days * 0.8 ? 'validation' : 'test')
  for (let d = 0; d < devices; d++) {
    // Failure times per mode: about one every 6 days per device.
    const failures = modes.map(() => {
      const out: number[] = []
      for (let t = SYNTHETIC_START + rng.between(24, 140) * H; t < SYNTHETIC_START + days * 24 * H; t += rng.between(90, 200) * H) out.push(Math.round(t / H) * H)
      return out
    })
    for (let t = SYNTHETIC_START; t < SYNTHETIC_START + days * 24 * H; t += H) {
      rows.push({ entity: `tap-${String(d).padStart(3, '0')}`, ts: t, split: split(Math.floor((t - SYNTHETIC_START) / (24 * H))) })
      const precursor = failures.map((fs) => {
        const next = fs.find((f) => f >= t)
        return next === undefined ? 0 : Math.max(0, 1 - (next - t) / (36 * H))
      })
      x.push(precursor[0]! * 3 + rng.between(-0.6, 0.6), precursor[1]! * 2 + rng.between(-0.5, 0.5), rng.between(0, 10), rng.next())
      modes.forEach((m, i) => {
        const fs = failures[i]!
        const cleared = fs.some((f) => t > f && t <= f + 12 * H)
        const soon = fs.some((f) => f >= t && f - t <= 24 * H)
        targets[m]!.push(cleared ? NaN : soon ? 1 : 0)
      })
    }
  }
  return {
    name: 'maintenance', featureNames, x: { rows: rows.length, cols: featureNames.length, values: Float32Array.from(x) },
    targets: Object.fromEntries(Object.entries(targets).map(([k, v]) => [k, Float32Array.from(v)])), rows,
    featureViews: [{ name: 'device_health', version: 1 }], window: { from: SYNTHETIC_START, to: SYNTHETIC_START + days * 24 * H, source: 'synthetic' },
  }
}
