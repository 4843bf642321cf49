import { existsSync, readFileSync } from 'node:fs'
import type { ClassifierEvaluation, RegressorEvaluation } from '../evaluate.js'
import type { Dataset, SplitName } from '../types.js'

/** What one split of the dataset covers. */
export interface SplitSummary {
  split: SplitName
  rows: number
  entities: number
  /** ISO instants of the first and last row. */
  from: string | null
  to: string | null
}

/** scikit-learn's result on the same exported dataset and split, from the benchmark's result file. */
export interface SklearnComparison {
  file: string
  results: { target: string; prAuc: number; trainSeconds: number; oursPrAuc: number | null; oursTrainSeconds: number | null }[]
}

/** The evaluation report: written as report.json, and rendered to report.html. */
export interface EvaluationReport {
  schema: 'tapflow.model-report/1'
  model: string
  version: number | null
  createdAt: string
  codeVersion: string
  dataset: {
    name: string
    rows: number
    features: number
    featureViews: { name: string; version: number }[]
    window: { from: string; to: string; source: string }
    /** Label horizon in hours (maintenance). */
    horizonHours: number | null
    split: SplitSummary[]
  }
  training: { seconds: number; params: Record<string, unknown>; perTarget: Record<string, Record<string, unknown>> }
  evaluations: (ClassifierEvaluation | RegressorEvaluation)[]
  sklearn: SklearnComparison | null
  /** Plain-language findings, e.g. a target missed and by how much. */
  notes: string[]
}

const iso = (t: number): string => new Date(t).toISOString()

export function summarizeSplit(ds: Dataset): SplitSummary[] {
  return (['train', 'validation', 'test'] as const).map((split) => {
    let rows = 0
    let from = Infinity
    let to = -Infinity
    const ents = new Set<string>()
    for (const r of ds.rows) {
      if (r.split !== split) continue
      rows++
      ents.add(r.entity)
      if (r.ts < from) from = r.ts
      if (r.ts > to) to = r.ts
    }
    return { split, rows, entities: ents.size, from: rows > 0 ? iso(from) : null, to: rows > 0 ? iso(to) : null }
  })
}

/**
 * Reads the scikit-learn comparison if the benchmark wrote one: `{ results: [{ target, prAuc, trainSeconds,
 * oursPrAuc?, oursTrainSeconds? }] }` (snake_case keys are accepted too). Absent or unreadable: null.
 */
export function readSklearnComparison(file: string): SklearnComparison | null {
  if (!existsSync(file)) return null
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { results?: Record<string, unknown>[] }
    const num = (r: Record<string, unknown>, ...keys: string[]): number | null => {
      for (const k of keys) if (typeof r[k] === 'number') return r[k]
      return null
    }
    const results = (raw.results ?? []).flatMap((r) => {
      const prAuc = num(r, 'prAuc', 'pr_auc')
      const trainSeconds = num(r, 'trainSeconds', 'train_seconds')
      if (typeof r.target !== 'string' || prAuc === null || trainSeconds === null) return []
      return [{ target: r.target, prAuc, trainSeconds, oursPrAuc: num(r, 'oursPrAuc', 'ours_pr_auc'), oursTrainSeconds: num(r, 'oursTrainSeconds', 'ours_train_seconds') }]
    })
    return { file, results }
  } catch {
    return null
  }
}

/** The best trivial baseline's test PR-AUC, null when none is defined. */
export function bestBaseline(e: ClassifierEvaluation): number | null {
  const v = e.baselines.flatMap((b) => (b.prAuc === null ? [] : [b.prAuc]))
  return v.length === 0 ? null : Math.max(...v)
}

/** Findings against the targets, with the numbers, so a missed target is stated rather than hidden. */
export function findings(evals: readonly (ClassifierEvaluation | RegressorEvaluation)[], horizonHours: number | null): string[] {
  const notes: string[] = []
  for (const e of evals) {
    if (e.kind === 'regressor') {
      const verdict = e.maeRatio !== null && e.maeRatio < 1 ? 'beats' : 'does not beat'
      notes.push(`${e.target}: MAE ${e.test.mae.toFixed(3)} ${verdict} the ${e.baseline.name} baseline (${e.baseline.mae.toFixed(3)})`)
      continue
    }
    const { precision, recall, prAuc } = e.test
    const best = bestBaseline(e)
    if (prAuc !== null && best !== null && prAuc <= best) notes.push(`${e.target}: PR-AUC ${prAuc.toFixed(3)} does not beat the best trivial baseline (${best.toFixed(3)})`)
    if (e.positives.test === 0) {
      notes.push(`${e.target}: no positive rows in the test window, so recall and lead time are undefined`)
      continue
    }
    if (precision < 0.9 || recall < 0.9) {
      notes.push(`${e.target}: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} on test at threshold ${e.threshold.threshold.toFixed(4)} ` +
        `(rule ${e.threshold.rule}; target ≥ 0.90 / ≥ 0.90); ${e.positives.test} positive rows in test, ${e.positives.validation} in validation`)
    }
    const lt = e.leadTime
    if (lt !== undefined && lt.failures > 0 && horizonHours !== null && (lt.median ?? 0) < horizonHours) {
      notes.push(`${e.target}: median lead ${lt.median === null ? '—' : lt.median.toFixed(1)} h < ${horizonHours} h; ${lt.missed} of ${lt.failures} failures missed`)
    }
  }
  return notes
}

export interface BuildReportOptions {
  model: string
  version: number | null
  dataset: Dataset
  evaluations: (ClassifierEvaluation | RegressorEvaluation)[]
  training: EvaluationReport['training']
  codeVersion: string
  /** Label horizon in hours (maintenance). Default: null. */
  horizonHours?: number | null
  /** The benchmark's scikit-learn result file, read when it exists. Default: none. */
  sklearnFile?: string
  /** Default: now. */
  createdAt?: Date
}

export function buildReport(o: BuildReportOptions): EvaluationReport {
  const ds = o.dataset
  const horizonHours = o.horizonHours ?? null
  return {
    schema: 'tapflow.model-report/1', model: o.model, version: o.version, createdAt: (o.createdAt ?? new Date()).toISOString(), codeVersion: o.codeVersion,
    dataset: {
      name: ds.name, rows: ds.rows.length, features: ds.featureNames.length, featureViews: ds.featureViews,
      window: { from: iso(ds.window.from), to: iso(ds.window.to), source: ds.window.source }, horizonHours, split: summarizeSplit(ds),
    },
    training: o.training, evaluations: o.evaluations,
    sklearn: o.sklearnFile === undefined ? null : readSklearnComparison(o.sklearnFile),
    notes: findings(o.evaluations, horizonHours),
  }
}
