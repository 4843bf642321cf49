import { ConfigError, silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import { openDatabase, type Database } from './db/database.js'
import { migrate } from './migrations/index.js'
import { resolveSimConfig, type SimConfig } from './sim/config.js'
import { parseDay } from './sim/dates.js'
import { SimulatedFailureSource, type DeviceFailureSource } from './sim/failures.js'
import { initState, loadState, type SimState } from './sim/state.js'
import { DailyScheduler, type RunSummary } from './scheduler/daily.js'
import { writeReport, type ReportOptions, type ReportResult } from './report/index.js'
import { runChecks, storeResults, type CheckResult } from './quality/index.js'
import type { EngagementEventSource } from './pipelines/engagement.js'

export interface BusinessOptions {
  /** postgres:// URL. Default: undefined → embedded PostgreSQL under `<dataDir>/postgres`. */
  databaseUrl?: string
  /** Data directory. Default: `./data`. */
  dataDir?: string
  /** Simulation seed, fixed when the database is first initialised. Default: the stored seed, else 42. */
  seed?: number
  /** First simulated day, 'YYYY-MM-DD', fixed at initialisation. Default: the stored date, else '2025-01-01'. */
  startDate?: string
  /** First simulated day if the database is new; an existing database keeps its own (unlike `startDate`). Default: none. */
  startDateIfNew?: string
  /** Volumes and injected issues; overrides are stored for later runs. Default: stored config, else DEFAULT_SIM_CONFIG. */
  sim?: Partial<SimConfig>
  /**
   * Where device failures and venue usage come from: a source, or a function of the default daily model (to fall back
   * on it for some days). Default: SimulatedFailureSource seeded like the simulation.
   */
  failureSource?: DeviceFailureSource | ((dailyModel: DeviceFailureSource) => DeviceFailureSource)
  /** Attempts per scheduled step. Default: 3. */
  maxAttempts?: number
  /** Base delay between attempts. Default: 50 ms. */
  retryDelayMs?: number
  /** Test hook: throw from it to fail a step's attempt. Default: none. */
  faultInjector?: (task: string, day: string, attempt: number) => void
  /** Events from outside the simulation that the engagement pipeline counts too (the website's). Default: none. */
  engagementEvents?: EngagementEventSource
  /** Logger; tagged `{component:'business'}`. Default: silent. */
  logger?: Logger
  /** Wall clock for run history and check timestamps. Default: system clock. */
  clock?: Clock
}

/** TapFlow the business, simulated in PostgreSQL: run days, report, check. */
export interface Business extends AsyncDisposable {
  readonly db: Database
  state(): Promise<SimState>
  /**
   * Catch up, then simulate `days` more days (each a DAG run with history). `simulateOnly` runs just the simulate
   * step, leaving pipelines and checks to `backfill` (default: false).
   */
  run(opts: { days: number; progress?: boolean | 'auto'; simulateOnly?: boolean }): Promise<RunSummary>
  /** Days simulated with `simulateOnly` whose pipelines no backfill has run yet (kept across restarts), in order. */
  pendingBackfill(): Promise<string[]>
  /** Recompute pipelines and checks over the last `days` simulated days, or over `from`..`to`. */
  backfill(opts: { days: number; progress?: boolean | 'auto' } | { from: string; to: string; progress?: boolean | 'auto' }): Promise<RunSummary>
  report(opts?: ReportOptions): Promise<ReportResult>
  /** Run every check over all history (as of the last simulated day) and store the results. */
  check(): Promise<CheckResult[]>
  close(): Promise<void>
}

export async function openBusiness(opts: BusinessOptions = {}): Promise<Business> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'business' })
  const clock = opts.clock ?? systemClock
  if (opts.seed !== undefined && (!Number.isSafeInteger(opts.seed) || opts.seed < 0)) throw new ConfigError(`seed must be a non-negative integer, got ${opts.seed}`)
  if (opts.startDate !== undefined) parseDay(opts.startDate, 'start date')
  if (opts.startDateIfNew !== undefined) parseDay(opts.startDateIfNew, 'start date')
  if (opts.maxAttempts !== undefined && (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1)) throw new ConfigError(`maxAttempts must be ≥ 1, got ${opts.maxAttempts}`)
  const overrides = opts.sim ?? {}
  resolveSimConfig(overrides) // validate before starting a server
  const db = await openDatabase({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir, logger })
  let state: SimState
  try {
    await migrate(db, logger)
    state = await db.tx(async (c) => {
      const existing = await loadState(c)
      if (!existing) return initState(c, opts.seed ?? 42, opts.startDate ?? opts.startDateIfNew ?? '2025-01-01', resolveSimConfig(overrides))
      if (opts.seed !== undefined && opts.seed !== existing.seed) {
        throw new ConfigError(`this database was initialised with seed ${existing.seed}; use a fresh --data-dir (or database) for seed ${opts.seed}`)
      }
      if (opts.startDate !== undefined && opts.startDate !== existing.startDate) {
        throw new ConfigError(`this database starts on ${existing.startDate}; use a fresh --data-dir (or database) to start on ${opts.startDate}`)
      }
      const config = resolveSimConfig(overrides, existing.config)
      await c.query('UPDATE sim_state SET config = $1 WHERE id = 1', [config])
      return { ...existing, config }
    })
  } catch (err) {
    await db.close()
    throw err
  }
  const dailyModel = new SimulatedFailureSource({ seed: state.seed, tapFailureRate: state.config.tapFailureRate })
  const source = typeof opts.failureSource === 'function' ? opts.failureSource(dailyModel) : (opts.failureSource ?? dailyModel)
  const scheduler = new DailyScheduler({
    db, logger, clock, maxAttempts: opts.maxAttempts, retryDelayMs: opts.retryDelayMs, faultInjector: opts.faultInjector, source, engagementEvents: opts.engagementEvents,
  })
  const positive = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new ConfigError(`${what} must be an integer in 0..100000, got ${n}`)
    return n
  }
  const close = (): Promise<void> => db.close()
  return {
    db,
    state: async () => {
      const s = await db.tx((c) => loadState(c))
      if (!s) throw new ConfigError('simulation state missing')
      return s
    },
    run: async (o) => {
      const summary = await scheduler.run(positive(o.days, 'days'), o.progress ?? 'auto', o.simulateOnly ?? false)
      logger.info(summary, 'business run finished')
      return summary
    },
    pendingBackfill: () => scheduler.pendingBackfill(),
    backfill: (o) => 'days' in o
      ? scheduler.backfill(positive(o.days, 'backfill days'), o.progress ?? 'auto')
      : scheduler.backfillRange(parseDay(o.from, 'backfill start'), parseDay(o.to, 'backfill end'), o.progress ?? 'auto'),
    report: (o) => writeReport(db, clock, o),
    check: async () => db.tx(async (c) => {
      const s = await loadState(c)
      if (!s?.lastDay) throw new ConfigError('nothing simulated yet: run `tapflow business run --days 90` first')
      const results = await runChecks(c, { from: s.startDate, to: s.lastDay, full: true }, s.startDate)
      await storeResults(c, s.lastDay, results, clock)
      return results
    }),
    close,
    [Symbol.asyncDispose]: close,
  }
}
