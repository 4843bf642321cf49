import { credentials as grpcCredentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js'
import { TapflowError } from '../../common/index.js'
import { featureServiceClient } from './grpc.js'
import type { Freshness, OnlineRow } from './store.js'
import type { FeatureValue } from './types.js'

export interface FeatureClientOptions {
  /** host:port of a FeatureService (e.g. a running `tapflow up`'s). Required. */
  address: string
  /** A fleet-control tool credential (FleetAuthority.control(name)). Required. */
  credentials: { username: string; password: string }
  /** Per-call deadline. Default: 10 s. */
  timeoutMs?: number
}

/** A FeatureService call that failed, with its gRPC status code. */
export class FeatureServiceError extends TapflowError {
  constructor(message: string, readonly grpcCode: status, opts?: { cause?: unknown }) {
    super(message, 'FEATURE_SERVICE', opts)
  }
}

interface WireValue {
  value?: 'double_value' | 'int64_value' | 'string_value'
  double_value?: number
  int64_value?: number
  string_value?: string
  event_ts_ms: number
  freshness: string
}
interface WireResponse {
  results: { entity_id: string; features: Record<string, WireValue> }[]
  served_at_ms: number
}
type Unary = (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: WireResponse) => void) => void

/** Online features from another process's FeatureService, as `FeatureStore.getOnlineFeatures` gives them. */
export class FeatureClient implements AsyncDisposable {
  private readonly client: Client
  private readonly md = new Metadata()

  constructor(private readonly opts: FeatureClientOptions) {
    const Ctor = featureServiceClient()
    this.client = new Ctor(opts.address, grpcCredentials.createInsecure())
    this.md.set('authorization', `Bearer ${opts.credentials.username}:${opts.credentials.password}`)
  }

  /** Values with their event time and freshness, and the server's clock they were judged against. */
  async getOnlineFeatures(req: { entity: string; ids: readonly string[]; features: readonly string[] }): Promise<{ servedAt: number; rows: OnlineRow[] }> {
    const call = (this.client as unknown as Record<string, Unary>).GetOnlineFeatures as Unary
    const res = await new Promise<WireResponse>((resolve, reject) => {
      call.call(this.client, { entity: req.entity, entity_ids: req.ids, features: req.features }, this.md, { deadline: Date.now() + (this.opts.timeoutMs ?? 10_000) }, (err, r) => {
        if (err) reject(new FeatureServiceError(`FeatureService at ${this.opts.address}: ${err.details || err.message}`, err.code, { cause: err }))
        else resolve(r)
      })
    })
    const rows = res.results.map((r) => ({
      entityId: r.entity_id,
      features: Object.fromEntries(Object.entries(r.features).map(([k, v]) => [k, {
        value: (v.value === undefined ? null : v[v.value] ?? null) as FeatureValue,
        eventTs: v.event_ts_ms === 0 ? null : v.event_ts_ms,
        status: v.freshness.toLowerCase() as Freshness,
      }])),
    }))
    return { servedAt: res.served_at_ms, rows }
  }

  close(): void {
    this.client.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close()
    return Promise.resolve()
  }
}
