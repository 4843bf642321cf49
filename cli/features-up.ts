import { join } from 'node:path'
import { errorMessage, type Clock, type Logger } from '../common/index.js'
import { FeatureServer, FeatureStore, LmdbOnlineStore, type MaterializeResult } from '../cloud/index.js'
import type { CurrentFeature, FeatureSource, FeatureViewState } from '../dashboards/index.js'
import { readStackInfo, writeStackInfo } from './stack-file.js'
import type { GatewayStack } from './stack.js'

/** How often the schedule looks at the simulated clock, real ms. */
const WATCH_MS = 1_000

export interface FeaturesUpOptions {
  stack: GatewayStack
  /** The stack's clock (simulated): materialization instants and freshness are in its time. */
  clock: Clock
  dataDir: string
  /** postgres:// login that reads the business, for customer features. Default: none (those are skipped). */
  businessUrl?: string
  /** Simulated ms between materializations; 0: only after each closed business day. Required. */
  everyMs: number
  /** FeatureService bind address and port (0: a free one). Required. */
  host: string
  port: number
  /** Least real time between two scheduled runs (and before the first): at --speed max simulated hours fly by. Default: 15 s. */
  minGapRealMs?: number
  /** Most real time between two scheduled runs: at --speed 1 a simulated hour is an hour, and values should not wait for it. Default: 60 s. */
  maxGapRealMs?: number
  logger: Logger
}

export interface FeaturesUp {
  /** host:port of FeatureService. */
  readonly url: string
  /** The store itself: online reads against the simulated clock (the inference service). */
  readonly store: FeatureStore
  /** For the dashboard: current values and materialization lag. */
  readonly source: FeatureSource
  /** Materialize now, after what is in flight (the day-closed hook; awaitable). */
  materialize(reason: string): Promise<void>
  close(): Promise<void>
}

/**
 * The feature store inside `tapflow up`: the embedded LMDB online store under <data-dir>/online, materialized after
 * each simulated day's DAG and every `everyMs` of simulated time, and served over gRPC (FeatureService) with the
 * stack's simulated clock, so `tapflow features get` shows values as fresh as the simulation, not the wall clock.
 */
export async function startFeatures(o: FeaturesUpOptions): Promise<FeaturesUp> {
  const log = o.logger.child({ component: 'features' })
  const online = new LmdbOnlineStore({ path: join(o.dataDir, 'online') })
  const store = new FeatureStore({ clickhouse: o.stack.clickhouse.client, online, clock: o.clock, businessUrl: o.businessUrl })
  const server = new FeatureServer({ store, auth: o.stack.authority, host: o.host, port: o.port, logger: log })
  try {
    await server.listen()
  } catch (err) {
    await online.close()
    throw err
  }
  const info = readStackInfo(o.dataDir)
  if (info !== undefined) writeStackInfo(o.dataDir, { ...info, featuresUrl: server.address })

  const last = new Map<string, MaterializeResult>()
  let lane: Promise<void> = Promise.resolve()
  let running = false
  let closed = false
  // The first run waits as a scheduled one would: the fleet's sessions connecting at start-up need the CPU more.
  let lastRealStart = performance.now()
  let next = o.everyMs > 0 ? o.clock.now() : Infinity
  const minGap = o.minGapRealMs ?? 15_000
  const maxGap = o.maxGapRealMs ?? 60_000

  const run = async (reason: string): Promise<void> => {
    if (closed) return
    running = true
    lastRealStart = performance.now()
    try {
      // Everything the gateway holds goes to ClickHouse first: the vector is as of the clock, not of the last batch.
      await o.stack.gateway.flush()
      const at = o.clock.now()
      const res = await store.materialize({ at })
      for (const r of res) last.set(r.entity, r)
      log.info({ reason, at: new Date(at).toISOString(), entities: Object.fromEntries(res.map((r) => [r.entity, r.entities])), ms: res.reduce((n, r) => n + r.ms, 0) }, 'features materialized')
    } catch (err) {
      log.error({ reason, err: errorMessage(err) }, 'feature materialization failed; retried at the next trigger')
    } finally {
      running = false
    }
  }
  const materialize = (reason: string): Promise<void> => (lane = lane.then(() => run(reason)))

  const timer = setInterval(() => {
    const now = o.clock.now()
    const since = performance.now() - lastRealStart
    if (running || since < minGap || (now < next && (o.everyMs <= 0 || since < maxGap))) return
    next = now + o.everyMs
    void materialize('schedule')
  }, WATCH_MS)

  const registry = store.registry
  const source: FeatureSource = {
    now: () => o.clock.now(),
    everyMs: o.everyMs > 0 ? o.everyMs : null,
    async current(entity, id) {
      const feats = registry.list(entity)
      const [row] = await store.getOnlineFeatures({ entity, ids: [id], features: feats.map((f) => f.name) })
      return feats.map((f): CurrentFeature => {
        const v = row?.features[f.name] ?? { value: null, eventTs: null, status: 'missing' as const }
        return { name: f.name, view: f.view, type: f.type, description: f.description, value: v.value, eventTs: v.eventTs, status: v.status }
      })
    },
    views: () => registry.views.map((v): FeatureViewState => {
      const r = last.get(v.entity)
      const skipped = store.canRead(v) ? undefined : 'reads the business (PostgreSQL), which this stack does not run'
      return {
        name: v.name, entity: v.entity, source: v.source, ttlMs: v.ttlMs, features: v.features.length,
        materializedAt: r === undefined || skipped !== undefined ? null : r.at, newestEvent: r?.newestEvent[v.name] ?? null,
        entities: r?.entities ?? 0, tookMs: r?.ms ?? null, ...(skipped === undefined ? {} : { skipped }),
      }
    }),
  }

  return {
    url: server.address,
    store,
    source,
    materialize,
    async close() {
      closed = true
      clearInterval(timer)
      await lane
      await server.close()
      await online.close()
    },
  }
}
