/*
# The fleet's device dimension (newest row per device).
tests:
  - not_null: [device_id]
  - unique: [device_id]
*/
SELECT device_id, venue_id, line_id, beverage_id, keg_size_ml, firmware, updated_at
FROM {{ source('raw', 'fleet_devices') }}
ORDER BY device_id, updated_at DESC
LIMIT 1 BY device_id
