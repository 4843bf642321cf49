import { systemClock, silentLogger, type Clock, type Logger } from '../../common/index.js'
import type { FrameKind } from '../../proto/index.js'
import type { FrameSource } from './broker/source.js'
import { DEFAULT_VALIDATION, decodeFrame, type ValidationOptions } from './ingest/decode.js'
import { DEAD_LETTER_COLUMNS, HEALTH_COLUMNS, POUR_COLUMNS, TEMPERATURE_COLUMNS, type RejectReason } from './ingest/rows.js'
import { SeqTracker } from './ingest/seq-tracker.js'
import { GatewayMetrics } from './metrics.js'
import { Batcher, DEFAULT_BATCH, type BatchOptions, type InsertFn } from './sink/batcher.js'
import { asClickHouseError, type ClickHouseHandle } from './sink/clickhouse.js'
import { migrate } from './sink/schema.js'

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
  logger?: Logger
  metrics?: GatewayMetrics
}

export interface GatewayStats {
  framesIn: number
  accepted: number
  deadLettered: number
  duplicates: number
  gaps: number
  rowsInserted: number
}

const TABLES: Record<FrameKind, { table: string; columns: readonly string[] }> = {
  pour: { table: 'tapflow.pours', columns: POUR_COLUMNS },
  temp: { table: 'tapflow.temperatures', columns: TEMPERATURE_COLUMNS },
  health: { table: 'tapflow.health', columns: HEALTH_COLUMNS },
}

/**
 * The edge gateway: decode and validate every frame, dead-letter the bad ones, track seq per device,
 * batch by table, insert into ClickHouse, and acknowledge each frame to its source once it is durable.
 */
export class Gateway {
  readonly metrics: GatewayMetrics
  readonly seq = new SeqTracker()
  readonly stats: GatewayStats = { framesIn: 0, accepted: 0, deadLettered: 0, duplicates: 0, gaps: 0, rowsInserted: 0 }
  private readonly opts: GatewayOptions
  private readonly validation: ValidationOptions
  private readonly clock: Clock
  private readonly log: Logger
  private readonly batchers: Record<FrameKind, Batcher>
  private readonly deadLetters: Batcher
  private gapLogBudget = { second: 0, lines: 0 }
  private closed = false

  constructor(opts: GatewayOptions) {
    this.opts = opts
    this.validation = { ...DEFAULT_VALIDATION, ...opts.validation }
    this.clock = opts.clock ?? systemClock
    this.log = (opts.logger ?? silentLogger).child({ component: 'gateway' })
    this.metrics = opts.metrics ?? new GatewayMetrics()
    const batch = { ...DEFAULT_BATCH, ...opts.batch }
    const client = opts.clickhouse.client
    const insert: InsertFn = async (table, columns, rows, token) => {
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
    }
    const make = (table: string, columns: readonly string[]): Batcher =>
      new Batcher(table, columns, insert, batch, this.log, (rows, ms) => {
        this.stats.rowsInserted += rows
        this.metrics.rowsOut.inc({ table }, rows)
        this.metrics.batchRows.observe({ table }, rows)
        this.metrics.insertSeconds.observe({ table }, ms / 1000)
      })
    this.batchers = {
      pour: make(TABLES.pour.table, TABLES.pour.columns),
      temp: make(TABLES.temp.table, TABLES.temp.columns),
      health: make(TABLES.health.table, TABLES.health.columns),
    }
    this.deadLetters = make('tapflow.dead_letters', DEAD_LETTER_COLUMNS)
  }

  /** Applies migrations, then starts taking frames from the source. */
  async start(): Promise<void> {
    await migrate(this.opts.clickhouse.client, this.log)
    await this.opts.source.start((topic, payload, ack) => this.handle(topic, payload, ack))
    this.log.info({ source: this.opts.source.description, clickhouse: this.opts.clickhouse.location }, 'gateway running')
  }

  /** Rows buffered and not yet durable. */
  get pendingRows(): number {
    return Object.values(this.batchers).reduce((s, b) => s + b.pending, this.deadLetters.pending)
  }

  /** One frame in. Public so other sources (tests, bridges) can feed the same path. */
  handle(topic: string, payload: Uint8Array, ack: () => void): void {
    this.stats.framesIn++
    const now = this.clock.now()
    const d = decodeFrame(topic, payload, now, this.validation)
    if (!d.ok) {
      this.deadLetter(topic, payload, d.reason, d.detail, d.deviceId, now, ack)
      return
    }
    this.metrics.framesIn.inc({ kind: d.kind })
    const verdict = this.seq.observe(d.deviceId, d.seq)
    if (verdict.kind === 'duplicate') {
      this.stats.duplicates++
      this.metrics.duplicates.inc()
      ack()
      return
    }
    if (verdict.kind === 'gap') {
      this.stats.gaps++
      this.metrics.gaps.inc()
      this.logGap(d.deviceId, verdict.from, verdict.to)
    }
    this.metrics.missing.set(this.seq.openMissing)
    this.stats.accepted++
    this.batchers[d.kind].add(d.row, ack)
  }

  private deadLetter(topic: string, payload: Uint8Array, reason: RejectReason, detail: string, deviceId: string, now: number, ack: () => void): void {
    this.stats.deadLettered++
    this.metrics.deadLetters.inc({ reason })
    const raw = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 64 * 1024))
    this.deadLetters.add([now, topic.slice(0, 1024), deviceId, reason, detail.slice(0, 1024), raw.toString('base64')], ack)
  }

  private logGap(deviceId: string, from: number, to: number): void {
    const second = Math.floor(Date.now() / 1000)
    if (second !== this.gapLogBudget.second) this.gapLogBudget = { second, lines: 0 }
    if (this.gapLogBudget.lines++ < 10) this.log.warn({ device: deviceId, from, to, missing: to - from + 1 }, 'seq gap: frames missing')
  }

  /** Writes every buffered row now. */
  async flush(): Promise<void> {
    await Promise.all([...Object.values(this.batchers), this.deadLetters].map((b) => b.flush()))
  }

  /** Stops the source, then flushes every buffered frame to ClickHouse. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.opts.source.close()
    await Promise.all([...Object.values(this.batchers), this.deadLetters].map((b) => b.close()))
    this.log.info({ ...this.stats }, 'gateway stopped; all buffered frames flushed')
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
