/*
# Telemetry pours, one row per (device_id, seq): the gateway delivers at least once, the lake dedups here.
tests:
  - not_null: [device_id, venue_id, ts]
*/
SELECT device_id, venue_id, seq, ts, line_id, beverage_id, volume_ml, waste_ml, keg_id, late, received_at
FROM {{ source('raw', 'pours') }}
ORDER BY device_id, seq, received_at
LIMIT 1 BY device_id, seq
