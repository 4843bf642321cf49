import { silentLogger, type Logger } from '../../../common/index.js'
import { Batcher, type BatchOptions, type InsertFn } from './batcher.js'
import type { AnyTableSpec, Row } from './table-spec.js'

export interface TableSinkOptions {
  /** The tables to write; one batcher each. */
  tables: readonly AnyTableSpec[]
  insert: InsertFn
  /** Batch limits, the same for every table. Default: DEFAULT_BATCH. */
  batch?: Partial<BatchOptions>
  logger?: Logger
  /** Called after each batch lands, for stats and metrics. Default: none. */
  onBatch?: (table: string, rows: number, ms: number) => void
  /** Releases a WAL record once its row is inserted (`addLogged`). Default: none. */
  release?: (lsn: number) => void
  /** Which rows each batch keeps for its reader (`BatcherOptions.keep`), by table. Default: all. */
  keep?: (table: string, row: Row) => boolean
}

/** The table registry: one `Batcher` per table spec, found by the table's name (WAL records carry the name). */
export class TableSink {
  private readonly byName = new Map<string, Batcher>()

  constructor(o: TableSinkOptions) {
    const logger = o.logger ?? silentLogger
    for (const table of o.tables) {
      const { onBatch, keep } = o
      this.byName.set(table.name, new Batcher({
        table, insert: o.insert, batch: o.batch, logger, release: o.release, onBatch: onBatch && ((rows, ms) => onBatch(table.name, rows, ms)),
        keep: keep && ((row) => keep(table.name, row)),
      }))
    }
  }

  has(table: string): boolean {
    return this.byName.has(table)
  }

  /** Buffers one row and its line for `table`; `onInserted` runs once its batch is in ClickHouse. */
  add(table: string, row: Row, line: string, onInserted?: () => void): void {
    this.batcher(table).add(row, line, onInserted)
  }

  /** Buffers a row logged as WAL record `lsn`, released once its batch is in ClickHouse. */
  addLogged(table: string, row: Row, line: string, lsn: number): void {
    this.batcher(table).addLogged(row, line, lsn)
  }

  private batcher(table: string): Batcher {
    const b = this.byName.get(table)
    if (b === undefined) throw new Error(`no table spec for ${table}`)
    return b
  }

  /** Rows buffered or being inserted, over every table. */
  get pendingRows(): number {
    let n = 0
    for (const b of this.byName.values()) n += b.pending
    return n
  }

  /** Writes every buffered row now. */
  async flush(): Promise<void> {
    await Promise.all([...this.byName.values()].map((b) => b.flush()))
  }

  /** Flushes, giving up on a table after a few failed retries so shutdown cannot hang. */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((b) => b.close()))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
