import { addMonthsToDay, dayOfMonth, daysBetween } from './dates.js'
import type { DayContext } from './context.js'
import type { Account } from './world.js'
import { installTaps, removeTaps } from './installs.js'

/** Baseline daily churn hazard for a healthy paying account (≈1%/month). */
const BASE_CHURN = 0.00012

/** Trials that end today convert (more often when the venue used the product) or expire. */
export function runTrials(ctx: DayContext): void {
  const rng = ctx.rng('trials')
  const done: unknown[][] = []
  for (const t of ctx.world.trialsEnding) {
    const a = ctx.world.byId.get(t.accountId)
    if (!a?.sub || a.status !== 'trial') continue
    const converts = rng.chance(0.35 + 0.7 * a.usageScore)
    if (converts) {
      ctx.setStatus(a, 'active', 'Trial Conversion')
      ctx.convertedToday.add(a.id)
      a.sub.status = 'active'
      a.sub.billingAnchor = Math.min(28, dayOfMonth(ctx.day))
      a.sub.contractStart = ctx.day
      ctx.changeLicences(a, a.sub.licences, 'new')
      a.sub.contractValueCents = a.sub.mrrCents * 12
    } else {
      ctx.setStatus(a, 'churned', 'Trial Expired')
      a.sub.status = 'canceled'
      a.sub.dirty = true
    }
    done.push([t.trialId, converts ? 'converted' : 'expired', ctx.day])
  }
  ctx.batch.update('trials', ['trial_id', 'text'], [['outcome', 'text'], ['outcome_day', 'date']], done)
}

/** Daily churn hazard: low usage, unresolved tickets, failing kit and poor health (downtime, idle taps) all raise it. */
export function churnHazard(a: Account, day: string): number {
  const lowUsage = Math.max(0, 0.4 - a.usageScore) / 0.4
  const staleTicket = a.oldestOpenTicket !== null && daysBetween(a.oldestOpenTicket, day) > 7 ? 1 : 0
  return BASE_CHURN * (0.4 + 6 * lowUsage) * (1 + 0.8 * a.openTickets + 3 * staleTicket) * (1 + 1.5 * Math.min(3, a.failureScore)) * (1 + 2 * (1 - a.health))
}

/** Daily chance of adding taps: adoption beyond the basics, usage, and a healthy installed base. */
export function expansionOdds(a: Account): number {
  return 0.02 * Math.max(0, a.adoption - 0.2) * (0.5 + a.usageScore) * (0.25 + 0.75 * a.health)
}

/** Voluntary churn, expansion (adoption), contraction (low usage) and yearly renewals. */
export function runLifecycle(ctx: DayContext): void {
  const rng = ctx.rng('lifecycle')
  for (const a of ctx.world.accounts) {
    const sub = a.sub
    if (a.status !== 'active' || !sub || sub.status !== 'active' || a.createdDay === ctx.day) continue
    if (rng.chance(churnHazard(a, ctx.day))) {
      ctx.changeLicences(a, 0, 'churn')
      ctx.setStatus(a, 'churned', a.openTickets > 0 ? 'Unresolved Issues' : a.usageScore < 0.25 ? 'Low Usage' : 'Budget')
      sub.status = 'canceled'
      sub.dirty = true
      continue
    }
    // Adoption beyond the basics brings more taps: a bigger bar, or a new venue.
    if (rng.chance(expansionOdds(a))) {
      const add = rng.int(2, 6)
      const v = a.venues[rng.int(0, a.venues.length - 1)]
      if (v) installTaps(ctx, a, v, add)
      ctx.changeLicences(a, sub.licences + add, 'expansion')
    } else if (sub.licences > 2 && rng.chance(0.0015 * Math.max(0, 0.3 - a.usageScore) / 0.3)) {
      const remove = Math.min(sub.licences - 1, rng.int(1, 3))
      const v = a.venues.find((x) => x.taps > remove)
      if (v) {
        removeTaps(ctx, v, remove)
        ctx.changeLicences(a, sub.licences - remove, 'contraction')
      }
    }
    if (addMonthsToDay(sub.contractStart, 12) === ctx.day) {
      const next = sub.mrrCents * 12
      const prev = sub.contractValueCents
      const type = next > prev ? 'Expansion' : next < prev ? 'Contraction' : 'Flat'
      ctx.batch.insert('renewals', [ctx.nextId('renewal'), a.id, ctx.day, prev, next, type, 12])
      sub.contractStart = ctx.day
      sub.contractValueCents = next
      sub.dirty = true
    }
  }
}

/** Engagement drifts slowly; open tickets wear it down. */
export function driftEngagement(ctx: DayContext): void {
  const rng = ctx.rng('drift')
  for (const a of ctx.world.accounts) {
    if (a.status === 'churned') continue
    const drift = rng.normal(0, 0.012) - (a.openTickets > 0 ? 0.004 : 0) + (0.55 - a.engagement) * 0.002
    a.engagement = Math.min(0.98, Math.max(0.02, a.engagement + drift))
  }
}
