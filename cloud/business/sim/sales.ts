import { addDays } from './dates.js'
import { companyName, tapCount, SALES_REPS } from './names.js'
import { createCustomer } from './entities.js'
import type { DayContext } from './context.js'

const CHANNELS = ['google_ads', 'linkedin', 'trade_show', 'email', 'partner_referral'] as const
const STAGES = ['new', 'qualified', 'demo', 'negotiation', 'won'] as const
/** Daily chance a lead moves on, and the chance that move is forward rather than lost. */
const MOVE_P = 0.45
const PASS_P = 0.8
/** Leads per expected signup: 1 / (PASS_P^4) ≈ 2.44. */
const LEADS_PER_SIGNUP = 1 / PASS_P ** 4

/** Scale of marketing spend relative to the default volume of 1.5 signups a day. */
function scale(ctx: DayContext): number {
  return Math.max(0.2, ctx.cfg.signupsPerDay / 1.5)
}

/** Launch campaigns now and then and book the day's spend of the running ones. */
export function runMarketing(ctx: DayContext): void {
  const rng = ctx.rng('marketing')
  if (rng.chance(0.08)) {
    const channel = rng.pick(CHANNELS)
    const id = ctx.id('campaign', 'CMP_', 4)
    const days = rng.int(14, 45)
    const budget = Math.round(rng.int(300, 1500) * 100 * scale(ctx))
    const c = { id, channel, endDay: addDays(ctx.day, days - 1), dailyBudgetCents: budget, efficiency: rng.unit(1, 0.3) }
    ctx.batch.insert('campaigns', [id, `${channel.replace('_', ' ')} push ${ctx.day.slice(0, 7)}`, channel, ctx.day, c.endDay, budget, c.efficiency])
    ctx.world.campaigns.push(c)
  }
  for (const c of ctx.world.campaigns) {
    ctx.batch.insert('expenses', [ctx.nextId('expense'), ctx.day, 'marketing', c.channel, c.dailyBudgetCents, JSON.stringify({ campaign_id: c.id })])
  }
}

/** New leads (boosted by campaigns) and progress through qualification → demo → negotiation → close. */
export function runSales(ctx: DayContext): void {
  const rng = ctx.rng('sales')
  // Each running campaign adds leads in proportion to its spend and efficiency.
  const contrib = ctx.world.campaigns.map((c) => (c.dailyBudgetCents / (300_000 * scale(ctx))) * c.efficiency)
  const boost = 1 + contrib.reduce((s, x) => s + x, 0)
  const n = rng.poisson(ctx.cfg.signupsPerDay * LEADS_PER_SIGNUP * boost)
  for (let i = 0; i < n; i++) {
    let campaignId: string | null = null
    let r = rng.next() * boost
    for (let k = 0; k < contrib.length; k++) {
      r -= contrib[k] ?? 0
      if (r < 0) {
        campaignId = ctx.world.campaigns[k]?.id ?? null
        break
      }
    }
    const source = campaignId ? (ctx.world.campaigns.find((c) => c.id === campaignId)?.channel ?? 'campaign') : rng.pick(['organic', 'website', 'referral'])
    const lead = { id: ctx.id('lead', 'LEAD_', 7), campaignId, source, companyName: companyName(rng), expectedTaps: tapCount(rng), stage: 'new', owner: rng.pick(SALES_REPS) }
    ctx.batch.insert('leads', [lead.id, ctx.day, campaignId, source, lead.companyName, lead.expectedTaps, 'new', ctx.day, lead.owner])
    ctx.batch.insert('lead_stage_changes', [ctx.nextId('lead_change'), lead.id, null, 'new', ctx.day])
  }
  const moved: unknown[][] = []
  for (const lead of ctx.world.leads) {
    if (!rng.chance(MOVE_P)) continue
    const i = STAGES.indexOf(lead.stage as (typeof STAGES)[number])
    const to = rng.chance(PASS_P) ? (STAGES[i + 1] ?? 'won') : 'lost'
    ctx.batch.insert('lead_stage_changes', [ctx.nextId('lead_change'), lead.id, lead.stage, to, ctx.day])
    lead.stage = to
    let customerId: string | null = null
    if (to === 'won') {
      const a = createCustomer(ctx, {
        channel: lead.source, campaignId: lead.campaignId, taps: lead.expectedTaps, companyName: lead.companyName,
        salesRep: lead.owner, createdDay: ctx.day, status: 'trial',
      })
      customerId = a.customerId
    }
    moved.push([lead.id, to, ctx.day, customerId])
  }
  ctx.batch.update('leads', ['lead_id', 'text'], [['stage', 'text'], ['stage_changed_day', 'date'], ['customer_id', 'text']], moved)
}
