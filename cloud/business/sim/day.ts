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
import { loadWorld, type World } from './world.js'
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

/**
 * Simulate one day inside the caller's transaction. Mutates `state` (counters, lastDay) only on success. `world`
 * defaults to reading it (`loadWorld`); a world passed in is mutated, and is unusable if the transaction fails.
 */
export async function simulateDay(c: Queryable, state: SimState, day: string, source: DeviceFailureSource, world?: World): Promise<DayResult> {
  world ??= await loadWorld(c, day)
  const counters = { ...state.counters }
  const ctx = new DayContext(day, state.seed, state.config, counters, world)
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
  const rowsWritten = await ctx.batch.flush(c)
  // Taps leave service with their account (churn by any route) or by contraction: never counted as faults again.
  if (ctx.decommissioned.length > 0) await c.query('UPDATE devices SET decommissioned_day = $1 WHERE device_id = ANY($2)', [day, ctx.decommissioned])
  state.counters = counters
  state.lastDay = day
  return { day, world, rowsWritten, events, failures: failures.length }
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
