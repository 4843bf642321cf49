import { errorMessage } from '../../../common/index.js'
import { GroundTruth, isValidId } from '../../../proto/index.js'
import { GROUND_TRUTH, type GroundTruthRecord } from '../sink/tables.js'
import type { Rejected } from './decode.js'

/**
 * Ground truth: the simulator's record of every fault it injected, published on its own topic
 * (tapflow/sim/v1/ground_truth) and written to tapflow.ground_truth through the same batch path as telemetry.
 * The table's columns are `GROUND_TRUTH` in `sink/tables.ts`.
 */
export const GROUND_TRUTH_TABLE = GROUND_TRUTH.name
export const GROUND_TRUTH_COLUMNS = GROUND_TRUTH.columnNames

export type GroundTruthDecoded = { ok: true; record: GroundTruthRecord } | Rejected

export function decodeGroundTruth(payload: Uint8Array, nowMs: number): GroundTruthDecoded {
  let g: GroundTruth
  try {
    g = GroundTruth.decode(payload)
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: errorMessage(err), deviceId: '' }
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
  const record: GroundTruthRecord = {
    record_id: g.record_id.slice(0, 128),
    device_id: g.device_id,
    recorded_at: g.recorded_ms,
    venue_id: g.venue_id,
    mode: g.mode.slice(0, 64),
    onset_ts: g.onset_ms,
    failure_ts: Math.max(g.failure_ms, g.onset_ms),
    parameters: g.parameters_json || '{}',
    source: g.source.slice(0, 64),
    cleared_at: g.cleared_ms > 0 ? g.cleared_ms : null,
    received_at: nowMs,
    actor: g.actor.slice(0, 80),
  }
  return { ok: true, record }
}
