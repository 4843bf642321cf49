import { describe, expect, it } from 'vitest'
import type { Dataset, DatasetRow, Matrix, Predictor } from '../index.js'
import {
  evaluateClassifier, evaluateRegressor, failuresFromLabels, leadTimes, pickThreshold, prSummary, quantile, sliceDataset,
} from '../evaluate.js'

const H = 3_600_000
const matrix = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]?.length ?? 0, values: Float32Array.from(rows.flat()) })
/** Scores = column `c` of x. */
const columnModel = (c: number, cols: number): Predictor => ({
  featureCount: cols,
  predictBatch: (x) => Float32Array.from({ length: x.rows }, (_, r) => x.values[r * x.cols + c] as number),
})

describe('PR curve and threshold', () => {
  it('matches scikit-learn average_precision_score on a hand case, ties included', () => {
    // sklearn: average_precision_score([1,0,1,0], [.9,.8,.7,.6]) == 0.8333…
    expect(prSummary([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]).auc).toBeCloseTo(5 / 6, 12)
    // Tied scores are one threshold: average_precision_score([1,0], [.5,.5]) == 0.5
    expect(prSummary([0.5, 0.5], [1, 0])).toMatchObject({ auc: 0.5, points: [{ threshold: 0.5, precision: 0.5, recall: 1 }] })
    // NaN labels are excluded rows, not negatives.
    expect(prSummary([0.9, 0.8, 0.7], [1, NaN, 0])).toMatchObject({ auc: 1, positives: 1, negatives: 1 })
  })

  it('takes the lowest threshold reaching the precision target, else max F1', () => {
    const s = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    const l = [1, 1, 1, 0, 1, 0, 0]
    // At 0.8: 3/3; at 0.6: 4/5 = 0.8 < 0.9. Lowest threshold with precision ≥ 0.9 is 0.8.
    expect(pickThreshold(s, l, 0.9)).toMatchObject({ threshold: 0.8, rule: 'precision>=0.9', validation: { precision: 1, recall: 0.75 } })
    // Labels that the scores rank badly: no threshold reaches 0.9, so the best F1 wins.
    const noisy = pickThreshold([0.9, 0.8, 0.7, 0.6], [0, 1, 0, 1], 0.9)
    expect(noisy.rule).toBe('max-f1')
    expect(noisy.threshold).toBe(0.6) // F1 at 0.6: P .5 R 1 → .667, better than at 0.8 (P .5 R .5)
    expect(pickThreshold(s, [0, 0, 0, 0, 0, 0, 0])).toMatchObject({ threshold: Infinity, rule: 'none' })
    expect(prSummary(s, [0, 0, 0, 0, 0, 0, 0]).auc).toBeNull()
  })
})

describe('lead time', () => {
  // One device, rows every hour; failure at hour 10 (positives hours 4…10, 6 h horizon), alerts from hour 6.
  const rows: DatasetRow[] = Array.from({ length: 12 }, (_, h) => ({ entity: 'tap-1', ts: h * H, split: 'test' }))
  const labels = rows.map((_, h) => (h >= 4 && h <= 10 ? 1 : h === 11 ? NaN : 0))
  const scores = rows.map((_, h) => (h === 1 ? 0.95 : h >= 6 && h <= 10 ? 0.9 : 0.1))

  it('infers each failure as the last positive row of a run', () => {
    expect(failuresFromLabels(rows, labels)).toEqual([{ entity: 'tap-1', ts: 10 * H }])
  })

  it('measures from the first alert in the window, ignoring alerts before it and counting misses', () => {
    const lt = leadTimes(rows, scores, 0.5, [{ entity: 'tap-1', ts: 10 * H }, { entity: 'tap-2', ts: 5 * H }], { maxLeadMs: 6 * H, failureTimes: 'ground truth' })
    // The alert at hour 1 is 9 h early: outside the 6 h window, so the lead is 10 − 6 = 4 h.
    expect(lt).toMatchObject({ failures: 2, caught: 1, missed: 1, hours: [4], median: 4 })
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1)
    expect(quantile([], 0.5)).toBeNull()
  })
})

function toyDataset(): Dataset {
  // Feature 0 predicts the label (noisily), feature 1 is noise; 3 days × 40 entities, one row per entity-day.
  const rows: DatasetRow[] = []
  const x: number[][] = []
  const y: number[] = []
  let seed = 7
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  for (let d = 0; d < 3; d++) {
    for (let e = 0; e < 200; e++) {
      const label = rnd() < 0.2 ? 1 : 0
      rows.push({ entity: `tap-${e}`, ts: d * 24 * H, split: d === 0 ? 'train' : d === 1 ? 'validation' : 'test' })
      x.push([label + rnd() * 0.8, rnd()])
      y.push(e === 0 ? NaN : label)
    }
  }
  return {
    name: 'toy', featureNames: ['signal', 'noise'], x: matrix(x), targets: { mode: Float32Array.from(y), litres: Float32Array.from(x, (r) => 10 * (r[0] as number)) },
    rows, featureViews: [], window: { from: 0, to: 3 * 24 * H, source: 'synthetic' },
  }
}

describe('evaluation', () => {
  it('slices a split, dropping excluded rows', () => {
    const ds = toyDataset()
    const t = sliceDataset(ds, 'test', 'mode')
    expect(t.y.length).toBe(199)
    expect(t.rows.every((r) => r.split === 'test')).toBe(true)
    expect(t.x.values[0]).toBe(ds.x.values[(401) * 2])
    expect(() => sliceDataset(ds, 'test', 'nope')).toThrow(/no target 'nope'/)
  })

  it('evaluates a classifier on test with a validation threshold, baselines and importance', () => {
    const ds = toyDataset()
    const ev = evaluateClassifier({
      target: 'mode', predictor: columnModel(0, 2), featureNames: ds.featureNames,
      validation: sliceDataset(ds, 'validation', 'mode'), test: sliceDataset(ds, 'test', 'mode'), leadTime: true,
    })
    expect(ev.rows).toEqual({ validation: 199, test: 199 })
    expect(ev.test.prAuc).toBeGreaterThan(0.9)
    const prevalence = ev.baselines.find((b) => b.name === 'prevalence')
    expect(prevalence?.prAuc).toBeCloseTo(ev.positives.test / 199, 6)
    expect(ev.test.prAuc).toBeGreaterThan(prevalence?.prAuc ?? 1)
    // The strongest single feature is the signal itself.
    expect(ev.baselines[1]?.name).toBe('feature signal')
    expect(ev.importance.method).toBe('permutation')
    expect(ev.importance.values[0]?.feature).toBe('signal')
    const c = ev.test.confusion
    expect(c.tp + c.fp + c.fn + c.tn).toBe(199)
    expect(ev.leadTime?.failures).toBe(ev.positives.test) // one row per entity-day: every positive is its own run
  })

  it('evaluates a regressor against a naive baseline', () => {
    const ds = toyDataset()
    const test = sliceDataset(ds, 'test', 'litres')
    const perfect: Predictor = { featureCount: 2, predictBatch: (x) => Float32Array.from({ length: x.rows }, (_, r) => 10 * (x.values[r * 2] as number)) }
    const naive: Predictor = { featureCount: 2, predictBatch: (x) => new Float32Array(x.rows).fill(5) }
    const ev = evaluateRegressor({ target: 'litres', predictor: perfect, test, baseline: { name: 'mean', predictor: naive } })
    expect(ev.test.mae).toBeCloseTo(0, 5)
    expect(ev.baseline.mae).toBeGreaterThan(1)
    expect(ev.maeRatio).toBeCloseTo(0, 5)
  })
})
