import { GbdtModel, type GbdtJson, type ModelRegistry } from '../models/index.js'
import { PathAttribution, type Contribution } from './attribution.js'

/** What a live scorer returns per entity; the shape of cloud/inference's ChampionScorer, so either plugs in. */
export interface ModeScore {
  mode: string
  score: number
  threshold: number
}
export interface EntityScore {
  entityId: string
  model: string
  version: number
  scores: ModeScore[]
  featuresHash: bigint
  features: Record<string, number>
}
export interface ChampionInfo {
  model: string
  version: number
  modes: string[]
  features: string[]
  thresholds: Record<string, number>
}
/** The part of a scorer the loop uses: cloud/inference's ChampionScorer satisfies it. */
export interface LiveScorer {
  info(): ChampionInfo
  scoreEntities(ids: string[]): Promise<EntityScore[]>
  reload(): Promise<boolean>
  close(): Promise<void>
}

/** model.json as cloud/models/train.ts writes it (the maintenance targets are failure modes). */
interface Manifest {
  featureNames: string[]
  targets: Record<string, { objective: string; threshold: number | null; gbdt: GbdtJson } | undefined>
}

/**
 * The explaining side of a champion: per mode its GBDT (from the registry's model.json, checked by sha256), a path
 * attribution over it, the evaluation's threshold, and the evaluation's median lead time (what "expected time to
 * failure" of a new alert is read from).
 */
export class ChampionExplainer {
  private constructor(
    readonly model: string,
    readonly version: number,
    readonly featureNames: readonly string[],
    private readonly modes: ReadonlyMap<string, { gbdt: GbdtModel; attribution: PathAttribution; threshold: number; leadMs: number | null }>,
  ) {}

  /** `name@version` from the registry. */
  static async load(registry: ModelRegistry, ref: string): Promise<ChampionExplainer> {
    const v = await registry.getVersion(ref)
    const manifest = JSON.parse(Buffer.from(await registry.loadArtifact(`${v.name}@${v.version}`, 'model.json')).toString('utf8')) as Manifest
    const modes = new Map<string, { gbdt: GbdtModel; attribution: PathAttribution; threshold: number; leadMs: number | null }>()
    for (const [mode, t] of Object.entries(manifest.targets)) {
      if (t === undefined || t.objective !== 'binary' || t.threshold === null) continue
      const lead = (v.metrics[mode] as { lead_median_h?: number | null } | undefined)?.lead_median_h
      modes.set(mode, {
        gbdt: GbdtModel.fromJSON(t.gbdt), attribution: new PathAttribution(t.gbdt, manifest.featureNames), threshold: t.threshold,
        leadMs: typeof lead === 'number' && Number.isFinite(lead) ? lead * 3_600_000 : null,
      })
    }
    return new ChampionExplainer(v.name, v.version, manifest.featureNames, modes)
  }

  info(): ChampionInfo {
    return {
      model: this.model, version: this.version, modes: [...this.modes.keys()], features: [...this.featureNames],
      thresholds: Object.fromEntries([...this.modes].map(([m, x]) => [m, x.threshold])),
    }
  }

  /** Features by name → the model's row order; a missing value is NaN (the trees route it as trained). */
  row(features: Record<string, number>): Float32Array {
    return Float32Array.from(this.featureNames, (f) => features[f] ?? Number.NaN)
  }

  score(mode: string, row: Float32Array): number {
    return this.modes.get(mode)?.gbdt.predict(row) ?? Number.NaN
  }

  top(mode: string, row: Float32Array, k = 3): Contribution[] {
    return this.modes.get(mode)?.attribution.top(row, k) ?? []
  }

  /** The evaluation's median lead time for `mode`, ms; null when it measured none. */
  leadMs(mode: string): number | null {
    return this.modes.get(mode)?.leadMs ?? null
  }
}

/** FNV-1a 64 over the feature values in model order: which vector was scored, without storing it. */
export function featuresHash(row: Float32Array): bigint {
  let h = 0xcbf29ce484222325n
  const bytes = new Uint8Array(row.buffer, row.byteOffset, row.byteLength)
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n)
  return h
}

/**
 * Scoring in process from the champion's GBDT, with features from `fetch` (the online store): what the loop uses when
 * no inference service is given. Identical scores to the ONNX export (cloud/models tests check that).
 */
export function inProcessScorer(o: {
  load: () => Promise<ChampionExplainer>
  fetch: (ids: string[], features: readonly string[]) => Promise<Record<string, number>[]>
  first: ChampionExplainer
}): LiveScorer {
  let champion = o.first
  return {
    info: () => champion.info(),
    async scoreEntities(ids) {
      const c = champion
      const rows = await o.fetch(ids, c.featureNames)
      return ids.map((entityId, i) => {
        const features = rows[i] ?? {}
        const row = c.row(features)
        const info = c.info()
        return { entityId, model: c.model, version: c.version, featuresHash: featuresHash(row), features, scores: info.modes.map((mode) => ({ mode, score: c.score(mode, row), threshold: info.thresholds[mode] ?? 1 })) }
      })
    },
    async reload() {
      const next = await o.load()
      if (next.version === champion.version && next.model === champion.model) return false
      champion = next
      return true
    },
    close: async () => undefined,
  }
}
