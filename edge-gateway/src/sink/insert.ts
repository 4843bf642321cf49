import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import type { InsertFn } from './batcher.js'
import { asClickHouseError } from './clickhouse.js'
import type { Row } from './table-spec.js'

/**
 * The last step of a frame's path: one batch into one table, as TabSeparated: the rows' lines (sink/tsv.ts, the
 * bytes the WAL holds) concatenated, with no encoding on the way. The batch's token makes a retried insert a
 * no-op, in the materialized views too. `onInserted` sees the rows the moment they are visible.
 */
export function clickHouseInsert(client: ClickHouseClient, onInserted?: (table: string, rows: readonly Row[]) => void): InsertFn {
  return async (table, columns, batch, token) => {
    try {
      await client.insert({
        table,
        columns: columns as [string, ...string[]],
        // The client accepts text formats only as a byte stream; one chunk holds the whole batch.
        values: Readable.from([Buffer.from(batch.lines.join(''), 'utf8')], { objectMode: false }),
        format: 'TabSeparated',
        clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      })
    } catch (err) {
      throw asClickHouseError(err, `insert into ${table}`)
    }
    onInserted?.(table, batch.rows)
  }
}
