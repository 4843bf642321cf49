/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
export {
  MODE_RULES, TARGET_MODES, DEFAULT_HORIZON_MS, isPredictable, labelPoints, countFailures, type ModeClass, type ModeRule, type ModeCount, type LabelPoint, type LabelOptions,
} from './labels.js'
export {
  buildMaintenanceDataset, maintenanceRows, maintenanceFeatures, writeMaintenanceDataset, splitDays, labelColumn, DEFAULT_SPLIT,
  type MaintenanceDatasetOptions, type MaintenanceRows, type SplitShares,
} from './dataset.js'
export { simulateHistory, type HistoryOptions, type HistoryResult } from './history/simulate.js'
export { summarizeHistory, type HistorySummary } from './history/summary.js'
export { readGroundTruth, type GroundTruthRecord } from './history/ground-truth.js'
export { readHistoryInfo, writeHistoryInfo, type HistoryInfo } from './history/info.js'
