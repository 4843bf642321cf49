import type { Queryable } from '../db/database.js'
import { addDays } from './dates.js'
import { DayContext } from './context.js'
import { createCustomer } from './entities.js'
import { tapCount } from './names.js'
import { runMarketing, runSales } from './sales.js'
import { runTrials, runLifecycle, driftEngagement } from './lifecycle.js'
import { runSupport } from './support.js'
import { runHealth } from './health.js'
import { decommissionAccount } from './installs.js'
import { runUsage } from './usage.js'
import { runBilling } from './billing.js'
import { runCosts, INITIAL_TEAMS } from './costs.js'
import type { World } from './world.js'
import type { SimState } from './state.js'
import type { DeviceFailureSource } from './failures.js'

export interface DayResult {
  day: string
  /** The world as the day left it: the next day can start from it once this day has committed (`nextWorld`). */
  world: World
  rowsWritten: number
  events: number
  failures: number
}

/** A day simulated in memory, its rows not yet written. */
export interface ComputedDay {
  day: string
  /** The state's lastDay the day was computed from. */
  after: string | null
  ctx: DayContext
  events: number
  failures: number
}

/**
 * The day's simulation, without writing anything: `world` (as the previous day left it) is mutated, and the rows go
 * to the returned day's batch. Reads nothing but `world` and the source, so it can run ahead of the previous day's
 * pipelines.
 */
export async function computeDay(state: SimState, day: string, source: DeviceFailureSource, world: World): Promise<ComputedDay> {
  const ctx = new DayContext(day, state.seed, state.config, { ...state.counters }, world)
  ctx.daySource = source.sourceOf?.(day) ?? 'simulated_daily'
  ctx.batch.insert('sim_days', [day, ctx.daySource])
  if (state.lastDay === null) bootstrap(ctx)
  runMarketing(ctx)
  runSales(ctx)
  runTrials(ctx)
  driftEngagement(ctx)
  const failures = await runSupport(ctx, source)
  await runHealth(ctx, source, failures)
  const events = runUsage(ctx)
  runLifecycle(ctx)
  runBilling(ctx)
  runCosts(ctx)
  persistEntities(ctx)
  return { day, after: state.lastDay, ctx, events, failures: failures.length }
}

/** Write a computed day inside the caller's transaction; `state` (at the day it was computed from) moves on to it. */
export async function writeDay(c: Queryable, state: SimState, d: ComputedDay): Promise<DayResult> {
  if (state.lastDay !== d.after) throw new Error(`${d.day} was simulated after ${d.after ?? 'nothing'}, but the state is at ${state.lastDay ?? 'nothing'}`)
  const { ctx, day } = d
  const rowsWritten = await ctx.batch.flush(c)
  // Taps leave service with their account (churn by any route) or by contraction: never counted as faults again.
  if (ctx.decommissioned.length > 0) await c.query('UPDATE devices SET decommissioned_day = $1 WHERE device_id = ANY($2)', [day, ctx.decommissioned])
  state.counters = ctx.counters
  state.lastDay = day
  return { day, world: ctx.world, rowsWritten, events: d.events, failures: d.failures }
}

/** The book of business that exists before the first simulated day. */
function bootstrap(ctx: DayContext): void {
  const rng = ctx.rng('bootstrap')
  for (const t of INITIAL_TEAMS) {
    ctx.batch.insert('teams', [t.id, t.name, t.fn, t.headcount, t.salaryPerHeadCents])
    ctx.world.teams.push({ ...t })
  }
  for (let i = 0; i < ctx.cfg.initialCustomers; i++) {
    createCustomer(ctx, {
      channel: rng.pick(['organic', 'referral', 'google_ads', 'trade_show']), campaignId: null, taps: tapCount(rng),
      createdDay: addDays(ctx.day, -rng.int(30, 720)), status: 'active',
    })
  }
}

/** Write back mutable entity state touched during the day. */
function persistEntities(ctx: DayContext): void {
  const acc: unknown[][] = []
  const subs: unknown[][] = []
  const venues: unknown[][] = []
  for (const a of ctx.world.accounts) {
    if (a.churnedDay === ctx.day) decommissionAccount(ctx, a)
    acc.push([a.id, a.status, a.churnedDay, a.engagement, a.usageScore, a.adoption, a.failureScore, a.health, a.usageRatio, a.downtimeScore])
    const s = a.sub
    if (s?.dirty) subs.push([s.id, s.tier, s.licences, s.mrrCents, s.status, s.billingAnchor, s.contractStart, s.contractValueCents, s.status === 'canceled' ? ctx.day : null])
    for (const v of a.venues) if (v.dirty) venues.push([v.id, v.taps, v.nextLine, v.devices.join(',')])
  }
  ctx.batch.update('accounts', ['account_id', 'text'], [['status', 'text'], ['churned_day', 'date'], ['engagement', 'float8'], ['usage_score', 'float8'], ['adoption', 'float8'], ['failure_score', 'float8'], ['health', 'float8'], ['usage_ratio', 'float8'], ['downtime_score', 'float8']], acc)
  ctx.batch.update('subscriptions', ['subscription_id', 'text'], [['tier', 'text'], ['licences', 'int4'], ['mrr_cents', 'int8'], ['status', 'text'], ['billing_anchor', 'int4'], ['contract_start', 'date'], ['contract_value_cents', 'int8'], ['canceled_day', 'date']], subs)
  ctx.batch.update('venues', ['venue_id', 'text'], [['taps', 'int4'], ['next_line', 'int4'], ['live_devices', 'text']], venues)
}
