import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../../../common/index.js'
import { asClickHouseError } from '../sink/clickhouse.js'
import type { TableSink } from '../sink/table-sink.js'
import { KEY_SEPARATOR, type AnyTableSpec, type Row } from '../sink/table-spec.js'
import type { WalRecord } from './record.js'
import type { WriteAheadLog } from './wal.js'

/**
 * At start, re-inserts what the WAL still holds from before a stop or crash, skipping rows ClickHouse already
 * has. Each replayed row is released from the WAL once inserted, as in normal running.
 */
export async function replayWal(o: { wal: WriteAheadLog; client: ClickHouseClient; tables: readonly AnyTableSpec[]; sink: TableSink; logger: Logger }): Promise<void> {
  const { wal, sink, logger: log } = o
  if (wal.recovered.length === 0) return
  const { present, missing } = await splitReplay(o.client, wal.recovered, o.tables)
  for (const r of present) wal.release(r.lsn)
  for (const r of missing) {
    const spec = o.tables.find((t) => t.name === r.table)
    if (spec === undefined || !sink.has(r.table)) {
      log.error({ table: r.table, lsn: r.lsn }, 'WAL record for an unknown table; skipped')
      wal.release(r.lsn)
      continue
    }
    const logged = rowOf(spec, r)
    const row = upgradeRow(spec, logged)
    // A v2 line of the spec's width is inserted as logged; only an older record is encoded again.
    sink.addLogged(r.table, row, row === logged && r.line !== undefined ? r.line : spec.lineOf(row), r.lsn)
  }
  await sink.flush()
  log.info({ replayed: missing.length, alreadyInClickHouse: present.length }, 'WAL replayed')
}

/** A v2 record holds the row's line, a v1 record (an older gateway's) the row as JSON. */
function rowOf(spec: AnyTableSpec, r: WalRecord): readonly unknown[] {
  return r.line === undefined ? r.row : spec.fromLine(r.line)
}

/**
 * The row is in wire form already (a spec built it before it was logged). A record logged before a column was
 * added to the spec is shorter: new columns go at the end of a spec, and a NULL in them takes the column's
 * default on insert (ClickHouse's `input_format_null_as_default`), so the old row still inserts.
 */
function upgradeRow(spec: AnyTableSpec, row: readonly unknown[]): Row {
  const missing = spec.columnNames.length - row.length
  return (missing > 0 ? [...row, ...new Array<null>(missing).fill(null)] : row) as Row
}

/**
 * Splits recovered WAL records into those whose rows are already in ClickHouse (the insert succeeded but
 * the segment was not yet deleted when the gateway stopped) and those still to insert. Replaying only the
 * missing ones keeps rows exactly-once, including in the materialized views fed by each insert.
 * A table is looked up by its spec's key within the records' `received_at` window; a table without
 * `received_at` (gaps, a ReplacingMergeTree of states) is replayed whole: a copy collapses.
 */
export async function splitReplay(
  client: ClickHouseClient,
  records: readonly WalRecord[],
  tables: readonly AnyTableSpec[],
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
    const spec = tables.find((t) => t.name === table)
    if (spec === undefined || !('received_at' in spec.columns)) {
      missing.push(...list)
      continue
    }
    let lo = Infinity
    let hi = -Infinity
    for (const r of list) {
      const t = Number(spec.fromRow(rowOf(spec, r)).received_at)
      if (t < lo) lo = t
      if (t > hi) hi = t
    }
    let existing: Set<string>
    try {
      const rs = await client.query({
        query: `SELECT ${spec.keySql.join(', ')} FROM ${table} WHERE received_at BETWEEN fromUnixTimestamp64Milli(toInt64({lo:Int64})) AND fromUnixTimestamp64Milli(toInt64({hi:Int64}))`,
        query_params: { lo: Math.floor(lo), hi: Math.ceil(hi) },
        format: 'JSONCompactEachRow',
      })
      existing = new Set((await rs.json<string[]>()).map((k) => k.join(KEY_SEPARATOR)))
    } catch (err) {
      throw asClickHouseError(err, `checking WAL replay against ${table}`)
    }
    for (const r of list) (existing.has(spec.keyOf(rowOf(spec, r))) ? present : missing).push(r)
  }
  return { present, missing }
}
