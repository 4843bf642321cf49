import {
  Server, ServerCredentials, makeClientConstructor, status,
  type ServerUnaryCall, type ServiceClientConstructor, type ServiceDefinition, type sendUnaryData,
} from '@grpc/grpc-js'
import { PortInUseError, errorMessage, silentLogger, type Logger } from '../../common/index.js'
import { InferenceV1, staticUnary, type StaticType } from '../../proto/index.js'
import { requireControlCredentials, type ControlAuthenticator } from '../features/index.js'
import { ModelNotFoundError } from '../models/index.js'
import { BadFeaturesError, InferenceError, UnknownModelError } from './errors.js'
import { featuresHash, type ChampionInfo, type ChampionScorer, type SuppliedRow } from './scorer.js'

/** InferenceService with proto/gen's static codecs (as FeatureService: no reflection on the hot path). */
const DEFINITION: ServiceDefinition = {
  Predict: staticUnary('tapflow.inference.v1.InferenceService', 'Predict', InferenceV1.PredictRequest as StaticType<unknown>, InferenceV1.PredictResponse as StaticType<unknown>),
  ModelInfo: staticUnary('tapflow.inference.v1.InferenceService', 'ModelInfo', InferenceV1.ModelInfoRequest as StaticType<unknown>, InferenceV1.ModelInfoResponse as StaticType<unknown>),
}
let clientCtor: ServiceClientConstructor | undefined

/** InferenceService's client constructor (grpc-js). */
export function inferenceServiceClient(): ServiceClientConstructor {
  return (clientCtor ??= makeClientConstructor(DEFINITION, 'tapflow.inference.v1.InferenceService'))
}

export interface InferenceServerOptions {
  /** Served models; the first is the default for requests that name none. Default: ['maintenance']. */
  models?: readonly string[]
  /**
   * Opens a model's scorer (its registry's champion). Called at listen() and then on use and at each reload tick
   * until it succeeds: a model with no champion yet answers NOT_FOUND until one is trained. Required.
   */
  open: (model: string) => Promise<ChampionScorer>
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


/** `tapflow.inference.v1.InferenceService` over one champion scorer per model, which it opens, reloads and closes. */
export class InferenceServer implements AsyncDisposable {
  private readonly server: Server
  private readonly log: Logger
  private readonly models: readonly string[]
  /** Open scorers, and opens in progress (a failed one is dropped, so the next use tries again). */
  private readonly scorers = new Map<string, Promise<ChampionScorer>>()
  private boundPort = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly opts: InferenceServerOptions) {
    this.models = opts.models ?? ['maintenance']
    if (this.models.length === 0) throw new UnknownModelError('InferenceServer needs at least one model to serve')
    this.log = (opts.logger ?? silentLogger).child({ component: 'inference' })
    this.server = new Server({ interceptors: [requireControlCredentials('InferenceService', this.opts.auth, this.log)] })
    this.server.addService(DEFINITION, {
      Predict: (call: ServerUnaryCall<WirePredict, unknown>, cb: sendUnaryData<unknown>) => void this.answer(cb, () => this.predict(call.request)),
      ModelInfo: (call: ServerUnaryCall<{ model: string }, unknown>, cb: sendUnaryData<unknown>) => void this.answer(cb, async () => {
        const i = (await this.scorer(call.request.model)).info()
        return { model: i.model, version: i.version, modes: i.modes, features: i.features, thresholds: i.thresholds, models: this.models }
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
    this.log.info({ address: this.address, models: this.models }, 'InferenceService listening')
    await this.reload()
  }

  /** Opens models not open yet and swaps open ones to their registry's current champion; the models that changed. */
  async reload(): Promise<string[]> {
    const changed: string[] = []
    for (const name of this.models) {
      const open = this.scorers.get(name)
      try {
        if (open === undefined) {
          await this.scorer(name)
          changed.push(name)
        } else if (await (await open).reload()) changed.push(name)
      } catch (err) {
        const level = err instanceof UnknownModelError ? 'debug' : 'warn'
        this.log[level]({ model: name, err: errorMessage(err) }, open === undefined ? 'no champion to serve yet' : 'champion reload failed; still serving the loaded one')
      }
    }
    return changed
  }

  /** A served model's scorer, opened on first use; UnknownModelError for a model not served or with no champion. */
  scorer(model: string): Promise<ChampionScorer> {
    const name = model === '' ? this.models[0]! : model
    if (!this.models.includes(name)) return Promise.reject(new UnknownModelError(`model '${model}' is not served here (serving: ${this.models.join(', ')})`))
    let s = this.scorers.get(name)
    if (s === undefined) {
      s = this.opts.open(name)
      this.scorers.set(name, s)
      s.catch(() => this.scorers.get(name) === s && this.scorers.delete(name))
    }
    return s
  }

  private async predict(req: WirePredict): Promise<unknown> {
    const scorer = await this.scorer(req.model)
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

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()))
    const open = await Promise.allSettled(this.scorers.values())
    this.scorers.clear()
    for (const s of open) if (s.status === 'fulfilled') await s.value.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

const threshold = (info: ChampionInfo, mode: string): number => info.thresholds[mode] ?? Number.NaN
const wireScore = (mode: string, score: number, t: number): WireScore => ({ mode, score, threshold: t, alert: score >= t })
const hex = (h: bigint): string => h.toString(16).padStart(16, '0')
