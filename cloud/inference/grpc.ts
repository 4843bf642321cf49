import {
  Server, ServerCredentials, ServerInterceptingCall, makeClientConstructor, status,
  type Metadata, type ServerInterceptor, type ServerUnaryCall, type ServiceClientConstructor, type ServiceDefinition, type sendUnaryData,
} from '@grpc/grpc-js'
import { PortInUseError, errorMessage, silentLogger, type Logger } from '../../common/index.js'
import { InferenceV1 } from '../../proto/index.js'
import type { ControlAuthenticator } from '../features/index.js'
import { ModelNotFoundError } from '../models/index.js'
import { BadFeaturesError, InferenceError, UnknownModelError } from './errors.js'
import { featuresHash, type ChampionInfo, type ChampionScorer, type SuppliedRow } from './scorer.js'

/** What both sides see: snake_case fields, 64-bit ints as numbers, enums as names, oneof names, defaults filled. */
const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true } as const

interface StaticType<T> {
  encode(m: T): { finish(): Uint8Array }
  decode(b: Uint8Array): T
  toObject(m: T, o: typeof TO_OBJECT): Record<string, unknown>
}

function unary<Req, Res>(method: string, req: StaticType<Req>, res: StaticType<Res>): ServiceDefinition[string] {
  const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)
  return {
    path: `/tapflow.inference.v1.InferenceService/${method}`, requestStream: false, responseStream: false,
    requestSerialize: (m: Req) => bytes(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), TO_OBJECT),
    responseSerialize: (m: Res) => bytes(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), TO_OBJECT),
    originalName: method,
  }
}

/** InferenceService with proto/gen's static codecs (as FeatureService: no reflection on the hot path). */
const DEFINITION: ServiceDefinition = {
  Predict: unary('Predict', InferenceV1.PredictRequest as StaticType<unknown>, InferenceV1.PredictResponse as StaticType<unknown>),
  ModelInfo: unary('ModelInfo', InferenceV1.ModelInfoRequest as StaticType<unknown>, InferenceV1.ModelInfoResponse as StaticType<unknown>),
}
let clientCtor: ServiceClientConstructor | undefined

/** InferenceService's client constructor (grpc-js). */
export function inferenceServiceClient(): ServiceClientConstructor {
  return (clientCtor ??= makeClientConstructor(DEFINITION, 'tapflow.inference.v1.InferenceService'))
}

export interface InferenceServerOptions {
  /** One scorer per served model; the first is the default for requests that name none. Required, not empty. */
  scorers: readonly ChampionScorer[]
  /** Checks the `Bearer tool:<name>:<token>` credential, as FleetService does. Required. */
  auth: ControlAuthenticator
  /** Default: 127.0.0.1. */
  host?: string
  /** 0 picks a free port. Default: 50053. */
  port?: number
  /** How often each scorer looks for a newly promoted champion, real ms; 0: never (call reload()). Default: 5,000. */
  reloadEveryMs?: number
  /** The flag that moves the port, named when it is taken. Default: '--port'. */
  portFlag?: string
  logger?: Logger
}

/** The wire shapes (snake_case, as TO_OBJECT gives them). */
interface WireRow { entity_id: string; features: Record<string, number>; values: number[] }
interface WirePredict { model: string; entity_ids: string[]; rows: WireRow[]; allow_missing: boolean }
interface WireScore { mode: string; score: number; threshold: number; alert: boolean }

const BEARER = /^Bearer (tool:[A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]{1,100})$/

/** `tapflow.inference.v1.InferenceService` over champion scorers. It does not own them: close them after. */
export class InferenceServer implements AsyncDisposable {
  private readonly server: Server
  private readonly log: Logger
  private readonly byName: Map<string, ChampionScorer>
  private boundPort = 0
  private timer: NodeJS.Timeout | undefined
  private readonly accepted = new Set<string>()

  constructor(private readonly opts: InferenceServerOptions) {
    if (opts.scorers.length === 0) throw new UnknownModelError('InferenceServer needs at least one model to serve')
    this.log = (opts.logger ?? silentLogger).child({ component: 'inference' })
    this.byName = new Map(opts.scorers.map((s) => [s.info().model, s]))
    this.server = new Server({ interceptors: [this.requireCredentials()] })
    this.server.addService(DEFINITION, {
      Predict: (call: ServerUnaryCall<WirePredict, unknown>, cb: sendUnaryData<unknown>) => void this.answer(cb, () => this.predict(call.request)),
      ModelInfo: (call: ServerUnaryCall<{ model: string }, unknown>, cb: sendUnaryData<unknown>) => void this.answer(cb, async () => {
        const i = this.scorer(call.request.model).info()
        return { model: i.model, version: i.version, modes: i.modes, features: i.features, thresholds: i.thresholds, models: [...this.byName.keys()] }
      }),
    })
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.boundPort}`
  }

  async listen(): Promise<void> {
    const port = this.opts.port ?? 50053
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${this.opts.host ?? '127.0.0.1'}:${port}`, ServerCredentials.createInsecure(), (err, p) => {
        if (err === null) resolve(p)
        else reject(/EADDRINUSE|No address added/.test(err.message) ? new PortInUseError(port, this.opts.portFlag ?? '--port', { cause: err }) : err)
      })
    })
    const every = this.opts.reloadEveryMs ?? 5_000
    if (every > 0) this.timer = setInterval(() => void this.reload(), every)
    this.log.info({ address: this.address, models: [...this.byName.keys()] }, 'InferenceService listening')
  }

  /** Every scorer swaps to its registry's current champion if it changed; the models that changed. */
  async reload(): Promise<string[]> {
    const changed: string[] = []
    for (const [name, s] of this.byName) {
      try {
        if (await s.reload()) changed.push(name)
      } catch (err) {
        this.log.warn({ model: name, err: errorMessage(err) }, 'champion reload failed; still serving the loaded one')
      }
    }
    return changed
  }

  private scorer(model: string): ChampionScorer {
    const s = model === '' ? this.opts.scorers[0] : this.byName.get(model)
    if (s === undefined) throw new UnknownModelError(`model '${model}' is not served here (serving: ${[...this.byName.keys()].join(', ')})`)
    return s
  }

  private async predict(req: WirePredict): Promise<unknown> {
    const scorer = this.scorer(req.model)
    const ids = req.entity_ids
    if (ids.length > 0 && req.rows.length > 0) throw new BadFeaturesError('give entity_ids or rows, not both')
    if (ids.length > 0) {
      const scored = await scorer.scoreEntities(ids)
      const first = scored[0]!
      return {
        model: first.model, version: first.version,
        predictions: scored.map((e) => ({ entity_id: e.entityId, features_hash: hex(e.featuresHash), scores: e.scores.map((s) => wireScore(s.mode, s.score, s.threshold)) })),
      }
    }
    if (req.rows.length === 0) throw new BadFeaturesError('nothing to score: give entity_ids or rows')
    const rows = req.rows.map((r, i): SuppliedRow => {
      const named = Object.keys(r.features).length > 0
      if (named && r.values.length > 0) throw new BadFeaturesError(`row ${i}: give features by name or values, not both`)
      return named ? r.features : r.values
    })
    const { info, x, scores } = await scorer.scoreSupplied(rows, req.allow_missing)
    const cols = info.features.length
    return {
      model: info.model, version: info.version,
      predictions: req.rows.map((r, i) => ({
        entity_id: r.entity_id,
        features_hash: hex(featuresHash(x.subarray(i * cols, (i + 1) * cols))),
        scores: info.modes.map((m) => wireScore(m, scores[m]![i]!, threshold(info, m))),
      })),
    }
  }

  private async answer(cb: sendUnaryData<unknown>, fn: () => Promise<unknown>): Promise<void> {
    try {
      cb(null, await fn())
    } catch (err) {
      const code = err instanceof InferenceError ? err.grpcCode : err instanceof ModelNotFoundError ? status.NOT_FOUND : status.INTERNAL
      if (code === status.INTERNAL) this.log.error({ err: errorMessage(err) }, 'inference failed')
      cb({ code, details: errorMessage(err) })
    }
  }

  /** Every call, including methods added later, is refused with UNAUTHENTICATED before a handler runs. */
  private requireCredentials(): ServerInterceptor {
    return (method, call) => new ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMetadata: (md: Metadata, pass) => {
          const values = md.get('authorization')
          const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined
          if (header !== undefined && this.accepted.has(header)) return pass(md)
          const m = header === undefined ? null : BEARER.exec(header)
          const r = m === null ? { ok: false as const, reason: values.length === 0 ? 'no credentials' : 'malformed credentials' } : this.opts.auth.checkControl(m[1], m[2])
          if (r.ok) {
            // A client sends the same credential call after call: its HMAC is checked once (a few, bounded).
            if (this.accepted.size >= 64) this.accepted.clear()
            this.accepted.add(header as string)
            return pass(md)
          }
          this.log.warn({ method: method.path, reason: r.reason }, 'InferenceService call refused')
          call.sendStatus({ code: status.UNAUTHENTICATED, details: `InferenceService needs fleet-control credentials (${r.reason.replace(/_/g, ' ')})` })
        },
      }),
    })
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()))
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

const threshold = (info: ChampionInfo, mode: string): number => info.thresholds[mode] ?? Number.NaN
const wireScore = (mode: string, score: number, t: number): WireScore => ({ mode, score, threshold: t, alert: score >= t })
const hex = (h: bigint): string => h.toString(16).padStart(16, '0')
