/*
# One row per business venue with its telemetry. Join key: venue_id (business venues ↔ fleet venue ids).
tests:
  - not_null: [venue_id, account_id]
  - unique: [venue_id]
  - relationships: { column: account_id, to: stg_accounts, field: account_id }
*/
SELECT v.venue_id AS venue_id, v.account_id AS account_id, a.customer_id AS customer_id, v.name AS name, v.city AS city,
       v.taps AS taps, v.opened_day AS opened_day,
       coalesce(t.pours, 0) AS pours, coalesce(t.litres, 0) AS litres, coalesce(t.revenue, 0) AS revenue,
       coalesce(f.failures, 0) AS failures
FROM {{ ref('stg_venues') }} AS v
LEFT JOIN {{ ref('stg_accounts') }} AS a ON a.account_id = v.account_id
LEFT JOIN (SELECT venue_id, sum(pours) AS pours, sum(litres) AS litres, sum(revenue) AS revenue FROM {{ ref('fct_pours_daily') }} GROUP BY venue_id) AS t ON t.venue_id = v.venue_id
LEFT JOIN (SELECT venue_id, count() AS failures FROM {{ ref('stg_device_failures') }} GROUP BY venue_id) AS f ON f.venue_id = v.venue_id
