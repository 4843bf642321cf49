import { describe, expect, it } from 'vitest'
import { latencySummary, median, windowRates } from '../index.js'

describe('load statistics', () => {
  it('computes latency percentiles and histogram buckets', () => {
    const ms = Array.from({ length: 1000 }, (_, i) => i + 1) // 1..1000 ms
    const s = latencySummary(ms)
    expect(s.samples).toBe(1000)
    expect(s.p50_ms).toBeCloseTo(500, -1)
    expect(s.p99_ms).toBeCloseTo(990, -1)
    expect(s.max_ms).toBe(1000)
    expect(s.buckets.reduce((a, [, n]) => a + n, 0)).toBe(1000)
    expect(s.buckets.find(([b]) => b === 5)![1]).toBe(5)
  })

  it('handles no samples', () => {
    expect(latencySummary([])).toMatchObject({ samples: 0, p50_ms: 0, max_ms: 0 })
  })

  it('averages complete 5-second windows only', () => {
    expect(windowRates([10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 99])).toEqual([10, 20])
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
  })
})
