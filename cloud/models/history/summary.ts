import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../../edge-gateway/index.js'
import { readGroundTruth, type GroundTruthRecord } from './ground-truth.js'

/** Telemetry tables of a history and the column that places their rows in time. */
const TABLES: readonly [string, string][] = [['pours', 'ts'], ['temperatures', 'ts'], ['health', 'ts'], ['gaps', 'detected_at'], ['dead_letters', 'received_at']]

export interface HistorySummary {
  from: number
  to: number
  days: number
  devices: number
  rows: Record<string, number>
  /** Ground truth recorded in the window: count failures per mode with countFailures (labels.ts). */
  records: GroundTruthRecord[]
}

const ms = (col: string): string => `toUnixTimestamp64Milli(${col})`

/** What a history in [from, to) holds: rows per table, devices, and its ground truth. */
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
    return { from, to, days: (to - from) / 86_400_000, devices, rows, records }
  } catch (err) {
    throw asClickHouseError(err, 'summarizing the history')
  }
}
