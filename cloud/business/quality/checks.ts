import type { Queryable } from '../db/database.js'
import { addDays, addMonths, daysBetween, monthEnd, monthOf, monthStart } from '../sim/dates.js'
import { FRESHNESS_SLA_HOURS, LATE_HOURS, REVENUE_TOLERANCE, type CheckResult, type CheckScope } from './types.js'

/** Late data: events stamped ≥48 h before they arrived. Caught, and the days they land in must have been reprocessed. */
export async function checkLateData(c: Queryable, s: CheckScope): Promise<CheckResult> {
  const r = await c.query(`SELECT timestamp::date AS day, count(*) AS n FROM events
    WHERE received_at >= $1::date AND received_at < $2::date + 1 AND received_at - timestamp >= make_interval(hours => $3)
    GROUP BY 1 ORDER BY 1`, [s.from, s.to, LATE_HOURS])
  const late = r.rows.reduce((n, x) => n + Number(x.n), 0)
  // Stale: a day that received late events whose engagement output counts fewer events than exist for it.
  const days = [...new Set([...r.rows.map((x) => x.day as string), s.to])]
  const stale = await c.query(`SELECT d.day FROM unnest($1::date[]) AS d(day)
    LEFT JOIN pipeline_engagement_daily p USING (day)
    WHERE coalesce(p.events, 0) <> (SELECT count(*) FROM events WHERE timestamp >= d.day AND timestamp < d.day + 1) ORDER BY 1`, [days])
  const staleDays = stale.rows.map((x) => x.day as string)
  const status = staleDays.length > 0 ? 'fail' : late > 0 ? 'warn' : 'pass'
  return {
    check: 'late_data', pipeline: 'engagement', status, observed: late, threshold: 0,
    message: staleDays.length > 0 ? `${late} late events; engagement stale for ${staleDays.join(', ')}`
      : late > 0 ? `${late} events arrived ≥${LATE_HOURS} h late; affected days reprocessed` : 'no late events',
    details: { byEventDay: Object.fromEntries(r.rows.map((x) => [x.day, Number(x.n)])), staleDays },
  }
}

const ALLOWED = new Set(['none->trial', 'trial->active', 'trial->churned', 'active->past_due', 'past_due->active',
  'past_due->churned', 'active->churned', 'churned->active'])

/** Missing status transitions: each change must start where the previous one ended, along an allowed edge. */
export async function checkStatusTransitions(c: Queryable, s: CheckScope): Promise<CheckResult> {
  // Only accounts with a change in scope need their history walked (the daily run checks one day of a growing table).
  const r = await c.query(`SELECT account_id, previous_status, new_status, change_day, prev_new FROM (
      SELECT account_id, previous_status, new_status, change_day,
             lag(new_status) OVER (PARTITION BY account_id ORDER BY change_day, id) AS prev_new
      FROM account_status_changes
      WHERE $3 OR account_id IN (SELECT account_id FROM account_status_changes WHERE change_day BETWEEN $1 AND $2)) x
    WHERE ($3 OR change_day BETWEEN $1 AND $2)
      AND ((prev_new IS NULL AND previous_status <> 'none') OR prev_new <> previous_status)`, [s.from, s.to, s.full])
  const gaps = r.rows.map((x) => ({ account: x.account_id, expected: x.prev_new ?? 'none', got: `${x.previous_status}->${x.new_status}`, day: x.change_day }))
  const bad = (await c.query(`SELECT account_id, previous_status || '->' || new_status AS t FROM account_status_changes
    WHERE ($3 OR change_day BETWEEN $1 AND $2)`, [s.from, s.to, s.full])).rows.filter((x) => !ALLOWED.has(x.t))
  let mismatched: string[] = []
  if (s.full) {
    mismatched = (await c.query(`SELECT a.account_id FROM accounts a LEFT JOIN LATERAL (
        SELECT new_status FROM account_status_changes x WHERE x.account_id = a.account_id ORDER BY change_day DESC, id DESC LIMIT 1) l ON true
      WHERE l.new_status IS DISTINCT FROM a.status ORDER BY 1`)).rows.map((x) => x.account_id as string)
  }
  const n = gaps.length + bad.length + mismatched.length
  return {
    check: 'missing_status_transition', pipeline: 'growth', status: n > 0 ? 'fail' : 'pass', observed: n, threshold: 0,
    message: n > 0 ? `${gaps.length} status changes skip a step, ${bad.length} invalid transitions, ${mismatched.length} accounts whose status has no matching record`
      : 'every status change follows the previous one',
    details: { gaps: gaps.slice(0, 20), invalid: bad.slice(0, 20), mismatched: mismatched.slice(0, 20) },
  }
}

/** Revenue mismatch: the profit pipeline's net revenue against the general ledger, per month, ±1%. */
export async function checkRevenue(c: Queryable, s: CheckScope): Promise<CheckResult> {
  const from = s.full ? null : monthStart(monthOf(s.from))
  const r = await c.query(`SELECT p.month, p.net_revenue_cents AS pipeline, coalesce(l.v, 0) AS ledger FROM pipeline_profit_monthly p
    LEFT JOIN LATERAL (SELECT sum(amount_cents) AS v FROM ledger_entries WHERE entry_day >= p.month AND entry_day <= p.data_through) l ON true
    WHERE ($1::date IS NULL OR p.month >= $1) AND p.month <= $2 ORDER BY 1`, [from, s.to])
  const months = r.rows.map((x) => ({ month: String(x.month).slice(0, 7), pipeline: x.pipeline / 100, ledger: x.ledger / 100,
    diff: Math.abs(x.pipeline - x.ledger) / Math.max(1, Math.abs(x.ledger)) }))
  const worst = months.reduce((m, x) => Math.max(m, x.diff), 0)
  const off = months.filter((x) => x.diff > REVENUE_TOLERANCE)
  return {
    check: 'revenue_mismatch', pipeline: 'profit', status: off.length > 0 ? 'fail' : 'pass', observed: worst, threshold: REVENUE_TOLERANCE,
    message: off.length > 0 ? `revenue differs from the ledger by more than ±1% in ${off.map((x) => `${x.month} (${(x.diff * 100).toFixed(2)}%)`).join(', ')}`
      : `revenue matches the ledger within ±1% (worst ${(worst * 100).toFixed(2)}%)`,
    details: { months },
  }
}

/** Completeness: every day simulated and processed, every due invoice issued, every event attributable to an account. */
export async function checkCompleteness(c: Queryable, s: CheckScope, start: string): Promise<CheckResult> {
  const from = s.full ? start : s.from
  const days = (await c.query(`SELECT d::date AS day FROM generate_series($1::date, $2::date, interval '1 day') d
    WHERE NOT EXISTS (SELECT 1 FROM pipeline_growth_daily g WHERE g.day = d::date)
       OR NOT EXISTS (SELECT 1 FROM scheduler_task_runs t JOIN scheduler_runs r USING (run_id)
                      WHERE r.sim_day = d::date AND t.task = 'simulate' AND t.status = 'succeeded')`, [from, s.to])).rows.map((x) => x.day as string)
  // Due invoices on the last day in scope: active subscriptions whose billing anchor is today.
  const missing = (await c.query(`SELECT s.subscription_id FROM subscriptions s
    WHERE s.status = 'active' AND s.billing_anchor = extract(day FROM $1::date) AND s.contract_start <= $1
      AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription = s.subscription_id AND i.period_start = $1)`, [s.to])).rows.map((x) => x.subscription_id as string)
  const orphan = (await c.query(`SELECT count(*) AS n FROM events WHERE received_at >= $1::date AND received_at < $2::date + 1
    AND NOT (properties ? 'account_id')`, [from, s.to])).rows[0]?.n ?? 0
  const n = days.length + missing.length + Number(orphan)
  return {
    check: 'completeness', pipeline: 'aggregated', status: n > 0 ? 'fail' : 'pass', observed: n, threshold: 0,
    message: n > 0 ? `${days.length} days not fully processed, ${missing.length} due invoices missing, ${orphan} events without an account` : 'complete',
    details: { days: days.slice(0, 20), missingInvoices: missing.slice(0, 20), orphanEvents: Number(orphan) },
  }
}

/** Freshness per pipeline against its SLA, measured at the end of simulated day `asOf`. */
export async function checkFreshness(c: Queryable, asOf: string, start: string): Promise<CheckResult[]> {
  const rows = new Map((await c.query('SELECT pipeline, data_through FROM pipeline_freshness')).rows.map((r) => [r.pipeline as string, r.data_through as string]))
  const out: CheckResult[] = []
  for (const [pipeline, sla] of Object.entries(FRESHNESS_SLA_HOURS) as Array<[keyof typeof FRESHNESS_SLA_HOURS, number]>) {
    const through = rows.get(pipeline)
    const age = through === undefined ? Infinity : daysBetween(through, asOf) * 24
    out.push({ check: `freshness_${pipeline}`, pipeline, status: age <= sla ? 'pass' : 'fail', observed: Number.isFinite(age) ? age : -1, threshold: sla,
      message: through === undefined ? `${pipeline} has never run` : `${pipeline} data ${age} h old (SLA ${sla} h)`, details: { dataThrough: through ?? null } })
  }
  // Monthly: once a month has closed, its investor report is due; the first day of the next month builds it.
  const due = monthEnd(addMonths(monthOf(addDays(asOf, -1)), -1))
  const agg = rows.get('aggregated')
  const nothingDue = due < start
  const ok = nothingDue || (agg !== undefined && agg >= due)
  const behind = ok ? 0 : agg === undefined ? daysBetween(due, asOf) : daysBetween(agg, due)
  out.push({ check: 'freshness_aggregated', pipeline: 'aggregated', status: ok ? 'pass' : 'fail', observed: behind * 24, threshold: 0,
    message: nothingDue ? 'no month has closed yet' : ok ? `investor report through ${agg}` : `investor report for ${due.slice(0, 7)} missing (latest: ${agg ?? 'none'})`,
    details: { dataThrough: agg ?? null, due } })
  return out
}
