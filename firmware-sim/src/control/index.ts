/** Fleet control: FleetService (gRPC) and the command dispatch behind it. */
export { FleetControl, type FleetControlOptions, type FlashRequest, type DeviceStateInfo, type FleetEvent } from './fleet-control.js'
export { FleetService, type FleetServiceOptions } from './fleet-service.js'
export { FleetClient, type FleetClientOptions, type FleetEventMessage } from './fleet-client.js'
export { MqttCommandBus, DirectCommandBus, type CommandBus } from './command-bus.js'
export { FleetError, grpcStatusOf } from './errors.js'
export { callMetadata, callerOf, requireCredentials, type CallAuthenticator, type CallCredentials } from './call-auth.js'
export { fleetServiceClient } from './grpc-proto.js'
