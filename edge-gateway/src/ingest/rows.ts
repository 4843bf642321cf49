/**
 * Why a frame was dead-lettered. Stable strings: dashboards and alerts group by them.
 * (Table columns and row order live in one place: `sink/tables.ts`.)
 */
export type RejectReason =
  | 'unknown_topic'
  | 'undecodable'
  | 'device_mismatch'
  | 'invalid_value'
  | 'future_timestamp'
  | 'missing_field'
