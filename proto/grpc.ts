import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js'
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

/** What both sides of a static-codec service see: snake_case fields, 64-bit ints as numbers, enums as names, oneof names, defaults filled. */
const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true } as const

/** A message class of proto/gen (static protobufjs code). */
export interface StaticType<T> {
  encode(m: T): { finish(): Uint8Array }
  decode(b: Uint8Array): T
  toObject(m: T, o: typeof TO_OBJECT): Record<string, unknown>
}

/**
 * One unary method of `service` ('tapflow.features.v1.FeatureService') with proto/gen's static codecs rather than
 * proto-loader's reflection: a server encodes the plain objects it builds, with no fromObject pass per call.
 */
export function staticUnary<Req, Res>(service: string, method: string, req: StaticType<Req>, res: StaticType<Res>): ServiceDefinition[string] {
  const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)
  return {
    path: `/${service}/${method}`, requestStream: false, responseStream: false,
    requestSerialize: (m: Req) => bytes(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), TO_OBJECT),
    responseSerialize: (m: Res) => bytes(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), TO_OBJECT),
    originalName: method,
  }
}
