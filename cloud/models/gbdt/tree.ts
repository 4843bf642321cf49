import { fillHistogram } from './histogram.js'
import type { GbdtTreeJson } from './model.js'
import type { HistogramWorker } from './threads.js'

/** Bins per feature in a histogram: 255 values + NaN. */
const BINS = 256
/** scikit-learn's min_hessian_to_split: a child whose hessian sum is below this is too flat to fit. */
const MIN_HESSIAN = 1e-3

/** Everything one tree is grown from. Rows are identified by index into `grad`/`hess` and the binned matrix. */
export interface GrowContext {
  cols: number
  /** Row-major bins, `cols` per row: one row's bins share a cache line, so one pass fills every histogram. */
  bins: Uint8Array
  /** The same bins column-major: partitioning reads one feature of ascending rows. */
  colBins: Uint8Array
  rows: number
  /** Non-missing bins per feature; the NaN bin's index. */
  nBins: Uint16Array
  upper: Float32Array[]
  /** Gradient and hessian per row, interleaved (2 per row). */
  gh: Float64Array
  /** The rows this tree sees in `order[0, size)`; reordered so each leaf owns a contiguous range. */
  order: Uint32Array
  size: number
  /** Scratch of at least `size` for partitioning. */
  scratch: Uint32Array
  /** Features this tree may split on. */
  features: Int32Array
  maxLeaves: number
  maxDepth: number
  minSamplesLeaf: number
  l2: number
  learningRate: number
  /** Total gain per feature, accumulated across trees. */
  gain: Float64Array
  /** Reused histogram buffers. */
  pool: Hist[]
  /**
   * A second thread for histograms, when training is big enough; `bins`, `gh`, `order` and `sharedFeatures` are then
   * on shared memory. Null: one thread.
   */
  worker: HistogramWorker | null
  /** `features` copied onto shared memory, for the worker (with feature sampling). */
  sharedFeatures: Int32Array | null
  /**
   * Per-bin row counts of all rows, filled by the first tree whose root holds every row. Bins never change, so
   * later such roots copy them and accumulate only gradients (a third less work on half the histogram rows).
   */
  rootCounts: Float64Array | null
}

export interface GrownTree {
  tree: GbdtTreeJson
  /** Bin threshold per node (left when bin <= it and not NaN), to route binned rows outside `order`. */
  binThreshold: number[]
  /** Final leaves: rows `order[start, end)` get `value`. */
  leaves: { start: number; end: number; value: number }[]
}

/**
 * Per feature and bin, four slots: gradient sum, hessian sum, row count (exact in a float64, for minSamplesLeaf)
 * and padding, so one bin's update touches one cache line (measured ~15 % faster than counts in an array of their
 * own). Bin b of feature f starts at `((f << 8) + b) << 2`.
 */
interface Hist {
  /** The worker's handle of a shared histogram; -1 otherwise. */
  id: number
  v: Float64Array
}

interface Leaf {
  node: number
  start: number
  end: number
  depth: number
  g: number
  h: number
  hist: Hist | null
  // Best split found (gain 0 when none).
  gain: number
  feature: number
  bin: number
  missingLeft: boolean
  lg: number
  lh: number
}

/** Grows one tree leaf-wise: always split the leaf whose best split gains most, up to `maxLeaves`. */
export function growTree(c: GrowContext): GrownTree {
  const tree: GbdtTreeJson = { feature: [], threshold: [], missingLeft: [], left: [], right: [], value: [] }
  const binThreshold: number[] = []
  const addNode = (): number => {
    tree.feature.push(-1)
    tree.threshold.push(0)
    tree.missingLeft.push(0)
    tree.left.push(-1)
    tree.right.push(-1)
    tree.value.push(0)
    binThreshold.push(0)
    return tree.feature.length - 1
  }

  let g = 0
  let h = 0
  for (let k = 0; k < c.size; k++) {
    const i = c.order[k]! << 1
    g += c.gh[i]!
    h += c.gh[i + 1]!
  }
  const root: Leaf = newLeaf(addNode(), 0, c.size, 0, g, h)
  root.hist = takeHist(c)
  if (c.size === c.rows && c.features.length === c.cols && c.rootCounts !== null) {
    const v = root.hist.v
    const counts = c.rootCounts
    for (let j = 0; j < counts.length; j++) v[(j << 2) + 2] = counts[j]!
    buildHistogram(c, root.hist, root.start, root.end, false)
  } else {
    buildHistogram(c, root.hist, root.start, root.end, true)
    if (c.size === c.rows && c.features.length === c.cols) {
      const v = root.hist.v
      c.rootCounts = Float64Array.from({ length: v.length >> 2 }, (_, j) => v[(j << 2) + 2]!)
    }
  }
  findSplit(c, root)
  const leaves: Leaf[] = [root]

  for (;;) {
    if (leaves.length >= c.maxLeaves) break
    let best = -1
    for (let i = 0; i < leaves.length; i++) if (leaves[i]!.gain > 0 && (best < 0 || leaves[i]!.gain > leaves[best]!.gain)) best = i
    if (best < 0) break
    const p = leaves[best]!
    const { left, right } = split(c, p, addNode, tree, binThreshold)
    leaves[best] = left
    leaves.push(right)
    // Histogram subtraction: build the smaller child's, the larger one's is the parent's minus it.
    const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left]
    const parentHist = p.hist!
    p.hist = null
    const canSplit = (l: Leaf): boolean => l.depth < c.maxDepth && l.end - l.start >= 2 * c.minSamplesLeaf && leaves.length < c.maxLeaves
    if (canSplit(small) || canSplit(large)) {
      small.hist = takeHist(c)
      buildHistogram(c, small.hist, small.start, small.end, true)
      subtract(parentHist, small.hist)
      large.hist = parentHist
      for (const l of [small, large]) {
        if (canSplit(l)) findSplit(c, l)
        if (l.gain === 0) release(c, l)
      }
    } else {
      c.pool.push(parentHist)
    }
  }

  const out: GrownTree['leaves'] = []
  for (const l of leaves) {
    release(c, l)
    const value = Math.fround((-c.learningRate * l.g) / (l.h + c.l2))
    tree.value[l.node] = value
    out.push({ start: l.start, end: l.end, value })
  }
  return { tree, binThreshold, leaves: out }
}

function newLeaf(node: number, start: number, end: number, depth: number, g: number, h: number): Leaf {
  return { node, start, end, depth, g, h, hist: null, gain: 0, feature: -1, bin: 0, missingLeft: false, lg: 0, lh: 0 }
}

function takeHist(c: GrowContext): Hist {
  const h = c.pool.pop() ?? c.worker?.newHist(c.cols) ?? { id: -1, v: new Float64Array(c.cols * BINS * 4) }
  h.v.fill(0)
  return h
}

function release(c: GrowContext, l: Leaf): void {
  if (l.hist !== null) c.pool.push(l.hist)
  l.hist = null
}

function subtract(from: Hist, h: Hist): void {
  const a = from.v
  const b = h.v
  for (let i = 0; i < a.length; i++) a[i] = a[i]! - b[i]!
}

/** Fills the leaf's histogram: on this thread, or shared out between this one and a worker (threads.ts). */
function buildHistogram(c: GrowContext, hist: Hist, start: number, end: number, counts: boolean): void {
  const all = c.features.length === c.cols
  if (c.worker !== null) return c.worker.build(hist, start, end, c.features.length, !all, counts)
  fillHistogram(c.bins, c.cols, c.gh, c.order, start, end, all ? null : c.features, 0, c.features.length, hist.v, counts)
}

/**
 * Best split of a leaf over every allowed feature and bin, trying NaN rows on each side (scikit-learn's rule). A
 * feature without NaN in the leaf sends future NaN to the child with more rows.
 */
function findSplit(c: GrowContext, l: Leaf): void {
  const hv = l.hist!.v
  const { l2, minSamplesLeaf: msl } = c
  const G = l.g
  const H = l.h
  const C = l.end - l.start
  const parent = (G * G) / (H + l2)
  l.gain = 0
  for (let q = 0; q < c.features.length; q++) {
    const f = c.features[q]!
    const nb = c.nBins[f]!
    const off = f * BINS
    const m = off + nb
    const gm = hv[m << 2]!
    const hm = hv[(m << 2) + 1]!
    const cm = hv[(m << 2) + 2]!
    let gl = 0
    let hl = 0
    let cl = 0
    for (let b = 0; b < nb; b++) {
      const j = off + b
      gl += hv[j << 2]!
      hl += hv[(j << 2) + 1]!
      cl += hv[(j << 2) + 2]!
      // NaN rows right.
      let cr = C - cl
      if (cl >= msl && cr >= msl && hl >= MIN_HESSIAN && H - hl >= MIN_HESSIAN) {
        const gr = G - gl
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (H - hl + l2) - parent
        if (gain > l.gain) setBest(l, gain, f, b, cm > 0 ? false : cl >= cr, gl, hl)
      }
      if (cm === 0) continue
      // NaN rows left.
      const gl2 = gl + gm
      const hl2 = hl + hm
      const cl2 = cl + cm
      cr = C - cl2
      if (cl2 >= msl && cr >= msl && hl2 >= MIN_HESSIAN && H - hl2 >= MIN_HESSIAN) {
        const gr = G - gl2
        const gain = (gl2 * gl2) / (hl2 + l2) + (gr * gr) / (H - hl2 + l2) - parent
        if (gain > l.gain) setBest(l, gain, f, b, true, gl2, hl2)
      }
    }
  }
}

function setBest(l: Leaf, gain: number, feature: number, bin: number, missingLeft: boolean, lg: number, lh: number): void {
  l.gain = gain
  l.feature = feature
  l.bin = bin
  l.missingLeft = missingLeft
  l.lg = lg
  l.lh = lh
}

/** Applies the leaf's best split: writes the node, partitions its rows stably, returns the two children. */
function split(c: GrowContext, p: Leaf, addNode: () => number, tree: GbdtTreeJson, binThreshold: number[]): { left: Leaf; right: Leaf } {
  const { order, scratch } = c
  const f = p.feature
  const col = c.colBins.subarray(f * c.rows, (f + 1) * c.rows)
  const b = p.bin
  const nb = c.nBins[f]!
  const ml = p.missingLeft
  let l = p.start
  let r = 0
  for (let k = p.start; k < p.end; k++) {
    const i = order[k]!
    const bin = col[i]!
    // bin <= b is never the NaN bin (nb > b).
    if (bin <= b || (ml && bin === nb)) order[l++] = i
    else scratch[r++] = i
  }
  order.set(scratch.subarray(0, r), l)

  c.gain[f] = c.gain[f]! + p.gain
  const n = p.node
  tree.feature[n] = f
  tree.threshold[n] = b < nb - 1 ? c.upper[f]![b]! : null
  tree.missingLeft[n] = ml ? 1 : 0
  binThreshold[n] = b
  const left = newLeaf(addNode(), p.start, l, p.depth + 1, p.lg, p.lh)
  const right = newLeaf(addNode(), l, p.end, p.depth + 1, p.g - p.lg, p.h - p.lh)
  tree.left[n] = left.node
  tree.right[n] = right.node
  return { left, right }
}
