import type { Queryable } from '../db/database.js'
import { monthOf, monthStart } from '../sim/dates.js'
import { markFresh } from './freshness.js'

/** Growth, daily: status changes by transition, licence changes and renewals. */
const DAILY_SQL = `
INSERT INTO pipeline_growth_daily AS g (day, status_changes, licence_changes, licences_added, licences_removed, renewals)
SELECT $1::date,
  coalesce((SELECT jsonb_object_agg(t, n) FROM (SELECT previous_status || '->' || new_status AS t, count(*) AS n
            FROM account_status_changes WHERE change_day = $1 GROUP BY 1) s), '{}'),
  (SELECT count(*) FROM licence_changes WHERE change_day = $1),
  (SELECT coalesce(sum(greatest(new_licences - previous_licences, 0)), 0) FROM licence_changes WHERE change_day = $1),
  (SELECT coalesce(sum(greatest(previous_licences - new_licences, 0)), 0) FROM licence_changes WHERE change_day = $1),
  (SELECT count(*) FROM renewals WHERE renewal_day = $1)
ON CONFLICT (day) DO UPDATE SET status_changes = EXCLUDED.status_changes, licence_changes = EXCLUDED.licence_changes,
  licences_added = EXCLUDED.licences_added, licences_removed = EXCLUDED.licences_removed, renewals = EXCLUDED.renewals`

/** Growth, monthly: the MRR bridge (new, expansion, contraction, churn) and NRR/GRR from the licence-change ledger. */
const MONTHLY_SQL = `
WITH m AS (SELECT $1::date AS ms, ($1::date + interval '1 month')::date AS me, $2::date AS through),
mv AS (SELECT
    coalesce(sum(mrr_delta_cents) FILTER (WHERE change_type = 'new'), 0) AS new_mrr,
    coalesce(sum(mrr_delta_cents) FILTER (WHERE change_type = 'expansion'), 0) AS expansion,
    coalesce(-sum(mrr_delta_cents) FILTER (WHERE change_type = 'contraction'), 0) AS contraction,
    coalesce(-sum(mrr_delta_cents) FILTER (WHERE change_type = 'churn'), 0) AS churned,
    coalesce(sum(mrr_delta_cents) FILTER (WHERE change_type = 'reactivation'), 0) AS reactivation,
    count(*) FILTER (WHERE change_type = 'new') AS new_customers,
    count(*) FILTER (WHERE change_type = 'churn') AS churned_customers
  FROM licence_changes, m WHERE change_day >= ms AND change_day < me AND change_day <= through),
st AS (SELECT coalesce(sum(mrr), 0) AS mrr, count(*) FILTER (WHERE mrr > 0) AS customers FROM (
    SELECT account_id, sum(mrr_delta_cents) AS mrr FROM licence_changes, m WHERE change_day < ms GROUP BY account_id) x),
en AS (SELECT coalesce(sum(mrr), 0) AS mrr, count(*) FILTER (WHERE mrr > 0) AS customers FROM (
    SELECT account_id, sum(mrr_delta_cents) AS mrr FROM licence_changes, m WHERE change_day < me AND change_day <= through GROUP BY account_id) x),
rn AS (SELECT count(*) AS n FROM renewals, m WHERE renewal_day >= ms AND renewal_day < me AND renewal_day <= through)
INSERT INTO pipeline_growth_monthly (month, start_mrr_cents, new_mrr_cents, expansion_mrr_cents, contraction_mrr_cents,
  churned_mrr_cents, reactivation_mrr_cents, end_mrr_cents, start_customers, new_customers, churned_customers, end_customers,
  renewals, nrr, grr, data_through)
SELECT m.ms, st.mrr, mv.new_mrr, mv.expansion, mv.contraction, mv.churned, mv.reactivation, en.mrr, st.customers,
  mv.new_customers, mv.churned_customers, en.customers, rn.n,
  CASE WHEN st.mrr > 0 THEN (st.mrr + mv.expansion + mv.reactivation - mv.contraction - mv.churned)::float8 / st.mrr END,
  CASE WHEN st.mrr > 0 THEN (st.mrr - mv.contraction - mv.churned)::float8 / st.mrr END,
  least(m.me - 1, m.through)
FROM m, mv, st, en, rn
ON CONFLICT (month) DO UPDATE SET start_mrr_cents = EXCLUDED.start_mrr_cents, new_mrr_cents = EXCLUDED.new_mrr_cents,
  expansion_mrr_cents = EXCLUDED.expansion_mrr_cents, contraction_mrr_cents = EXCLUDED.contraction_mrr_cents,
  churned_mrr_cents = EXCLUDED.churned_mrr_cents, reactivation_mrr_cents = EXCLUDED.reactivation_mrr_cents,
  end_mrr_cents = EXCLUDED.end_mrr_cents, start_customers = EXCLUDED.start_customers, new_customers = EXCLUDED.new_customers,
  churned_customers = EXCLUDED.churned_customers, end_customers = EXCLUDED.end_customers, renewals = EXCLUDED.renewals,
  nrr = EXCLUDED.nrr, grr = EXCLUDED.grr, data_through = EXCLUDED.data_through`

export async function runGrowth(c: Queryable, day: string): Promise<void> {
  await c.query(DAILY_SQL, [day])
  await c.query(MONTHLY_SQL, [monthStart(monthOf(day)), day])
  await markFresh(c, 'growth', day, day)
}
