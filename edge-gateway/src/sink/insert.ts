import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import type { InsertFn } from './batcher.js'
import { asClickHouseError } from './clickhouse.js'
import type { Row } from './table-spec.js'

/** A batch is visible: the rows its batcher kept (`BatcherOptions.keep`, all by default) and how many it held. */
export type OnInserted = (table: string, rows: readonly Row[], count: number) => void

/**
 * The last step of a frame's path: one batch into one table, as JSONCompactEachRow: the rows' lines (the bytes the
 * WAL holds), as the batcher buffered them, with no encoding on the way. `client.insert` would stringify each row again (it takes
 * JSON formats only as objects), so the statement goes through `exec`, which streams a body as it is. The batch's
 * token makes a retried insert a no-op, in the materialized views too. `onInserted` sees the batch the moment its
 * rows are visible.
 */
export function clickHouseInsert(client: ClickHouseClient, onInserted?: OnInserted): InsertFn {
  return async (table, columns, batch, token) => {
    try {
      const result = await client.exec({
        query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`,
        values: Readable.from(batch.bytes, { objectMode: false }),
        clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      })
      result.stream.destroy()
    } catch (err) {
      throw asClickHouseError(err, `insert into ${table}`)
    }
    onInserted?.(table, batch.rows, batch.count)
  }
}
