/** The inference service (Seldon's role): the champion's ONNX models behind a scorer and gRPC. Imported through cloud/index.ts. */
export { ChampionScorer, type ChampionScorerOptions, type ChampionInfo, type EntityScore, type ModeScore, type OnlineFeatureReader } from './scorer.js'
export { InferenceError, UnknownModelError, UnknownEntityError, BadFeaturesError } from './errors.js'
