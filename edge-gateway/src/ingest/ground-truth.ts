import { GroundTruth, isValidId } from '../../../proto/index.js'
import type { Rejected } from './decode.js'
import type { Row } from './rows.js'

/**
 * Ground truth: the simulator's record of every fault it injected, published on its own topic
 * (tapflow/sim/v1/ground_truth) and written to tapflow.ground_truth through the same batch path as telemetry.
 */
export const GROUND_TRUTH_TABLE = 'tapflow.ground_truth'

/** Insert order. record_id and recorded_at come first and third: the batch token hashes columns 0 and 2. */
export const GROUND_TRUTH_COLUMNS = [
  'record_id', 'device_id', 'recorded_at', 'venue_id', 'mode', 'onset_ts', 'failure_ts', 'parameters', 'source', 'cleared_at', 'received_at', 'actor',
] as const

export type GroundTruthDecoded = { ok: true; row: Row } | Rejected

export function decodeGroundTruth(payload: Uint8Array, nowMs: number): GroundTruthDecoded {
  let g: GroundTruth
  try {
    g = GroundTruth.decode(payload)
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: err instanceof Error ? err.message : String(err), deviceId: '' }
  }
  const bad = (reason: Rejected['reason'], detail: string): Rejected => ({ ok: false, reason, detail, deviceId: isValidId(g.device_id) ? g.device_id : '' })
  if (!isValidId(g.device_id) || !isValidId(g.venue_id)) return bad('missing_field', 'ground truth needs a valid device_id and venue_id')
  if (g.record_id === '' || g.mode === '' || !(g.onset_ms > 0) || !(g.recorded_ms > 0)) {
    return bad('missing_field', 'ground truth needs record_id, mode, onset_ms and recorded_ms')
  }
  try {
    JSON.parse(g.parameters_json || '{}')
  } catch {
    return bad('invalid_value', 'parameters_json is not JSON')
  }
  const row: Row = [
    g.record_id.slice(0, 128), g.device_id, g.recorded_ms, g.venue_id, g.mode.slice(0, 64), g.onset_ms, Math.max(g.failure_ms, g.onset_ms),
    g.parameters_json || '{}', g.source.slice(0, 64), // null (JSON) is NULL in the Nullable cleared_at column; Row has no null member, hence the cast.
    (g.cleared_ms > 0 ? g.cleared_ms : null) as number, nowMs, g.actor.slice(0, 80),
  ]
  return { ok: true, row }
}
