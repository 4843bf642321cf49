import { createHash } from 'node:crypto'
import { errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import type { Row } from '../ingest/rows.js'

export interface BatchOptions {
  /** Flush when this many rows are buffered. Default: 50000. */
  maxRows: number
  /** Flush rows that have waited this long, ms. Default: 500 (≈ 2 inserts per second per table). */
  maxDelayMs: number
  /** First retry delay after a failed insert, ms; doubles up to 5 s. Default: 250. */
  retryBaseMs: number
}

export const DEFAULT_BATCH: BatchOptions = { maxRows: 50_000, maxDelayMs: 500, retryBaseMs: 250 }

/** Inserts one batch; `token` is stable for the same rows so a retried insert is deduplicated. */
export type InsertFn = (table: string, columns: readonly string[], rows: Row[], token: string) => Promise<void>

export interface BatcherStats {
  rows: number
  batches: number
  retries: number
  lastBatchRows: number
  lastInsertMs: number
}

/**
 * Buffers rows for one table and inserts them by size or age. A row's `onDurable` runs only after
 * the insert that carries it succeeded; failed inserts are retried with the same token until they do,
 * so nothing acknowledged is ever lost and nothing retried is written twice.
 */
export class Batcher {
  readonly stats: BatcherStats = { rows: 0, batches: 0, retries: 0, lastBatchRows: 0, lastInsertMs: 0 }
  private rows: Row[] = []
  private acks: (() => void)[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> = Promise.resolve()
  private closing = false
  private readonly log: Logger

  constructor(
    readonly table: string,
    private readonly columns: readonly string[],
    private readonly insert: InsertFn,
    private readonly opts: BatchOptions = DEFAULT_BATCH,
    logger: Logger = silentLogger,
    /** Called with each batch's size and insert time, for metrics. */
    private readonly onInsert?: (rows: number, ms: number) => void,
  ) {
    this.log = logger
  }

  /** Rows waiting, including the batch being inserted. */
  get pending(): number {
    return this.rows.length
  }

  add(row: Row, onDurable?: () => void): void {
    this.rows.push(row)
    if (onDurable !== undefined) this.acks.push(onDurable)
    if (this.rows.length >= this.opts.maxRows) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.maxDelayMs)
  }

  /** Inserts everything buffered so far; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.rows.length === 0) return this.inFlight
    const rows = this.rows
    const acks = this.acks
    this.rows = []
    this.acks = []
    // One insert at a time per table keeps rows in order and memory bounded by what the source holds back.
    this.inFlight = this.inFlight.then(() => this.insertWithRetry(rows, acks))
    return this.inFlight
  }

  private async insertWithRetry(rows: Row[], acks: (() => void)[]): Promise<void> {
    const token = batchToken(this.table, rows)
    let delay = this.opts.retryBaseMs
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now()
      try {
        await this.insert(this.table, this.columns, rows, token)
        const ms = performance.now() - t0
        this.stats.rows += rows.length
        this.stats.batches++
        this.stats.lastBatchRows = rows.length
        this.stats.lastInsertMs = ms
        this.onInsert?.(rows.length, ms)
        for (const ack of acks) ack()
        return
      } catch (err) {
        this.stats.retries++
        this.log.warn({ table: this.table, rows: rows.length, attempt, err: errorMessage(err) }, 'insert failed; retrying')
        if (this.closing && attempt >= 3) throw err
        await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(delay * 2, 5_000)
      }
    }
  }

  /** Flushes what is buffered; gives up after a few retries so shutdown cannot hang forever. */
  async close(): Promise<void> {
    this.closing = true
    await this.flush()
  }
}

/** Same rows → same token, so ClickHouse drops a retried block it already has. */
function batchToken(table: string, rows: Row[]): string {
  const h = createHash('sha256').update(table)
  for (const r of rows) h.update(`${r[0]}:${r[2]}|`)
  return h.digest('hex').slice(0, 32)
}
