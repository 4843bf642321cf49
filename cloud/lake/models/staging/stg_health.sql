/*
tests:
  - not_null: [device_id, ts]
*/
SELECT device_id, venue_id, seq, ts, firmware_version, uptime_s, rssi_dbm, reboot_count
FROM {{ source('raw', 'health') }}
ORDER BY device_id, seq
LIMIT 1 BY device_id, seq
