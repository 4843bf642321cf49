import { Rng } from '../../common/index.js'
import { chooseThreshold, confusionAt, prAuc, precisionRecallCurve, precisionRecallF1, type Confusion } from './metrics.js'
import type { Dataset, DatasetRow, Matrix, Predictor, SplitName } from './types.js'

/** One slice of a dataset for one target: the rows where the target is defined (not NaN). */
export interface Slice {
  x: Matrix
  y: Float32Array
  rows: DatasetRow[]
}

/** The rows of `split` whose `target` is defined, copied out of the dataset. */
export function sliceDataset(ds: Dataset, split: SplitName, target: string): Slice {
  const y = ds.targets[target]
  if (y === undefined) throw new RangeError(`dataset '${ds.name}' has no target '${target}' (it has ${Object.keys(ds.targets).join(', ')})`)
  const keep: number[] = []
  for (let r = 0; r < ds.rows.length; r++) if (ds.rows[r]?.split === split && !Number.isNaN(y[r] as number)) keep.push(r)
  const cols = ds.x.cols
  const values = new Float32Array(keep.length * cols)
  keep.forEach((r, i) => values.set(ds.x.values.subarray(r * cols, (r + 1) * cols), i * cols))
  return { x: { rows: keep.length, cols, values }, y: Float32Array.from(keep, (r) => y[r] as number), rows: keep.map((r) => ds.rows[r] as DatasetRow) }
}

export interface PrPoint {
  threshold: number
  precision: number
  recall: number
}

export interface PrSummary {
  /** One point per distinct score, from the highest threshold down. */
  points: PrPoint[]
  /** Average precision (scikit-learn's `average_precision_score`); null when there is no positive row. */
  auc: number | null
  positives: number
  negatives: number
}

/** NaN scores (a missing feature used as a score) rank lowest; metrics.ts refuses NaN. */
const finite = (scores: ArrayLike<number>): Float64Array => Float64Array.from(scores, (v) => (Number.isNaN(v) ? -Infinity : v))

function counts(labels: ArrayLike<number>): { positives: number; negatives: number } {
  let positives = 0
  let negatives = 0
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number
    if (l === 1) positives++
    else if (l === 0) negatives++
  }
  return { positives, negatives }
}

/** The precision–recall curve as chart points and its area, defined even when there is no positive row. */
export function prSummary(scores: ArrayLike<number>, labels: ArrayLike<number>): PrSummary {
  const c = counts(labels)
  if (c.positives === 0) return { points: [], auc: null, ...c }
  const s = finite(scores)
  const curve = precisionRecallCurve(labels, s)
  const points: PrPoint[] = []
  for (let k = curve.thresholds.length - 1; k >= 0; k--) points.push({ threshold: curve.thresholds[k] as number, precision: curve.precision[k] as number, recall: curve.recall[k] as number })
  return { points, auc: prAuc(labels, s), ...c }
}

export interface AlertThreshold {
  threshold: number
  /** `precision>=0.9`: the lowest threshold reaching the precision target on validation; `max-f1` when none does; `none` without positives. */
  rule: string
  validation: { precision: number; recall: number; f1: number }
}

/** Picks the alert threshold on the validation slice only (the test slice never sees this choice). */
export function pickThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, minPrecision = 0.9): AlertThreshold {
  if (counts(labels).positives === 0) return { threshold: Infinity, rule: 'none', validation: { precision: 0, recall: 0, f1: 0 } }
  const s = finite(scores)
  const strict = chooseThreshold(labels, s, { minPrecision })
  const c = strict ?? chooseThreshold(labels, s)
  if (c === undefined) return { threshold: Infinity, rule: 'none', validation: { precision: 0, recall: 0, f1: 0 } }
  return { threshold: c.threshold, rule: strict === undefined ? 'max-f1' : `precision>=${minPrecision}`, validation: { precision: c.precision, recall: c.recall, f1: c.f1 } }
}

/** A failure to be caught: the entity and when it failed. */
export interface FailureEvent {
  entity: string
  ts: number
}

export interface LeadTimes {
  failures: number
  caught: number
  missed: number
  /** Hours from the first alert to the failure, one per caught failure, ascending. */
  hours: number[]
  median: number | null
  p10: number | null
  p90: number | null
  /** Alerts earlier than this before a failure do not count as catching it. */
  maxLeadHours: number
  /** `ground truth` when failure times were given; `labels` when inferred (the last positive row before a failure). */
  failureTimes: 'ground truth' | 'labels'
}

/**
 * Failures inferred from the labels: each run of positive rows of an entity ends at its failure, so its last
 * positive row is the failure time to within one row step (lead times are then slightly understated, never inflated).
 */
export function failuresFromLabels(rows: readonly DatasetRow[], labels: ArrayLike<number>): FailureEvent[] {
  const out: FailureEvent[] = []
  for (const list of byEntity(rows).values()) {
    for (let k = 0; k < list.length; k++) {
      const i = list[k] as number
      const next = list[k + 1]
      if ((labels[i] as number) > 0.5 && (next === undefined || !((labels[next] as number) > 0.5))) out.push({ entity: (rows[i] as DatasetRow).entity, ts: (rows[i] as DatasetRow).ts })
    }
  }
  return out.sort((a, b) => a.ts - b.ts)
}

function byEntity(rows: readonly DatasetRow[]): Map<string, number[]> {
  const m = new Map<string, number[]>()
  rows.forEach((r, i) => {
    let l = m.get(r.entity)
    if (l === undefined) m.set(r.entity, (l = []))
    l.push(i)
  })
  for (const l of m.values()) l.sort((a, b) => (rows[a] as DatasetRow).ts - (rows[b] as DatasetRow).ts)
  return m
}

/** Quantile by linear interpolation (numpy's default) of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const a = sorted[lo] as number
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number
  return a + (b - a) * (pos - lo)
}

/**
 * For each failure, the first alert (score ≥ threshold) of that entity in the window before it: no earlier than
 * `maxLeadMs` and no earlier than the entity's previous failure. No alert there is a missed failure.
 */
export function leadTimes(rows: readonly DatasetRow[], scores: ArrayLike<number>, threshold: number, failures: readonly FailureEvent[],
  opts: { maxLeadMs: number; failureTimes: LeadTimes['failureTimes'] }): LeadTimes {
  const ents = byEntity(rows)
  const hours: number[] = []
  const prev = new Map<string, number>()
  for (const f of [...failures].sort((a, b) => a.ts - b.ts)) {
    const from = Math.max(f.ts - opts.maxLeadMs, prev.get(f.entity) ?? -Infinity)
    prev.set(f.entity, f.ts)
    const first = (ents.get(f.entity) ?? []).find((i) => {
      const ts = (rows[i] as DatasetRow).ts
      return ts > from && ts <= f.ts && (scores[i] as number) >= threshold
    })
    if (first !== undefined) hours.push((f.ts - (rows[first] as DatasetRow).ts) / 3_600_000)
  }
  hours.sort((a, b) => a - b)
  return {
    failures: failures.length, caught: hours.length, missed: failures.length - hours.length, hours,
    median: quantile(hours, 0.5), p10: quantile(hours, 0.1), p90: quantile(hours, 0.9),
    maxLeadHours: opts.maxLeadMs / 3_600_000, failureTimes: opts.failureTimes,
  }
}

/** A curve thinned for charts and JSON: at most `max` points, always keeping the ends. */
export function thinCurve(points: readonly PrPoint[], max = 200): PrPoint[] {
  if (points.length <= max) return [...points]
  const step = (points.length - 1) / (max - 1)
  return Array.from({ length: max }, (_, k) => points[Math.round(k * step)] as PrPoint)
}

function column(x: Matrix, c: number, sign: number): Float32Array {
  const out = new Float32Array(x.rows)
  for (let r = 0; r < x.rows; r++) out[r] = sign * (x.values[r * x.cols + c] as number)
  return out
}

/** Rows 0…n-1 or an evenly spaced subset of at most `max`, keeping every positive first (they are rare). */
function subsample(s: Slice, max: number): Slice {
  if (s.x.rows <= max) return s
  const pos: number[] = []
  const neg: number[] = []
  for (let r = 0; r < s.x.rows; r++) ((s.y[r] as number) > 0.5 ? pos : neg).push(r)
  const keepPos = pos.slice(0, Math.floor(max / 2))
  const room = max - keepPos.length
  const keepNeg = Array.from({ length: Math.min(room, neg.length) }, (_, k) => neg[Math.floor((k * neg.length) / Math.min(room, neg.length))] as number)
  const keep = [...keepPos, ...keepNeg].sort((a, b) => a - b)
  const cols = s.x.cols
  const values = new Float32Array(keep.length * cols)
  keep.forEach((r, i) => values.set(s.x.values.subarray(r * cols, (r + 1) * cols), i * cols))
  return { x: { rows: keep.length, cols, values }, y: Float32Array.from(keep, (r) => s.y[r] as number), rows: keep.map((r) => s.rows[r] as DatasetRow) }
}

export interface FeatureImportance {
  method: 'gain' | 'permutation'
  /** Descending. Gain: the trainer's total split gain, normalised to sum 1. Permutation: drop in validation PR-AUC. */
  values: { feature: string; importance: number }[]
}

/** Drop in PR-AUC when one column is shuffled, on a subsample of the validation slice (model-agnostic). */
export function permutationImportance(predictor: Predictor, s: Slice, featureNames: readonly string[], seed = 14): FeatureImportance {
  const sub = subsample(s, 4000)
  const base = prSummary(predictor.predictBatch(sub.x), sub.y).auc ?? 0
  const rng = new Rng(seed)
  const values = featureNames.map((feature, c) => {
    const x = { ...sub.x, values: sub.x.values.slice() }
    for (let r = x.rows - 1; r > 0; r--) {
      const j = Math.floor(rng.next() * (r + 1))
      const a = x.values[r * x.cols + c] as number
      x.values[r * x.cols + c] = x.values[j * x.cols + c] as number
      x.values[j * x.cols + c] = a
    }
    return { feature, importance: base - (prSummary(predictor.predictBatch(x), sub.y).auc ?? 0) }
  })
  return { method: 'permutation', values: values.sort((a, b) => b.importance - a.importance) }
}

export interface ClassifierBaseline {
  name: string
  /** Null without a positive test row. */
  prAuc: number | null
  precision: number
  recall: number
  f1: number
}

/**
 * Two trivial baselines on test: the prevalence (a constant score: PR-AUC equals the positive rate, and alerting on
 * everything gives recall 1) and the single strongest feature, picked by PR-AUC on validation with its sign.
 */
export function baselines(validation: Slice, test: Slice, featureNames: readonly string[], minPrecision: number): ClassifierBaseline[] {
  const { positives, negatives } = counts(test.y)
  const prevalence = positives + negatives === 0 ? 0 : positives / (positives + negatives)
  const all = precisionRecallF1({ tp: positives, fp: negatives, fn: 0, tn: 0 })
  const out: ClassifierBaseline[] = [{ name: 'prevalence', prAuc: positives === 0 ? null : prevalence, ...all }]
  const sub = subsample(validation, 50_000)
  let best: { c: number; sign: number; auc: number } | undefined
  for (let c = 0; c < featureNames.length; c++) {
    for (const sign of [1, -1]) {
      const auc = prSummary(column(sub.x, c, sign), sub.y).auc ?? 0
      if (best === undefined || auc > best.auc) best = { c, sign, auc }
    }
  }
  if (best !== undefined) {
    const t = pickThreshold(column(validation.x, best.c, best.sign), validation.y, minPrecision)
    const testScores = column(test.x, best.c, best.sign)
    out.push({
      name: `feature ${best.sign < 0 ? '−' : ''}${featureNames[best.c] ?? best.c}`,
      prAuc: prSummary(testScores, test.y).auc, ...precisionRecallF1(confusionAt(test.y, finite(testScores), t.threshold)),
    })
  }
  return out
}

export interface ClassifierEvaluation {
  kind: 'classifier'
  target: string
  rows: { validation: number; test: number }
  positives: { validation: number; test: number }
  threshold: AlertThreshold
  /** prAuc is null without a positive test row. */
  test: { prAuc: number | null; precision: number; recall: number; f1: number; confusion: Confusion }
  /** Thinned test PR curve, for charts. */
  prCurve: PrPoint[]
  /** Present for maintenance modes. */
  leadTime?: LeadTimes
  baselines: ClassifierBaseline[]
  importance: FeatureImportance
}

export interface EvaluateClassifierOptions {
  target: string
  predictor: Predictor
  featureNames: readonly string[]
  validation: Slice
  test: Slice
  /** Validation precision the threshold must reach. Default: 0.9. */
  minPrecision?: number
  /** Measure lead times (maintenance). Default: false. */
  leadTime?: boolean
  /** Failures in the test window with their true times. Default: inferred from the labels (see failuresFromLabels). */
  failures?: FailureEvent[]
  /** How long before a failure an alert still counts as catching it. Default: 72 h. */
  maxLeadMs?: number
  /** The trainer's own importance (e.g. total split gain per feature), aligned with featureNames. Default: permutation importance. */
  gain?: ArrayLike<number>
}

/** Evaluates a binary classifier: threshold from validation, every number on test. */
export function evaluateClassifier(o: EvaluateClassifierOptions): ClassifierEvaluation {
  const minPrecision = o.minPrecision ?? 0.9
  const threshold = pickThreshold(o.predictor.predictBatch(o.validation.x), o.validation.y, minPrecision)
  const scores = o.predictor.predictBatch(o.test.x)
  const curve = prSummary(scores, o.test.y)
  const c = confusionAt(o.test.y, finite(scores), threshold.threshold)
  const out: ClassifierEvaluation = {
    kind: 'classifier', target: o.target,
    rows: { validation: o.validation.y.length, test: o.test.y.length },
    positives: { validation: counts(o.validation.y).positives, test: curve.positives },
    threshold, test: { prAuc: curve.auc, ...precisionRecallF1(c), confusion: c }, prCurve: thinCurve(curve.points),
    baselines: baselines(o.validation, o.test, o.featureNames, minPrecision),
    importance: o.gain !== undefined ? gainImportance(o.gain, o.featureNames) : permutationImportance(o.predictor, o.validation, o.featureNames),
  }
  if (o.leadTime === true) {
    const failures = o.failures ?? failuresFromLabels(o.test.rows, o.test.y)
    out.leadTime = leadTimes(o.test.rows, scores, threshold.threshold, failures, {
      maxLeadMs: o.maxLeadMs ?? 72 * 3_600_000, failureTimes: o.failures === undefined ? 'labels' : 'ground truth',
    })
  }
  return out
}


function gainImportance(gain: ArrayLike<number>, names: readonly string[]): FeatureImportance {
  let total = 0
  for (let i = 0; i < gain.length; i++) total += gain[i] as number
  const values = names.map((feature, i) => ({ feature, importance: total > 0 ? (gain[i] ?? 0) / total : 0 }))
  return { method: 'gain', values: values.sort((a, b) => b.importance - a.importance) }
}

export interface RegressionScores {
  mae: number
  /** Mean absolute percentage error over rows with a non-zero actual (`mapeRows` of them); null when there are none. */
  mape: number | null
  /** Σ|error| / Σ|actual|: a percentage error that zero actuals (a closed day) do not break. */
  wape: number | null
}

export interface RegressorEvaluation {
  kind: 'regressor'
  target: string
  rows: { test: number }
  mapeRows: number
  test: RegressionScores
  baseline: { name: string } & RegressionScores
  /** Model MAE ÷ baseline MAE: below 1 beats the baseline. */
  maeRatio: number | null
}

export function regressionScores(pred: ArrayLike<number>, actual: ArrayLike<number>): RegressionScores & { mapeRows: number } {
  let abs = 0
  let pct = 0
  let n = 0
  let sumActual = 0
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number
    const e = Math.abs((pred[i] as number) - a)
    abs += e
    sumActual += Math.abs(a)
    if (Math.abs(a) > 1e-9) {
      pct += e / Math.abs(a)
      n++
    }
  }
  return { mae: actual.length === 0 ? NaN : abs / actual.length, mape: n === 0 ? null : pct / n, wape: sumActual === 0 ? null : abs / sumActual, mapeRows: n }
}

/** Evaluates a regressor on test against a naive forecast of the same rows (e.g. the last 24 h repeated). */
export function evaluateRegressor(o: { target: string; predictor: Predictor; test: Slice; baseline: { name: string; predictor: Predictor } }): RegressorEvaluation {
  const { mapeRows, ...test } = regressionScores(o.predictor.predictBatch(o.test.x), o.test.y)
  const { mapeRows: _n, ...base } = regressionScores(o.baseline.predictor.predictBatch(o.test.x), o.test.y)
  return {
    kind: 'regressor', target: o.target, rows: { test: o.test.y.length }, mapeRows, test, baseline: { name: o.baseline.name, ...base },
    maeRatio: base.mae > 0 ? test.mae / base.mae : null,
  }
}
