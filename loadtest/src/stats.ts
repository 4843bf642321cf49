import * as hdr from 'hdr-histogram-js'

export interface LatencySummary {
  samples: number
  p50_ms: number
  p95_ms: number
  p99_ms: number
  max_ms: number
  /** [upper bound ms, count] buckets for the histogram chart. */
  buckets: [number, number][]
}

/** Percentiles from an HDR histogram (1 µs .. 10 min, 3 significant digits). */
export function latencySummary(ms: readonly number[]): LatencySummary {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 })
  for (const v of ms) h.recordValue(Math.max(1, Math.round(v * 1000)))
  const at = (p: number): number => (ms.length === 0 ? 0 : h.getValueAtPercentile(p) / 1000)
  const bounds = [5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, Number.POSITIVE_INFINITY]
  const buckets: [number, number][] = bounds.map((b) => [b, 0])
  for (const v of ms) buckets.find(([b]) => v <= b)![1]++
  const max = ms.reduce((m, v) => (v > m ? v : m), 0)
  const out = { samples: ms.length, p50_ms: at(50), p95_ms: at(95), p99_ms: Math.min(at(99), max), max_ms: Number(max.toFixed(3)), buckets }
  h.destroy()
  return out
}

/** Frames per second in each complete `windowS`-second window of a per-second series. */
export function windowRates(perSecond: readonly number[], windowS = 5): number[] {
  const out: number[] = []
  for (let i = 0; i + windowS <= perSecond.length; i += windowS) {
    out.push(perSecond.slice(i, i + windowS).reduce((a, b) => a + b, 0) / windowS)
  }
  return out
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
