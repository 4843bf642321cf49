import { dayOfMonth, monthEnd, monthOf, monthStart } from './dates.js'
import type { DayContext } from './context.js'
import type { Team } from './world.js'

export const INITIAL_TEAMS: readonly Team[] = [
  { id: 'ENG_001', name: 'Platform Engineering', fn: 'engineering', headcount: 10, salaryPerHeadCents: 1_300_000 },
  { id: 'DAT_001', name: 'Data Engineering', fn: 'engineering', headcount: 4, salaryPerHeadCents: 1_125_000 },
  { id: 'SAL_001', name: 'Sales', fn: 'sales', headcount: 4, salaryPerHeadCents: 900_000 },
  { id: 'MKT_001', name: 'Marketing', fn: 'marketing', headcount: 2, salaryPerHeadCents: 850_000 },
  { id: 'SUP_001', name: 'Customer Success', fn: 'support', headcount: 3, salaryPerHeadCents: 600_000 },
  { id: 'GNA_001', name: 'G&A', fn: 'g&a', headcount: 3, salaryPerHeadCents: 1_000_000 },
]

/** Infrastructure scales with taps under management; fixed costs monthly; salaries at month end. */
export function runCosts(ctx: DayContext): void {
  let taps = 0
  for (const a of ctx.world.accounts) if (a.status !== 'churned') for (const v of a.venues) taps += v.taps
  const infra = 15_000 + taps * 25
  ctx.batch.insert('expenses', [ctx.nextId('expense'), ctx.day, 'infrastructure', 'aws', infra, JSON.stringify({
    cloud_services: Math.round(infra * 0.6), database_hosting: Math.round(infra * 0.25), monitoring_tools: infra - Math.round(infra * 0.6) - Math.round(infra * 0.25),
  })])
  const month = monthOf(ctx.day)
  if (dayOfMonth(ctx.day) === 1) {
    ctx.batch.insert('expenses', [ctx.nextId('expense'), ctx.day, 'software', 'saas_tools', 400_000, null])
    ctx.batch.insert('expenses', [ctx.nextId('expense'), ctx.day, 'office', 'rent', 1_200_000, null])
    resizeTeams(ctx, taps)
  }
  if (ctx.day === monthEnd(month)) {
    for (const t of ctx.world.teams) {
      ctx.batch.insert('salary_payments', [ctx.nextId('salary'), t.id, monthStart(month), t.headcount, t.headcount * t.salaryPerHeadCents])
    }
  }
}

/** Hiring follows the business: support with taps, sales and marketing with signup volume. */
function resizeTeams(ctx: DayContext, taps: number): void {
  const s = ctx.cfg.signupsPerDay
  const want: Record<string, number> = {
    ENG_001: Math.max(10, Math.ceil(taps / 800)),
    SAL_001: Math.max(4, Math.ceil(s * 1.3)),
    MKT_001: Math.max(2, Math.ceil(s / 2)),
    SUP_001: Math.max(3, Math.ceil(taps / 1200)),
  }
  const others = ctx.world.teams.filter((t) => t.id !== 'GNA_001').reduce((n, t) => n + (want[t.id] ?? t.headcount), 0)
  want.GNA_001 = Math.max(3, Math.ceil(others / 10))
  const rows: unknown[][] = []
  for (const t of ctx.world.teams) {
    const h = want[t.id]
    if (h !== undefined && h !== t.headcount) {
      t.headcount = h
      rows.push([t.id, h])
    }
  }
  ctx.batch.update('teams', ['team_id', 'text'], [['headcount', 'int4']], rows)
}
