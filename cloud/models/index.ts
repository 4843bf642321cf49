/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
export { buildChurnDataset, churnDataset, churnFeatures, readTimelines, payingOn, CHURN_FEATURES, CHURN_FEATURE_VIEW, type ChurnDatasetOptions, type AccountTimeline, type SqlQueryable } from './churn.js'
export { buildDemandDataset, demandDataset, demandForecaster, naiveDemand, readTapHistory, DEMAND_FEATURES, DEMAND_FEATURE_VIEW, type DemandDatasetOptions, type DemandForecast, type DemandForecasterOptions, type TapHistory } from './demand.js'
export { trainGbdt, GbdtModel, GbdtDataError, resolveGbdtOptions, type GbdtOptions, type GbdtObjective, type GbdtParams, type GbdtJson, type GbdtTreeJson } from './gbdt/index.js'
export { prAuc, rocAuc, precisionRecallCurve, confusionAt, precisionRecallF1, scoresAt, chooseThreshold, mae, mape, rmse, type Confusion, type PrCurve, type ThresholdChoice } from './metrics.js'
export { gbdtToOnnx, type OnnxExportOptions } from './onnx.js'
