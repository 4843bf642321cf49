import type { ChampionInfo, EntityScore } from '../inference/index.js'
import type { GbdtJson, ModelRegistry } from '../models/index.js'
import { PathAttribution, type Contribution } from './attribution.js'

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

/** Least test precision for a mode to alert: below it, most of its alerts (and tickets) would be false. */
export const MIN_ALERT_PRECISION = 0.5

/**
 * The explaining side of a champion (scoring is cloud/inference's): per mode a path attribution over its GBDT (the
 * registry's model.json, checked by sha256), and the evaluation's median lead time, which a new alert's expected time
 * to failure is read from.
 */
export class ChampionExplainer {
  private constructor(
    readonly model: string,
    readonly version: number,
    readonly featureNames: readonly string[],
    private readonly modes: ReadonlyMap<string, { attribution: PathAttribution; leadMs: number | null; precision: number | null }>,
    /** Least test precision for a mode's alerts to open tickets. */
    readonly minPrecision: number,
  ) {}

  /** `name@version` from the registry. */
  static async load(registry: ModelRegistry, ref: string, minPrecision = MIN_ALERT_PRECISION): Promise<ChampionExplainer> {
    const v = await registry.getVersion(ref)
    const manifest = JSON.parse(Buffer.from(await registry.loadArtifact(`${v.name}@${v.version}`, 'model.json')).toString('utf8')) as Manifest
    const modes = new Map<string, { attribution: PathAttribution; leadMs: number | null; precision: number | null }>()
    for (const [mode, t] of Object.entries(manifest.targets)) {
      if (t === undefined || t.objective !== 'binary' || t.threshold === null) continue
      const m = v.metrics[mode] as { lead_median_h?: number | null; precision?: number | null } | undefined
      const lead = m?.lead_median_h
      modes.set(mode, {
        attribution: new PathAttribution(t.gbdt, manifest.featureNames),
        leadMs: typeof lead === 'number' && Number.isFinite(lead) ? lead * 3_600_000 : null,
        precision: typeof m?.precision === 'number' ? m.precision : null,
      })
    }
    return new ChampionExplainer(v.name, v.version, manifest.featureNames, modes, minPrecision)
  }

  /** Features by name → the model's row order; a missing value is NaN (the trees route it as trained). */
  row(features: Record<string, number>): Float32Array {
    return Float32Array.from(this.featureNames, (f) => features[f] ?? Number.NaN)
  }

  top(mode: string, row: Float32Array, k = 3): Contribution[] {
    return this.modes.get(mode)?.attribution.top(row, k) ?? []
  }

  /**
   * Whether `mode` may raise alerts: its test precision reached `minPrecision` (a version registered without one is
   * trusted). A mode below it is still scored into tapflow.predictions, but its alerts would be mostly false and
   * each opens a ticket that sends a technician.
   */
  alerts(mode: string): boolean {
    const p = this.modes.get(mode)?.precision
    return p === null || p === undefined || p >= this.minPrecision
  }

  /** Modes muted by `alerts`, with their test precision. */
  muted(): { mode: string; precision: number }[] {
    return [...this.modes].flatMap(([mode, m]) => (m.precision !== null && m.precision < this.minPrecision ? [{ mode, precision: m.precision }] : []))
  }

  /** The evaluation's median lead time for `mode`, ms; null when it measured none. */
  leadMs(mode: string): number | null {
    return this.modes.get(mode)?.leadMs ?? null
  }
}
