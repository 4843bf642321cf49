import { availableParallelism } from 'node:os'
import { OptionError, Rng } from '../../../common/index.js'
import type { Matrix } from '../types.js'
import { binMatrix, findBinEdges } from './binning.js'
import { GbdtDataError } from './errors.js'
import { GbdtModel, type GbdtJson, type GbdtTreeJson } from './model.js'
import { resolveGbdtOptions, type GbdtOptions, type ResolvedGbdtOptions } from './options.js'
import { gradients, type KernelData } from './kernels.js'
import { TrainWorker } from './threads.js'
import { growTree, type GrowContext } from './tree.js'

/** Default to two threads from this many values (rows × features): below, the worker's start-up costs more than it saves. */
const MIN_VALUES_THREADED = 1_000_000

/**
 * Trains histogram gradient-boosted trees (LightGBM's and scikit-learn's HistGradientBoosting method). Rows whose
 * label is NaN are left out (a dataset's excluded rows); NaN features are missing values with a learned direction.
 */
export function trainGbdt(x: Matrix, y: Float32Array, options: GbdtOptions): GbdtModel {
  const o = resolveGbdtOptions(options)
  const train = labelled(x, y, o, 'training')
  const valid = options.validation === undefined ? undefined : labelled(options.validation.x, options.validation.y, o, 'validation')
  if (valid !== undefined && valid.x.cols !== x.cols) throw new GbdtDataError(`validation has ${valid.x.cols} columns, training ${x.cols}`)
  const n = train.x.rows
  const cols = train.x.cols
  const yt = train.y

  const threads = options.threads ?? (n * cols >= MIN_VALUES_THREADED && availableParallelism() >= 2 ? 2 : 1)
  if (threads !== 1 && threads !== 2) throw new OptionError('GbdtOptions.threads', `must be 1 or 2, got ${threads}`)
  // With a worker, everything it reads or writes lives on shared memory.
  const shared = threads === 2
  const alloc = <T>(make: new (b: ArrayBufferLike) => T, bytes: number): T => new make(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes))
  const edges = findBinEdges(train.x, o.maxBins, o.seed)
  const bins = binMatrix(train.x, edges, shared)
  const weight = alloc(Float64Array, n * 8).fill(1)
  if (o.positiveWeight !== 1) for (let i = 0; i < n; i++) if (yt[i] === 1) weight[i] = o.positiveWeight
  const baseScore = Math.fround(initialScore(yt, weight, o))
  const labels = shared ? alloc(Float32Array, n * 4) : yt
  if (labels !== yt) labels.set(yt)
  const d: KernelData = {
    cols,
    rows: n,
    bins: bins.rows,
    colBins: bins.cols,
    nBins: edges.bins,
    gh: alloc(Float64Array, 2 * n * 8),
    order: alloc(Uint32Array, n * 4),
    scratch: alloc(Uint32Array, n * 4),
    feats: alloc(Int32Array, cols * 4),
    rootCounts: alloc(Float64Array, cols * 1024 * 8),
    hasNan: bins.hasNan,
    l2: o.l2,
    minSamplesLeaf: o.minSamplesLeaf,
    // Logloss: p(1 - p) <= 1/4 (at least 1e-16) times the row's weight; squared error: 1.
    hMin: o.objective === 'binary' ? 1e-16 * Math.min(1, o.positiveWeight) : 1,
    hMax: o.objective === 'binary' ? 0.25 * Math.max(1, o.positiveWeight) : 1,
    raw: alloc(Float64Array, n * 8).fill(baseScore),
    y: labels,
    weight,
  }
  for (let f = 0; f < cols; f++) d.feats[f] = f
  const best = alloc(Float64Array, 32 * 8)
  const worker = shared ? TrainWorker.start(d, best) ?? null : null
  const ctx: GrowContext = {
    d,
    size: n,
    nFeat: cols,
    upper: edges.upper,
    maxLeaves: o.maxLeaves,
    maxDepth: o.maxDepth ?? Number.POSITIVE_INFINITY,
    learningRate: o.learningRate,
    gain: new Float64Array(cols),
    pool: [],
    worker,
    best,
    haveRootCounts: false,
  }
  try {
    return boost(ctx, { valid, o, options, edges, baseScore })
  } finally {
    worker?.close()
  }
}

interface BoostInput {
  valid: { x: Matrix; y: Float32Array } | undefined
  o: ResolvedGbdtOptions
  options: GbdtOptions
  edges: ReturnType<typeof findBinEdges>
  baseScore: number
}

/** The boosting rounds, with early stopping on validation. */
function boost(ctx: GrowContext, b: BoostInput): GbdtModel {
  const { valid, o, options, edges, baseScore } = b
  const { d, gain } = ctx
  const { rows: n, cols, order, raw } = d
  const vraw = valid === undefined ? undefined : new Float64Array(valid.x.rows).fill(baseScore)
  const vweight = valid === undefined ? undefined : valid.y.map((v) => (v === 1 ? o.positiveWeight : 1))
  const rng = new Rng(o.seed ^ 0x5bd1e995)
  const inSample = o.subsample < 1 ? new Uint8Array(n) : undefined

  const trees: GbdtTreeJson[] = []
  let bestLoss = Number.POSITIVE_INFINITY
  let bestTrees = 0
  const gainAtBest = new Float64Array(cols)
  for (let it = 0; it < o.iterations; it++) {
    const binary = o.objective === 'binary' ? 1 : 0
    if (ctx.worker !== null) ctx.worker.gradients(n, binary)
    else gradients(d, 0, n, binary)
    ctx.size = sampleRows(order, n, o.subsample, rng, inSample)
    if (o.featureFraction < 1) ctx.nFeat = sampleFeatures(d.feats, o.featureFraction, rng)

    const grown = growTree(ctx)
    for (const leaf of grown.leaves) {
      for (let k = leaf.start; k < leaf.end; k++) {
        const i = order[k]!
        raw[i] = raw[i]! + leaf.value
      }
    }
    if (inSample !== undefined) {
      for (let i = 0; i < n; i++) if (inSample[i] === 0) raw[i] = raw[i]! + binnedValue(grown.tree, grown.binThreshold, d.bins, i * cols, edges.bins)
    }
    trees.push(grown.tree)

    if (valid !== undefined && vraw !== undefined && vweight !== undefined) {
      const vx = valid.x
      for (let r = 0; r < vx.rows; r++) vraw[r] = vraw[r]! + treeValue(grown.tree, vx.values, r * vx.cols)
      const loss = lossOf(vraw, valid.y, vweight, o)
      if (loss < bestLoss) {
        bestLoss = loss
        bestTrees = trees.length
        gainAtBest.set(gain)
      } else if (trees.length - bestTrees >= o.earlyStoppingRounds) {
        options.onProgress?.(trees.length, o.iterations)
        break
      }
    }
    options.onProgress?.(trees.length, o.iterations)
  }

  // With early stopping the model keeps the trees of the best validation round (LightGBM's choice).
  const keep = valid === undefined ? trees.length : bestTrees
  const json: GbdtJson = {
    format: 'tapflow-gbdt',
    version: 1,
    objective: o.objective,
    featureCount: cols,
    baseScore,
    trees: trees.slice(0, keep),
    gain: Array.from(valid === undefined ? gain : gainAtBest),
    params: o,
  }
  return new GbdtModel(json)
}

/** The rows with a label, checked; copied only when some label is NaN. */
function labelled(x: Matrix, y: Float32Array, o: ResolvedGbdtOptions, what: string): { x: Matrix; y: Float32Array } {
  if (x.values.length !== x.rows * x.cols) throw new GbdtDataError(`${what} matrix holds ${x.values.length} values, not ${x.rows} × ${x.cols}`)
  if (y.length !== x.rows) throw new GbdtDataError(`${what} has ${x.rows} rows but ${y.length} labels`)
  let kept = 0
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (v !== v) continue
    if (o.objective === 'binary' && v !== 0 && v !== 1) throw new GbdtDataError(`${what} label ${i} is ${v}; the binary objective takes 0 or 1`)
    if (!Number.isFinite(v)) throw new GbdtDataError(`${what} label ${i} is ${v}`)
    kept++
  }
  if (kept === 0) throw new GbdtDataError(`${what} has no labelled rows`)
  if (kept === y.length) return { x, y }
  const values = new Float32Array(kept * x.cols)
  const ys = new Float32Array(kept)
  for (let i = 0, k = 0; i < y.length; i++) {
    if (y[i] !== y[i]) continue
    values.set(x.values.subarray(i * x.cols, (i + 1) * x.cols), k * x.cols)
    ys[k++] = y[i]!
  }
  return { x: { rows: kept, cols: x.cols, values }, y: ys }
}

function initialScore(y: Float32Array, w: Float64Array, o: ResolvedGbdtOptions): number {
  let sw = 0
  let swy = 0
  for (let i = 0; i < y.length; i++) {
    sw += w[i]!
    swy += w[i]! * y[i]!
  }
  const mean = swy / sw
  if (o.objective === 'regression') return mean
  const p = Math.min(1 - 1e-15, Math.max(1e-15, mean))
  return Math.log(p / (1 - p))
}

function lossOf(raw: Float64Array, y: Float32Array, w: Float32Array, o: ResolvedGbdtOptions): number {
  let s = 0
  let sw = 0
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!
    const wi = w[i]!
    sw += wi
    if (o.objective === 'regression') s += wi * (r - y[i]!) ** 2
    // log(1 + e^r) - y r, computed without overflow.
    else s += wi * (Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r))) - y[i]! * r)
  }
  return s / sw
}

/** Fills `order` with this tree's rows (all, or a seeded sample in ascending order) and returns how many. */
function sampleRows(order: Uint32Array, n: number, fraction: number, rng: Rng, inSample: Uint8Array | undefined): number {
  if (inSample === undefined) {
    for (let i = 0; i < n; i++) order[i] = i
    return n
  }
  const want = Math.max(1, Math.round(n * fraction))
  // Selection sampling (Knuth's algorithm S): exactly `want` rows, in order, without a shuffle.
  let k = 0
  for (let i = 0; i < n; i++) {
    const take = rng.next() * (n - i) < want - k
    inSample[i] = take ? 1 : 0
    if (take) order[k++] = i
  }
  return k
}

/** Writes a seeded sample of the features, ascending, to the front of `feats`; returns how many. */
function sampleFeatures(feats: Int32Array, fraction: number, rng: Rng): number {
  const cols = feats.length
  const all = Int32Array.from({ length: cols }, (_, f) => f)
  const want = Math.max(1, Math.round(cols * fraction))
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(rng.next() * (cols - i))
    const t = all[i]!
    all[i] = all[j]!
    all[j] = t
  }
  feats.set(all.subarray(0, want).sort())
  return want
}

/** A tree's value for a binned row (rows outside this tree's sample). */
function binnedValue(t: GbdtTreeJson, binThreshold: number[], bins: Uint8Array, offset: number, nBins: Uint16Array): number {
  let n = 0
  for (let f = t.feature[0]!; f >= 0; f = t.feature[n]!) {
    const b = bins[offset + f]!
    n = b <= binThreshold[n]! || (b === nBins[f] && t.missingLeft[n] === 1) ? t.left[n]! : t.right[n]!
  }
  return t.value[n]!
}

/** A tree's value for a raw row, by the same float32 rule as `GbdtModel.predict`. */
function treeValue(t: GbdtTreeJson, v: Float32Array, offset: number): number {
  let n = 0
  for (let f = t.feature[0]!; f >= 0; f = t.feature[n]!) {
    const x = v[offset + f]!
    const thr = t.threshold[n] ?? Number.POSITIVE_INFINITY
    n = (x !== x ? t.missingLeft[n] === 1 : x <= thr) ? t.left[n]! : t.right[n]!
  }
  return t.value[n]!
}
