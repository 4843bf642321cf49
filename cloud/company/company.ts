import type { ClickHouseClient } from '@clickhouse/client'
import { silentLogger, type Clock, type Logger } from '../../common/index.js'
import type { RosterVenue } from '../../firmware-sim/index.js'
import { openBusiness, type Business } from '../business/service.js'
import { ensureReader } from '../business/db/reader.js'
import { addDays, daysBetween, msToDay } from '../business/sim/dates.js'
import type { RunSummary } from '../business/scheduler/daily.js'
import type { SimConfig } from '../business/sim/config.js'
import { WebsiteEvents } from '../analytics/index.js'
import { TelemetrySource } from './telemetry-source.js'
import { readRoster, rosterChange, type RosterChange } from './roster.js'
import { openProactiveTicket, type ProactiveTicketRequest, type TicketOutcome } from '../live/index.js'

/** Mean taps per customer of the business's tap-count model (lognormal around 9, clamped to 2..60). */
export const TAPS_PER_CUSTOMER = 10.5
/** The default business's customer book and signups, which `devices` scales. */
const DEFAULT_CUSTOMERS = 400
const DEFAULT_SIGNUPS = 1.5

export interface CompanyOptions {
  /**
   * ClickHouse holding the fleet's telemetry, or a promise of it (PostgreSQL and the history start while ClickHouse
   * opens; it is first read on the fleet's first closed day). Default: none, and every day comes from the daily model.
   */
  clickhouse?: ClickHouseClient | Promise<ClickHouseClient>
  /** Data directory; the embedded PostgreSQL cluster lives in `<dataDir>/postgres`. Default: './data'. */
  dataDir?: string
  /** PostgreSQL server instead of the embedded one. Default: embedded. */
  databaseUrl?: string
  /** Seed of the business and the fleet: one roster. Default: 42. */
  seed?: number
  /** Taps the customer book should have: scales a new business's customers and signups. Default: 2000. */
  devices?: number
  /** When the fleet starts, simulated ms since the epoch. Its UTC day is the first measured day. */
  startMs: number
  /** Days of history a new business gets before the fleet starts, simulated at daily granularity. Default: 90. */
  historyDays?: number
  /** Business volume overrides (e.g. signupsPerDay), applied after the `devices` scaling. Default: none. */
  sim?: Partial<SimConfig>
  /**
   * With `clickhouse`: each day's engagement step emits the simulated website visitors into `tapflow.product_events`
   * and counts that day's website events (real ones too). Default: false.
   */
  websiteEvents?: boolean
  /** Called before a measured day is read (flush the gateway). Default: none. */
  beforeRead?: () => Promise<void>
  logger?: Logger
  clock?: Clock
}

/** The background history backfill, for the dashboard banner. */
export interface BackfillStatus {
  /** 'none': nothing to backfill (no history, or a reused data dir whose history pipelines all ran). */
  state: 'none' | 'running' | 'done'
  daysDone: number
  daysTotal: number
}

/** TapFlow as one company: the business in PostgreSQL whose installed base is the running fleet. */
export interface Company extends AsyncDisposable {
  readonly business: Business
  /** The fleet's first (partly) measured day. */
  readonly startDay: string
  /** Days still to simulate before the fleet's start day. */
  historyPending(): Promise<number>
  /**
   * Simulate the days before the fleet starts (daily model), reusing whatever the data dir already holds. Only the
   * simulate step runs here, since it fixes the roster; `backfillHistory` computes the pipelines afterwards.
   */
  runHistory(progress?: boolean | 'auto'): Promise<RunSummary>
  /**
   * Pipelines and checks for the history days simulated without them (by `runHistory`, now or in an earlier run that
   * stopped mid-backfill); meant to run in the background.
   */
  backfillHistory(onDay?: (day: string, left: number) => void): Promise<void>
  /** Where `backfillHistory` is: running or done, days done of total. */
  backfillStatus(): BackfillStatus
  /** Live accounts' venues and taps: the fleet to run. */
  roster(): Promise<RosterVenue[]>
  /** A postgres:// URL with a SELECT-only, read-only login, for `tapflow business sql` against the running stack. */
  readerUrl(): Promise<string>
  /**
   * The DAG for a day that has ended: reads its telemetry, writes the business day, and returns what changed in the
   * installed base. Undefined when that day was simulated before (the data dir ran ahead of this fleet).
   */
  closeDay(day: string): Promise<RosterChange | undefined>
  /** A model's alert → a proactive maintenance ticket for the tap's account, in the DAG's lane (cloud/live/tickets.ts). */
  openProactiveTicket(t: ProactiveTicketRequest): Promise<TicketOutcome | undefined>
  close(): Promise<void>
}

export async function openCompany(o: CompanyOptions): Promise<Company> {
  const log = (o.logger ?? silentLogger).child({ component: 'company' })
  const startDay = msToDay(o.startMs)
  const historyDays = o.historyDays ?? 90
  const customers = Math.max(1, Math.round((o.devices ?? 2000) / TAPS_PER_CUSTOMER))
  const website = o.websiteEvents === true && o.clickhouse !== undefined ? new WebsiteEvents({ client: o.clickhouse, logger: o.logger }) : undefined
  const business = await openBusiness({
    dataDir: o.dataDir, databaseUrl: o.databaseUrl, seed: o.seed ?? 42, startDateIfNew: addDays(startDay, -historyDays),
    sim: { initialCustomers: customers, signupsPerDay: (DEFAULT_SIGNUPS * customers) / DEFAULT_CUSTOMERS, ...o.sim },
    failureSource: (dailyModel) => {
      const client = o.clickhouse
      return client === undefined ? dailyModel : new TelemetrySource({ client, seed: o.seed ?? 42, fromMs: o.startMs, fallback: dailyModel, beforeRead: o.beforeRead })
    },
    engagementEvents: website, logger: o.logger, clock: o.clock,
  })
  await business.db.query('UPDATE sim_state SET telemetry_from = coalesce(telemetry_from, $1) WHERE id = 1', [startDay])
  const nextDay = async (): Promise<string> => {
    const s = await business.state()
    return s.lastDay === null ? s.startDate : addDays(s.lastDay, 1)
  }
  // Background backfill and the midnight DAG share one lane: pipelines of two days never race each other.
  let lane: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(new Error('company is closing'))
    const run = lane.then(fn, fn)
    lane = run.catch(() => undefined)
    return run
  }
  // Days whose pipelines are owed, from the database: a restart mid-backfill resumes where the last one stopped.
  let owed = await business.pendingBackfill()
  const status: BackfillStatus = { state: owed.length === 0 ? 'none' : 'running', daysDone: 0, daysTotal: owed.length }
  let closing = false
  const close = async (): Promise<void> => {
    closing = true
    await lane
    await website?.close()
    await business.close()
  }
  return {
    business,
    startDay,
    historyPending: async () => Math.max(0, daysBetween(await nextDay(), startDay)),
    runHistory: async (progress = 'auto') => {
      const days = Math.max(0, daysBetween(await nextDay(), startDay))
      const s = await business.run({ days, progress, simulateOnly: true })
      owed = await business.pendingBackfill()
      if (owed.length > 0) Object.assign(status, { state: 'running', daysDone: 0, daysTotal: owed.length })
      log.info({ days: s.days, from: s.firstDay, to: s.lastDay, pipelinesOwed: owed.length }, 'history simulated at daily granularity')
      return s
    },
    backfillHistory: async (onDay) => {
      const days = owed
      owed = []
      for (const [i, day] of days.entries()) {
        if (closing) break
        await exclusive(() => business.backfill({ from: day, to: day, progress: false }))
        status.daysDone += 1
        onDay?.(day, days.length - 1 - i)
      }
      if (!closing && days.length > 0) status.state = 'done'
    },
    backfillStatus: () => ({ ...status }),
    roster: () => business.db.tx((c) => readRoster(c)),
    readerUrl: () => ensureReader(business.db, business.db.displayUrl),
    closeDay: (day) => exclusive(async () => {
      const next = await nextDay()
      if (day < next) return undefined
      if (day !== next) await business.run({ days: daysBetween(next, day), progress: false })
      const t0 = performance.now()
      const s = await business.run({ days: 1, progress: false })
      const change = await business.db.tx((c) => rosterChange(c, day))
      log.info({ day, ms: Math.round(performance.now() - t0), failedSteps: s.failedDays.length, installed: change.installed.length, decommissioned: change.decommissioned.length }, 'business day closed')
      return change
    }),
    openProactiveTicket: (t) => exclusive(() => business.db.tx((c) => openProactiveTicket(c, t))),
    close,
    [Symbol.asyncDispose]: close,
  }
}
