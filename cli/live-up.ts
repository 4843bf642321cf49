import { join } from 'node:path'
import { errorMessage, type Clock, type Logger } from '../common/index.js'
import {
  ChampionExplainer, ChampionScorer, LiveScoring, MIN_ALERT_PRECISION, ModelNotFoundError, ModelRegistry, UnknownModelError, readAlerts, readLiveReport,
  type Company, type ModelVersion, type OnlineFeatureReader, type RoundSummary,
} from '../cloud/index.js'
import type { ModelCard, ModelsSource, ModelsState } from '../dashboards/index.js'
import type { GatewayStack } from './stack.js'

/** How often the schedule looks at the simulated clock, real ms. */
const WATCH_MS = 1_000
const MODEL = 'maintenance'

export interface LiveUpOptions {
  stack: GatewayStack
  clock: Clock
  dataDir: string
  company: Company
  /** The feature store's online side (features-up): what the champion scores. */
  online: OnlineFeatureReader
  /** Simulated ms between scoring rounds. Default: 1 h. */
  everyMs?: number
  /** Least real time between two scheduled rounds: at --speed max simulated hours fly by. Default: 5 s. */
  minGapRealMs?: number
  /**
   * Most real time between two rounds: at --speed 1 a simulated hour is a real one, and the online features move
   * every real minute (features-up). Default: 60 s.
   */
  maxGapRealMs?: number
  /** What is being done about a missing champion (the background training's progress), for the Models view. Default: none. */
  waiting?: () => string | undefined
  logger: Logger
}

export interface LiveUp {
  /** For the dashboard's Models view. */
  readonly source: ModelsSource
  /** One line for the start banner. */
  banner(): string
  /** Score now (after the round in flight); undefined when there is no champion. */
  round(reason: string): Promise<RoundSummary | undefined>
  /** After each business day: pick up a new champion (promoted, or trained by up), then score. */
  dayClosed(): Promise<void>
  close(): Promise<void>
}

/**
 * Live scoring inside `tapflow up`: the registry's maintenance champion (cloud/inference's ChampionScorer over the
 * feature store's online values) scores every live tap every `everyMs` of simulated time; alerts open proactive
 * tickets through the company. Without a champion it says so and looks again each simulated day and each round.
 */
export async function startLive(o: LiveUpOptions): Promise<LiveUp> {
  const log = o.logger.child({ component: 'live' })
  const everyMs = o.everyMs ?? 3_600_000
  const minGap = o.minGapRealMs ?? 5_000
  const maxGap = o.maxGapRealMs ?? 60_000
  const registry = await ModelRegistry.open({ db: o.company.business.db, artifactsDir: join(o.dataDir, 'models') })
  let scorer: ChampionScorer | undefined
  let loop: LiveScoring | undefined
  let note = `no ${MODEL} champion yet: train one with 'tapflow models train' (live scoring starts at the next round)`
  let explainer: ChampionExplainer | undefined
  const explain = async (model: string, version: number): Promise<ChampionExplainer> => {
    if (explainer?.model !== model || explainer.version !== version) explainer = await ChampionExplainer.load(registry, `${model}@${version}`)
    return explainer
  }

  /** Open the scorer if there is a champion now; reload it if one is open. */
  const attach = async (): Promise<void> => {
    try {
      if (scorer !== undefined) {
        if (!(await scorer.reload())) return
        log.info({ champion: scorer.info().version }, 'new champion: live scoring follows it')
      } else {
        scorer = await ChampionScorer.open({ registry, online: o.online, model: MODEL, logger: o.logger })
        loop = new LiveScoring({ clickhouse: o.stack.clickhouse.client, scorer, explainer: explain, clock: o.clock, logger: o.logger, tickets: (t) => o.company.openProactiveTicket(t) })
        log.info({ champion: scorer.info().version, modes: scorer.info().modes }, 'live scoring started')
      }
      const muted = (await explain(MODEL, scorer.info().version)).muted()
      if (muted.length > 0) log.warn({ muted }, 'modes whose test precision is below the alert floor are scored but raise no alerts')
      note = `${MODEL}@${scorer.info().version} scores every live tap every ${everyMs / 3_600_000} h simulated` +
        (muted.length === 0 ? '' : `; no alerts for ${muted.map((m) => `${m.mode} (test precision ${m.precision.toFixed(2)} < ${MIN_ALERT_PRECISION})`).join(', ')}`)
    } catch (err) {
      if (!(err instanceof UnknownModelError)) log.warn({ err: errorMessage(err) }, 'champion not loaded; live scoring waits')
    }
  }

  let lane: Promise<unknown> = Promise.resolve()
  let closed = false
  let running = false
  let lastRealStart = performance.now()
  let next = o.clock.now() + everyMs
  const round = (reason: string): Promise<RoundSummary | undefined> => {
    const run = lane.then(async () => {
      if (closed) return undefined
      running = true
      lastRealStart = performance.now()
      try {
        await attach()
        if (loop === undefined) return undefined
        await o.stack.gateway.flush()
        return await loop.round()
      } catch (err) {
        log.error({ reason, err: errorMessage(err) }, 'live scoring round failed; retried at the next one')
        return undefined
      } finally {
        running = false
      }
    })
    lane = run
    return run
  }
  await attach()
  const timer = setInterval(() => {
    const now = o.clock.now()
    const sinceReal = performance.now() - lastRealStart
    if (running || sinceReal < minGap || (now < next && sinceReal < maxGap)) return
    next = now + everyMs
    void round('schedule')
  }, WATCH_MS)

  const card = async (alias: string): Promise<ModelCard | null> => {
    let v: ModelVersion
    try {
      v = await registry.getVersion(`${MODEL}@${alias}`)
    } catch (err) {
      if (err instanceof ModelNotFoundError) return null
      throw err
    }
    return { name: v.name, version: v.version, createdAt: v.createdAt.toISOString(), metrics: v.metrics }
  }
  const source: ModelsSource = {
    async state(): Promise<ModelsState> {
      const client = o.stack.clickhouse.client
      const [champion, challenger, report, open] = await Promise.all([card('champion'), card('challenger'), readLiveReport(client), readAlerts(client, 'open')])
      const last = loop?.lastRound()
      return {
        champion, challenger,
        scoring: { state: loop === undefined ? 'no-champion' : 'running', note: (loop === undefined ? o.waiting?.() : undefined) ?? note, everyMs, lastRound: last === undefined ? null : { at: last.at, devices: last.devices, opened: last.opened, resolved: last.resolved, ms: last.ms } },
        live: report === undefined ? null : { asOf: report.asOf, from: report.from, modes: report.modes, total: report.total },
        openAlerts: open.sort((a, b) => b.risk - a.risk).slice(0, 50).map((a) => ({
          deviceId: a.deviceId, mode: a.mode, risk: a.risk, threshold: a.threshold, openedAt: a.openedAt, expectedFailureAt: a.expectedFailureAt, ticketId: a.ticketId, topFeatures: a.topFeatures,
        })),
      }
    },
  }

  return {
    source,
    banner: () => `  live     ${(loop === undefined ? o.waiting?.() : undefined) ?? note}\n           tapflow models live-report\n`,
    round,
    dayClosed: async () => {
      await round('business day closed')
    },
    async close() {
      closed = true
      clearInterval(timer)
      await lane
      await loop?.close()
      await scorer?.close()
      await registry.close()
    },
  }
}
