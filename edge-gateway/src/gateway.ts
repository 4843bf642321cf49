import { systemClock, silentLogger, type Clock, type Logger } from '../../common/index.js'
import type { FrameSource } from './broker/source.js'
import { DEFAULT_VALIDATION, type ValidationOptions } from './ingest/decode.js'
import { FrameRouter } from './ingest/router.js'
import { seedSeqFromClickHouse } from './ingest/seq-seed.js'
import { SeqTracker } from './ingest/seq-tracker.js'
import { WalFlowControl } from './journal/flow-control.js'
import { replayWal } from './journal/replay.js'
import type { WriteAheadLog } from './journal/wal.js'
import { GatewayMetrics } from './metrics.js'
import type { BatchOptions } from './sink/batcher.js'
import type { ClickHouseHandle } from './sink/clickhouse.js'
import { clickHouseInsert, type OnInserted } from './sink/insert.js'
import { migrate } from './sink/schema.js'
import type { Columns, RecordOf, Row, TableSpec } from './sink/table-spec.js'
import { TableSink } from './sink/table-sink.js'
import { TABLE_SPECS, TELEMETRY } from './sink/tables.js'

export interface GatewayOptions {
  /** Where frames come from: the embedded broker or an external one. */
  source: FrameSource
  /** Where rows go. The gateway does not close it: whoever opened it does. */
  clickhouse: ClickHouseHandle
  /** Batch limits. Default: 50000 rows or 500 ms per table. */
  batch?: Partial<BatchOptions>
  /** Validation bounds. Default: reject > 5 min in the future, flag > 48 h old as late. */
  validation?: Partial<ValidationOptions>
  /** The clock frames are judged against (the simulated clock when embedded). Default: system clock. */
  clock?: Clock
  /** Real time, for rate-limiting log lines. Default: system clock. */
  wallClock?: Clock
  logger?: Logger
  metrics?: GatewayMetrics
  /**
   * Write-ahead log. With one, a frame's PUBACK is sent once the frame is durable in the log (not in
   * ClickHouse), the log is replayed at start, and when it is full frames are held without their PUBACK.
   * Default: none (PUBACK after the ClickHouse insert). The gateway does not close it: whoever opened it does.
   */
  wal?: WriteAheadLog
  /**
   * Called after each successful insert, the moment its rows become visible (load tests time this), with the rows
   * `keepInserted` kept and the batch's row count. Default: none.
   */
  onInserted?: OnInserted
  /**
   * Which rows `onInserted` gets. Default: all (with `onInserted`). A row held for its reader costs the collector
   * ~1.5 µs while it waits for its insert, so a reader that needs a sample should ask for just that.
   */
  keepInserted?: (table: string, row: Row) => boolean
}

export interface GatewayStats {
  framesIn: number
  accepted: number
  deadLettered: number
  duplicates: number
  gaps: number
  /** Rows inserted into every table, including dead letters, gaps, chiller readings and ground truth. */
  rowsInserted: number
  /** Telemetry frames inserted into pours, temperatures and health. */
  framesLanded: number
}

const TELEMETRY_TABLES = new Set<string>(Object.values(TELEMETRY).map((t) => t.name))

/**
 * The edge gateway, one frame's path in the order it runs:
 * 1. `handle`: a frame from the source, held back while the WAL is full (journal/flow-control.ts);
 * 2. the router decodes and validates it, dead-letters a bad one, judges its seq (ingest/router.ts);
 * 3. `store`: the row goes into the WAL, and the frame's PUBACK runs once it is durable (journal/wal.ts);
 * 4. then into its table's batcher (sink/table-sink.ts, sink/batcher.ts);
 * 5. which inserts it into ClickHouse and releases it from the WAL (sink/insert.ts).
 */
export class Gateway {
  readonly metrics: GatewayMetrics
  readonly seq = new SeqTracker()
  readonly stats: GatewayStats = { framesIn: 0, accepted: 0, deadLettered: 0, duplicates: 0, gaps: 0, rowsInserted: 0, framesLanded: 0 }
  private readonly opts: GatewayOptions
  private readonly log: Logger
  private readonly flowControl: WalFlowControl | undefined
  private readonly router: FrameRouter
  private readonly sink: TableSink
  private closed = false

  constructor(opts: GatewayOptions) {
    this.opts = opts
    this.log = (opts.logger ?? silentLogger).child({ component: 'gateway' })
    this.metrics = opts.metrics ?? new GatewayMetrics()
    const wal = opts.wal
    this.flowControl = wal && new WalFlowControl(wal, (f) => this.handle(f.topic, f.payload, f.puback), this.log)
    this.router = new FrameRouter({
      validation: { ...DEFAULT_VALIDATION, ...opts.validation },
      seq: this.seq,
      store: (table, record, onDurable) => this.store(table, record, onDurable),
      stats: this.stats,
      metrics: this.metrics,
      clock: opts.clock ?? systemClock,
      wallClock: opts.wallClock ?? systemClock,
      logger: this.log,
    })
    this.sink = new TableSink({
      tables: TABLE_SPECS,
      insert: clickHouseInsert(opts.clickhouse.client, opts.onInserted),
      batch: opts.batch,
      release: opts.wal && ((lsn) => opts.wal!.release(lsn)),
      keep: opts.onInserted === undefined ? () => false : opts.keepInserted,
      logger: this.log,
      onBatch: (table, rows, ms) => {
        this.stats.rowsInserted += rows
        if (TELEMETRY_TABLES.has(table)) this.stats.framesLanded += rows
        this.metrics.rowsOut.inc({ table }, rows)
        this.metrics.batchRows.observe({ table }, rows)
        this.metrics.insertSeconds.observe({ table }, ms / 1000)
      },
    })
  }

  /** Applies migrations, replays the WAL, seeds seq tracking from what landed, then starts taking frames. */
  async start(): Promise<void> {
    const client = this.opts.clickhouse.client
    await migrate(client, { log: this.log })
    if (this.opts.wal !== undefined) await replayWal({ wal: this.opts.wal, client, tables: TABLE_SPECS, sink: this.sink, logger: this.log })
    await seedSeqFromClickHouse(client, this.seq)
    await this.opts.source.start((topic, payload, puback) => this.handle(topic, payload, puback))
    this.log.info({ source: this.opts.source.description, clickhouse: this.opts.clickhouse.location }, 'gateway running')
  }

  /** One frame in; `puback` runs once it is durable. Public so other sources (tests, bridges) can feed the same path. */
  handle(topic: string, payload: Uint8Array, puback: () => void): void {
    if (this.flowControl?.hold(topic, payload, puback) === true) return
    this.router.route(topic, payload, puback)
  }

  /**
   * Every record goes through here: built into its table's row and that row's JSONCompactEachRow line, the line
   * appended to the WAL (`onDurable` once it is on disk), then both to the table's batcher, which inserts the line
   * and releases the record from the WAL once inserted. Without a WAL, `onDurable` waits for the insert.
   */
  store<C extends Columns>(table: TableSpec<C>, record: RecordOf<C>, onDurable: () => void): void {
    const row = table.toRow(record)
    const line = table.lineOf(row)
    const wal = this.opts.wal
    if (!this.sink.has(table.name)) throw new Error(`no table spec for ${table.name}`)
    if (wal === undefined) {
      this.sink.add(table.name, row, line, onDurable)
      return
    }
    this.sink.addLogged(table.name, row, line, wal.append(table.name, line, onDurable))
  }

  /** Rows buffered or being inserted, in every table, not yet in ClickHouse. */
  get pendingRows(): number {
    return this.sink.pendingRows
  }

  /** Frames held back, without their PUBACK, because the WAL is full. */
  get heldFrames(): number {
    return this.flowControl?.heldFrames ?? 0
  }

  /** Writes every buffered row now. */
  async flush(): Promise<void> {
    await this.sink.flush()
  }

  /** Stops the source, then flushes every buffered frame to ClickHouse. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.opts.source.close()
    await this.opts.wal?.sync()
    await this.sink.close()
    this.log.info({ ...this.stats }, 'gateway stopped; all buffered frames flushed')
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
