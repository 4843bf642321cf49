/*
# The customer 360: MRR, tier, tenure, venues, taps, tickets, usage and device uptime per customer.
# Device uptime joins telemetry through venue_id (the one-company ids make business and fleet venues the same).
tests:
  - not_null: [customer_id, mrr_cents, tenure_days]
  - unique: [customer_id]
  - relationships: { column: customer_id, to: stg_customers, field: customer_id }
*/
WITH as_of AS (SELECT max(last_day) AS day FROM {{ ref('stg_sim_state') }})
SELECT c.customer_id AS customer_id, c.name AS name, c.segment AS segment, c.city AS city,
       dateDiff('day', c.created_day, (SELECT day FROM as_of)) AS tenure_days,
       coalesce(s.mrr_cents, 0) AS mrr_cents, s.tier AS tier, coalesce(a.status, 'none') AS status,
       coalesce(v.venues, 0) AS venues, coalesce(v.taps, 0) AS taps,
       coalesce(t.tickets, 0) AS tickets, coalesce(t.open_tickets, 0) AS open_tickets,
       coalesce(u.events_30d, 0) AS events_30d, coalesce(u.active_users_30d, 0) AS active_users_30d,
       d.device_uptime AS device_uptime
FROM {{ ref('stg_customers') }} AS c
LEFT JOIN (SELECT customer_id, argMax(status, created_day) AS status, groupArray(account_id) AS accounts FROM {{ ref('stg_accounts') }} GROUP BY customer_id) AS a ON a.customer_id = c.customer_id
LEFT JOIN (
  SELECT ac.customer_id AS customer_id, sum(if(sb.status IN ('active', 'past_due'), sb.mrr_cents, 0)) AS mrr_cents, argMax(sb.tier, sb.mrr_cents) AS tier
  FROM {{ ref('stg_subscriptions') }} AS sb INNER JOIN {{ ref('stg_accounts') }} AS ac ON ac.account_id = sb.account_id GROUP BY ac.customer_id
) AS s ON s.customer_id = c.customer_id
LEFT JOIN (SELECT customer_id, count() AS venues, sum(taps) AS taps FROM {{ ref('entity_venues') }} GROUP BY customer_id) AS v ON v.customer_id = c.customer_id
LEFT JOIN (
  SELECT ac.customer_id AS customer_id, count() AS tickets, countIf(tk.status = 'open') AS open_tickets
  FROM {{ ref('stg_support_tickets') }} AS tk INNER JOIN {{ ref('stg_accounts') }} AS ac ON ac.account_id = tk.account_id GROUP BY ac.customer_id
) AS t ON t.customer_id = c.customer_id
LEFT JOIN (
  SELECT ac.customer_id AS customer_id, sum(us.events_30d) AS events_30d, sum(us.active_users_30d) AS active_users_30d
  FROM {{ ref('int_account_usage') }} AS us INNER JOIN {{ ref('stg_accounts') }} AS ac ON ac.account_id = us.account_id GROUP BY ac.customer_id
) AS u ON u.customer_id = c.customer_id
LEFT JOIN (
  SELECT ev.customer_id AS customer_id, avg(du.uptime_ratio) AS device_uptime
  FROM {{ ref('int_device_uptime') }} AS du INNER JOIN {{ ref('entity_venues') }} AS ev ON ev.venue_id = du.venue_id GROUP BY ev.customer_id
) AS d ON d.customer_id = c.customer_id
