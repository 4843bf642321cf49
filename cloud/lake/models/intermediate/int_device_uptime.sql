/*
# Share of days since a device first reported on which it sent a health frame.
tests:
  - not_null: [device_id, uptime_ratio]
  - unique: [device_id]
*/
SELECT device_id, any(venue_id) AS venue_id, min(ts) AS first_seen, max(ts) AS last_seen,
       uniqExact(toDate(ts)) / (dateDiff('day', toDate(min(ts)), toDate(max(ts))) + 1) AS uptime_ratio
FROM {{ ref('stg_health') }}
GROUP BY device_id
