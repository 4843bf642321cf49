/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
