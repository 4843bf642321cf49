/*
# Product usage per account over the 30 simulated days up to the business's last simulated day.
tests:
  - not_null: [account_id]
  - unique: [account_id]
*/
SELECT u.account_id AS account_id, count() AS events_30d, uniqExact(e.distinct_id) AS active_users_30d
FROM {{ source('raw', 'events') }} AS e
INNER JOIN {{ ref('stg_users') }} AS u ON u.user_id = e.distinct_id
WHERE e._op != 'd'
  AND toDate(e.timestamp) > (SELECT max(last_day) FROM {{ ref('stg_sim_state') }}) - 30
GROUP BY u.account_id
