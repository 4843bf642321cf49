import type { Queryable } from '../db/database.js'
import { monthOf, monthStart } from '../sim/dates.js'
import { markFresh } from './freshness.js'

/**
 * Profit: revenue (Stripe charges less refunds), infrastructure, marketing and other costs, and salaries, by month.
 * Salaries are paid at month end; before then the month accrues them pro rata from current headcount.
 */
export const PROFIT_SQL = `
WITH m AS (SELECT $1::date AS ms, ($1::date + interval '1 month')::date AS me, $2::date AS through),
rev AS (SELECT coalesce(sum(amount), 0) AS v FROM charges, m
        WHERE status = 'succeeded' AND created >= ms AND created < least(me, through + 1)),
ref AS (SELECT coalesce(sum(amount), 0) AS v FROM refunds, m WHERE created >= ms AND created < least(me, through + 1)),
exp AS (SELECT coalesce(sum(amount_cents) FILTER (WHERE category = 'infrastructure'), 0) AS infra,
               coalesce(sum(amount_cents) FILTER (WHERE category = 'marketing'), 0) AS mkt,
               coalesce(sum(amount_cents) FILTER (WHERE category NOT IN ('infrastructure', 'marketing')), 0) AS other
        FROM expenses, m WHERE expense_day >= ms AND expense_day < me AND expense_day <= through),
paid AS (SELECT sum(monthly_salary_total_cents) AS v FROM salary_payments, m WHERE salary_month = ms),
accrued AS (SELECT round((SELECT coalesce(sum(headcount * salary_per_head_cents), 0) FROM teams)
                   * ((least(me - 1, through) - ms + 1)::float8 / (me - ms))) AS v FROM m),
sal AS (SELECT coalesce(paid.v, accrued.v) AS v FROM paid, accrued)
INSERT INTO pipeline_profit_monthly AS p (month, revenue_cents, refunds_cents, net_revenue_cents, infrastructure_cents,
  marketing_cents, other_expenses_cents, salaries_cents, gross_profit_cents, net_profit_cents, data_through)
SELECT m.ms, rev.v, ref.v, rev.v - ref.v, exp.infra, exp.mkt, exp.other, sal.v,
       rev.v - ref.v - exp.infra, rev.v - ref.v - exp.infra - exp.mkt - exp.other - sal.v, least(m.me - 1, m.through)
FROM m, rev, ref, exp, sal
ON CONFLICT (month) DO UPDATE SET revenue_cents = EXCLUDED.revenue_cents, refunds_cents = EXCLUDED.refunds_cents,
  net_revenue_cents = EXCLUDED.net_revenue_cents, infrastructure_cents = EXCLUDED.infrastructure_cents,
  marketing_cents = EXCLUDED.marketing_cents, other_expenses_cents = EXCLUDED.other_expenses_cents,
  salaries_cents = EXCLUDED.salaries_cents, gross_profit_cents = EXCLUDED.gross_profit_cents,
  net_profit_cents = EXCLUDED.net_profit_cents, data_through = EXCLUDED.data_through`

/** Recompute the month containing `day`, with data through `day`. */
export async function runProfit(c: Queryable, day: string): Promise<void> {
  await c.query(PROFIT_SQL, [monthStart(monthOf(day)), day])
  await markFresh(c, 'profit', day, day)
}
