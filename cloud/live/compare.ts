import type { ModeComparison, ModelComparison, WindowScore } from '../../dashboards/index.js'
import { confusionAt, prAuc, type Confusion } from '../models/index.js'

/** One model's scores on the window's rows. */
export interface ScoredWindow {
  /** `name@version`. */
  ref: string
  version: number
  /** Alert threshold per mode, as its evaluation chose it; NaN (or missing) when it chose none. */
  thresholds: Readonly<Record<string, number>>
  /** Per mode it scores, one score per window row. */
  scores: Readonly<Record<string, ArrayLike<number>>>
}

export interface CompareModelsInput {
  window: { from: number; to: number; everyMs: number }
  /** Window rows and the entities they sample. */
  rows: number
  entities: number
  horizonMs: number
  /** Per mode, one label per row (labels.ts's labelPoints): 1, 0, or NaN when the row is excluded for the mode. */
  labels: Readonly<Record<string, ArrayLike<number>>>
  champion: ScoredWindow
  challenger?: ScoredWindow
}

/** Two PR-AUCs closer than this are a tie (float32 scores; equal models give equal rankings). */
const TIE = 1e-9

/**
 * Champion against challenger on the same labelled window: per mode PR-AUC, and precision and recall at each
 * model's own threshold (a row is flagged when its score is >= it, as live alerts are raised). A mode whose window
 * holds no positive has null metrics: there is nothing to catch, which is not a score of 0. `overall` pools the
 * modes both models score.
 */
export function compareModels(i: CompareModelsInput): ModelComparison {
  const models = [i.champion, ...(i.challenger === undefined ? [] : [i.challenger])]
  for (const m of models) {
    for (const [mode, s] of Object.entries(m.scores)) {
      if (s.length !== i.rows) throw new RangeError(`${m.ref} has ${s.length} ${mode} scores for ${i.rows} rows`)
    }
  }
  for (const [mode, l] of Object.entries(i.labels)) if (l.length !== i.rows) throw new RangeError(`${l.length} ${mode} labels for ${i.rows} rows`)
  const modes = Object.keys(i.labels).map((mode) => compareMode(mode, i.labels[mode]!, i.champion, i.challenger))
  const shared = Object.keys(i.labels).filter((mode) => models.every((m) => m.scores[mode] !== undefined))
  return {
    window: { ...i.window }, rows: i.rows, entities: i.entities, horizonHours: i.horizonMs / 3_600_000,
    champion: { ref: i.champion.ref, version: i.champion.version },
    challenger: i.challenger === undefined ? null : { ref: i.challenger.ref, version: i.challenger.version },
    modes,
    overall: pooled(shared, i.labels, i.champion, i.challenger),
  }
}

function compareMode(mode: string, labels: ArrayLike<number>, champion: ScoredWindow, challenger: ScoredWindow | undefined): ModeComparison {
  const { rows, positives } = count(labels)
  const one = (m: ScoredWindow | undefined): WindowScore | null => {
    const scores = m?.scores[mode]
    if (m === undefined || scores === undefined) return null
    const t = m.thresholds[mode]
    const threshold = t !== undefined && Number.isFinite(t) ? t : null
    // No threshold: the mode never alerts, so it flags nothing.
    const c = confusionAt(labels, scores, threshold ?? Number.POSITIVE_INFINITY)
    return { ...measured(c, positives === 0 ? null : prAuc(labels, scores)), threshold }
  }
  return withBetter({ mode, rows, positives, champion: one(champion), challenger: one(challenger) })
}

/** The shared modes as one set of rows: PR-AUC over all their (label, score) pairs, counts summed. */
function pooled(modes: readonly string[], labels: CompareModelsInput['labels'], champion: ScoredWindow, challenger: ScoredWindow | undefined): ModeComparison {
  let rows = 0
  let positives = 0
  for (const mode of modes) {
    const c = count(labels[mode]!)
    rows += c.rows
    positives += c.positives
  }
  const one = (m: ScoredWindow | undefined): WindowScore | null => {
    if (m === undefined || modes.length === 0) return null
    const sum: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 }
    const y: number[] = []
    const s: number[] = []
    for (const mode of modes) {
      const l = labels[mode]!
      const scores = m.scores[mode]!
      const t = m.thresholds[mode]
      const c = confusionAt(l, scores, t !== undefined && Number.isFinite(t) ? t : Number.POSITIVE_INFINITY)
      sum.tp += c.tp
      sum.fp += c.fp
      sum.tn += c.tn
      sum.fn += c.fn
      for (let r = 0; r < l.length; r++) {
        y.push(l[r]!)
        s.push(scores[r]!)
      }
    }
    return { ...measured(sum, positives === 0 ? null : prAuc(y, s)), threshold: null }
  }
  return withBetter({ mode: 'all', rows, positives, champion: one(champion), challenger: one(challenger) })
}

function measured(c: Confusion, ap: number | null): Omit<WindowScore, 'threshold'> {
  const positives = c.tp + c.fn
  const flagged = c.tp + c.fp
  if (positives === 0) return { prAuc: null, precision: null, recall: null, flagged }
  return { prAuc: ap, precision: flagged === 0 ? null : c.tp / flagged, recall: c.tp / positives, flagged }
}

function count(labels: ArrayLike<number>): { rows: number; positives: number } {
  let rows = 0
  let positives = 0
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!
    if (Number.isNaN(y)) continue
    rows++
    if (y === 1) positives++
  }
  return { rows, positives }
}

function withBetter(m: Omit<ModeComparison, 'better'>): ModeComparison {
  const a = m.champion?.prAuc
  const b = m.challenger?.prAuc
  const better = a === null || a === undefined || b === null || b === undefined ? null : Math.abs(a - b) < TIE ? 'tie' : a > b ? 'champion' : 'challenger'
  return { ...m, better }
}
