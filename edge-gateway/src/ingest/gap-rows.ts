import { GAPS, type GapRecord } from '../sink/tables.js'

/** `tapflow.gaps` columns in insert order (the spec is `GAPS` in sink/tables.ts). */
export const GAP_COLUMNS = GAPS.columnNames

/**
 * A `tapflow.gaps` record. A gap is keyed by the range first detected; each change (a late frame filling part
 * of it) inserts a new version with a higher `filled`, and ReplacingMergeTree keeps the latest, so
 * `SELECT … FROM tapflow.gaps FINAL` shows each gap once with its current state.
 */
export function gapRecord(deviceId: string, venueId: string, from: number, to: number, remaining: number, detectedAt: number, now: number): GapRecord {
  const size = to - from + 1
  return {
    device_id: deviceId, venue_id: venueId, from_seq: from, to_seq: to, missing: remaining, filled: size - remaining,
    state: remaining === 0 ? 'closed' : 'open', detected_at: detectedAt, updated_at: now,
  }
}
