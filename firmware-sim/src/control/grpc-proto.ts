import { fileURLToPath } from 'node:url'
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'

/** proto/tapflow/fleet/v1/fleet.proto, loaded for grpc-js with snake_case fields and 64-bit ints as numbers. */
const FLEET_PROTO = fileURLToPath(new URL('../../../proto/tapflow/fleet/v1/fleet.proto', import.meta.url))

let cached: ServiceClientConstructor | undefined

export function fleetServiceClient(): ServiceClientConstructor {
  if (cached === undefined) {
    const def = loadSync(FLEET_PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
    const root = loadPackageDefinition(def) as unknown as { tapflow: { fleet: { v1: GrpcObject } } }
    cached = root.tapflow.fleet.v1.FleetService as ServiceClientConstructor
  }
  return cached
}

export function fleetServiceDefinition(): ServiceDefinition {
  return fleetServiceClient().service
}
