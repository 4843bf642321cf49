export { SimClock, type SimClockOptions, type Speed } from './src/clock/sim-clock.js'
export { Scheduler, type SchedulerOptions } from './src/clock/scheduler.js'
export { TapDevice } from './src/device/tap-device.js'
export {
  DEFAULT_INTERVALS, type DeviceSpec, type VenueSpec, type Frame, type TelemetryIntervals, type DevicePorts, type Schedule, type Wire,
} from './src/device/types.js'
export { VENUE_TYPES, LocalTime, demandFor, type VenueType } from './src/device/venue.js'
export { SENSORS, quantize, type Sensor } from './src/device/sensors.js'
export { buildFleet, type FleetOptions, type FleetSpec } from './src/fleet/fleet-builder.js'
export { BEVERAGES, REGIONS, type Beverage, type Region } from './src/fleet/catalogue.js'
export {
  buildRosterFleet, rosterVenueId, rosterDeviceId, rosterVenueSpec, rosterDeviceSpec, expectedPoursPerTap, expectedTapPours,
  type RosterVenue, type RosterDevice, type RosterFleetOptions,
} from './src/fleet/roster-fleet.js'
export { Simulator, parseShard, type SimulatorOptions, type SimulatorStats, type Shard, type ProfileAssignment, type FleetEventInfo } from './src/fleet/simulator.js'
export { MemoryTransport, type DeviceTransport, type TransportStats, type CommandHandler } from './src/fleet/transport.js'
export { MqttTransport, type MqttTransportOptions } from './src/fleet/mqtt-transport.js'
export { SAMPLE_EVERY, simResult, type SimResult } from './src/fleet/sim-result.js'
export {
  PROFILES, TIMING_PARAMS, getProfile, profileNames, resolveParams, formatDuration, FaultState, FaultInjector,
  BUILTIN_FIRMWARE, NO_EFFECTS, type ActiveFault, type FaultTarget, type GroundTruthSink, type FirmwareCatalogue, type FirmwareFault,
  type FirmwareRelease, type Effects, type FailureProfile, type ParamSpec, type Params,
} from './src/profiles/index.js'
export {
  loadManifest, parseManifest, manifestAssignments, initialFleet, rolloutDevices, selectRule, venueOf,
  type FleetManifest, type ProfileRule, type Rollout,
} from './src/fleet/manifest.js'
export { parseSelector, matches, pickShare, SELECTOR_KEYS, type Selector, type SelectorKey } from './src/fleet/selector.js'
export {
  FleetControl, FleetService, FleetClient, MqttCommandBus, DirectCommandBus, FleetError, grpcStatusOf,
  type FleetControlOptions, type FlashRequest, type DeviceStateInfo, type FleetEvent, type FleetServiceOptions,
  type FleetClientOptions, type FleetEventMessage, type CommandBus, callMetadata, type CallAuthenticator, type CallCredentials, fleetServiceClient,
} from './src/control/index.js'
export { ChillerServer, CHILLER_METRICS, CHILLER_ALARMS, type ChillerServerOptions, type ChillerMetric } from './src/opcua/chiller-server.js'
