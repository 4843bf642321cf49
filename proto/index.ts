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

export * from './topics.js'
