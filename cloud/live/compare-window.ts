import type { ClickHouseClient } from '@clickhouse/client'
import type { ModelComparison } from '../../dashboards/index.js'
import { readFeatureWindow, type DriftColumnValues } from '../drift/index.js'
import { FeatureStore } from '../features/index.js'
import { ChampionScorer, UnknownModelError } from '../inference/index.js'
import { DEFAULT_HORIZON_MS, labelPoints, readGroundTruth, type LabelPoint, type ModelRegistry } from '../models/index.js'
import { compareModels, type ScoredWindow } from './compare.js'

const H = 3_600_000

/** A window already read with readFeatureWindow (same from, to and everyMs), reused when it has every column. */
export interface ReadWindow {
  table: Record<string, DriftColumnValues>
  times: readonly number[]
  /** The ids it was read for. */
  ids: readonly string[]
}

export interface WindowComparisonOptions {
  client: ClickHouseClient
  registry: ModelRegistry
  /** The window (from, to], ms since the epoch. */
  from: number
  to: number
  /** Each tap sampled every this long, ending at `to`. Default: 6 h (as the drift check). */
  everyMs?: number
  /** Registered model. Default: 'maintenance'. */
  model?: string
  /** Where the point-in-time features come from. Default: a writable store on `client` whose clock is at least `to`. */
  store?: FeatureStore
  /** The taps. Default: the window's, else every device id of the feature store. */
  ids?: readonly string[]
  /** The window's features, when the caller has them already (the drift check reads the same window). */
  window?: ReadWindow
  /** Entity rows per feature retrieval (keep it small through a read-only SQL port). Default: 50,000. */
  batch?: number
}

/**
 * `<model>@champion` and `<model>@challenger` (when there is one, other than the champion) scored on the same window
 * of point-in-time device features, labelled from tapflow.ground_truth with the training's rule (labels.ts) and the
 * champion's training horizon. Rows near `to` look past it: they carry what ground truth holds so far. Undefined
 * when there is no champion.
 */
export async function compareOnWindow(o: WindowComparisonOptions): Promise<ModelComparison | undefined> {
  const model = o.model ?? 'maintenance'
  const everyMs = o.everyMs ?? 6 * H
  const open = async (alias: string): Promise<ChampionScorer | undefined> => {
    try {
      return await ChampionScorer.open({ registry: o.registry, model, alias })
    } catch (err) {
      if (err instanceof UnknownModelError) return undefined
      throw err
    }
  }
  const champion = await open('champion')
  if (champion === undefined) return undefined
  let challenger: ChampionScorer | undefined
  try {
    challenger = await open('challenger')
    if (challenger?.info().version === champion.info().version) {
      await challenger.close()
      challenger = undefined
    }
    const scorers = [champion, ...(challenger === undefined ? [] : [challenger])]
    const params = (await o.registry.getVersion(`${model}@${champion.info().version}`)).params
    const horizonMs = typeof params.horizonHours === 'number' && params.horizonHours > 0 ? params.horizonHours * H : DEFAULT_HORIZON_MS

    const store = o.store ?? new FeatureStore({ clickhouse: o.client, writable: true, clock: { now: () => Math.max(Date.now(), o.to) } })
    const ids = o.window?.ids ?? o.ids ?? (await store.entityIds('device'))
    const names = [...new Set(scorers.flatMap((s) => s.info().features))]
    const window = o.window !== undefined && names.every((n) => n in o.window!.table)
      ? o.window
      : await readFeatureWindow({ store, ids, from: o.from, to: o.to, everyMs, features: names, batch: o.batch })
    const times = window.times
    const rows = ids.length * times.length
    const points: LabelPoint[] = Array.from({ length: rows }, (_, i) => ({ entity: ids[Math.floor(i / times.length)]!, ts: times[i % times.length]! }))
    const modes = [...new Set(scorers.flatMap((s) => s.info().modes))]
    // Every record that can label a row: recorded before the last row's horizon ends.
    const labels = labelPoints(await readGroundTruth(o.client, 0, o.to + horizonMs + 1), points, { horizonMs, modes })
    const scored = await Promise.all(scorers.map(async (s): Promise<ScoredWindow> => {
      const info = s.info()
      return { ref: `${info.model}@${info.version}`, version: info.version, thresholds: info.thresholds, scores: await s.scoreRows(matrix(window.table, info.features, rows), rows) }
    }))
    return compareModels({ window: { from: o.from, to: o.to, everyMs }, rows, entities: ids.length, horizonMs, labels, champion: scored[0]!, challenger: scored[1] })
  } finally {
    await challenger?.close()
    await champion.close()
  }
}

/** Columns → a model's row-major input in its feature order; a missing or non-numeric value is NaN (missing, as trained). */
function matrix(table: ReadWindow['table'], features: readonly string[], rows: number): Float32Array {
  const cols = features.length
  const x = new Float32Array(rows * cols).fill(Number.NaN)
  features.forEach((f, c) => {
    const col = table[f]
    if (!(col instanceof Float64Array)) return
    for (let r = 0; r < rows; r++) x[r * cols + c] = col[r]!
  })
  return x
}
