/**
 * Model metrics as pure functions. Classification metrics take 0/1 labels and scores (higher = more positive);
 * rows whose label is NaN are skipped (a dataset's excluded rows). The ranking metrics match scikit-learn's
 * average_precision_score, precision_recall_curve and roc_auc_score.
 */

export interface Confusion {
  tp: number
  fp: number
  tn: number
  fn: number
}

export interface PrCurve {
  /** As scikit-learn returns them: thresholds ascending, precision and recall one longer, ending at (1, 0). */
  precision: Float64Array
  recall: Float64Array
  thresholds: Float64Array
}

export interface ThresholdChoice {
  threshold: number
  precision: number
  recall: number
  f1: number
}

/** True and false positives at each distinct score, scores descending (scikit-learn's _binary_clf_curve). */
function cumulative(labels: ArrayLike<number>, scores: ArrayLike<number>): { tps: Float64Array; fps: Float64Array; thresholds: Float64Array } {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels but ${scores.length} scores`)
  const idx: number[] = []
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    if (y !== y) continue
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${y}, not 0 or 1`)
    if (Number.isNaN(scores[i]!)) throw new RangeError(`score ${i} is NaN`)
    idx.push(i)
  }
  idx.sort((a, b) => scores[b]! - scores[a]!)
  const tps: number[] = []
  const fps: number[] = []
  const thresholds: number[] = []
  let tp = 0
  let fp = 0
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!
    if (labels[i] === 1) tp++
    else fp++
    const next = idx[k + 1]
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp)
      fps.push(fp)
      thresholds.push(scores[i]!)
    }
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps), thresholds: Float64Array.from(thresholds) }
}

/** Precision-recall pairs for every distinct threshold, exactly as scikit-learn 1.2's precision_recall_curve (every threshold, none dropped after full recall). */
export function precisionRecallCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): PrCurve {
  const { tps, fps, thresholds } = cumulative(labels, scores)
  const positives = tps.length > 0 ? tps[tps.length - 1]! : 0
  if (positives === 0) throw new RangeError('precision-recall needs at least one positive label')
  // Reversed so recall is decreasing.
  const m = tps.length
  const last = m - 1
  const precision = new Float64Array(m + 1)
  const recall = new Float64Array(m + 1)
  const thr = new Float64Array(m)
  for (let k = 0; k < m; k++) {
    const src = last - k
    precision[k] = tps[src]! / (tps[src]! + fps[src]!)
    recall[k] = tps[src]! / positives
    thr[k] = thresholds[src]!
  }
  precision[m] = 1
  recall[m] = 0
  return { precision, recall, thresholds: thr }
}

/** Average precision: Σ (R_n − R_{n−1}) P_n over thresholds, scikit-learn's average_precision_score (no interpolation). */
export function prAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(labels, scores)
  let ap = 0
  for (let k = 0; k < recall.length - 1; k++) ap -= (recall[k + 1]! - recall[k]!) * precision[k]!
  return ap
}

/** Area under the ROC curve by the trapezoidal rule over distinct thresholds (ties count half), as roc_auc_score. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { tps, fps } = cumulative(labels, scores)
  const P = tps.length > 0 ? tps[tps.length - 1]! : 0
  const N = fps.length > 0 ? fps[fps.length - 1]! : 0
  if (P === 0 || N === 0) throw new RangeError('ROC AUC needs both classes')
  let area = 0
  let prevTp = 0
  let prevFp = 0
  for (let k = 0; k < tps.length; k++) {
    area += ((fps[k]! - prevFp) * (tps[k]! + prevTp)) / 2
    prevTp = tps[k]!
    prevFp = fps[k]!
  }
  return area / (P * N)
}

/** Counts at a threshold: a row is predicted positive when its score is >= threshold. */
export function confusionAt(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): Confusion {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels but ${scores.length} scores`)
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    if (y !== y) continue
    const pos = scores[i]! >= threshold
    if (y === 1 && pos) c.tp++
    else if (y === 1) c.fn++
    else if (pos) c.fp++
    else c.tn++
  }
  return c
}

/** Precision, recall and F1 of a confusion matrix; 0 where undefined (no predicted or no actual positives). */
export function precisionRecallF1(c: Confusion): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1 }
}

/** Precision, recall and F1 at a threshold (score >= threshold is positive). */
export function scoresAt(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdChoice {
  return { threshold, ...precisionRecallF1(confusionAt(labels, scores, threshold)) }
}

/**
 * Chooses a threshold among the scores: with `minPrecision`, the lowest one whose precision reaches it (most
 * recall at that precision), or undefined if none does; otherwise the one with the highest F1 (ties: the lower).
 */
export function chooseThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, rule: { minPrecision?: number } = {}): ThresholdChoice | undefined {
  const { precision, recall, thresholds } = precisionRecallCurve(labels, scores)
  let best: ThresholdChoice | undefined
  for (let k = 0; k < thresholds.length; k++) {
    const p = precision[k]!
    const r = recall[k]!
    const f1 = p + r > 0 ? (2 * p * r) / (p + r) : 0
    const c = { threshold: thresholds[k]!, precision: p, recall: r, f1 }
    if (rule.minPrecision !== undefined) {
      // Thresholds ascend, so the first that meets the bar is the lowest.
      if (p >= rule.minPrecision) return c
    } else if (best === undefined || f1 > best.f1) {
      best = c
    }
  }
  return best
}

function regressionPairs(actual: ArrayLike<number>, predicted: ArrayLike<number>, each: (a: number, p: number) => void): number {
  if (actual.length !== predicted.length) throw new RangeError(`${actual.length} actual values but ${predicted.length} predictions`)
  let n = 0
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!
    if (a !== a) continue
    each(a, predicted[i]!)
    n++
  }
  if (n === 0) throw new RangeError('no rows with an actual value')
  return n
}

export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0
  const n = regressionPairs(actual, predicted, (a, p) => (s += Math.abs(a - p)))
  return s / n
}

/** Mean |a − p| / max(|a|, ε), ε = 2.22e-16, as scikit-learn's mean_absolute_percentage_error (a fraction, not %). */
export function mape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0
  const n = regressionPairs(actual, predicted, (a, p) => (s += Math.abs(a - p) / Math.max(Math.abs(a), Number.EPSILON)))
  return s / n
}

export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0
  const n = regressionPairs(actual, predicted, (a, p) => (s += (a - p) ** 2))
  return Math.sqrt(s / n)
}
