import type { Row } from './rows.js'

/**
 * `tapflow.gaps` rows. A gap is keyed by the range first detected; each change (a late frame filling part of
 * it) inserts a new version with a higher `filled`, and ReplacingMergeTree(filled) keeps the latest, so
 * `SELECT … FROM tapflow.gaps FINAL` shows each gap once with its current state.
 */
export const GAP_COLUMNS = ['device_id', 'venue_id', 'from_seq', 'to_seq', 'missing', 'filled', 'state', 'detected_at', 'updated_at'] as const

export function gapRow(deviceId: string, venueId: string, from: number, to: number, remaining: number, detectedAt: number, now: number): Row {
  const size = to - from + 1
  return [deviceId, venueId, from, to, remaining, size - remaining, remaining === 0 ? 'closed' : 'open', detectedAt, now]
}
