import type { Clock } from '../../../common/index.js'
import type { Queryable } from '../db/database.js'
import { checkCompleteness, checkFreshness, checkLateData, checkRevenue, checkStatusTransitions } from './checks.js'
import type { CheckResult, CheckScope } from './types.js'

export type { CheckResult, CheckScope, CheckStatus } from './types.js'
export { FRESHNESS_SLA_HOURS, REVENUE_TOLERANCE, LATE_HOURS } from './types.js'

/** Run every data-quality check over the scope, evaluated as of the end of `scope.to`. */
export async function runChecks(c: Queryable, scope: CheckScope, start: string): Promise<CheckResult[]> {
  return [
    await checkLateData(c, scope),
    await checkStatusTransitions(c, scope),
    await checkRevenue(c, scope),
    await checkCompleteness(c, scope, start),
    ...(await checkFreshness(c, scope.to, start)),
  ]
}

/** Store results so they can be surfaced (report, `business check`). */
export async function storeResults(c: Queryable, simDay: string, results: readonly CheckResult[], clock: Clock): Promise<void> {
  const at = new Date(clock.now()).toISOString()
  for (const r of results) {
    await c.query(`INSERT INTO dq_results (check_name, pipeline, sim_day, status, observed, threshold, message, details, checked_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [r.check, r.pipeline, simDay, r.status, r.observed, r.threshold, r.message, r.details, at])
  }
}

/** The latest stored result of each check, optionally within a day range. */
export async function latestResults(c: Queryable, from?: string, to?: string): Promise<Array<CheckResult & { simDay: string; failingDays: number }>> {
  const r = await c.query(`SELECT DISTINCT ON (check_name) check_name, pipeline, status, observed, threshold, message, details, sim_day,
      count(*) FILTER (WHERE status = 'fail') OVER (PARTITION BY check_name) AS failing_days
    FROM dq_results WHERE ($1::date IS NULL OR sim_day >= $1) AND ($2::date IS NULL OR sim_day <= $2)
    ORDER BY check_name, sim_day DESC, id DESC`, [from ?? null, to ?? null])
  return r.rows.map((x) => ({ check: x.check_name, pipeline: x.pipeline, status: x.status, observed: x.observed, threshold: x.threshold,
    message: x.message, details: x.details, simDay: x.sim_day, failingDays: Number(x.failing_days) }))
}
