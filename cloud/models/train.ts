import type { ModelKind } from '../../common/index.js'
import { naiveDemand } from './demand.js'
import { evaluateClassifier, evaluateRegressor, sliceDataset, type ClassifierEvaluation, type FailureEvent, type RegressorEvaluation } from './evaluate.js'
import { trainGbdt, type GbdtModel, type GbdtOptions } from './gbdt/index.js'
import { gbdtToOnnx } from './onnx.js'
import type { ModelRegistry, ModelVersion } from './registry/registry.js'
import { codeVersion as defaultCodeVersion } from './registry/lineage.js'
import { buildReport, type EvaluationReport } from './report/report.js'
import { renderReportHtml } from './report/html.js'
import type { Dataset, DatasetRow, Predictor } from './types.js'

// In common (light), so `tapflow models train --help` lists them without loading the models.
export { MODEL_KINDS, type ModelKind } from '../../common/index.js'

export interface TrainProgress {
  stage: 'train' | 'evaluate' | 'register'
  /** The target being trained (a failure mode, 'churn', 'litres_24h'). */
  target?: string
  /** Trees grown so far of at most `total` (train), or targets done of `total`. */
  done: number
  total: number
}

/** Hyper-parameters for every target's GBDT; objective, validation and progress are set per target. */
export type TrainParams = Omit<GbdtOptions, 'objective' | 'validation' | 'onProgress'>

/** Defaults: more rounds than scikit-learn's 100, since early stopping on validation picks the number actually kept. */
export const DEFAULT_TRAIN_PARAMS: TrainParams = { iterations: 300, learningRate: 0.1, maxLeaves: 31, minSamplesLeaf: 20, earlyStoppingRounds: 20 }

export interface TrainModelOptions {
  kind: ModelKind
  dataset: Dataset
  registry: ModelRegistry
  /** Registered model name. Default: `kind`. */
  name?: string
  /** Default: DEFAULT_TRAIN_PARAMS. */
  params?: TrainParams
  /** Label horizon, recorded in the report and the version's params (maintenance). Default: none. */
  horizonMs?: number
  /**
   * Failures with their true times (ground truth), for lead times: those of a mode inside the test window (after its
   * first horizon, so each has a horizon of test rows before it) are measured. Default: inferred from the labels.
   */
  failures?: { entity: string; mode: string; ts: number }[]
  /** Validation precision each alert threshold must reach. Default: 0.9. */
  minPrecision?: number
  /** scikit-learn comparison file to include in the report when it exists. Default: none. */
  sklearnFile?: string
  /** Default: the git commit, else the package version. */
  codeVersion?: string
  onProgress?: (p: TrainProgress) => void
}

export interface TrainResult {
  version: ModelVersion
  report: EvaluationReport
  /** Aliases this run set: always `challenger`, and `champion` when the model had none. */
  aliases: string[]
  /** Targets left out, with the reason (e.g. no positive row in train). */
  skipped: { target: string; reason: string }[]
}

/** What model.json records per target, so a scorer needs only the version directory. */
interface TargetManifest {
  objective: 'binary' | 'regression'
  onnx: string
  /** The alert threshold chosen on validation (classifiers). */
  threshold: number | null
  trees: number
  gbdt: ReturnType<GbdtModel['toJSON']>
}

const countPositives = (y: Float32Array): number => y.reduce((n, v) => n + (v === 1 ? 1 : 0), 0)

/**
 * Dataset → one GBDT per target with early stopping on validation → evaluation on test → ONNX → a new registered
 * version with its report, aliased `challenger` (and `champion` when there is none yet).
 */
export async function trainModel(o: TrainModelOptions): Promise<TrainResult> {
  const ds = o.dataset
  const name = o.name ?? o.kind
  const params = { ...DEFAULT_TRAIN_PARAMS, ...o.params }
  const objective = o.kind === 'demand' ? 'regression' : 'binary'
  const targets = Object.keys(ds.targets)
  const evaluations: (ClassifierEvaluation | RegressorEvaluation)[] = []
  const manifest: Record<string, TargetManifest> = {}
  const artifacts: Record<string, Uint8Array | string> = {}
  const perTarget: Record<string, Record<string, unknown>> = {}
  const skipped: TrainResult['skipped'] = []
  const t0 = performance.now()
  for (const [i, target] of targets.entries()) {
    const train = sliceDataset(ds, 'train', target)
    const validation = sliceDataset(ds, 'validation', target)
    const test = sliceDataset(ds, 'test', target)
    const reason = objective === 'binary' && countPositives(train.y) === 0 ? 'no positive row in train'
      : objective === 'binary' && countPositives(validation.y) === 0 ? 'no positive row in validation (no threshold, no early stopping)'
        : train.y.length === 0 || test.y.length === 0 ? 'no rows in train or test' : undefined
    if (reason !== undefined) {
      skipped.push({ target, reason })
      continue
    }
    const started = performance.now()
    const model = trainGbdt(train.x, train.y, {
      ...params, objective, validation: { x: validation.x, y: validation.y },
      onProgress: (done, total) => o.onProgress?.({ stage: 'train', target, done, total }),
    })
    const seconds = (performance.now() - started) / 1000
    o.onProgress?.({ stage: 'evaluate', target, done: i, total: targets.length })
    const e = objective === 'binary'
      ? evaluateClassifier({
        target, predictor: model, featureNames: ds.featureNames, validation, test, minPrecision: o.minPrecision,
        leadTime: o.kind === 'maintenance', gain: model.featureImportance(), failures: testFailures(o, target, test.rows),
      })
      : evaluateRegressor({ target, predictor: model, test, baseline: { name: 'same weekday last week', predictor: naive(ds) } })
    evaluations.push(e)
    const file = targets.length === 1 ? 'model.onnx' : `model.${target}.onnx`
    artifacts[file] = gbdtToOnnx(model, { featureNames: ds.featureNames, name: `${name}_${target}`.replace(/[^A-Za-z0-9_]/g, '_') })
    manifest[target] = { objective, onnx: file, threshold: e.kind === 'classifier' ? e.threshold.threshold : null, trees: model.treeCount, gbdt: model.toJSON() }
    perTarget[target] = { seconds, trees: model.treeCount, trainRows: train.y.length, trainPositives: objective === 'binary' ? countPositives(train.y) : null }
  }
  if (evaluations.length === 0) throw new RangeError(`nothing to train for ${name}: ${skipped.map((s) => `${s.target}: ${s.reason}`).join('; ')}`)
  const seconds = (performance.now() - t0) / 1000
  o.onProgress?.({ stage: 'register', done: targets.length, total: targets.length })
  artifacts['model.json'] = JSON.stringify({ schema: 'tapflow.model/1', name, kind: o.kind, featureNames: ds.featureNames, targets: manifest }, null, 1)
  const code = o.codeVersion ?? defaultCodeVersion()
  const version = await o.registry.registerVersion({
    name, artifacts, metrics: summarize(evaluations),
    params: { gbdt: params, minPrecision: o.minPrecision ?? 0.9, horizonHours: o.horizonMs === undefined ? null : o.horizonMs / 3_600_000, skipped },
    featureViews: ds.featureViews, window: ds.window, codeVersion: code,
  })
  const report = buildReport({
    model: name, version: version.version, dataset: ds, evaluations, codeVersion: code, sklearnFile: o.sklearnFile,
    horizonHours: o.horizonMs === undefined ? null : o.horizonMs / 3_600_000, training: { seconds, params: { ...params }, perTarget },
  })
  report.notes.push(...skipped.map((s) => `${s.target}: not trained: ${s.reason}`))
  const registered = await o.registry.attachReport({ name, version: version.version }, { json: JSON.stringify(report, null, 1), html: renderReportHtml(report) })
  const aliases = ['challenger']
  await o.registry.setAlias(name, 'challenger', version.version)
  const models = await o.registry.listModels()
  if (models.find((m) => m.name === name)?.aliases.champion === undefined) {
    await o.registry.setAlias(name, 'champion', version.version)
    aliases.push('champion')
  }
  return { version: { ...registered, aliases: [...aliases].sort() }, report, aliases, skipped }
}

function testFailures(o: TrainModelOptions, mode: string, rows: readonly DatasetRow[]): FailureEvent[] | undefined {
  if (o.failures === undefined || rows.length === 0) return undefined
  let from = Infinity
  let to = -Infinity
  const devices = new Set<string>()
  for (const r of rows) {
    from = Math.min(from, r.ts)
    to = Math.max(to, r.ts)
    devices.add(r.entity)
  }
  from += o.horizonMs ?? 0
  return o.failures.filter((f) => f.mode === mode && f.ts > from && f.ts <= to && devices.has(f.entity)).map((f) => ({ entity: f.entity, ts: f.ts }))
}

/** The demand dataset's naive forecast, read from its own lag columns, as a Predictor. */
function naive(ds: Dataset): Predictor {
  return { featureCount: ds.featureNames.length, predictBatch: (x) => naiveDemand(x, 'last_week') }
}

/** Key metrics per target for the registry (what `models ls` shows). */
function summarize(evals: readonly (ClassifierEvaluation | RegressorEvaluation)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const e of evals) {
    out[e.target] = e.kind === 'classifier'
      ? {
        pr_auc: e.test.prAuc, precision: e.test.precision, recall: e.test.recall, f1: e.test.f1, threshold: e.threshold.threshold,
        baseline_pr_auc: Math.max(...e.baselines.map((b) => b.prAuc ?? 0)), lead_median_h: e.leadTime?.median ?? null,
        missed: e.leadTime === undefined ? null : `${e.leadTime.missed}/${e.leadTime.failures}`,
      }
      : { mae: e.test.mae, mape: e.test.mape, wape: e.test.wape, baseline_mae: e.baseline.mae, mae_ratio: e.maeRatio }
  }
  return out
}
