/** Predictive models: training history, labels, datasets, the trainer, evaluation, ONNX export and the registry. */
export type { Matrix, SplitName, DatasetRow, Dataset, Predictor } from './types.js'
export { ModelRegistry, type ModelRegistryOptions, type RegisterVersionInput, type ModelVersion, type RegisteredModel, type TrainingWindow } from './registry/registry.js'
export { ModelRegistryError, ModelNotFoundError, ArtifactIntegrityError } from './registry/errors.js'
export { parseModelRef, formatModelRef, type ModelRef } from './registry/refs.js'
export { codeVersion } from './registry/lineage.js'
