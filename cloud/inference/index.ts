/** The inference service (Seldon's role): the champion's ONNX models behind a scorer and gRPC. Imported through cloud/index.ts. */
export { ChampionScorer, featuresHash, type SuppliedRow, type ChampionScorerOptions, type ChampionInfo, type EntityScore, type ModeScore, type OnlineFeatureReader } from './scorer.js'
export { InferenceError, UnknownModelError, UnknownEntityError, BadFeaturesError } from './errors.js'
export { InferenceServer, inferenceServiceClient, type InferenceServerOptions } from './grpc.js'
export { InferenceClient, InferenceServiceError, type InferenceClientOptions, type PredictInput, type PredictOutput } from './client.js'
