/**
 * Column lists for the telemetry tables, in insert order (JSONCompactEachRow).
 * The decoder builds rows in exactly this order; the migrations create the same columns.
 */
export const POUR_COLUMNS = [
  'device_id', 'venue_id', 'seq', 'ts', 'line_id', 'beverage_id', 'volume_ml', 'duration_ms', 'flow_rate_ml_s',
  'foam_ratio', 'waste_ml', 'keg_id', 'keg_remaining_ml', 'beverage_temp_c', 'late', 'received_at',
] as const

export const TEMPERATURE_COLUMNS = [
  'device_id', 'venue_id', 'seq', 'ts', 'line_id', 'line_temp_c', 'keg_temp_c', 'ambient_temp_c', 'late', 'received_at',
] as const

export const HEALTH_COLUMNS = [
  'device_id', 'venue_id', 'seq', 'ts', 'firmware_version', 'uptime_s', 'rssi_dbm', 'supply_voltage_v', 'valve_cycles',
  'error_codes', 'reboot_count', 'late', 'received_at',
] as const

export const DEAD_LETTER_COLUMNS = ['received_at', 'topic', 'device_id', 'reason', 'detail', 'payload_base64'] as const

export type Row = (string | number | boolean | number[])[]

/** Why a frame was dead-lettered. Stable strings: dashboards and alerts group by them. */
export type RejectReason =
  | 'unknown_topic'
  | 'undecodable'
  | 'device_mismatch'
  | 'invalid_value'
  | 'future_timestamp'
  | 'missing_field'
