import { Rng } from '../../../common/index.js'
import type { Matrix } from '../types.js'

/** scikit-learn bins from at most this many rows; quantiles of a larger sample barely move. */
const BINNING_SAMPLE = 200_000

/**
 * Per-feature bin edges. Bin b of feature f holds the float32 values x with `upper[f][b-1] < x <= upper[f][b]`;
 * the last non-missing bin is open above and NaN is bin `bins[f]` (so at most 256 bins fit a Uint8).
 * Edges are float32 values, so `x <= edge` means the same thing in training, in `predict` and in onnxruntime.
 */
export interface BinEdges {
  /** Upper edges, `bins[f] - 1` per feature, ascending. */
  upper: Float32Array[]
  /** Non-missing bins per feature (1..maxBins); the NaN bin's index. */
  bins: Uint16Array
}

/** Edges from quantiles of (a seeded sample of) the rows, midpoints between distinct values when few. */
export function findBinEdges(x: Matrix, maxBins: number, seed: number): BinEdges {
  const { rows, cols, values } = x
  const sample = sampleRows(rows, BINNING_SAMPLE, seed)
  const upper: Float32Array[] = []
  const bins = new Uint16Array(cols)
  const col = new Float32Array(sample.length)
  for (let f = 0; f < cols; f++) {
    let m = 0
    for (let k = 0; k < sample.length; k++) {
      const v = values[sample[k]! * cols + f]!
      if (v === v) col[m++] = v
    }
    const sorted = col.subarray(0, m).sort()
    const edges = edgesOf(sorted, maxBins)
    upper.push(edges)
    bins[f] = edges.length + 1
  }
  return { upper, bins }
}

function sampleRows(n: number, max: number, seed: number): Uint32Array {
  const all = new Uint32Array(n)
  for (let i = 0; i < n; i++) all[i] = i
  if (n <= max) return all
  // Partial Fisher-Yates: the first `max` slots become a uniform sample without replacement.
  const rng = new Rng(seed)
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng.next() * (n - i))
    const t = all[i]!
    all[i] = all[j]!
    all[j] = t
  }
  return all.subarray(0, max).sort()
}

/** A float32 edge e with a <= e < b, as close to the midpoint as float32 allows. */
function between(a: number, b: number): number {
  const mid = Math.fround(a + (b - a) / 2)
  return mid < b && mid >= a ? mid : a
}

function edgesOf(sorted: Float32Array, maxBins: number): Float32Array {
  const m = sorted.length
  const distinct: number[] = []
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!)
  const out: number[] = []
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) out.push(between(distinct[i - 1]!, distinct[i]!))
  } else {
    // numpy.percentile(..., method='midpoint') at maxBins - 1 evenly spaced inner quantiles, as scikit-learn does.
    for (let q = 1; q < maxBins; q++) {
      const pos = (q / maxBins) * (m - 1)
      const lo = sorted[Math.floor(pos)]!
      const hi = sorted[Math.ceil(pos)]!
      const e = lo === hi ? lo : between(lo, hi)
      // An edge at the maximum would leave the last bin empty.
      if (e < distinct[distinct.length - 1]! && (out.length === 0 || e > out[out.length - 1]!)) out.push(e)
    }
  }
  return Float32Array.from(out)
}

/** The bin of a value: NaN → `bins`, else the first b with `v <= upper[b]`, else the last non-missing bin. */
export function binOf(v: number, upper: Float32Array, bins: number): number {
  if (v !== v) return bins
  let lo = 0
  let hi = upper.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (v <= upper[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** The matrix as bins, row-major like the input: a row's bins are adjacent, so one pass builds all histograms. */
export function binMatrix(x: Matrix, edges: BinEdges): Uint8Array {
  const { rows, cols, values } = x
  const out = new Uint8Array(rows * cols)
  for (let f = 0; f < cols; f++) {
    const upper = edges.upper[f]!
    const nb = edges.bins[f]!
    for (let i = 0, j = f; i < rows; i++, j += cols) out[j] = binOf(values[j]!, upper, nb)
  }
  return out
}
