import type { Matrix, Predictor } from '../index.js'

export { syntheticMaintenance, SYNTHETIC_START as START } from '../index.js'

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
