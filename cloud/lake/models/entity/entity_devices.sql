/*
# One row per device: fleet dimension, telemetry activity and uptime, and the business's failure records.
# Join keys: device_id (business device_failures.device_id = fleet device_id once the one-company ids land).
tests:
  - not_null: [device_id]
  - unique: [device_id]
*/
SELECT d.device_id AS device_id, d.venue_id AS venue_id, d.beverage_id AS beverage_id, d.firmware AS firmware,
       coalesce(u.uptime_ratio, 0) AS uptime_ratio, u.last_seen AS last_seen,
       coalesce(p.pours, 0) AS pours, coalesce(p.litres, 0) AS litres,
       coalesce(f.failures, 0) AS failures
FROM {{ ref('stg_fleet_devices') }} AS d
LEFT JOIN {{ ref('int_device_uptime') }} AS u ON u.device_id = d.device_id
LEFT JOIN (SELECT device_id, count() AS pours, sum(volume_ml) / 1000 AS litres FROM {{ ref('stg_pours') }} GROUP BY device_id) AS p ON p.device_id = d.device_id
LEFT JOIN (SELECT device_id, count() AS failures FROM {{ ref('stg_device_failures') }} GROUP BY device_id) AS f ON f.device_id = d.device_id
