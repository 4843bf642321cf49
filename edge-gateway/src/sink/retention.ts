import type { ClickHouseClient } from '@clickhouse/client'
import { ConfigError, type Logger } from '../../../common/index.js'
import { asClickHouseError } from './clickhouse.js'

/**
 * How long ClickHouse keeps each kind of data, in days (0 = forever). Migration 7 sets the defaults as table TTLs;
 * `applyRetention` changes them at start when the options differ. Rows go when a merge passes their TTL (ClickHouse
 * checks every `merge_with_ttl_timeout`, 4 h by default), not at the second they expire.
 */
export interface RetentionOptions {
  /** Raw telemetry (pours, temperatures, health) and cellar-chiller readings. Default: 90. */
  rawDays: number
  /** Rollups (device_rollup_5m, venue_beverage_1h) and the seq-gap record. Default: 730 (two years). */
  rollupDays: number
  /** Dead letters. Default: 30. */
  deadLetterDays: number
}

export const DEFAULT_RETENTION: RetentionOptions = { rawDays: 90, rollupDays: 730, deadLetterDays: 30 }

/** A telemetry row's arrival time, as a TTL may write it. */
const ARRIVAL = 'toDateTime(ts + toIntervalMillisecond(receive_delay_ms))'

/**
 * Every table with a retention, and the time its rows age from. Kept forever on purpose: ground_truth (training
 * labels for every model, a few rows per fault), device_state (one row per device) and the dimensions.
 */
export const RETENTION_TABLES: readonly { table: string; time: string; keep: keyof RetentionOptions }[] = [
  // Raw rows age from arrival, so a frame that lands late (an outage's backlog) is kept the full period too. The
  // telemetry tables store arrival as a delay to ts (migration 10), and a TTL cannot name the received_at ALIAS.
  { table: 'pours', time: ARRIVAL, keep: 'rawDays' },
  { table: 'temperatures', time: ARRIVAL, keep: 'rawDays' },
  { table: 'health', time: ARRIVAL, keep: 'rawDays' },
  { table: 'chiller', time: 'toDateTime(received_at)', keep: 'rawDays' },
  { table: 'device_rollup_5m', time: 'bucket', keep: 'rollupDays' },
  { table: 'venue_beverage_1h', time: 'hour', keep: 'rollupDays' },
  // Gaps outlive the raw rows they point at: they are the record of what was lost, which SLA reports need later.
  // They age from their last change; a row replayed from an older WAL without updated_at ages from detection.
  { table: 'gaps', time: 'greatest(toDateTime(detected_at), toDateTime(updated_at))', keep: 'rollupDays' },
  { table: 'dead_letters', time: 'toDateTime(received_at)', keep: 'deadLetterDays' },
]

/** One table whose TTL `applyRetention` changed. */
export interface RetentionChange {
  table: string
  /** Days before; undefined when the table had no TTL. */
  from: number | undefined
  to: number
}

/** Reads each table's TTL in days from its definition (undefined: none). */
export async function readRetention(client: ClickHouseClient): Promise<Record<string, number | undefined>> {
  const rs = await client.query({
    query: `SELECT name, engine_full FROM system.tables WHERE database = 'tapflow' AND name IN ({names:Array(String)})`,
    query_params: { names: RETENTION_TABLES.map((t) => t.table) },
    format: 'JSONEachRow',
  })
  const out: Record<string, number | undefined> = {}
  for (const r of (await rs.json()) as { name: string; engine_full: string }[]) {
    // ClickHouse normalises `INTERVAL 90 DAY` to `toIntervalDay(90)` in the stored definition.
    const m = /\bTTL\b.*?toIntervalDay\((\d+)\)/.exec(r.engine_full)
    out[r.name] = m === null ? undefined : Number(m[1])
  }
  return out
}

/**
 * Sets every table's TTL to the options where it differs, and returns what changed. The ALTER returns at once:
 * ClickHouse recomputes the TTL of existing parts in the background, and rows past the new TTL go at their next merge.
 */
export async function applyRetention(client: ClickHouseClient, opts: Partial<RetentionOptions> = {}, log?: Logger): Promise<RetentionChange[]> {
  const o: RetentionOptions = {
    rawDays: opts.rawDays ?? DEFAULT_RETENTION.rawDays,
    rollupDays: opts.rollupDays ?? DEFAULT_RETENTION.rollupDays,
    deadLetterDays: opts.deadLetterDays ?? DEFAULT_RETENTION.deadLetterDays,
  }
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(`retention ${k} must be a whole number of days ≥ 0, got ${v}`)
  }
  try {
    const current = await readRetention(client)
    const changes: RetentionChange[] = []
    for (const t of RETENTION_TABLES) {
      if (!(t.table in current)) continue // not created yet (an older schema): nothing to keep or drop
      const from = current[t.table]
      const to = o[t.keep]
      if ((from ?? 0) === to) continue
      const query = to === 0 ? `ALTER TABLE tapflow.${t.table} REMOVE TTL` : `ALTER TABLE tapflow.${t.table} MODIFY TTL ${t.time} + INTERVAL ${to} DAY`
      await client.command({ query })
      changes.push({ table: t.table, from, to })
      log?.info({ table: t.table, fromDays: from ?? 'forever', toDays: to === 0 ? 'forever' : to }, 'retention changed')
    }
    return changes
  } catch (err) {
    throw asClickHouseError(err, 'applying retention')
  }
}

// The CLI's grammar for a period lives in common (light), so `tapflow gateway --help` does not load the gateway.
export { parseRetention } from '../../../common/index.js'
