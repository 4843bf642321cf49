import { describe, expect, it } from 'vitest'
import { OptionError, Rng } from '../../../common/index.js'
import { GbdtDataError, GbdtModel, trainGbdt, type GbdtJson } from '../gbdt/index.js'
import { rocAuc } from '../metrics.js'
import type { Matrix } from '../types.js'

/** Rows of standard normals; `label` sees the row and the rng. */
function dataset(rows: number, cols: number, seed: number, label: (r: Float32Array, rng: Rng) => number): { x: Matrix; y: Float32Array } {
  const rng = new Rng(seed)
  const values = new Float32Array(rows * cols)
  const y = new Float32Array(rows)
  for (let i = 0; i < rows; i++) {
    const r = values.subarray(i * cols, (i + 1) * cols)
    for (let f = 0; f < cols; f++) r[f] = rng.normal()
    y[i] = label(r, rng)
  }
  return { x: { rows, cols, values }, y }
}

// A ring: positive inside the unit circle of the first two features; no linear rule separates it.
const ring = (r: Float32Array, rng: Rng): number => (r[0]! ** 2 + r[1]! ** 2 < 1 ? (rng.chance(0.95) ? 1 : 0) : rng.chance(0.05) ? 1 : 0)

describe('trainGbdt (binary)', () => {
  const train = dataset(4000, 6, 1, ring)
  const test = dataset(2000, 6, 2, ring)

  it('learns a nonlinear boundary that a constant cannot, and ranks the informative features first', () => {
    const m = trainGbdt(train.x, train.y, { objective: 'binary', iterations: 60, seed: 1 })
    const p = m.predictBatch(test.x)
    expect(rocAuc(test.y, p)).toBeGreaterThan(0.9)
    // A constant score has AUC 0.5; the noise limits the best possible to about 0.95.
    const base = new Float32Array(test.x.rows).fill(0.4)
    expect(rocAuc(test.y, base)).toBe(0.5)
    for (const v of p) expect(v > 0 && v < 1).toBe(true)
    const imp = m.featureImportance()
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12)
    expect(imp[0]! + imp[1]!).toBeGreaterThan(0.8)
    expect(m.predict(test.x.values.subarray(0, 6))).toBeCloseTo(p[0]!, 6)
  })

  it('is deterministic for a seed, also with row and feature sampling, and the seed matters', () => {
    const opts = { objective: 'binary' as const, iterations: 15, subsample: 0.7, featureFraction: 0.5 }
    const a = trainGbdt(train.x, train.y, { ...opts, seed: 7 }).toJSON()
    const b = trainGbdt(train.x, train.y, { ...opts, seed: 7 }).toJSON()
    const c = trainGbdt(train.x, train.y, { ...opts, seed: 8 }).toJSON()
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a.trees)).not.toBe(JSON.stringify(c.trees))
  })

  it('learns the direction of missing values, and sends NaN somewhere sensible where training had none', () => {
    // The label is 1 exactly when feature 2 is missing; elsewhere feature 2 is noise.
    const d = dataset(3000, 3, 3, (r, rng) => {
      if (rng.chance(0.3)) {
        r[2] = Number.NaN
        return 1
      }
      return 0
    })
    const m = trainGbdt(d.x, d.y, { objective: 'binary', iterations: 20 })
    expect(m.predict([0, 0, Number.NaN])).toBeGreaterThan(0.9)
    expect(m.predict([0, 0, 0.5])).toBeLessThan(0.1)
    const clean = trainGbdt(train.x, train.y, { objective: 'binary', iterations: 10 })
    const p = clean.predict([Number.NaN, Number.NaN, 0, 0, 0, 0])
    expect(p > 0 && p < 1).toBe(true)
  })

  it('round-trips through JSON text with identical predictions', () => {
    const d = dataset(1500, 4, 4, (r) => (r[0]! > 0.3 ? 1 : 0))
    // A few NaN so a split may send every non-missing value one way (threshold +Infinity, stored as null).
    for (let i = 0; i < 1500; i += 7) d.x.values[i * 4] = Number.NaN
    const m = trainGbdt(d.x, d.y, { objective: 'binary', iterations: 12 })
    const back = GbdtModel.fromJSON(JSON.parse(JSON.stringify(m)) as GbdtJson)
    expect(Array.from(back.predictBatch(d.x))).toEqual(Array.from(m.predictBatch(d.x)))
    expect(Array.from(back.featureImportance())).toEqual(Array.from(m.featureImportance()))
    expect(back.params).toEqual(m.params)
    expect(back.objective).toBe('binary')
    expect(back.featureCount).toBe(4)
  })

  it('stops early on a validation set, keeps the best round and reports progress', () => {
    // Pure noise: the validation loss stops improving almost at once.
    const noise = (_r: Float32Array, rng: Rng): number => (rng.chance(0.3) ? 1 : 0)
    const tr = dataset(2000, 5, 5, noise)
    const va = dataset(1000, 5, 6, noise)
    const seen: number[] = []
    const m = trainGbdt(tr.x, tr.y, { objective: 'binary', iterations: 200, validation: va, earlyStoppingRounds: 5, onProgress: (done, total) => {
      expect(total).toBe(200)
      seen.push(done)
    } })
    expect(m.treeCount).toBeLessThan(30)
    expect(seen.at(-1)).toBe(m.treeCount + 5)
    expect(seen).toEqual(seen.map((_, i) => i + 1))
  })

  it('weights rare positives up when asked', () => {
    const rare = dataset(3000, 3, 9, (r, rng) => (r[0]! > 1.5 && rng.chance(0.5) ? 1 : 0))
    const plain = trainGbdt(rare.x, rare.y, { objective: 'binary', iterations: 20 })
    const weighted = trainGbdt(rare.x, rare.y, { objective: 'binary', iterations: 20, positiveWeight: 10 })
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length
    expect(mean(weighted.predictBatch(rare.x))).toBeGreaterThan(2 * mean(plain.predictBatch(rare.x)))
  })

  it('skips rows whose label is NaN, and rejects bad labels and options with named errors', () => {
    const d = dataset(500, 2, 10, (r) => (r[0]! > 0 ? 1 : 0))
    const y = d.y.slice()
    for (let i = 0; i < 500; i += 2) y[i] = Number.NaN
    expect(trainGbdt(d.x, y, { objective: 'binary', iterations: 5 }).predict([2, 0])).toBeGreaterThan(0.5)
    expect(() => trainGbdt(d.x, new Float32Array(500).fill(2), { objective: 'binary' })).toThrow(GbdtDataError)
    expect(() => trainGbdt(d.x, new Float32Array(499), { objective: 'binary' })).toThrow(GbdtDataError)
    expect(() => trainGbdt(d.x, new Float32Array(500).fill(Number.NaN), { objective: 'binary' })).toThrow(GbdtDataError)
    expect(() => trainGbdt(d.x, d.y, { objective: 'binary', maxBins: 256 })).toThrow(OptionError)
    expect(() => trainGbdt(d.x, d.y, { objective: 'binary', learningRate: 0 })).toThrow(/GbdtOptions.learningRate/)
    expect(() => trainGbdt(d.x, d.y, { objective: 'regression', positiveWeight: 3 })).toThrow(OptionError)
  })

  it('respects maxLeaves, maxDepth and minSamplesLeaf', () => {
    const m = trainGbdt(train.x, train.y, { objective: 'binary', iterations: 5, maxLeaves: 6, maxDepth: 2, minSamplesLeaf: 300 })
    for (const t of m.toJSON().trees) {
      const leaves = t.feature.filter((f) => f < 0).length
      expect(leaves).toBeLessThanOrEqual(4)
      expect(leaves).toBeGreaterThan(1)
    }
    // Every leaf holds at least minSamplesLeaf training rows.
    const counts = new Map<string, number>()
    const json = m.toJSON()
    const t0 = json.trees[0]!
    for (let i = 0; i < train.x.rows; i++) {
      let n = 0
      while (t0.feature[n]! >= 0) {
        const x = train.x.values[i * 6 + t0.feature[n]!]!
        n = x <= (t0.threshold[n] ?? Infinity) ? t0.left[n]! : t0.right[n]!
      }
      counts.set(String(n), (counts.get(String(n)) ?? 0) + 1)
    }
    for (const c of counts.values()) expect(c).toBeGreaterThanOrEqual(300)
  })
})

describe('trainGbdt (regression)', () => {
  const fn = (r: Float32Array, rng: Rng): number => 3 * Math.sin(2 * r[0]!) + r[1]! * r[2]! + 0.1 * rng.normal()
  it('fits a nonlinear function far better than the mean', () => {
    const train = dataset(5000, 5, 11, fn)
    const test = dataset(2000, 5, 12, fn)
    const m = trainGbdt(train.x, train.y, { objective: 'regression', iterations: 150, learningRate: 0.15 })
    const p = m.predictBatch(test.x)
    const mean = train.y.reduce((s, v) => s + v, 0) / train.y.length
    let mse = 0
    let base = 0
    for (let i = 0; i < test.y.length; i++) {
      mse += (p[i]! - test.y[i]!) ** 2
      base += (mean - test.y[i]!) ** 2
    }
    expect(mse / base).toBeLessThan(0.15)
    expect(m.objective).toBe('regression')
  })
})

describe('trainGbdt on two threads', () => {
  // 30K rows × 12: the root's histogram (360K updates) and large leaves are shared with the worker.
  const big = dataset(30_000, 12, 5, (r, rng) => (Math.sin(2 * r[0]!) + r[1]! * r[2]! + (r[3]! > 1 ? 1 : 0) > 0.8 ? (rng.chance(0.9) ? 1 : 0) : rng.chance(0.1) ? 1 : 0))
  for (let i = 0; i < 30_000; i += 7) big.x.values[i * 12 + 4] = Number.NaN

  it('grows exactly the trees one thread grows, with and without row and feature sampling', () => {
    for (const extra of [{}, { subsample: 0.7, featureFraction: 0.5, seed: 3 }]) {
      const one = trainGbdt(big.x, big.y, { objective: 'binary', iterations: 8, threads: 1, ...extra })
      const two = trainGbdt(big.x, big.y, { objective: 'binary', iterations: 8, threads: 2, ...extra })
      expect(two.toJSON()).toEqual(one.toJSON())
      expect(one.treeCount).toBe(8)
    }
  })

  it('rejects a thread count other than 1 or 2', () => {
    expect(() => trainGbdt(big.x, big.y, { objective: 'binary', iterations: 1, threads: 3 })).toThrow(OptionError)
  })
})
