import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../../edge-gateway/index.js'
import { MODE_RULES, isPredictable, type GroundTruthRecord } from '../labels.js'

/** Telemetry tables of a history and the column that places their rows in time. */
const TABLES: readonly [string, string][] = [['pours', 'ts'], ['temperatures', 'ts'], ['health', 'ts'], ['gaps', 'detected_at'], ['dead_letters', 'received_at']]

export interface ModeCount {
  mode: string
  class: string
  /** Injections (assignments, re-arms after repair, firmware bugs) recorded in the window. */
  injected: number
  /** Of those, failures reached inside the window (before any clearance). */
  failed: number
  /** Failures that are maintenance targets (see labels.ts). */
  predictable: number
}

export interface HistorySummary {
  from: number
  to: number
  days: number
  devices: number
  rows: Record<string, number>
  failures: ModeCount[]
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

/** What a history in [from, to) holds: rows per table, devices, and injections and failures per mode. */
export async function summarizeHistory(client: ClickHouseClient, from: number, to: number): Promise<HistorySummary> {
  const rows: Record<string, number> = {}
  try {
    for (const [table, col] of TABLES) {
      const rs = await client.query({
        query: `SELECT count() AS n FROM tapflow.${table} WHERE ${ms(col)} >= {from:Int64} AND ${ms(col)} < {to:Int64}`,
        query_params: { from, to },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      rows[table] = Number((await rs.json<{ n: number }>())[0]?.n ?? 0)
    }
    const rs = await client.query({
      query: `SELECT uniqExact(device_id) AS n FROM tapflow.health WHERE ${ms('ts')} >= {from:Int64} AND ${ms('ts')} < {to:Int64}`,
      query_params: { from, to },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const devices = Number((await rs.json<{ n: number }>())[0]?.n ?? 0)
    const records = await readGroundTruth(client, from, to)
    rows.ground_truth = records.length
    return { from, to, days: (to - from) / 86_400_000, devices, rows, failures: countFailures(records, to) }
  } catch (err) {
    throw asClickHouseError(err, 'summarizing the history')
  }
}

/** Injections and failures per mode, in MODE_RULES order (modes not seen are left out). */
export function countFailures(records: readonly GroundTruthRecord[], to: number): ModeCount[] {
  return MODE_RULES.flatMap((rule) => {
    const mine = records.filter((r) => r.mode === rule.mode)
    if (mine.length === 0) return []
    const failed = mine.filter((r) => r.failureMs < to && (r.clearedMs === null || r.clearedMs > r.failureMs))
    return [{ mode: rule.mode, class: rule.class, injected: mine.length, failed: failed.length, predictable: failed.filter(isPredictable).length }]
  })
}
