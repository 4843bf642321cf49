import { OptionError } from '../../../common/index.js'
import type { Matrix } from '../types.js'

export type GbdtObjective = 'binary' | 'regression'

/** Options of `trainGbdt`. Defaults follow scikit-learn's HistGradientBoosting* where it has the same knob. */
export interface GbdtOptions {
  /** 'binary': logloss on 0/1 labels, predicts a probability. 'regression': squared error, predicts the value. */
  objective: GbdtObjective
  /** Boosting rounds, one tree each. Default 100. */
  iterations?: number
  /** Shrinkage applied to every leaf value. Default 0.1. */
  learningRate?: number
  /** Leaf-wise growth stops at this many leaves per tree. Default 31. */
  maxLeaves?: number
  /** Deepest a leaf may be (the root is depth 0). Default: no limit. */
  maxDepth?: number
  /** Fewest training rows in a leaf. Default 20. */
  minSamplesLeaf?: number
  /** L2 regularisation of leaf values (the lambda in G²/(H+lambda)). Default 0. */
  l2?: number
  /** Bins for non-missing values per feature, 2..255; NaN always gets a bin of its own. Default 255. */
  maxBins?: number
  /** Weight of rows labelled 1 (binary only), for rare positives. Default 1. */
  positiveWeight?: number
  /** Fraction of rows each tree is grown on, drawn without replacement. Default 1. */
  subsample?: number
  /** Fraction of features each tree may split on. Default 1. */
  featureFraction?: number
  /** Seeds the binning sample, row subsampling and feature sampling. Default 0. */
  seed?: number
  /** When set, the validation loss is tracked and training stops after `earlyStoppingRounds` rounds without improvement; the model keeps the best round's trees. */
  validation?: { x: Matrix; y: Float32Array }
  /** Rounds without a validation improvement before stopping. Default 10. */
  earlyStoppingRounds?: number
  /**
   * Threads that train: 1, or 2 (this one and a worker thread; each node's histograms and split search are shared out
   * by feature, partitions and gradients by rows). The trees are the same either way. Default: 2 on a machine with
   * two cores or more when the data holds at least a million values (rows × features), else 1 (starting the worker
   * costs tens of milliseconds). Two threads need the cores to themselves: on a machine busy with other work, each
   * hand-over waits for the scheduler.
   */
  threads?: number
  /** Called after every tree, for progress bars. `total` is `iterations` (early stopping may end sooner). */
  onProgress?: (treesDone: number, total: number) => void
}

export interface ResolvedGbdtOptions {
  objective: GbdtObjective
  iterations: number
  learningRate: number
  maxLeaves: number
  /** null: no limit (JSON has no Infinity). */
  maxDepth: number | null
  minSamplesLeaf: number
  l2: number
  maxBins: number
  positiveWeight: number
  subsample: number
  featureFraction: number
  seed: number
  earlyStoppingRounds: number
}

/** The hyper-parameters a model was trained with, for the registry (everything but data and callbacks). */
export type GbdtParams = ResolvedGbdtOptions

function check(ok: boolean, field: string, problem: string): void {
  if (!ok) throw new OptionError(`GbdtOptions.${field}`, problem)
}

function int(v: number | undefined, dflt: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = v ?? dflt
  check(Number.isInteger(n) && n >= min && n <= max, field, `must be an integer in ${min}..${max}, got ${n}`)
  return n
}

function fraction(v: number | undefined, field: string): number {
  const n = v ?? 1
  check(n > 0 && n <= 1, field, `must be in (0, 1], got ${n}`)
  return n
}

export function resolveGbdtOptions(o: GbdtOptions): ResolvedGbdtOptions {
  check(o.objective === 'binary' || o.objective === 'regression', 'objective', `must be 'binary' or 'regression', got '${String(o.objective)}'`)
  const learningRate = o.learningRate ?? 0.1
  check(learningRate > 0 && Number.isFinite(learningRate), 'learningRate', `must be > 0, got ${learningRate}`)
  const l2 = o.l2 ?? 0
  check(l2 >= 0 && Number.isFinite(l2), 'l2', `must be >= 0, got ${l2}`)
  const positiveWeight = o.positiveWeight ?? 1
  check(positiveWeight > 0 && Number.isFinite(positiveWeight), 'positiveWeight', `must be > 0, got ${positiveWeight}`)
  check(o.objective === 'binary' || positiveWeight === 1, 'positiveWeight', 'applies to the binary objective only')
  const maxDepth = o.maxDepth ?? null
  check(maxDepth === null || (Number.isInteger(maxDepth) && maxDepth >= 1), 'maxDepth', `must be an integer >= 1, got ${maxDepth}`)
  return {
    objective: o.objective,
    iterations: int(o.iterations, 100, 'iterations', 1),
    learningRate,
    maxLeaves: int(o.maxLeaves, 31, 'maxLeaves', 2, 65_536),
    maxDepth,
    minSamplesLeaf: int(o.minSamplesLeaf, 20, 'minSamplesLeaf', 1),
    l2,
    maxBins: int(o.maxBins, 255, 'maxBins', 2, 255),
    positiveWeight,
    subsample: fraction(o.subsample, 'subsample'),
    featureFraction: fraction(o.featureFraction, 'featureFraction'),
    seed: int(o.seed, 0, 'seed', 0, 2 ** 32 - 1),
    earlyStoppingRounds: int(o.earlyStoppingRounds, 10, 'earlyStoppingRounds', 1),
  }
}
