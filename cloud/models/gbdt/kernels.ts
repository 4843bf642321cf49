/**
 * The trainer's hot loops, run by this thread and by the worker of threads.ts, each over its share of the features
 * (histograms, split search) or of the rows (partition, gradients). Self-contained on purpose (no imports, no module
 * constants; they call only each other): the worker runs them from their source text.
 *
 * A histogram holds, per feature and bin, four float64 slots: gradient sum, hessian sum, row count (exact in a
 * float64, for minSamplesLeaf) and padding, so one bin's update touches one cache line (measured ~15 % faster than
 * counts in an array of their own). Feature f's 256 bins (255 values + NaN) start at `f << 10`.
 *
 * The count is one of a bin update's three additions, and large leaves rarely need it: their prefix hessian sums
 * already show that both sides of a split hold minSamplesLeaf rows (see `bestSplit`). So large leaves are built
 * without counts ("inexact"), and the few features where it matters are counted exactly on demand.
 */

/** What the kernels work on: the same arrays on both threads (on shared memory when there is a worker). */
export interface KernelData {
  cols: number
  rows: number
  /** Row-major bins, `cols` per row: one row's bins share a cache line, so one pass fills every feature's histogram. */
  bins: Uint8Array
  /** The same bins column-major: partitioning reads one feature of ascending rows. */
  colBins: Uint8Array
  /** Non-missing bins per feature; the NaN bin's index. */
  nBins: Uint16Array
  /** Gradient and hessian per row, interleaved. */
  gh: Float64Array
  /** The tree's rows; each leaf owns a contiguous range. */
  order: Uint32Array
  /** Rows partitioned right go here first, at the same positions. */
  scratch: Uint32Array
  /** The features the current tree may split on, ascending. */
  feats: Int32Array
  /** Per-bin row counts of all rows, in histogram layout (count slots only), once the first full root is built. */
  rootCounts: Float64Array
  /** 1 where a feature has NaN in some training row. */
  hasNan: Uint8Array
  l2: number
  minSamplesLeaf: number
  /** Bounds of any row's hessian: without counts, a hessian sum s covers between s / hMax and s / hMin rows. */
  hMin: number
  hMax: number
  /** Raw scores, labels and row weights, for gradients. */
  raw: Float64Array
  y: Float32Array
  weight: Float64Array
}

/** One node's histogram work: scalars arrive as numbers so the worker can rebuild it from shared slots. */
export interface NodeTask {
  /** The histogram to build over `order[start, end)`. */
  small: Float64Array
  /** Its parent's histogram, turned into the larger sibling's by subtraction; null at the root. */
  parent: Float64Array | null
  start: number
  end: number
  /**
   * 1: count rows; 0: copy the counts from `rootCounts` (a root over every row); 2: no counts (an inexact histogram).
   */
  counts: number
  /** 1 where the parent's histogram has counts; the large leaf's has them when both the parent's and the small's do. */
  parentExact: number
  /** 1 where the best split of the small (resp. large) leaf is wanted. */
  splitSmall: number
  splitLarge: number
  /** Gradient and hessian totals of the small and the large leaf. */
  gs: number
  hs: number
  gl: number
  hl: number
  /** The large leaf's rows, `order[largeStart, largeEnd)`. */
  largeStart: number
  largeEnd: number
}

/**
 * A node's histograms over features `feats[qFrom, qTo)`: zeroes and fills the small leaf's, subtracts it from the
 * parent's (histogram subtraction: the larger sibling's for free), and writes each wanted best split to `best`
 * (8 slots from `at` for the small leaf, 8 more for the large, as `bestSplit` writes them).
 */
export function nodeJob(d: KernelData, t: NodeTask, qFrom: number, qTo: number, best: Float64Array, at: number): void {
  const { feats } = d
  const s = t.small
  for (let q = qFrom; q < qTo; q++) {
    const o = feats[q]! << 10
    s.fill(0, o, o + 1024)
    if (t.counts === 0) for (let j = o + 2; j < o + 1024; j += 4) s[j] = d.rootCounts[j]!
  }
  fillHistogram(d, t.start, t.end, qFrom, qTo, s, t.counts === 1 ? 1 : 0)
  // Without counts, the NaN bins still get theirs: whether a leaf has NaN decides which sides NaN may take.
  if (t.counts === 2) {
    for (let q = qFrom; q < qTo; q++) {
      const f = feats[q]!
      if (d.hasNan[f] === 0) continue
      const nan = d.nBins[f]!
      const col = d.colBins.subarray(f * d.rows, (f + 1) * d.rows)
      let n = 0
      for (let k = t.start; k < t.end; k++) if (col[d.order[k]!] === nan) n++
      s[(((f << 8) + nan) << 2) + 2] = n
    }
  }
  const p = t.parent
  if (p !== null) {
    for (let q = qFrom; q < qTo; q++) {
      const o = feats[q]! << 10
      for (let j = o; j < o + 1024; j++) p[j] = p[j]! - s[j]!
    }
  }
  const exact = t.counts === 2 ? 0 : 1
  if (t.splitSmall === 1) bestSplit(d, s, exact, t.start, t.end, qFrom, qTo, t.gs, t.hs, best, at)
  if (t.splitLarge === 1 && p !== null) bestSplit(d, p, exact & t.parentExact, t.largeStart, t.largeEnd, qFrom, qTo, t.gl, t.hl, best, at + 8)
}

/**
 * Adds each row of `order[start, end)` to the histogram of features `feats[qFrom, qTo)`; with `counts` 0 the count
 * slots are left alone. Rows go in order, so every bin sums the same numbers in the same order however the features
 * are shared out between threads: the trees do not depend on the thread count. Four rows per step: their updates
 * are independent, and their bins' cache lines are fetched together (about 10 % faster than two, measured).
 */
export function fillHistogram(d: KernelData, start: number, end: number, qFrom: number, qTo: number, hv: Float64Array, counts: number): void {
  const { bins, cols, gh, order, feats } = d
  let k = start
  for (; k + 3 < end; k += 4) {
    const i0 = order[k]!
    const i1 = order[k + 1]!
    const i2 = order[k + 2]!
    const i3 = order[k + 3]!
    const g0 = gh[i0 << 1]!
    const h0 = gh[(i0 << 1) + 1]!
    const g1 = gh[i1 << 1]!
    const h1 = gh[(i1 << 1) + 1]!
    const g2 = gh[i2 << 1]!
    const h2 = gh[(i2 << 1) + 1]!
    const g3 = gh[i3 << 1]!
    const h3 = gh[(i3 << 1) + 1]!
    const r0 = i0 * cols
    const r1 = i1 * cols
    const r2 = i2 * cols
    const r3 = i3 * cols
    for (let q = qFrom; q < qTo; q++) {
      const f = feats[q]!
      const fo = f << 8
      const j0 = (fo + bins[r0 + f]!) << 2
      hv[j0] = hv[j0]! + g0
      hv[j0 + 1] = hv[j0 + 1]! + h0
      const j1 = (fo + bins[r1 + f]!) << 2
      hv[j1] = hv[j1]! + g1
      hv[j1 + 1] = hv[j1 + 1]! + h1
      const j2 = (fo + bins[r2 + f]!) << 2
      hv[j2] = hv[j2]! + g2
      hv[j2 + 1] = hv[j2 + 1]! + h2
      const j3 = (fo + bins[r3 + f]!) << 2
      hv[j3] = hv[j3]! + g3
      hv[j3 + 1] = hv[j3 + 1]! + h3
      if (counts === 1) {
        hv[j0 + 2] = hv[j0 + 2]! + 1
        hv[j1 + 2] = hv[j1 + 2]! + 1
        hv[j2 + 2] = hv[j2 + 2]! + 1
        hv[j3 + 2] = hv[j3 + 2]! + 1
      }
    }
  }
  for (; k < end; k++) {
    const i = order[k]!
    const g = gh[i << 1]!
    const h = gh[(i << 1) + 1]!
    const r = i * cols
    for (let q = qFrom; q < qTo; q++) {
      const f = feats[q]!
      const j = ((f << 8) + bins[r + f]!) << 2
      hv[j] = hv[j]! + g
      hv[j + 1] = hv[j + 1]! + h
      if (counts === 1) hv[j + 2] = hv[j + 2]! + 1
    }
  }
}

/**
 * The best split of leaf `order[start, end)` (gradient and hessian totals g, h) over features `feats[qFrom, qTo)`
 * and their bins, trying NaN rows on each side (scikit-learn's rule); a feature without NaN in the leaf sends future
 * NaN to the child with more rows. Writes gain (0: none), feature, bin, missingLeft (0/1, or 2: "to the side with
 * more rows", settled by the partition), left gradient, left hessian and the candidate's scan position to
 * `out[at, at + 7)`. Ties keep the first position, so the best of two feature ranges is the lower range's unless
 * the upper's gains strictly more.
 *
 * With `exact` 0 the histogram has no counts but the NaN bins'. A side whose hessian sum is s then holds between
 * s / hMax and s / hMin rows, which settles minSamplesLeaf for all but a few bins near the ends. A feature with such
 * an unsettled candidate that could beat the best one is counted exactly over the leaf's rows and scanned again:
 * the result is the exact one.
 */
export function bestSplit(d: KernelData, hv: Float64Array, exact: number, start: number, end: number, qFrom: number, qTo: number, g: number, h: number, out: Float64Array, at: number): void {
  out[at] = 0
  out[at + 6] = -1
  // Features to count exactly, each with the highest gain it may add.
  let pending: number[] | null = null
  for (let q = qFrom; q < qTo; q++) {
    const f = d.feats[q]!
    const unsettled = exact === 1 ? scanFeature(d, hv, hv, (f << 10) + 2, 4, q, g, h, end - start, out, at) : scanFeature(d, hv, null, 0, 0, q, g, h, end - start, out, at)
    if (unsettled > 0) {
      pending ??= []
      pending.push(q, unsettled)
    }
  }
  if (pending === null) return
  const counts = new Float64Array(256)
  for (let i = 0; i < pending.length; i += 2) {
    // A later feature may have raised the best above what this one could add (a tie may still win: it comes first).
    if (pending[i + 1]! < out[at]!) continue
    const q = pending[i]!
    const f = d.feats[q]!
    counts.fill(0)
    const col = d.colBins.subarray(f * d.rows, (f + 1) * d.rows)
    for (let k = start; k < end; k++) counts[col[d.order[k]!]!]!++
    scanFeature(d, hv, counts, 0, 1, q, g, h, end - start, out, at)
  }
}

/**
 * One feature's candidates for `bestSplit`, with counts `cnt[cOff + b * cStride]`, or without (`cnt` null). Updates
 * the best in `out`; without counts returns the highest gain among candidates whose row counts it could not settle
 * and that could still win (else 0).
 */
export function scanFeature(d: KernelData, hv: Float64Array, cnt: Float64Array | null, cOff: number, cStride: number, q: number, g: number, h: number, c: number, out: Float64Array, at: number): number {
  // scikit-learn's min_hessian_to_split: a child whose hessian sum is below this is too flat to fit.
  const minHessian = 1e-3
  const { l2, minSamplesLeaf: msl } = d
  const f = d.feats[q]!
  const nb = d.nBins[f]!
  const off = f << 8
  const parent = (g * g) / (h + l2)
  // Hessian sums above `sure` surely cover msl rows, below `never` surely not. The margin covers rounding: far above
  // the error of sums and differences of up to `rows` hessians, far below one row's.
  const margin = 1e-6 * d.rows * d.hMax
  const sure = msl * d.hMax + margin
  const never = msl * d.hMin - margin
  let unsettled = 0
  // 0: surely fewer than msl rows; 1: surely at least msl; 2: cannot tell.
  const side = (hs: number): number => (hs < never ? 0 : hs >= sure ? 1 : 2)
  const m = (off + nb) << 2
  const gm = hv[m]!
  const hm = hv[m + 1]!
  // The NaN bin's count is exact in every histogram.
  const cm = hv[m + 2]!
  let gl = 0
  let hl = 0
  let cl = 0
  for (let b = 0; b < nb; b++) {
    const j = (off + b) << 2
    gl += hv[j]!
    hl += hv[j + 1]!
    if (cnt !== null) cl += cnt[cOff + b * cStride]!
    const pos = q * 1024 + b * 2
    // NaN rows right.
    if (hl >= minHessian && h - hl >= minHessian) {
      const gr = g - gl
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (h - hl + l2) - parent
      if (cnt !== null) {
        if (cl >= msl && c - cl >= msl && (gain > out[at]! || (gain === out[at]! && pos < out[at + 6]!))) setBest(out, at, gain, f, b, cm > 0 ? 0 : cl >= c - cl ? 1 : 0, gl, hl, pos)
      } else if (gain >= out[at]!) {
        const sides = side(hl) * side(h - hl)
        if (sides === 1 && gain > out[at]!) setBest(out, at, gain, f, b, cm > 0 ? 0 : 2, gl, hl, pos)
        else if (sides > 1) unsettled = Math.max(unsettled, gain)
      }
    }
    if (cm === 0) continue
    // NaN rows left.
    const gl2 = gl + gm
    const hl2 = hl + hm
    if (hl2 >= minHessian && h - hl2 >= minHessian) {
      const gr2 = g - gl2
      const gain2 = (gl2 * gl2) / (hl2 + l2) + (gr2 * gr2) / (h - hl2 + l2) - parent
      if (cnt !== null) {
        const cl2 = cl + cm
        if (cl2 >= msl && c - cl2 >= msl && (gain2 > out[at]! || (gain2 === out[at]! && pos + 1 < out[at + 6]!))) setBest(out, at, gain2, f, b, 1, gl2, hl2, pos + 1)
      } else if (gain2 >= out[at]!) {
        const sides = side(hl2) * side(h - hl2)
        if (sides === 1 && gain2 > out[at]!) setBest(out, at, gain2, f, b, 1, gl2, hl2, pos + 1)
        else if (sides > 1) unsettled = Math.max(unsettled, gain2)
      }
    }
  }
  return unsettled
}

export function setBest(out: Float64Array, at: number, gain: number, f: number, b: number, missingLeft: number, gl: number, hl: number, pos: number): void {
  out[at] = gain
  out[at + 1] = f
  out[at + 2] = b
  out[at + 3] = missingLeft
  out[at + 4] = gl
  out[at + 5] = hl
  out[at + 6] = pos
}

/**
 * Stable partition of `order[from, to)` by a split (left when bin <= b, or NaN with `missingLeft` 1): the left rows
 * stay in order from `from`, the right ones go in order to `scratch` from `from`. Returns how many went left.
 */
export function partitionRows(d: KernelData, from: number, to: number, f: number, b: number, missingLeft: number): number {
  const { order, scratch } = d
  const col = d.colBins.subarray(f * d.rows, (f + 1) * d.rows)
  // bin <= b is never the NaN bin (nb > b); with missingLeft 0 no bin equals nan.
  const nan = missingLeft === 1 ? d.nBins[f]! : 256
  let l = from
  let r = from
  for (let k = from; k < to; k++) {
    const i = order[k]!
    const bin = col[i]!
    if (bin <= b || bin === nan) order[l++] = i
    else scratch[r++] = i
  }
  return l - from
}

/** Gradient and hessian of the loss for rows [from, to): logloss when `binary` is 1, squared error otherwise. */
export function gradients(d: KernelData, from: number, to: number, binary: number): void {
  const { raw, y, weight: w, gh } = d
  if (binary === 0) {
    for (let i = from; i < to; i++) {
      gh[i << 1] = raw[i]! - y[i]!
      gh[(i << 1) + 1] = 1
    }
    return
  }
  for (let i = from; i < to; i++) {
    const p = 1 / (1 + Math.exp(-raw[i]!))
    const wi = w[i]!
    gh[i << 1] = (p - y[i]!) * wi
    gh[(i << 1) + 1] = Math.max(p * (1 - p), 1e-16) * wi
  }
}
