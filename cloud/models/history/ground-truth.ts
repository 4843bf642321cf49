import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../../edge-gateway/index.js'

/** One ground-truth record (a row of `tapflow.ground_truth FINAL`), times in ms. */
export interface GroundTruthRecord {
  deviceId: string
  mode: string
  /** manifest | command | firmware:<version> | … */
  source: string
  onsetMs: number
  failureMs: number
  /** When the fault was removed (repair, flash); null while it stands. */
  clearedMs: number | null
}

const ms = (col: string): string => `toUnixTimestamp64Milli(${col})`

/** The ground truth recorded in [from, to), one record per injection (read with FINAL: a clearance replaces it). */
export async function readGroundTruth(client: ClickHouseClient, from: number, to: number): Promise<GroundTruthRecord[]> {
  try {
    const rs = await client.query({
      query: `SELECT device_id, mode, source, ${ms('onset_ts')} AS onset, ${ms('failure_ts')} AS failure,
          if(cleared_at IS NULL, NULL, ${ms('assumeNotNull(cleared_at)')}) AS cleared
        FROM tapflow.ground_truth FINAL
        WHERE ${ms('recorded_at')} >= {from:Int64} AND ${ms('recorded_at')} < {to:Int64}
        ORDER BY device_id, onset`,
      query_params: { from, to },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const rows = await rs.json<{ device_id: string; mode: string; source: string; onset: number; failure: number; cleared: number | null }>()
    return rows.map((r) => ({ deviceId: r.device_id, mode: r.mode, source: r.source, onsetMs: Number(r.onset), failureMs: Number(r.failure), clearedMs: r.cleared === null ? null : Number(r.cleared) }))
  } catch (err) {
    throw asClickHouseError(err, 'reading tapflow.ground_truth')
  }
}
