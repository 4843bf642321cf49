import {
  Server, ServerCredentials, ServerInterceptingCall, status,
  type Metadata, type ServerInterceptor, type ServerUnaryCall, type ServiceClientConstructor, type sendUnaryData,
} from '@grpc/grpc-js'
import { errorMessage, silentLogger, type Logger } from '../../common/index.js'
import { grpcService } from '../../proto/index.js'
import { FeatureInputError } from './errors.js'
import type { FeatureStore, OnlineValue } from './store.js'
import type { FeatureType } from './types.js'

/** FeatureService from proto/tapflow/features/v1/features.proto. */
export function featureServiceClient(): ServiceClientConstructor {
  return grpcService('tapflow/features/v1/features.proto', 'tapflow.features.v1.FeatureService')
}

/** What the server needs from the fleet's authority (edge-gateway's FleetAuthority fits). */
export interface ControlAuthenticator {
  checkControl(username: string | undefined, password: string | undefined): { ok: true } | { ok: false; reason: string }
}

export interface FeatureServerOptions {
  /** The store it serves; needs an online store. Required. */
  store: FeatureStore
  /** Checks the `Bearer tool:<name>:<token>` credential, as FleetService does. Required. */
  auth: ControlAuthenticator
  /** Default: 127.0.0.1. */
  host?: string
  /** 0 picks a free port. Default: 50052. */
  port?: number
  logger?: Logger
}

const BEARER = /^Bearer (tool:[A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]{1,100})$/

/** `tapflow.features.v1.FeatureService` over the feature store's online side. */
export class FeatureServer implements AsyncDisposable {
  private readonly server: Server
  private readonly log: Logger
  private boundPort = 0

  constructor(private readonly opts: FeatureServerOptions) {
    this.log = opts.logger ?? silentLogger
    this.server = new Server({ interceptors: [this.requireCredentials()] })
    this.server.addService(featureServiceClient().service, {
      GetOnlineFeatures: (call: ServerUnaryCall<GetRequest, unknown>, cb: sendUnaryData<unknown>) => void this.get(call.request, cb),
      ListFeatures: (call: ServerUnaryCall<{ entity: string }, unknown>, cb: sendUnaryData<unknown>) => {
        this.answer(cb, () => ({
          features: this.opts.store.registry.list(call.request.entity === '' ? undefined : call.request.entity)
            .map((f) => ({ name: f.name, entity: f.entity, view: f.view, type: f.type, ttl_ms: f.ttlMs, description: f.description })),
        }))
      },
    })
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.boundPort}`
  }

  async listen(): Promise<void> {
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${this.opts.host ?? '127.0.0.1'}:${this.opts.port ?? 50052}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)))
    })
    this.log.info({ address: this.address }, 'FeatureService listening')
  }

  private async get(req: GetRequest, cb: sendUnaryData<unknown>): Promise<void> {
    try {
      const rows = await this.opts.store.getOnlineFeatures({ entity: req.entity, ids: req.entity_ids, features: req.features })
      const types = new Map(this.opts.store.registry.resolve(req.features, req.entity).map((f) => [f.name, f.type]))
      cb(null, { served_at_ms: this.opts.store.now(), results: rows.map((r) => ({ entity_id: r.entityId, features: Object.fromEntries(Object.entries(r.features).map(([k, v]) => [k, toWire(v, types.get(k))])) })) })
    } catch (err) {
      cb(toStatus(err))
    }
  }

  private answer(cb: sendUnaryData<unknown>, fn: () => unknown): void {
    try {
      cb(null, fn())
    } catch (err) {
      cb(toStatus(err))
    }
  }

  /** Every call, including methods added later, is refused with UNAUTHENTICATED before a handler runs. */
  private requireCredentials(): ServerInterceptor {
    return (method, call) => new ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMetadata: (md: Metadata, pass) => {
          const values = md.get('authorization')
          const m = values.length === 1 && typeof values[0] === 'string' ? BEARER.exec(values[0]) : null
          const r = m === null ? { ok: false as const, reason: values.length === 0 ? 'no credentials' : 'malformed credentials' } : this.opts.auth.checkControl(m[1], m[2])
          if (r.ok) return pass(md)
          this.log.warn({ method: method.path, reason: r.reason }, 'FeatureService call refused')
          call.sendStatus({ code: status.UNAUTHENTICATED, details: `FeatureService needs fleet-control credentials (${r.reason.replace(/_/g, ' ')})` })
        },
      }),
    })
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()))
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

interface GetRequest {
  entity: string
  entity_ids: string[]
  features: string[]
}

function toWire(v: OnlineValue, type: FeatureType | undefined): Record<string, unknown> {
  const value = v.value === null ? {} : type === 'string' ? { string_value: String(v.value) } : type === 'int64' ? { int64_value: Number(v.value) } : { double_value: Number(v.value) }
  return { ...value, event_ts_ms: v.eventTs ?? 0, freshness: v.status.toUpperCase() }
}

function toStatus(err: unknown): { code: status; details: string } {
  return { code: err instanceof FeatureInputError ? status.INVALID_ARGUMENT : status.INTERNAL, details: errorMessage(err) }
}
