import { errorMessage, type Clock, type Logger } from '../../../common/index.js'
import type { Database } from '../db/database.js'
import { PipelineError } from '../errors.js'
import { addDays, daysBetween } from '../sim/dates.js'
import { computeDay, writeDay, type ComputedDay } from '../sim/day.js'
import { loadWorld, nextWorld, type World } from '../sim/world.js'
import { loadState, saveState, type SimState } from '../sim/state.js'
import type { DeviceFailureSource } from '../sim/failures.js'
import { runProfit } from '../pipelines/profit.js'
import { runGrowth } from '../pipelines/growth.js'
import { runEngagement, type EngagementEventSource } from '../pipelines/engagement.js'
import { runAggregated } from '../pipelines/aggregated.js'
import { runChecks, storeResults } from '../quality/index.js'
import { runDag, type TaskDef, type TaskStatus } from './dag.js'
import { RunHistory, type RunKind } from './history.js'
import { createProgress } from './progress.js'

export interface SchedulerOptions {
  db: Database
  source: DeviceFailureSource
  logger: Logger
  clock: Clock
  /** Attempts per step. Default: 3. */
  maxAttempts?: number
  /** Base retry delay. Default: 50 ms. */
  retryDelayMs?: number
  /** Test hook: called before every attempt; throw to make it fail. Default: none. */
  faultInjector?: (task: string, day: string, attempt: number) => void
  /** Events from outside the simulation that engagement counts too (the website's). Default: none. */
  engagementEvents?: EngagementEventSource
}

export interface RunSummary {
  days: number
  firstDay: string | null
  lastDay: string | null
  failedDays: string[]
  rowsWritten: number
}

interface DayCtx {
  day: string
  rows: number
  /** Simulate only: the day's pipelines are owed, recorded in backfill_pending with the day itself. */
  pipelinesLater: boolean
}

export const DAILY_TASKS = ['simulate', 'profit', 'growth', 'engagement', 'aggregated', 'quality'] as const

/** The daily job as a DAG: simulate → (profit, growth, engagement) → aggregated → quality (which runs regardless). */
export class DailyScheduler {
  private readonly history: RunHistory
  private readonly log: Logger
  private readonly attempts = new Map<string, number>()
  /**
   * The world the last committed simulate step left, kept for the next day of the same run (reading it back each
   * day was a tenth of a year's run). Dropped at the start of every run, since others may write between runs, and
   * whenever a simulate step fails, since the world it mutated never committed.
   */
  private carried: { day: string; world: World } | undefined
  /** The day after the current one, when the run goes on to it: simulated in memory while this day's pipelines run. */
  private nextInRun: string | undefined
  private ahead: Promise<ComputedDay | undefined> | undefined

  constructor(private readonly o: SchedulerOptions) {
    this.history = new RunHistory(o.db)
    this.log = o.logger
  }

  private tasks(): TaskDef<DayCtx>[] {
    const { db } = this.o
    const wrap = (name: string, fn: (x: DayCtx) => Promise<void>) => async (x: DayCtx) => {
      const k = `${name}@${x.day}`
      const n = (this.attempts.get(k) ?? 0) + 1
      this.attempts.set(k, n)
      this.o.faultInjector?.(name, x.day, n)
      await fn(x)
    }
    return [
      { name: 'simulate', deps: [], run: wrap('simulate', async (x) => {
        const ahead = await this.ahead
        this.ahead = undefined
        const { world, state } = await db.tx(async (c) => {
          const st = await loadState(c)
          if (!st) throw new Error('simulation state missing')
          const expected = st.lastDay === null ? st.startDate : addDays(st.lastDay, 1)
          if (expected !== x.day) throw new Error(`cannot simulate ${x.day}: next day is ${expected}`)
          let day = ahead?.day === x.day && ahead.after === st.lastDay ? ahead : undefined
          if (day === undefined) {
            const prev = this.carried
            this.carried = undefined
            const w = prev !== undefined && prev.day === st.lastDay ? await nextWorld(c, prev.world, x.day) : await loadWorld(c, x.day)
            day = await computeDay(st, x.day, this.o.source, w)
          }
          const r = await writeDay(c, st, day)
          await saveState(c, st)
          if (x.pipelinesLater) await c.query('INSERT INTO backfill_pending (day) VALUES ($1) ON CONFLICT DO NOTHING', [x.day])
          x.rows += r.rowsWritten
          return { world: r.world, state: st }
        })
        this.carried = { day: x.day, world }
        if (this.nextInRun !== undefined) this.ahead = this.computeAhead(this.nextInRun, state)
      }) },
      { name: 'profit', deps: ['simulate'], run: wrap('profit', (x) => db.tx((c) => runProfit(c, x.day))) },
      { name: 'growth', deps: ['simulate'], run: wrap('growth', (x) => db.tx((c) => runGrowth(c, x.day))) },
      { name: 'engagement', deps: ['simulate'], run: wrap('engagement', async (x) => { await db.tx((c) => runEngagement(c, x.day, this.o.engagementEvents)) }) },
      { name: 'aggregated', deps: ['profit', 'growth', 'engagement'], run: wrap('aggregated', async (x) => {
        await db.tx(async (c) => {
          const st = await loadState(c)
          await runAggregated(c, x.day, st?.config.initialCashCents ?? 0)
        })
      }) },
      { name: 'quality', deps: ['aggregated'], trigger: 'all_done', run: wrap('quality', async (x) => {
        await db.tx(async (c) => {
          const st = await loadState(c)
          const results = await runChecks(c, { from: x.day, to: x.day, full: false }, st?.startDate ?? x.day)
          await storeResults(c, x.day, results, this.o.clock)
        })
      }) },
    ]
  }

  /**
   * Simulate `day` in memory from the world the committed day before it left, while that day's pipelines run (they
   * never read what the simulation reads, and the rows are only written once they are done). Undefined if there is
   * no such world or it fails: the simulate step then reads the world back and starts over.
   */
  private async computeAhead(day: string, state: SimState): Promise<ComputedDay | undefined> {
    const prev = this.carried
    this.carried = undefined
    if (prev === undefined) return undefined
    try {
      const world = await this.o.db.tx((c) => nextWorld(c, prev.world, day))
      return await computeDay(state, day, this.o.source, world)
    } catch (err) {
      this.log.debug({ day, err: errorMessage(err) }, 'simulating ahead failed; the day starts over')
      return undefined
    }
  }

  /** Run one day's DAG (or only its simulate step), recording history. */
  async runDay(day: string, kind: RunKind, skip: ReadonlySet<string> = new Set(), simulateOnly = false): Promise<{ ok: boolean; statuses: Map<string, TaskStatus>; rows: number }> {
    const runId = await this.history.start(day, kind, this.o.clock.now())
    const ctx: DayCtx = { day, rows: 0, pipelinesLater: simulateOnly }
    const tasks = this.tasks().filter((t) => !simulateOnly || t.name === 'simulate')
    const statuses = await runDag(tasks, ctx, {
      maxAttempts: this.o.maxAttempts, retryDelayMs: this.o.retryDelayMs, alreadyDone: skip, now: () => this.o.clock.now(),
      onAttempt: async (a) => {
        if (a.status === 'failed') this.log.warn({ day, task: a.task, attempt: a.attempt, err: a.error }, 'task attempt failed')
        await this.history.attempt(runId, a)
      },
    })
    const ok = [...statuses.values()].every((s) => s === 'succeeded')
    // Only a backfill runs the pipelines of a day simulated without them (a daily run simulates a new day).
    if (ok && kind === 'backfill') await this.o.db.query('DELETE FROM backfill_pending WHERE day = $1', [day])
    await this.history.finish(runId, ok, this.o.clock.now())
    return { ok, statuses, rows: ctx.rows }
  }

  /**
   * Catch up: finish days left incomplete by an earlier run, then simulate `days` new days. `simulateOnly` leaves the
   * pipelines and checks to a later `backfillRange` (history before the fleet starts, so the fleet starts sooner).
   */
  async run(days: number, progress: boolean | 'auto' = 'auto', simulateOnly = false): Promise<RunSummary> {
    const summary: RunSummary = { days: 0, firstDay: null, lastDay: null, failedDays: [], rowsWritten: 0 }
    this.carried = undefined
    this.ahead = undefined
    this.nextInRun = undefined
    for (const inc of await this.history.incomplete()) {
      if (!inc.done.has('simulate')) continue
      this.log.info({ day: inc.day }, 'resuming incomplete day')
      const r = await this.runDay(inc.day, 'daily', inc.done)
      if (!r.ok) summary.failedDays.push(inc.day)
    }
    const st = await this.o.db.tx((c) => loadState(c))
    if (!st) throw new Error('simulation state missing')
    let day = st.lastDay === null ? st.startDate : addDays(st.lastDay, 1)
    const bar = createProgress(days, progress, 'simulating')
    try {
      for (let i = 0; i < days; i++, day = addDays(day, 1)) {
        this.nextInRun = i + 1 < days ? addDays(day, 1) : undefined
        const r = await this.runDay(day, 'daily', new Set(), simulateOnly)
        summary.rowsWritten += r.rows
        if (r.statuses.get('simulate') !== 'succeeded') throw new PipelineError('simulate', day, 'gave up after retries; state left at the previous day')
        summary.days++
        summary.firstDay ??= day
        summary.lastDay = day
        if (!r.ok) summary.failedDays.push(day)
        bar.tick(day)
      }
    } finally {
      bar.stop()
      // Nothing runs past the run: a day simulated ahead that the run did not reach is dropped.
      this.nextInRun = undefined
      await this.ahead
      this.ahead = undefined
      this.carried = undefined
    }
    return summary
  }

  /** Backfill: recompute pipelines and checks for the last `days` simulated days (the simulation itself is not re-run). */
  async backfill(days: number, progress: boolean | 'auto' = 'auto'): Promise<RunSummary> {
    const st = await this.o.db.tx((c) => loadState(c))
    if (!st?.lastDay) return { days: 0, firstDay: null, lastDay: null, failedDays: [], rowsWritten: 0 }
    const first = addDays(st.lastDay, -(days - 1)) < st.startDate ? st.startDate : addDays(st.lastDay, -(days - 1))
    return this.backfillRange(first, st.lastDay, progress)
  }

  /** Simulated days whose pipelines and checks were left to a backfill that has not run them yet, in order. */
  async pendingBackfill(): Promise<string[]> {
    return (await this.o.db.query<{ day: string }>('SELECT day FROM backfill_pending ORDER BY day')).rows.map((r) => r.day)
  }

  /** Recompute pipelines and checks for the simulated days `from`..`to`, in order. */
  async backfillRange(from: string, to: string, progress: boolean | 'auto' = 'auto'): Promise<RunSummary> {
    const summary: RunSummary = { days: 0, firstDay: null, lastDay: null, failedDays: [], rowsWritten: 0 }
    const bar = createProgress(Math.max(0, daysBetween(from, to) + 1), progress, 'backfilling')
    try {
      for (let day = from; day <= to; day = addDays(day, 1)) {
        const r = await this.runDay(day, 'backfill', new Set(['simulate']))
        summary.days++
        summary.firstDay ??= day
        summary.lastDay = day
        if (!r.ok) summary.failedDays.push(day)
        bar.tick(day)
      }
    } finally {
      bar.stop()
    }
    return summary
  }
}
