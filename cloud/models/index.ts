/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
export { trainGbdt, GbdtModel, GbdtDataError, resolveGbdtOptions, type GbdtOptions, type GbdtObjective, type GbdtParams, type GbdtJson, type GbdtTreeJson } from './gbdt/index.js'
export { prAuc, rocAuc, precisionRecallCurve, confusionAt, precisionRecallF1, scoresAt, chooseThreshold, mae, mape, rmse, type Confusion, type PrCurve, type ThresholdChoice } from './metrics.js'
export { gbdtToOnnx, type OnnxExportOptions } from './onnx.js'
