import { tsInDay, weekday } from './dates.js'
import type { DayContext } from './context.js'

export const FEATURES = [
  'dashboard', 'pour_tracking', 'temperature_alerts', 'inventory', 'reorder_suggestions',
  'waste_analysis', 'bartender_performance', 'peak_hours', 'pricing_optimizer',
] as const

const HOUR = 3600

/** PostHog-shaped product events for the day's active users; updates usage and adoption scores. */
export function runUsage(ctx: DayContext): number {
  const rng = ctx.rng('usage')
  const late = ctx.rng('inject-late')
  const wk = weekday(ctx.day)
  const dayFactor = wk === 0 || wk === 6 ? 0.75 : 1
  let events = 0
  for (const a of ctx.world.accounts) {
    if (a.status === 'churned' || a.users.length === 0) continue
    let active = 0
    const used = new Set<number>()
    // Breadth of features this account reaches for: engaged accounts explore more.
    const breadth = Math.min(FEATURES.length, Math.max(1, 2 + Math.floor(a.engagement * 7 + rng.normal(0, 1))))
    for (const u of a.users) {
      if (!rng.chance(a.engagement * u.activity * dayFactor * (a.status === 'trial' ? 1.15 : 1))) continue
      active++
      const session = `${u.id}:${ctx.day}`
      let t = Math.min(23.4 * HOUR, Math.max(6 * HOUR, rng.normal(15 * HOUR, 3.5 * HOUR)))
      const venue = a.venues[rng.int(0, a.venues.length - 1)]?.id ?? null
      const n = 1 + rng.poisson(ctx.cfg.eventsPerSession - 1)
      for (let i = 0; i <= n; i++) {
        let event: string
        let feature: string | null = null
        if (i === 0) event = '$pageview'
        else if (i === n) event = '$pageleave'
        else {
          const f = rng.int(0, breadth - 1)
          used.add(f)
          feature = FEATURES[f] ?? 'dashboard'
          event = rng.chance(0.15) ? 'report_generated' : 'feature_used'
        }
        const props = {
          account_id: a.id, venue_id: venue, $session_id: session, feature,
          $current_url: `/app/${feature ?? 'dashboard'}`, $lib: 'posthog-node',
        }
        const received = tsInDay(ctx.day, t)
        // Injected late arrival: the event happened 48–96 h before it reached us.
        const ts = late.chance(ctx.cfg.lateEventRate) ? tsInDay(ctx.day, t - late.int(48 * HOUR, 96 * HOUR)) : received
        ctx.batch.insert('events', [ctx.nextId('event'), event, u.id, JSON.stringify(props), ts, received])
        events++
        t = Math.min(86_399, t + rng.int(20, 300))
      }
    }
    a.usageScore = 0.9 * a.usageScore + 0.1 * (active / a.users.length / dayFactor)
    if (active > 0) a.adoption = 0.95 * a.adoption + 0.05 * (used.size / FEATURES.length)
  }
  return events
}
