import { createHash } from 'node:crypto'
import * as ort from 'onnxruntime-node'
import onnxProto from 'onnx-proto'
import { errorMessage, silentLogger, type Logger } from '../../common/index.js'
import type { OnlineRow } from '../features/index.js'
import { ModelNotFoundError, type ModelRegistry, type ModelVersion } from '../models/index.js'
import { BadFeaturesError, UnknownEntityError, UnknownModelError } from './errors.js'

/** One mode's risk for one row, and the alert threshold the evaluation chose for it (NaN for a regressor). */
export interface ModeScore { mode: string; score: number; threshold: number }

/** A scored entity: what the live path writes to tapflow.predictions (and alerts from). */
export interface EntityScore {
  entityId: string
  model: string
  version: number
  /** In info().modes order. */
  scores: ModeScore[]
  /** The first 8 bytes of the sha256 of the float32 feature vector: equal vectors, equal hashes (a UInt64 column). */
  featuresHash: bigint
  /** The vector scored, by name; NaN where the value was missing or stale (as the offline join leaves it null). */
  features: Record<string, number>
}

export interface ChampionInfo {
  model: string
  version: number
  /** The targets scored (failure modes for maintenance), in the order scores come. */
  modes: string[]
  /** Input columns, in the order scoreRows expects them. */
  features: string[]
  /** Alert threshold per mode, as the evaluation picked it on validation (model.json). */
  thresholds: Record<string, number>
}

/** The online read side the scorer needs. FeatureStore fits (freshness judged against its clock). */
export interface OnlineFeatureReader {
  getOnlineFeatures(req: { entity: string; ids: readonly string[]; features: readonly string[] }): Promise<OnlineRow[]>
}

export interface ChampionScorerOptions {
  registry: ModelRegistry
  /** Where scoreEntities reads features. Default: none (scoreEntities then fails; scoreRows works). */
  online?: OnlineFeatureReader
  /** Registered model whose `alias` is served. Default: 'maintenance'. */
  model?: string
  /** The alias served, and followed by reload(). Default: 'champion' (a challenger is scored with 'challenger'). */
  alias?: string
  /** The entity the model's features describe. Default: 'device'. */
  entity?: string
  /** onnxruntime threads per session run. Default: 1 (the machine is shared; a tree ensemble row takes µs). */
  threads?: number
  logger?: Logger
}

/** What model.json records (cloud/models/train.ts). */
interface Manifest {
  featureNames: string[]
  targets: Record<string, { objective: 'binary' | 'regression'; onnx: string; threshold: number | null }>
}

interface Loaded {
  info: ChampionInfo
  /** One session for every mode: their graphs side by side on the shared input (see merge). */
  session: ort.InferenceSession | undefined
  /** Per mode, in info.modes order: the output to read and whether it is a classifier's [N, 2] probabilities. */
  outputs: { mode: string; name: string; binary: boolean }[]
  inflight: number
  retired: boolean
}

/**
 * Scores with the registry's `<model>@champion` (or another alias): one onnxruntime session for every mode, features from the online store
 * or supplied. reload() swaps to a newly promoted champion; calls already running finish on the session they
 * started with, which is released after the last of them.
 */
export class ChampionScorer implements AsyncDisposable {
  private current: Loaded
  private lane: Promise<unknown> = Promise.resolve()
  private closed = false

  private constructor(private readonly o: ChampionScorerOptions & { model: string; alias: string; entity: string; logger: Logger }, first: Loaded) {
    this.current = first
  }

  static async open(opts: ChampionScorerOptions): Promise<ChampionScorer> {
    const o = { ...opts, model: opts.model ?? 'maintenance', alias: opts.alias ?? 'champion', entity: opts.entity ?? 'device', logger: (opts.logger ?? silentLogger).child({ component: 'scorer' }) }
    const first = await load(o, await aliased(o.registry, o.model, o.alias))
    o.logger.info({ model: o.model, alias: o.alias, version: first.info.version, modes: first.info.modes }, `${o.alias} loaded`)
    return new ChampionScorer(o, first)
  }

  info(): ChampionInfo {
    return this.current.info
  }

  /** Per mode, the score of each row of `features` (row-major, info().features order; NaN is a missing value). */
  async scoreRows(features: Float32Array, rows: number): Promise<Record<string, Float32Array>> {
    return this.use((l) => run(l, features, rows))
  }

  /** Scores entities from their online features; UnknownEntityError when the store has nothing for some of them. */
  async scoreEntities(ids: string[]): Promise<EntityScore[]> {
    const online = this.o.online
    if (online === undefined) throw new BadFeaturesError('this scorer has no online store: supply the features')
    return this.use(async (l) => {
      const names = l.info.features
      const cols = names.length
      const got = await online.getOnlineFeatures({ entity: this.o.entity, ids, features: names })
      const x = new Float32Array(ids.length * cols)
      const unknown: string[] = []
      got.forEach((row, r) => {
        let seen = false
        for (let c = 0; c < cols; c++) {
          const v = row.features[names[c]!]
          if (v !== undefined && v.eventTs !== null) seen = true
          // Stale is what the offline join leaves null: the model learnt NaN as missing.
          x[r * cols + c] = v !== undefined && typeof v.value === 'number' && v.status === 'fresh' ? v.value : Number.NaN
        }
        if (!seen) unknown.push(row.entityId)
      })
      if (unknown.length > 0) throw new UnknownEntityError(unknown)
      const scores = await run(l, x, ids.length)
      return ids.map((entityId, r): EntityScore => {
        const vec = x.subarray(r * cols, (r + 1) * cols)
        const features: Record<string, number> = {}
        for (let c = 0; c < cols; c++) features[names[c]!] = vec[c]!
        return {
          entityId, model: l.info.model, version: l.info.version, features,
          scores: l.info.modes.map((mode) => ({ mode, score: scores[mode]![r]!, threshold: l.info.thresholds[mode] ?? Number.NaN })),
          featuresHash: featuresHash(vec),
        }
      })
    })
  }

  /**
   * Named feature rows → the model's row-major input. A name the model does not read, a missing one (unless
   * `allowMissing`), or a non-finite value (NaN allowed as missing with `allowMissing`) is a BadFeaturesError.
   */
  vectorize(rows: readonly SuppliedRow[], allowMissing = false): Float32Array {
    return vectorize(this.current.info.features, rows, allowMissing)
  }

  /**
   * Supplied rows (by name, or every value in info().features order) scored by one champion, which is returned
   * with the scores: a swap between reading info() and scoring cannot mislabel the version or the columns.
   */
  async scoreSupplied(rows: readonly SuppliedRow[], allowMissing = false): Promise<{ info: ChampionInfo; x: Float32Array; scores: Record<string, Float32Array> }> {
    return this.use(async (l) => {
      const x = vectorize(l.info.features, rows, allowMissing)
      return { info: l.info, x, scores: await run(l, x, rows.length) }
    })
  }

  /** Swaps to the registry's current champion if it changed; true when it did. Never fails a call in flight. */
  reload(): Promise<boolean> {
    const next = this.lane.then(async () => {
      if (this.closed) return false
      const v = await aliased(this.o.registry, this.o.model, this.o.alias)
      const old = this.current
      if (v.version === old.info.version) return false
      const fresh = await load(this.o, v)
      this.current = fresh
      this.retire(old)
      this.o.logger.info({ model: this.o.model, from: old.info.version, to: v.version }, 'champion swapped')
      return true
    })
    this.lane = next.catch(() => undefined)
    return next
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.lane
    this.retire(this.current)
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  private async use<T>(fn: (l: Loaded) => Promise<T>): Promise<T> {
    if (this.closed) throw new UnknownModelError(`the scorer of ${this.o.model} is closed`)
    const l = this.current
    l.inflight++
    try {
      return await fn(l)
    } finally {
      if (--l.inflight === 0 && l.retired) this.release(l)
    }
  }

  private retire(l: Loaded): void {
    l.retired = true
    if (l.inflight === 0) this.release(l)
  }

  private release(l: Loaded): void {
    l.session?.release().catch((err: unknown) => this.o.logger.warn({ err: errorMessage(err) }, 'onnxruntime session release failed'))
    l.session = undefined
  }
}

/** The first 8 bytes of the sha256 of a float32 vector, big-endian: a UInt64 that changes when any value does. */
export function featuresHash(vec: Float32Array): bigint {
  return createHash('sha256').update(new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength)).digest().readBigUInt64BE(0)
}

/** A supplied row: features by name, or all values in the model's input order. */
export type SuppliedRow = Readonly<Record<string, number>> | ArrayLike<number>

function vectorize(names: readonly string[], rows: readonly SuppliedRow[], allowMissing: boolean): Float32Array {
  const cols = names.length
  const x = new Float32Array(rows.length * cols).fill(Number.NaN)
  const check = (r: number, k: string, v: number): void => {
    if (!Number.isFinite(v) && !(allowMissing && Number.isNaN(v))) throw new BadFeaturesError(`row ${r}: ${k} is ${v}${allowMissing ? '' : ' (set allow_missing to pass NaN as a missing value)'}`)
  }
  let index: Map<string, number> | undefined
  rows.forEach((row, r) => {
    if (isValues(row)) {
      if (row.length !== cols) throw new BadFeaturesError(`row ${r}: ${row.length} values, but the model reads ${cols} features`)
      for (let c = 0; c < cols; c++) {
        check(r, names[c]!, row[c]!)
        x[r * cols + c] = row[c]!
      }
      return
    }
    index ??= new Map(names.map((n, i) => [n, i]))
    let n = 0
    for (const [k, v] of Object.entries(row)) {
      const c = index.get(k)
      if (c === undefined) throw new BadFeaturesError(`row ${r}: the model does not read '${k}' (it reads ${cols} features: ${names.slice(0, 4).join(', ')}, …)`)
      check(r, k, v)
      x[r * cols + c] = v
      n++
    }
    if (n < cols && !allowMissing) {
      const missing = names.filter((m) => !(m in row))
      throw new BadFeaturesError(`row ${r}: ${missing.length} feature(s) missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} (or set allow_missing)`)
    }
  })
  return x
}

const isValues = (row: SuppliedRow): row is ArrayLike<number> => typeof (row as { length?: unknown }).length === 'number'

async function aliased(registry: ModelRegistry, model: string, alias: string): Promise<ModelVersion> {
  try {
    return await registry.getVersion(`${model}@${alias}`)
  } catch (err) {
    if (err instanceof ModelNotFoundError) throw new UnknownModelError(`no ${alias} for model '${model}': ${err.message}`, { cause: err })
    throw err
  }
}

/** A version's model.json and every target's ONNX (each sha256-verified), in one session. */
async function load(o: ChampionScorerOptions & { model: string }, v: ModelVersion): Promise<Loaded> {
  const ref = `${v.name}@${v.version}`
  const manifest = JSON.parse(Buffer.from(await o.registry.loadArtifact(ref, 'model.json')).toString('utf8')) as Manifest
  const targets = Object.entries(manifest.targets)
  if (targets.length === 0) throw new UnknownModelError(`${ref} has no target to score`)
  const graphs = await Promise.all(targets.map(async ([, t]) => o.registry.loadArtifact(ref, t.onnx)))
  const session = await ort.InferenceSession.create(merge(graphs), { intraOpNumThreads: o.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential' })
  const outputs = targets.map(([mode, t], i) => ({ mode, name: `${t.objective === 'binary' ? 'probabilities' : 'variable'}__${i}`, binary: t.objective === 'binary' }))
  const thresholds = Object.fromEntries(targets.map(([m, t]) => [m, t.threshold ?? Number.NaN]))
  return { info: { model: v.name, version: v.version, modes: outputs.map((x) => x.mode), features: manifest.featureNames, thresholds }, session, outputs, inflight: 0, retired: false }
}

/**
 * The targets' graphs as one model: their nodes side by side on the shared input `features`, outputs suffixed
 * `__<i>`. One run then scores every mode (one call into onnxruntime, not one per mode: on a single row the call
 * costs more than the trees). Nodes and opsets are the exporter's, unchanged.
 */
function merge(graphs: readonly Uint8Array[]): Uint8Array {
  const { onnx } = onnxProto
  const models = graphs.map((g) => onnx.ModelProto.decode(g))
  const first = models[0]!
  const node: onnxProto.onnx.INodeProto[] = []
  const output: onnxProto.onnx.IValueInfoProto[] = []
  models.forEach((m, i) => {
    for (const n of m.graph?.node ?? []) node.push({ ...n, name: `${n.name ?? 'node'}__${i}`, output: (n.output ?? []).map((x) => `${x}__${i}`) })
    for (const x of m.graph?.output ?? []) output.push({ ...x, name: `${x.name ?? ''}__${i}` })
  })
  const graph = onnx.GraphProto.create({ name: 'champion', node, input: first.graph?.input ?? [], output })
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: first.irVersion, producerName: 'tapflow', opsetImport: first.opsetImport, graph })).finish()
}

async function run(l: Loaded, x: Float32Array, rows: number): Promise<Record<string, Float32Array>> {
  const cols = l.info.features.length
  if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * cols) {
    throw new BadFeaturesError(`expected ${rows} row(s) × ${cols} features = ${rows * cols} values, got ${x.length}`)
  }
  const out: Record<string, Float32Array> = {}
  if (rows === 0) {
    for (const m of l.info.modes) out[m] = new Float32Array(0)
    return out
  }
  const session = l.session
  if (session === undefined) throw new UnknownModelError(`${l.info.model}@${l.info.version} was released`)
  const res = await session.run({ features: new ort.Tensor('float32', x, [rows, cols]) }, l.outputs.map((o) => o.name))
  for (const o of l.outputs) {
    const data = res[o.name]?.data as Float32Array
    if (!o.binary) {
      out[o.mode] = data
      continue
    }
    // probabilities is [N, 2]: class 1 is the odd column.
    const p = new Float32Array(rows)
    for (let r = 0; r < rows; r++) p[r] = data[2 * r + 1]!
    out[o.mode] = p
  }
  return out
}
