import { credentials as grpcCredentials, Metadata, type Client, type ServiceError, type status } from '@grpc/grpc-js'
import { TapflowError } from '../../common/index.js'
import { inferenceServiceClient } from './grpc.js'
import type { ChampionInfo, ModeScore } from './scorer.js'

export interface InferenceClientOptions {
  /** host:port of an InferenceService (`tapflow up`'s or `tapflow serve`'s). Required. */
  address: string
  /** A fleet-control tool credential (FleetAuthority.control(name)). Required. */
  credentials: { username: string; password: string }
  /** Per-call deadline. Default: 10 s. */
  timeoutMs?: number
}

/** An InferenceService call that failed, with its gRPC status code. */
export class InferenceServiceError extends TapflowError {
  constructor(message: string, readonly grpcCode: status, opts?: { cause?: unknown }) {
    super(message, 'INFERENCE_SERVICE', opts)
  }
}

export interface PredictInput {
  /** Default: the service's default model. */
  model?: string
  /** Score these entities from the online store … */
  entityIds?: string[]
  /** … or these rows: features by name, or all values in ModelInfo's feature order. */
  rows?: { entityId?: string; features?: Record<string, number>; values?: number[] }[]
  allowMissing?: boolean
}

export interface PredictOutput {
  model: string
  version: number
  predictions: { entityId: string; featuresHash: string; scores: (ModeScore & { alert: boolean })[] }[]
}

interface WirePredict {
  model: string
  version: number
  predictions: { entity_id: string; features_hash: string; scores: (ModeScore & { alert: boolean })[] }[]
}
type Unary = (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: unknown) => void) => void

/** Calls another process's InferenceService. */
export class InferenceClient implements AsyncDisposable {
  private readonly client: Client
  private readonly md = new Metadata()

  constructor(private readonly opts: InferenceClientOptions) {
    const Ctor = inferenceServiceClient()
    this.client = new Ctor(opts.address, grpcCredentials.createInsecure())
    this.md.set('authorization', `Bearer ${opts.credentials.username}:${opts.credentials.password}`)
  }

  async predict(p: PredictInput): Promise<PredictOutput> {
    const res = await this.call<WirePredict>('Predict', {
      model: p.model ?? '', entity_ids: p.entityIds ?? [], allow_missing: p.allowMissing ?? false,
      rows: (p.rows ?? []).map((r) => ({ entity_id: r.entityId ?? '', features: r.features ?? {}, values: r.values ?? [] })),
    })
    return { model: res.model, version: res.version, predictions: res.predictions.map((x) => ({ entityId: x.entity_id, featuresHash: x.features_hash, scores: x.scores })) }
  }

  async modelInfo(model = ''): Promise<ChampionInfo & { models: string[] }> {
    return this.call('ModelInfo', { model })
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method] as Unary
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, req, this.md, { deadline: Date.now() + (this.opts.timeoutMs ?? 10_000) }, (err, r) => {
        if (err) reject(new InferenceServiceError(`InferenceService at ${this.opts.address}: ${err.details || err.message}`, err.code, { cause: err }))
        else resolve(r as T)
      })
    })
  }

  close(): void {
    this.client.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close()
    return Promise.resolve()
  }
}
