import type { ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js'
import { grpcService } from '../../../proto/index.js'

/** FleetService from proto/tapflow/fleet/v1/fleet.proto. */
export function fleetServiceClient(): ServiceClientConstructor {
  return grpcService('tapflow/fleet/v1/fleet.proto', 'tapflow.fleet.v1.FleetService')
}

export function fleetServiceDefinition(): ServiceDefinition {
  return fleetServiceClient().service
}
