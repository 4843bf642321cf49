import type { Queryable } from '../db/database.js'
import { addMonths, monthEnd, monthOf, monthStart } from '../sim/dates.js'
import { runProfit } from './profit.js'
import { runGrowth } from './growth.js'
import { markFresh } from './freshness.js'

/** The monthly investor metrics. Money in dollars; rates as fractions (0.02 = 2%). */
export interface InvestorMetrics {
  month: string
  dataThrough: string
  complete: boolean
  mrr: number
  arr: number
  newMrr: number
  expansionMrr: number
  contractionMrr: number
  churnedMrr: number
  nrr: number | null
  grr: number | null
  customers: number
  newCustomers: number
  churnedCustomers: number
  logoChurn: number | null
  revenueChurn: number | null
  revenue: number
  refunds: number
  infrastructure: number
  marketing: number
  otherExpenses: number
  salaries: number
  grossMargin: number | null
  netProfit: number
  burn: number
  cash: number
  runwayMonths: number | null
  cac: number | null
  arpa: number | null
  ltv: number | null
  ltvToCac: number | null
  dauAvg: number
  wauEnd: number
  avgSessionMinutes: number
  leads: number
  trialsStarted: number
  ticketsOpened: number
  deviceFailures: number
  /** Maintenance tickets a model's alert opened (cloud/live), in the month. */
  proactiveTickets: number
  /** Device failures of the month whose tap had a proactive ticket opened by that day and not solved before it. */
  failuresForeseen: number
}

const cents = (v: unknown): number => Math.round(Number(v ?? 0)) / 100

/** Compute a month's investor metrics from the pipeline tables (profit and growth are refreshed first). */
export async function computeInvestorMetrics(c: Queryable, month: string, through: string, initialCashCents: number): Promise<InvestorMetrics> {
  const ms = monthStart(month)
  const end = monthEnd(month)
  const asOf = through < end ? through : end
  await runProfit(c, asOf)
  await runGrowth(c, asOf)
  const p = (await c.query('SELECT * FROM pipeline_profit_monthly WHERE month = $1', [ms])).rows[0] ?? {}
  const g = (await c.query('SELECT * FROM pipeline_growth_monthly WHERE month = $1', [ms])).rows[0] ?? {}
  const cum = (await c.query('SELECT coalesce(sum(net_profit_cents), 0) AS v FROM pipeline_profit_monthly WHERE month <= $1', [ms])).rows[0]
  const sm = (await c.query(`SELECT coalesce(sum(s.monthly_salary_total_cents), 0) AS v FROM salary_payments s JOIN teams t USING (team_id)
    WHERE s.salary_month = $1 AND t.function IN ('sales', 'marketing')`, [ms])).rows[0]
  const eng = (await c.query(`SELECT coalesce(avg(dau), 0) AS dau, coalesce(avg(avg_session_minutes::numeric), 0) AS mins,
      coalesce((SELECT wau FROM pipeline_engagement_daily WHERE day <= $2 ORDER BY day DESC LIMIT 1), 0) AS wau
    FROM pipeline_engagement_daily WHERE day BETWEEN $1 AND $2`, [ms, asOf])).rows[0]
  const ops = (await c.query(`SELECT
      (SELECT count(*) FROM leads WHERE created_day BETWEEN $1 AND $2) AS leads,
      (SELECT count(*) FROM trials WHERE started_day BETWEEN $1 AND $2) AS trials,
      (SELECT count(*) FROM support_tickets WHERE opened_day BETWEEN $1 AND $2) AS tickets,
      (SELECT count(*) FROM device_failures WHERE failure_day BETWEEN $1 AND $2) AS failures,
      (SELECT count(*) FROM support_tickets WHERE category = 'proactive_maintenance' AND opened_day BETWEEN $1 AND $2) AS proactive,
      (SELECT count(*) FROM device_failures f WHERE f.failure_day BETWEEN $1 AND $2 AND EXISTS (SELECT 1 FROM support_tickets t
        WHERE t.device_id = f.device_id AND t.category = 'proactive_maintenance' AND t.opened_day <= f.failure_day
          AND (t.resolved_day IS NULL OR t.resolved_day >= f.failure_day))) AS foreseen`, [ms, asOf])).rows[0]
  const mrr = cents(g.end_mrr_cents)
  const customers = Number(g.end_customers ?? 0)
  const revenue = cents(p.net_revenue_cents)
  const infra = cents(p.infrastructure_cents)
  const netProfit = cents(p.net_profit_cents)
  const startCustomers = Number(g.start_customers ?? 0)
  const churnedCustomers = Number(g.churned_customers ?? 0)
  const newCustomers = Number(g.new_customers ?? 0)
  const logoChurn = startCustomers > 0 ? churnedCustomers / startCustomers : null
  const startMrr = cents(g.start_mrr_cents)
  const grossMargin = revenue > 0 ? (revenue - infra) / revenue : null
  const arpa = customers > 0 ? mrr / customers : null
  const cacSpend = cents(p.marketing_cents) + cents(sm?.v)
  const cac = newCustomers > 0 ? cacSpend / newCustomers : null
  const ltv = arpa !== null && grossMargin !== null && logoChurn ? (arpa * grossMargin) / logoChurn : null
  const burn = Math.max(0, -netProfit)
  const cash = initialCashCents / 100 + cents(cum?.v)
  return {
    month, dataThrough: asOf, complete: asOf === end, mrr, arr: mrr * 12,
    newMrr: cents(g.new_mrr_cents), expansionMrr: cents(g.expansion_mrr_cents), contractionMrr: cents(g.contraction_mrr_cents),
    churnedMrr: cents(g.churned_mrr_cents), nrr: g.nrr ?? null, grr: g.grr ?? null,
    customers, newCustomers, churnedCustomers, logoChurn, revenueChurn: startMrr > 0 ? cents(g.churned_mrr_cents) / startMrr : null,
    revenue, refunds: cents(p.refunds_cents), infrastructure: infra, marketing: cents(p.marketing_cents),
    otherExpenses: cents(p.other_expenses_cents), salaries: cents(p.salaries_cents), grossMargin, netProfit, burn, cash,
    runwayMonths: burn > 0 ? cash / burn : null, cac, arpa, ltv, ltvToCac: ltv !== null && cac ? ltv / cac : null,
    dauAvg: Number(eng?.dau ?? 0), wauEnd: Number(eng?.wau ?? 0), avgSessionMinutes: Number(eng?.mins ?? 0),
    leads: Number(ops?.leads ?? 0), trialsStarted: Number(ops?.trials ?? 0), ticketsOpened: Number(ops?.tickets ?? 0),
    deviceFailures: Number(ops?.failures ?? 0), proactiveTickets: Number(ops?.proactive ?? 0), failuresForeseen: Number(ops?.foreseen ?? 0),
  }
}

/** Aggregated pipeline: on the first of a month, build the investor row for the month just closed. */
export async function runAggregated(c: Queryable, day: string, initialCashCents: number): Promise<string | null> {
  if (!day.endsWith('-01')) return null
  const month = addMonths(monthOf(day), -1)
  const m = await computeInvestorMetrics(c, month, monthEnd(month), initialCashCents)
  await c.query(`INSERT INTO pipeline_investor_monthly (month, metrics, data_through) VALUES ($1, $2, $3)
    ON CONFLICT (month) DO UPDATE SET metrics = EXCLUDED.metrics, data_through = EXCLUDED.data_through`, [monthStart(month), m, m.dataThrough])
  await markFresh(c, 'aggregated', monthEnd(month), day)
  return month
}
