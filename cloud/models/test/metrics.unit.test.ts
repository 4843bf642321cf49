import { describe, expect, it } from 'vitest'
import { chooseThreshold, confusionAt, mae, prAuc, rocAuc } from '../metrics.js'

// The oracle comparison with scikit-learn is in metrics.test.ts (it runs python, so it is an integration test).
describe('metrics without an oracle', () => {
  it('skips NaN labels, counts the confusion matrix at >= threshold, and chooses thresholds', () => {
    const y = [1, 0, Number.NaN, 1, 0, 1, 0, 0]
    const s = [0.9, 0.8, 0.99, 0.7, 0.3, 0.2, 0.1, 0.05]
    expect(confusionAt(y, s, 0.7)).toEqual({ tp: 2, fp: 1, tn: 3, fn: 1 })
    expect(prAuc(y, s)).toBeCloseTo(prAuc([1, 0, 1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.05]), 15)
    // Max F1: threshold 0.7 (P 2/3, R 2/3) vs 0.2 (P 3/5, R 1, F1 0.75).
    expect(chooseThreshold(y, s)).toMatchObject({ threshold: 0.2, recall: 1 })
    // Lowest threshold with precision >= 0.9 is 0.9 itself (P 1, R 1/3); none reaches precision 1 with more recall.
    expect(chooseThreshold(y, s, { minPrecision: 0.9 })).toMatchObject({ threshold: 0.9, precision: 1 })
    expect(chooseThreshold([0, 1], [0.9, 0.1], { minPrecision: 0.99 })).toBeUndefined()
    expect(mae([1, Number.NaN, 3], [2, 100, 3])).toBe(0.5)
    expect(() => prAuc([0, 0], [0.1, 0.2])).toThrow(RangeError)
    expect(() => rocAuc([1, 1], [0.1, 0.2])).toThrow(RangeError)
  })
})
