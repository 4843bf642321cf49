import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyRetention, migrate, openClickHouse, type ClickHouseClient } from '../../../edge-gateway/index.js'

/** ClickHouse DateTime64 text for a ms timestamp. */
export const chTs = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

export interface Chdb {
  client: ClickHouseClient
  dir: string
  close(): Promise<void>
}

/**
 * A migrated embedded ClickHouse in a temp dir (one per test file: chDB binds one directory per process). Retention
 * is off: the timelines are fixed dates, which the default 90-day TTL (by wall clock) would age out.
 */
export async function openTestChdb(): Promise<Chdb> {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-features-'))
  const { client } = openClickHouse({ path: join(dir, 'clickhouse') })
  await migrate(client)
  await applyRetention(client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
  return { client, dir, close: async () => { await client.close(); rmSync(dir, { recursive: true, force: true }) } }
}

let seq = 0
export function pour(device: string, venue: string, ts: number, over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    device_id: device, venue_id: venue, seq: ++seq, ts: chTs(ts), line_id: 1, beverage_id: 'bev-1', volume_ml: 500, duration_ms: 5000,
    flow_rate_ml_s: 100, foam_ratio: 0.05, waste_ml: 10, keg_id: 'keg-1', keg_remaining_ml: 20000, beverage_temp_c: 4, late: false,
    received_at: chTs(ts), ...over,
  }
}

export function temperature(device: string, venue: string, ts: number, line: number, over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return { device_id: device, venue_id: venue, seq: ++seq, ts: chTs(ts), line_id: 1, line_temp_c: line, keg_temp_c: 3, ambient_temp_c: 20, late: false, received_at: chTs(ts), ...over }
}

export function health(device: string, venue: string, ts: number, over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    device_id: device, venue_id: venue, seq: ++seq, ts: chTs(ts), firmware_version: '1.0.0', uptime_s: 3600, rssi_dbm: -60, supply_voltage_v: 12,
    valve_cycles: 1000, error_codes: [], reboot_count: 0, late: false, received_at: chTs(ts), ...over,
  }
}

/**
 * Telemetry fields the tables take through an EPHEMERAL input `<field>_in` (edge-gateway migrations 10 and 11:
 * readers see an ALIAS), which an insert must name.
 */
const INPUTS = new Set(['received_at', 'volume_ml', 'flow_rate_ml_s', 'foam_ratio', 'waste_ml', 'keg_remaining_ml', 'beverage_temp_c',
  'line_temp_c', 'keg_temp_c', 'ambient_temp_c', 'supply_voltage_v'])

export async function insert(client: ClickHouseClient, table: string, values: Record<string, unknown>[], db = 'tapflow'): Promise<void> {
  const telemetry = ['pours', 'temperatures', 'health'].includes(table)
  const rows = values.map((v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [telemetry && INPUTS.has(k) ? `${k}_in` : k, x])))
  const columns = rows[0] !== undefined ? (Object.keys(rows[0]) as [string, ...string[]]) : undefined
  await client.insert({ table: `${db}.${table}`, values: rows, format: 'JSONEachRow', columns })
}
