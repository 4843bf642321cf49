import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { fileURLToPath } from 'node:url'

const services = new Map<string, ServiceClientConstructor>()

/**
 * A gRPC service of ours for grpc-js, loaded once: snake_case fields (as the contract names them), 64-bit ints as
 * numbers, enums as names, defaults filled. `file` is relative to proto/ ('tapflow/fleet/v1/fleet.proto');
 * `service` is fully qualified ('tapflow.fleet.v1.FleetService').
 */
export function grpcService(file: string, service: string): ServiceClientConstructor {
  let s = services.get(service)
  if (s === undefined) {
    const def = loadSync(fileURLToPath(new URL(file, import.meta.url)), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
    let node: unknown = loadPackageDefinition(def)
    for (const part of service.split('.')) node = (node as GrpcObject | undefined)?.[part]
    if (typeof node !== 'function') throw new Error(`no gRPC service ${service} in proto/${file}`)
    s = node as ServiceClientConstructor
    services.set(service, s)
  }
  return s
}
