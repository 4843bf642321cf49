/**
 * The wire contract: generated protobuf messages (proto/gen, built by `npm run gen`) and MQTT topics.
 */
import './numbers.js'
import { tapflow } from './gen/tapflow.js'

export const PourEvent = tapflow.telemetry.v1.PourEvent
export type PourEvent = tapflow.telemetry.v1.PourEvent
export const TemperatureReading = tapflow.telemetry.v1.TemperatureReading
export type TemperatureReading = tapflow.telemetry.v1.TemperatureReading
export const HealthFrame = tapflow.telemetry.v1.HealthFrame
export type HealthFrame = tapflow.telemetry.v1.HealthFrame

export type PourEventInit = tapflow.telemetry.v1.PourEvent.$Properties
export type TemperatureReadingInit = tapflow.telemetry.v1.TemperatureReading.$Properties
export type HealthFrameInit = tapflow.telemetry.v1.HealthFrame.$Properties
export const TelemetryBatch = tapflow.telemetry.v1.TelemetryBatch
export type TelemetryBatch = tapflow.telemetry.v1.TelemetryBatch

export * from './topics.js'
export { BatchWriter, encodeBatch } from './batch.js'

// Fleet control (proto/tapflow/fleet/v1): commands down …/cmd, and the simulator's ground-truth records.
export const DeviceCommand = tapflow.fleet.v1.DeviceCommand
export type DeviceCommand = tapflow.fleet.v1.DeviceCommand
export type DeviceCommandInit = tapflow.fleet.v1.DeviceCommand.$Properties
export const GroundTruth = tapflow.fleet.v1.GroundTruth
export type GroundTruth = tapflow.fleet.v1.GroundTruth
export type GroundTruthInit = tapflow.fleet.v1.GroundTruth.$Properties
/** The simulator's own topic, outside any device's prefix: a real device cannot know its own fault. */
export const GROUND_TRUTH_TOPIC = 'tapflow/sim/v1/ground_truth'
export { grpcService, staticUnary, type StaticType } from './grpc.js'
// Feature serving (proto/tapflow/features/v1): static codecs for FeatureService's hot path.
export const FeaturesV1 = tapflow.features.v1
// Inference (proto/tapflow/inference/v1): static codecs for InferenceService's hot path.
export const InferenceV1 = tapflow.inference.v1
