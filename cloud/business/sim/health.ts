import type { DayContext } from './context.js'
import type { DeviceFailure, DeviceFailureSource } from './failures.js'
import { churnHazard, expansionOdds } from './lifecycle.js'
import { liveVenues } from './support.js'
import { weekday } from './dates.js'

const MINUTES_PER_DAY = 1440

/**
 * Venue usage and account health from the day's device data: pours against what the taps should pour (low
 * usage), tap-time lost to downtime and open tickets. Health then moves churn and expansion odds.
 */
export async function runHealth(ctx: DayContext, source: DeviceFailureSource, failures: readonly DeviceFailure[]): Promise<void> {
  if (source.venueDaysOn === undefined) return
  const venues = liveVenues(ctx)
  const days = await source.venueDaysOn(ctx.day, venues, failures)
  const byVenue = new Map(days.map((d) => [d.venueId, d]))
  const perAccount = new Map<string, { pours: number; expected: number; down: number; tapMinutes: number }>()
  for (const v of venues) {
    const d = byVenue.get(v.venueId)
    if (d === undefined) continue
    ctx.batch.insert('venue_days', [v.venueId, ctx.day, v.accountId, v.deviceIds.length, d.pours, d.litres, d.revenueCents, d.expectedPours, d.downtimeMinutes, ctx.daySource])
    const acc = perAccount.get(v.accountId) ?? { pours: 0, expected: 0, down: 0, tapMinutes: 0 }
    acc.pours += d.pours
    acc.expected += d.expectedPours
    acc.down += d.downtimeMinutes
    acc.tapMinutes += v.deviceIds.length * MINUTES_PER_DAY
    perAccount.set(v.accountId, acc)
  }
  // Health moves daily in the model (and on the account row), but history keeps a weekly snapshot (Sundays) on
  // simulated-daily days, which keeps `business run --days 365` for 1,000 customers inside its 60 s budget.
  const snapshot = ctx.daySource === 'measured' || weekday(ctx.day) === 0
  for (const a of ctx.world.accounts) {
    const u = perAccount.get(a.id)
    if (a.status === 'churned' || u === undefined) continue
    if (u.expected > 0) a.usageRatio = 0.85 * a.usageRatio + 0.15 * Math.min(1.5, u.pours / u.expected)
    a.downtimeScore = 0.8 * a.downtimeScore + 0.2 * (u.tapMinutes > 0 ? u.down / u.tapMinutes : 0)
    a.health = accountHealth(a.usageRatio, a.downtimeScore, a.openTickets)
    if (snapshot) ctx.batch.insert('account_health', [a.id, ctx.day, a.health, a.usageRatio, u.down, a.openTickets, churnHazard(a, ctx.day), expansionOdds(a), ctx.daySource])
  }
}

/** 1 = healthy. Pouring less than the taps should, downtime and open tickets all pull it down. */
export function accountHealth(usageRatio: number, downtimeShare: number, openTickets: number): number {
  const h = 1 - 0.6 * Math.max(0, 0.9 - usageRatio) - 4 * downtimeShare - 0.08 * openTickets
  return Math.min(1, Math.max(0, h))
}
