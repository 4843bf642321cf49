/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
export { ModelRegistry, type ModelRegistryOptions, type RegisterVersionInput, type ModelVersion, type RegisteredModel, type TrainingWindow } from './registry/registry.js'
export { ModelRegistryError, ModelNotFoundError, ArtifactIntegrityError } from './registry/errors.js'
export { parseModelRef, formatModelRef, type ModelRef } from './registry/refs.js'
export { codeVersion } from './registry/lineage.js'
export {
  evaluateClassifier, evaluateRegressor, sliceDataset, prSummary, pickThreshold, leadTimes, failuresFromLabels, permutationImportance, baselines, quantile,
  type Slice, type PrPoint, type PrSummary, type AlertThreshold, type FailureEvent, type LeadTimes, type FeatureImportance, type ClassifierBaseline,
  type ClassifierEvaluation, type EvaluateClassifierOptions, type RegressionScores, type RegressorEvaluation,
} from './evaluate.js'
export { buildReport, summarizeSplit, readSklearnComparison, findings, type EvaluationReport, type BuildReportOptions, type SplitSummary, type SklearnComparison } from './report/report.js'
export { renderReportHtml } from './report/html.js'
export { buildChurnDataset, churnDataset, churnFeatures, readTimelines, payingOn, CHURN_FEATURES, CHURN_FEATURE_VIEW, type ChurnDatasetOptions, type AccountTimeline, type SqlQueryable } from './churn.js'
export { buildDemandDataset, demandDataset, demandForecaster, naiveDemand, readTapHistory, DEMAND_FEATURES, DEMAND_FEATURE_VIEW, type DemandDatasetOptions, type DemandForecast, type DemandForecasterOptions, type TapHistory } from './demand.js'
export { trainGbdt, GbdtModel, GbdtDataError, resolveGbdtOptions, type GbdtOptions, type GbdtObjective, type GbdtParams, type GbdtJson, type GbdtTreeJson } from './gbdt/index.js'
export { prAuc, rocAuc, precisionRecallCurve, confusionAt, precisionRecallF1, scoresAt, chooseThreshold, mae, mape, rmse, type Confusion, type PrCurve, type ThresholdChoice } from './metrics.js'
export { gbdtToOnnx, type OnnxExportOptions } from './onnx.js'
export {
  MODE_RULES, TARGET_MODES, DEFAULT_HORIZON_MS, isPredictable, labelPoints, countFailures, type ModeClass, type ModeRule, type ModeCount, type LabelPoint, type LabelOptions,
} from './labels.js'
export {
  buildMaintenanceDataset, maintenanceRows, maintenanceFeatures, writeMaintenanceDataset, splitDays, labelColumn, DEFAULT_SPLIT,
  type MaintenanceDatasetOptions, type MaintenanceRows, type SplitShares,
} from './dataset.js'
export { syntheticMaintenance, SYNTHETIC_START } from './synthetic.js'
export { simulateHistory, type HistoryOptions, type HistoryResult } from './history/simulate.js'
export { summarizeHistory, type HistorySummary } from './history/summary.js'
export { readGroundTruth, type GroundTruthRecord } from './history/ground-truth.js'
export { readHistoryInfo, writeHistoryInfo, type HistoryInfo } from './history/info.js'
export { trainModel, MODEL_KINDS, DEFAULT_TRAIN_PARAMS, type ModelKind, type TrainModelOptions, type TrainResult, type TrainProgress, type TrainParams } from './train.js'
