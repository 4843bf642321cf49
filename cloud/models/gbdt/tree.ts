import { nodeJob, type KernelData, type NodeTask } from './kernels.js'
import type { GbdtTreeJson } from './model.js'
import { partitionHere, type SharedHist, type TrainWorker } from './threads.js'

/** Everything one tree is grown from. */
export interface GrowContext {
  /** The arrays the kernels work on; `d.order[0, size)` holds this tree's rows, `d.feats[0, nFeat)` its features. */
  d: KernelData
  size: number
  nFeat: number
  upper: Float32Array[]
  maxLeaves: number
  maxDepth: number
  learningRate: number
  /** Total gain per feature, accumulated across trees. */
  gain: Float64Array
  /** Reused histogram buffers. */
  pool: Hist[]
  /** A second thread, with `d` on shared memory; null: one thread. */
  worker: TrainWorker | null
  /** Best splits as `nodeJob` writes them: this thread's from slot 0, the worker's from slot 16. */
  best: Float64Array
  /** Whether `d.rootCounts` holds the counts of every row (filled by the first tree whose root holds every row). */
  haveRootCounts: boolean
}

export interface GrownTree {
  tree: GbdtTreeJson
  /** Bin threshold per node (left when bin <= it and not NaN), to route binned rows outside `order`. */
  binThreshold: number[]
  /** Final leaves: rows `order[start, end)` get `value`. */
  leaves: { start: number; end: number; value: number }[]
}

/** A histogram buffer (kernels.ts has the layout); `id` is the worker's handle of a shared one, -1 otherwise. */
type Hist = SharedHist

interface Leaf {
  node: number
  start: number
  end: number
  depth: number
  g: number
  h: number
  hist: Hist | null
  /** Whether `hist` has row counts (kernels.ts). */
  exact: boolean
  // Best split found (gain 0 when none).
  gain: number
  feature: number
  bin: number
  /** 0, 1, or 2: to the side with more rows (known once partitioned). */
  missingLeft: number
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

  const { d } = c
  let g = 0
  let h = 0
  for (let k = 0; k < c.size; k++) {
    const i = d.order[k]! << 1
    g += d.gh[i]!
    h += d.gh[i + 1]!
  }
  const root: Leaf = newLeaf(addNode(), 0, c.size, 0, g, h)
  root.hist = takeHist(c)
  // Bins never change, so a root over every row and feature has the same counts every time: copy them, and
  // accumulate only gradients (a third less work on half the histogram rows).
  const full = c.size === d.rows && c.nFeat === d.cols
  runNode(c, root, null, true, false, full ? (c.haveRootCounts ? 0 : 1) : countsFor(root))
  if (full && !c.haveRootCounts) {
    d.rootCounts.set(root.hist.v)
    c.haveRootCounts = true
  }
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
    const canSplit = (l: Leaf): boolean => l.depth < c.maxDepth && l.end - l.start >= 2 * c.d.minSamplesLeaf && leaves.length < c.maxLeaves
    const splitSmall = canSplit(small)
    const splitLarge = canSplit(large)
    if (splitSmall || splitLarge) {
      small.hist = takeHist(c)
      large.hist = parentHist
      runNode(c, small, large, splitSmall, splitLarge, countsFor(small))
      for (const l of [small, large]) if (l.gain === 0) release(c, l)
    } else {
      c.pool.push(parentHist)
    }
  }

  const out: GrownTree['leaves'] = []
  for (const l of leaves) {
    release(c, l)
    const value = Math.fround((-c.learningRate * l.g) / (l.h + c.d.l2))
    tree.value[l.node] = value
    out.push({ start: l.start, end: l.end, value })
  }
  return { tree, binThreshold, leaves: out }
}

/** Leaves of at least this many rows get histograms without counts (kernels.ts); below, counting costs little. */
const MIN_ROWS_UNCOUNTED = 4096

function countsFor(l: Leaf): number {
  return l.end - l.start >= MIN_ROWS_UNCOUNTED ? 2 : 1
}

function newLeaf(node: number, start: number, end: number, depth: number, g: number, h: number): Leaf {
  return { node, start, end, depth, g, h, hist: null, exact: true, gain: 0, feature: -1, bin: 0, missingLeft: 0, lg: 0, lh: 0 }
}

/** A histogram buffer, not zeroed: `nodeJob` zeroes the features it fills. */
function takeHist(c: GrowContext): Hist {
  return c.pool.pop() ?? c.worker?.newHist(c.d.cols) ?? { id: -1, v: new Float64Array(c.d.cols * 1024) }
}

function release(c: GrowContext, l: Leaf): void {
  if (l.hist !== null) c.pool.push(l.hist)
  l.hist = null
}

/**
 * Builds `small`'s histogram (turning `large`'s, the parent's until now, into its own) and finds the wanted best
 * splits: on this thread, or shared out with the worker.
 */
function runNode(c: GrowContext, small: Leaf, large: Leaf | null, splitSmall: boolean, splitLarge: boolean, counts: number): void {
  const t: NodeTask = {
    small: small.hist!.v,
    parent: large?.hist?.v ?? null,
    start: small.start,
    end: small.end,
    counts,
    parentExact: large?.exact === true ? 1 : 0,
    splitSmall: splitSmall ? 1 : 0,
    splitLarge: splitLarge ? 1 : 0,
    gs: small.g,
    hs: small.h,
    gl: large?.g ?? 0,
    hl: large?.h ?? 0,
    largeStart: large?.start ?? 0,
    largeEnd: large?.end ?? 0,
  }
  small.exact = counts !== 2
  if (large !== null) large.exact = large.exact && small.exact
  const b = c.best
  if (c.worker !== null) {
    c.worker.node(t, small.hist!, large?.hist ?? null, c.nFeat)
  } else {
    nodeJob(c.d, t, 0, c.nFeat, b, 0)
    b[16] = 0
    b[24] = 0
  }
  if (splitSmall) takeBest(small, b, 0)
  if (splitLarge && large !== null) takeBest(large, b, 8)
}

/** The better of the two threads' best splits; the lower features' on a tie, as one thread would find it. */
function takeBest(l: Leaf, b: Float64Array, at: number): void {
  const w = b[at + 16]! > b[at]! ? at + 16 : at
  l.gain = b[w]!
  if (l.gain === 0) return
  l.feature = b[w + 1]!
  l.bin = b[w + 2]!
  l.missingLeft = b[w + 3]!
  l.lg = b[w + 4]!
  l.lh = b[w + 5]!
}

/** Applies the leaf's best split: writes the node, partitions its rows stably, returns the two children. */
function split(c: GrowContext, p: Leaf, addNode: () => number, tree: GbdtTreeJson, binThreshold: number[]): { left: Leaf; right: Leaf } {
  const f = p.feature
  const b = p.bin
  const nLeft = c.worker !== null ? c.worker.partition(p.start, p.end, f, b, p.missingLeft) : partitionHere(c.d, p.start, p.end, f, b, p.missingLeft)
  const l = p.start + nLeft
  // 2: the leaf has no NaN in this feature, and future NaN go to the side with more rows.
  const ml = p.missingLeft === 2 ? (nLeft >= p.end - l ? 1 : 0) : p.missingLeft

  c.gain[f] = c.gain[f]! + p.gain
  const n = p.node
  const nb = c.d.nBins[f]!
  tree.feature[n] = f
  tree.threshold[n] = b < nb - 1 ? c.upper[f]![b]! : null
  tree.missingLeft[n] = ml
  binThreshold[n] = b
  const left = newLeaf(addNode(), p.start, l, p.depth + 1, p.lg, p.lh)
  const right = newLeaf(addNode(), l, p.end, p.depth + 1, p.g - p.lg, p.h - p.lh)
  tree.left[n] = left.node
  tree.right[n] = right.node
  // The larger child takes over the parent's histogram, counts or not.
  left.exact = p.exact
  right.exact = p.exact
  return { left, right }
}
