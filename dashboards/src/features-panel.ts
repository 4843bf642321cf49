import { HttpError, type Params } from './params.js'

/**
 * The feature store's panels: a device's or venue's current feature values with their freshness, and the feature
 * views with their materialization lag (the "Data platform" view). The data comes from whoever runs the feature
 * store (`tapflow up`) through `DashboardServer.setFeatureSource`: dashboards/ does not import cloud/.
 */

export type FeatureFreshness = 'fresh' | 'stale' | 'missing'

export interface CurrentFeature {
  name: string
  view: string
  type: string
  description: string
  value: number | string | null
  /** The source event behind the value (ms), null when none. */
  eventTs: number | null
  status: FeatureFreshness
}

export interface FeatureViewState {
  name: string
  entity: string
  source: string
  ttlMs: number
  features: number
  /** The instant last materialized (ms, the stack's clock), null before the first run. */
  materializedAt: number | null
  /** The newest source event in that materialization (ms), null when none. */
  newestEvent: number | null
  /** Entities written and how long the run took (wall ms). */
  entities: number
  tookMs: number | null
  /** Why the view is not materialized, e.g. customer features from the business when there is none. */
  skipped?: string
}

export interface FeatureSource {
  /** The stack's clock (simulated under `tapflow up`): lags and freshness are against it. */
  now(): number
  current(entity: string, id: string): Promise<CurrentFeature[]>
  views(): FeatureViewState[]
  /** Simulated ms between scheduled materializations; null when only the daily DAG triggers one. */
  everyMs: number | null
}

const ENTITIES = ['device', 'venue', 'customer'] as const

/** `/api/features?entity=device&id=…`: the current values, newest-first views' freshness. */
export async function currentFeatures(src: FeatureSource | undefined, p: Params): Promise<{ now: number; entity: string; id: string; features: CurrentFeature[] }> {
  p.only('entity', 'id')
  const entity = p.oneOf('entity', ENTITIES, 'device')
  const id = p.id('id')
  if (src === undefined) throw new HttpError(404, 'no feature store in this deployment (it runs in tapflow up)')
  return { now: src.now(), entity, id, features: await src.current(entity, id) }
}

/** `/api/features/views`: every feature view with its materialization lag (now − the instant last materialized). */
export function featureViews(src: FeatureSource | undefined, p: Params): { now: number; everyMs: number | null; views: (FeatureViewState & { lagMs: number | null })[] } {
  p.only()
  if (src === undefined) throw new HttpError(404, 'no feature store in this deployment (it runs in tapflow up)')
  const now = src.now()
  return { now, everyMs: src.everyMs, views: src.views().map((v) => ({ ...v, lagMs: v.materializedAt === null ? null : Math.max(0, now - v.materializedAt) })) }
}
