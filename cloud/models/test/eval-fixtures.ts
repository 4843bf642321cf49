import { Rng } from '../../../common/index.js'
import type { Dataset, DatasetRow, Matrix, Predictor, SplitName } from '../index.js'

const H = 3_600_000
export const START = Date.UTC(2025, 0, 1)

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
      for (let t = START + rng.between(24, 140) * H; t < START + days * 24 * H; t += rng.between(90, 200) * H) out.push(Math.round(t / H) * H)
      return out
    })
    for (let t = START; t < START + days * 24 * H; t += H) {
      rows.push({ entity: `tap-${String(d).padStart(3, '0')}`, ts: t, split: split(Math.floor((t - START) / (24 * H))) })
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
    featureViews: [{ name: 'device_health', version: 1 }], window: { from: START, to: START + days * 24 * H, source: 'synthetic' },
  }
}

/** A linear model through a sigmoid: enough of a "trained model" to test orchestration without the GBDT. */
export class LogisticModel implements Predictor {
  constructor(readonly w: Float64Array, readonly b: number) {}
  get featureCount(): number {
    return this.w.length
  }
  predictBatch(x: Matrix): Float32Array {
    const out = new Float32Array(x.rows)
    for (let r = 0; r < x.rows; r++) {
      let z = this.b
      for (let c = 0; c < x.cols; c++) z += (this.w[c] ?? 0) * (x.values[r * x.cols + c] as number)
      out[r] = 1 / (1 + Math.exp(-z))
    }
    return out
  }
}

/** Full-batch gradient descent on log loss. */
export function fitLogistic(x: Matrix, y: Float32Array, epochs = 200, lr = 0.5): LogisticModel {
  const w = new Float64Array(x.cols)
  let b = 0
  for (let e = 0; e < epochs; e++) {
    const p = new LogisticModel(w, b).predictBatch(x)
    const g = new Float64Array(x.cols)
    let gb = 0
    for (let r = 0; r < x.rows; r++) {
      const err = (p[r] as number) - (y[r] as number)
      gb += err
      for (let c = 0; c < x.cols; c++) g[c]! += err * (x.values[r * x.cols + c] as number)
    }
    for (let c = 0; c < x.cols; c++) w[c]! -= (lr * g[c]!) / x.rows
    b -= (lr * gb) / x.rows
  }
  return new LogisticModel(w, b)
}
