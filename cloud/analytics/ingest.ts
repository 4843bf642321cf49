import type { ClickHouseClient } from '@clickhouse/client'
import { silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import { Batcher, clickHouseInsert, DEAD_LETTERS, type BatchOptions } from '../../edge-gateway/index.js'
import { CaptureError } from './errors.js'
import { PRODUCT_EVENTS, type EventSource, type ProductEvent, type ProductEventRow } from './table.js'

/** Dead letters keep at most this much of a rejected body, as the gateway's do. */
const DEAD_LETTER_BYTES = 64 * 1024

export interface ProductEventWriterOptions {
  /** ClickHouse holding `tapflow.product_events` and `tapflow.dead_letters` (the gateway's client). Required. */
  client: ClickHouseClient
  /**
   * Batching. Default: up to 20,000 rows or 250 ms per insert: a few inserts a second at any rate, and an event is
   * queryable well within the 2 s the issue asks for.
   */
  batch?: Partial<BatchOptions>
  /** Events buffered (not yet in ClickHouse) past which `write` refuses with CAPTURE_BUSY. Default: 200,000. */
  maxPending?: number
  /** Called once inserted rows are queryable, with the time; for live views and latency. Default: none. */
  onVisible?: (rows: readonly ProductEventRow[], at: number) => void
  /** Default: silent. */
  logger?: Logger
  /** Stamps `received_at` when the caller gives none. Default: system clock. */
  clock?: Clock
}

export const DEFAULT_EVENT_BATCH: Partial<BatchOptions> = { maxRows: 20_000, maxDelayMs: 250 }

/**
 * The ingest API: events from anywhere (the capture endpoint, the business simulation) into
 * `tapflow.product_events`, batched; rejected payloads into `tapflow.dead_letters`. A failed insert is retried with
 * the same dedup token until it lands (the gateway's Batcher), so a write is lost only if the process dies first.
 */
export class ProductEventWriter implements AsyncDisposable {
  private readonly events: Batcher
  private readonly deadLetters: Batcher
  private readonly maxPending: number
  private readonly clock: Clock

  constructor(o: ProductEventWriterOptions) {
    const log = (o.logger ?? silentLogger).child({ component: 'product-events' })
    this.clock = o.clock ?? systemClock
    this.maxPending = o.maxPending ?? 200_000
    const onVisible = o.onVisible
    const insert = clickHouseInsert(o.client, onVisible === undefined ? undefined : (table, rows) => {
      if (table === PRODUCT_EVENTS.name) onVisible(rows.map((r) => PRODUCT_EVENTS.fromRow(r)), this.clock.now())
    })
    this.events = new Batcher({ table: PRODUCT_EVENTS, insert, batch: { ...DEFAULT_EVENT_BATCH, ...o.batch }, logger: log })
    this.deadLetters = new Batcher({ table: DEAD_LETTERS, insert, batch: { maxDelayMs: 1_000 }, logger: log })
  }

  /** Events buffered or being inserted. */
  get pending(): number {
    return this.events.pending
  }

  /**
   * Buffers `events` for insertion, stamped with `source` and `receivedAt` (default: now). Throws CAPTURE_BUSY when
   * ClickHouse is behind by more than `maxPending` events, so callers push back instead of growing memory.
   */
  write(events: readonly ProductEvent[], source: EventSource, receivedAt = this.clock.now()): void {
    if (this.events.pending + events.length > this.maxPending) {
      throw new CaptureError('CAPTURE_BUSY', `${this.events.pending} events are waiting for ClickHouse; try again shortly`, { retryAfterS: 1 })
    }
    for (const e of events) {
      const row = PRODUCT_EVENTS.toRow({
        uuid: e.uuid, event: e.event, distinct_id: e.distinct_id, session_id: e.session_id, properties: JSON.stringify(e.properties),
        timestamp: e.timestamp, received_at: receivedAt, source,
      })
      this.events.add(row, PRODUCT_EVENTS.lineOf(row))
    }
  }

  /** Keeps a rejected payload (its first 64 KiB) with the reason, as the gateway does for a bad frame. */
  deadLetter(where: string, reason: string, detail: string, payload: Buffer, sender = ''): void {
    const row = DEAD_LETTERS.toRow({
      received_at: this.clock.now(), topic: where.slice(0, 1024), device_id: sender.slice(0, 200), reason, detail: detail.slice(0, 1024),
      payload_base64: payload.subarray(0, DEAD_LETTER_BYTES).toString('base64'),
    })
    this.deadLetters.add(row, DEAD_LETTERS.lineOf(row))
  }

  /** Resolves once everything written so far is in ClickHouse. */
  async flush(): Promise<void> {
    await Promise.all([this.events.flush(), this.deadLetters.flush()])
  }

  async close(): Promise<void> {
    await Promise.all([this.events.close(), this.deadLetters.close()])
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
