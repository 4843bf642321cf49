import { createHash } from 'node:crypto'
import { errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { LineBytes } from './line-bytes.js'
import type { AnyTableSpec, Row } from './table-spec.js'

export interface BatchOptions {
  /** Flush when this many rows are buffered. Default: 50000. */
  maxRows: number
  /** Flush rows that have waited this long, ms. Default: 500 (≈ 2 inserts per second per table). */
  maxDelayMs: number
  /** First retry delay after a failed insert, ms; doubles up to 5 s. Default: 250. */
  retryBaseMs: number
}

export const DEFAULT_BATCH: BatchOptions = { maxRows: 50_000, maxDelayMs: 500, retryBaseMs: 250 }

/**
 * One batch: its rows' JSONCompactEachRow lines (`spec.lineOf`) as UTF-8 bytes, which is what is inserted (whole
 * lines, in row order, split into a few chunks), and the rows the batcher was asked to keep for `onInserted`.
 */
export interface RowBatch {
  /** Rows in the batch. */
  count: number
  /** The rows `BatcherOptions.keep` kept, in order (all of them by default). */
  rows: Row[]
  bytes: Buffer[]
}

/** Inserts one batch; `token` is stable for the same rows so a retried insert is deduplicated. */
export type InsertFn = (table: string, columns: readonly string[], batch: RowBatch, token: string) => Promise<void>

export interface BatcherStats {
  rows: number
  batches: number
  retries: number
  lastBatchRows: number
  lastInsertMs: number
}

export interface BatcherOptions {
  /** The table: its name and the columns an insert names. */
  table: AnyTableSpec
  /** Writes one batch (normally `clickHouseInsert`). */
  insert: InsertFn
  /** Size and age limits. Default: DEFAULT_BATCH. */
  batch?: Partial<BatchOptions>
  logger?: Logger
  /** Called with each batch's size and insert time, for metrics. Default: none. */
  onBatch?: (rows: number, ms: number) => void
  /** Releases a WAL record once its row is inserted (rows added with `addLogged`). Default: none. */
  release?: (lsn: number) => void
  /**
   * Which rows the batch keeps as rows (`RowBatch.rows`) for whoever reads them after the insert. Default: all.
   * A row kept waits ~500 ms for its insert, outlives young-generation collections and is copied into the old
   * generation, with its strings: keeping none (the gateway without `onInserted`) took ~1.5 µs of CPU off each frame.
   */
  keep?: (row: Row) => boolean
}

/**
 * Buffers rows for one table and inserts them by size or age. A row's `onInserted` runs only after
 * the insert that carries it succeeded; failed inserts are retried with the same token until they do,
 * so nothing PUBACKed is ever lost and nothing retried is written twice.
 */
export class Batcher {
  readonly stats: BatcherStats = { rows: 0, batches: 0, retries: 0, lastBatchRows: 0, lastInsertMs: 0 }
  readonly table: string
  private readonly spec: AnyTableSpec
  private readonly insert: InsertFn
  private readonly opts: BatchOptions
  private readonly onBatch: ((rows: number, ms: number) => void) | undefined
  private readonly release: ((lsn: number) => void) | undefined
  private readonly keep: ((row: Row) => boolean) | undefined
  private rows: Row[] = []
  private lines = new LineBytes()
  private callbacks: (() => void)[] = []
  private lsns: number[] = []
  private inFlightRows = 0
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> = Promise.resolve()
  /** Buffered rows are due, and go when the inserts in flight return (`due`). */
  private flushWhenIdle = false
  private closing = false
  private readonly log: Logger

  constructor(o: BatcherOptions) {
    this.spec = o.table
    this.table = o.table.name
    this.insert = o.insert
    this.opts = { ...DEFAULT_BATCH, ...o.batch }
    this.onBatch = o.onBatch
    this.release = o.release
    this.keep = o.keep
    this.log = o.logger ?? silentLogger
  }

  /** Rows waiting, including the batch being inserted. */
  get pending(): number {
    return this.lines.count + this.inFlightRows
  }

  /** Buffers one row and its line (both built by the table's spec); `onInserted` runs once it is in ClickHouse. */
  add(row: Row, line: string, onInserted?: () => void): void {
    if (onInserted !== undefined) this.callbacks.push(onInserted)
    this.push(row, line)
  }

  /** Buffers a row whose record is WAL record `lsn`: it is released once the row is in ClickHouse (no closure per row). */
  addLogged(row: Row, line: string, lsn: number): void {
    if (this.release === undefined) throw new Error(`batcher for ${this.table} has no WAL to release`)
    this.lsns.push(lsn)
    this.push(row, line)
  }

  private push(row: Row, line: string): void {
    if (this.keep === undefined || this.keep(row)) this.rows.push(row)
    this.lines.append(line)
    if (this.lines.count >= this.opts.maxRows) void this.flush()
    else this.timer ??= setTimeout(() => this.due(), this.opts.maxDelayMs)
  }

  /**
   * The oldest buffered row has waited `maxDelayMs`. With an insert still running, the batch is cut when that insert
   * returns instead, and rows that arrive meanwhile ride along: when inserts are slow (a loaded machine, a backlog
   * after an outage) batches grow and inserts per second fall, rather than small inserts queueing up, each with a
   * fixed cost in ClickHouse (~25 ms of CPU per telemetry insert in chDB here, parts written for the table and its
   * materialized views) that takes CPU from the rows themselves.
   */
  private due(): void {
    this.timer = undefined
    if (this.inFlightRows === 0) void this.flush()
    else this.flushWhenIdle = true
  }

  /** Inserts everything buffered so far; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.flushWhenIdle = false
    if (this.lines.count === 0) return this.inFlight
    const batch: RowBatch = { count: this.lines.count, rows: this.rows, bytes: this.lines.chunks() }
    const callbacks = this.callbacks
    const lsns = this.lsns
    this.rows = []
    this.lines = new LineBytes()
    this.callbacks = []
    this.lsns = []
    const n = batch.count
    this.inFlightRows += n
    // One insert at a time per table keeps rows in order and memory bounded by what the source holds back.
    this.inFlight = this.inFlight.then(() => this.insertWithRetry(batch, callbacks, lsns)).finally(() => {
      this.inFlightRows -= n
      if (this.flushWhenIdle && this.inFlightRows === 0) void this.flush()
    })
    return this.inFlight
  }

  private async insertWithRetry(batch: RowBatch, callbacks: (() => void)[], lsns: number[]): Promise<void> {
    const n = batch.count
    const token = batchToken(this.table, batch.bytes)
    let delay = this.opts.retryBaseMs
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now()
      try {
        await this.insert(this.table, this.spec.insertColumns, batch, token)
        const ms = performance.now() - t0
        this.stats.rows += n
        this.stats.batches++
        this.stats.lastBatchRows = n
        this.stats.lastInsertMs = ms
        this.onBatch?.(n, ms)
        for (const onInserted of callbacks) onInserted()
        for (const lsn of lsns) this.release!(lsn)
        return
      } catch (err) {
        this.stats.retries++
        this.log.warn({ table: this.table, rows: n, attempt, err: errorMessage(err) }, 'insert failed; retrying')
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

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * Same batch → same token, so ClickHouse drops a retried block it already has. A retry sends the very bytes it
 * hashed, and WAL replay inserts only rows ClickHouse does not have (journal/replay.ts), so the bytes identify
 * the block; hashing them is one native call per chunk, where keys cost a string and a call per row.
 */
export function batchToken(table: string, bytes: readonly Uint8Array[]): string {
  const h = createHash('sha256').update(table).update('\n')
  for (const b of bytes) h.update(b)
  return h.digest('hex').slice(0, 32)
}
