import {
  Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import { PortInUseError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { callerOf, requireCredentials, type CallAuthenticator } from './call-auth.js'
import { grpcStatusOf } from './errors.js'
import type { FleetControl } from './fleet-control.js'
import { fleetServiceDefinition } from './grpc-proto.js'

export interface FleetServiceOptions {
  control: FleetControl
  /**
   * Checks every call's `authorization` metadata (required: there is no open mode). The fleet's
   * FleetAuthority; calls without a valid tool credential end with UNAUTHENTICATED.
   */
  authority: CallAuthenticator
  /** Told about each refused call (reason, method), e.g. for a rate-limited log. Default: a debug line. */
  onRefused?: (reason: string, method: string) => void
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** gRPC port; 0 picks a free one. Default: 50051. */
  port?: number
  /** Flag that moves the port, named in the busy-port error. Default: --grpc-port. */
  portFlag?: string
  logger?: Logger
}

type Unary<Req, Res> = (req: Req, actor: string) => Promise<Res> | Res

/** tapflow.fleet.v1.FleetService over gRPC (grpc-js), in front of a FleetControl. */
export class FleetService {
  readonly server: Server
  port = 0
  /** Calls refused for want of credentials. */
  refusedCalls = 0
  private readonly log: Logger
  private readonly streams = new Set<ServerWritableStream<unknown, unknown>>()

  constructor(private readonly opts: FleetServiceOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'fleet-service' })
    this.server = new Server({
      interceptors: [requireCredentials(opts.authority, (reason, method) => {
        this.refusedCalls++
        if (opts.onRefused !== undefined) opts.onRefused(reason, method)
        else this.log.debug({ reason, method }, 'call refused: UNAUTHENTICATED')
      })],
    })
    const c = opts.control
    const impl: UntypedServiceImplementation = {
      ApplyManifest: this.unary(async (r: { manifest_yaml: string; source_name: string }, actor) => {
        const res = await c.applyManifest(r.manifest_yaml, r.source_name, actor)
        return { devices_flashed: res.flashed, profiles_assigned: res.profiles, notes: res.notes }
      }),
      Flash: this.unary(async (r: { selector: string; firmware: string; percent: number; stage_percent: number; stage_interval_ms: number }, actor) => {
        const res = await c.flash({ selector: r.selector, firmware: r.firmware, percent: r.percent, stagePercent: r.stage_percent, stageIntervalMs: r.stage_interval_ms, actor })
        return { rollout_id: res.rolloutId, device_ids: res.deviceIds, stages: res.stages }
      }),
      SetFailureProfile: this.unary(async (r: { selector: string; profile: string; params: Record<string, string> }, actor) => ({
        device_ids: await c.setProfile(r.selector, r.profile, r.params, actor),
      })),
      ListDevices: this.unary((r: { selector: string }) => {
        const res = c.list(r.selector)
        return { devices: res.devices, sim_time_ms: res.simTimeMs }
      }),
      StreamEvents: (call: ServerWritableStream<unknown, unknown>) => {
        this.streams.add(call)
        const off = c.onEvent((e) => call.write({ ts_ms: e.tsMs, kind: e.kind, device_id: e.deviceId, detail: e.detail, actor: e.actor }))
        const done = (): void => {
          off()
          this.streams.delete(call)
        }
        call.on('cancelled', done)
        call.on('close', done)
      },
    }
    this.server.addService(fleetServiceDefinition(), impl)
  }

  get url(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1'
    const want = this.opts.port ?? 50051
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${host}:${want}`, ServerCredentials.createInsecure(), (err, port) => {
        if (err === null) return resolve(port)
        reject(/in use|EADDRINUSE|No address added/i.test(err.message) ? new PortInUseError(want, this.opts.portFlag ?? '--grpc-port', { cause: err }) : err)
      })
    })
    this.log.info({ url: this.url }, 'FleetService listening')
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.end()
    this.streams.clear()
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown()
        resolve()
      }, 2_000)
      this.server.tryShutdown(() => {
        clearTimeout(force)
        resolve()
      })
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private unary<Req, Res>(fn: Unary<Req, Res>) {
    return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>): void => {
      // The interceptor has already refused calls without credentials; this names the caller for the record.
      const who = callerOf(this.opts.authority, call.metadata)
      if (!who.ok) return cb({ code: status.UNAUTHENTICATED, details: who.reason })
      Promise.resolve()
        .then(() => fn(call.request, who.actor))
        .then(
          (res) => cb(null, res),
          (err: unknown) => {
            const code = grpcStatusOf(err)
            if (code === status.INTERNAL) this.log.error({ err: errorMessage(err) }, 'FleetService call failed')
            cb({ code, details: errorMessage(err) })
          },
        )
    }
  }
}
