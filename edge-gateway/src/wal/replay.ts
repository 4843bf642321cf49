import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../sink/clickhouse.js'
import type { WalRecord } from './record.js'

/** How to recognise a row already in ClickHouse: its key columns, looked up by its `received_at` window. */
export interface ReplayKey {
  columns: readonly string[]
  key: readonly string[]
}

/**
 * Splits recovered WAL records into those whose rows are already in ClickHouse (the insert succeeded but
 * the segment was not yet deleted when the gateway stopped) and those still to insert. Replaying only the
 * missing ones keeps rows exactly-once, including in the materialized views fed by each insert.
 * Tables without a key (ReplacingMergeTree state tables such as gaps) are replayed whole: a copy collapses.
 */
export async function splitReplay(
  client: ClickHouseClient,
  records: readonly WalRecord[],
  keys: ReadonlyMap<string, ReplayKey>,
): Promise<{ present: WalRecord[]; missing: WalRecord[] }> {
  const byTable = new Map<string, WalRecord[]>()
  for (const r of records) {
    const list = byTable.get(r.table) ?? []
    list.push(r)
    byTable.set(r.table, list)
  }
  const present: WalRecord[] = []
  const missing: WalRecord[] = []
  for (const [table, list] of byTable) {
    const spec = keys.get(table)
    const at = spec?.columns.indexOf('received_at') ?? -1
    if (spec === undefined || at < 0) {
      missing.push(...list)
      continue
    }
    const idx = spec.key.map((c) => spec.columns.indexOf(c))
    const keyOf = (row: readonly unknown[]): string => idx.map((i) => String(row[i])).join('|')
    let lo = Infinity
    let hi = -Infinity
    for (const r of list) {
      const t = Number(r.row[at])
      if (t < lo) lo = t
      if (t > hi) hi = t
    }
    const cols = spec.key.map((c) => (c === 'received_at' || c === 'ts' ? `toString(toUnixTimestamp64Milli(${c}))` : `toString(${c})`))
    let existing: Set<string>
    try {
      const rs = await client.query({
        query: `SELECT ${cols.join(', ')} FROM ${table} WHERE received_at BETWEEN fromUnixTimestamp64Milli(toInt64({lo:Int64})) AND fromUnixTimestamp64Milli(toInt64({hi:Int64}))`,
        query_params: { lo: Math.floor(lo), hi: Math.ceil(hi) },
        format: 'JSONCompactEachRow',
      })
      existing = new Set(((await rs.json()) as string[][]).map((r) => r.join('|')))
    } catch (err) {
      throw asClickHouseError(err, `checking WAL replay against ${table}`)
    }
    for (const r of list) (existing.has(keyOf(r.row)) ? present : missing).push(r)
  }
  return { present, missing }
}
