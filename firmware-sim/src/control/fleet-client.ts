import { credentials, status, type Client, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js'
import { ConfigError } from '../../../common/index.js'
import { callMetadata, type CallCredentials } from './call-auth.js'
import type { DeviceStateInfo } from './fleet-control.js'
import { FleetError } from './errors.js'
import { fleetServiceClient } from './grpc-proto.js'

export interface FleetClientOptions {
  /** host:port of a running FleetService. Default: 127.0.0.1:50051. */
  url?: string
  /** Per-call deadline, ms. Default: 30000. */
  timeoutMs?: number
  /** The tool credential sent with every call: FleetAuthority.control(name). Required. */
  credentials: CallCredentials
}

export interface FleetEventMessage {
  ts_ms: number
  kind: string
  device_id: string
  detail: string
  actor: string
}

type Callback<Res> = (err: ServiceError | null, res: Res) => void
type Method = (req: unknown, md: Metadata, opts: { deadline: number }, cb: Callback<unknown>) => void

/** A typed client for FleetService. Bad input comes back as ConfigError; everything else as FleetError. */
export class FleetClient {
  readonly url: string
  private readonly client: Client
  private readonly timeoutMs: number
  private readonly metadata: Metadata

  constructor(opts: FleetClientOptions) {
    this.url = (opts.url ?? '127.0.0.1:50051').replace(/^grpc:\/\//, '')
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.metadata = callMetadata(opts.credentials)
    const Ctor = fleetServiceClient()
    this.client = new Ctor(this.url, credentials.createInsecure())
  }

  applyManifest(manifestYaml: string, sourceName: string): Promise<{ devices_flashed: number; profiles_assigned: number; notes: string[] }> {
    return this.call('ApplyManifest', { manifest_yaml: manifestYaml, source_name: sourceName })
  }

  flash(req: { selector: string; firmware: string; percent?: number; stage_percent?: number; stage_interval_ms?: number }): Promise<{ rollout_id: string; device_ids: string[]; stages: number }> {
    return this.call('Flash', req)
  }

  setFailureProfile(selector: string, profile: string, params: Record<string, string>): Promise<{ device_ids: string[] }> {
    return this.call('SetFailureProfile', { selector, profile, params })
  }

  listDevices(selector = ''): Promise<{ devices: DeviceStateInfo[]; sim_time_ms: number }> {
    return this.call('ListDevices', { selector })
  }

  streamEvents(): ClientReadableStream<FleetEventMessage> {
    const m = (this.client as unknown as Record<string, (req: unknown, md: Metadata) => ClientReadableStream<FleetEventMessage>>).StreamEvents!
    return m.call(this.client, {}, this.metadata.clone())
  }

  close(): void {
    this.client.close()
  }

  private call<Res>(name: string, req: unknown): Promise<Res> {
    const m = (this.client as unknown as Record<string, Method>)[name]!
    return new Promise((resolve, reject) => {
      m.call(this.client, req, this.metadata.clone(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err === null) return resolve(res as Res)
        reject(this.toError(err))
      })
    })
  }

  private toError(err: ServiceError): Error {
    if (err.code === status.INVALID_ARGUMENT || err.code === status.NOT_FOUND) return new ConfigError(err.details, { cause: err })
    if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
      return new FleetError(`cannot reach FleetService at ${this.url}: is 'tapflow up' running? (see --grpc-url)`, err.code, { cause: err })
    }
    if (err.code === status.UNAUTHENTICATED) {
      return new FleetError(`FleetService at ${this.url} refused the credentials: ${err.details}`, err.code, { cause: err })
    }
    return new FleetError(`FleetService: ${err.details}`, err.code, { cause: err })
  }
}
