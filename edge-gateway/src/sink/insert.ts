import type { ClickHouseClient } from '@clickhouse/client'
import type { InsertFn } from './batcher.js'
import { asClickHouseError } from './clickhouse.js'
import type { Row } from './table-spec.js'

/**
 * The last step of a frame's path: one batch into one table, as JSONCompactEachRow (positional, the fastest
 * JSON format; the table spec fixed the column order). The batch's token makes a retried insert a no-op, in the
 * materialized views too. `onInserted` sees the rows the moment they are visible.
 */
export function clickHouseInsert(client: ClickHouseClient, onInserted?: (table: string, rows: readonly Row[]) => void): InsertFn {
  return async (table, columns, rows, token) => {
    try {
      await client.insert({
        table,
        columns: columns as [string, ...string[]],
        values: rows,
        format: 'JSONCompactEachRow',
        clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      })
    } catch (err) {
      throw asClickHouseError(err, `insert into ${table}`)
    }
    onInserted?.(table, rows)
  }
}
