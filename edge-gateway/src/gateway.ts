import { systemClock, silentLogger, type Clock, type Logger } from '../../common/index.js'
import { GROUND_TRUTH_TOPIC, type FrameKind } from '../../proto/index.js'
import { GROUND_TRUTH_COLUMNS, GROUND_TRUTH_TABLE, decodeGroundTruth } from './ingest/ground-truth.js'
import type { FrameSource } from './broker/source.js'
import { DEFAULT_VALIDATION, decodeBatch, decodeFrame, isBatchTopic, type Decoded, type ValidationOptions } from './ingest/decode.js'
import { DEAD_LETTER_COLUMNS, HEALTH_COLUMNS, POUR_COLUMNS, TEMPERATURE_COLUMNS, type RejectReason } from './ingest/rows.js'
import { SeqTracker } from './ingest/seq-tracker.js'
import { GatewayMetrics } from './metrics.js'
import { Batcher, DEFAULT_BATCH, type BatchOptions, type InsertFn } from './sink/batcher.js'
import { asClickHouseError, type ClickHouseHandle } from './sink/clickhouse.js'
import { migrate } from './sink/schema.js'
import { GAP_COLUMNS, gapRow } from './ingest/gap-rows.js'
import type { Row } from './ingest/rows.js'
import { splitReplay, type ReplayKey } from './wal/replay.js'
import { CHILLER_COLUMNS } from './opcua/chiller-bridge.js'
import type { WriteAheadLog } from './wal/wal.js'

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
  /**
   * Write-ahead log. With one, a frame is acknowledged once it is durable in the log (not in ClickHouse),
   * the log is replayed at start, and when it is full frames are held unacknowledged. Default: none
   * (acknowledge after the ClickHouse insert). The gateway does not close it: whoever opened it does.
   */
  wal?: WriteAheadLog
  /** Called after each successful insert with its rows, the moment they become visible (load tests time this). */
  onInserted?: (table: string, rows: readonly Row[]) => void
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

const TABLES: Record<FrameKind, { table: string; columns: readonly string[] }> = {
  pour: { table: 'tapflow.pours', columns: POUR_COLUMNS },
  temp: { table: 'tapflow.temperatures', columns: TEMPERATURE_COLUMNS },
  health: { table: 'tapflow.health', columns: HEALTH_COLUMNS },
}
const TELEMETRY_TABLES = new Set(Object.values(TABLES).map((t) => t.table))

/**
 * The edge gateway: decode and validate every frame, dead-letter the bad ones, track seq per device,
 * batch by table, insert into ClickHouse, and acknowledge each frame to its source once it is durable.
 */
export class Gateway {
  readonly metrics: GatewayMetrics
  readonly seq = new SeqTracker()
  readonly stats: GatewayStats = { framesIn: 0, accepted: 0, deadLettered: 0, duplicates: 0, gaps: 0, rowsInserted: 0, framesLanded: 0 }
  private readonly opts: GatewayOptions
  private readonly validation: ValidationOptions
  private readonly clock: Clock
  private readonly log: Logger
  private readonly batchers: Record<FrameKind, Batcher>
  private readonly deadLetters: Batcher
  private readonly gapRows: Batcher
  private readonly byTable = new Map<string, Batcher>()
  private readonly replayKeys = new Map<string, ReplayKey>()
  /** Frames that arrived while the WAL was full: not decoded, not acknowledged, so the sender keeps them. */
  private held: [string, Buffer, () => void][] = []
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
        opts.onInserted?.(table, rows)
      } catch (err) {
        throw asClickHouseError(err, `insert into ${table}`)
      }
    }
    const make = (table: string, columns: readonly string[], key?: readonly string[]): Batcher => {
      const b = new Batcher(table, columns, insert, batch, this.log, (rows, ms) => {
        this.stats.rowsInserted += rows
        if (TELEMETRY_TABLES.has(table)) this.stats.framesLanded += rows
        this.metrics.rowsOut.inc({ table }, rows)
        this.metrics.batchRows.observe({ table }, rows)
        this.metrics.insertSeconds.observe({ table }, ms / 1000)
      })
      this.byTable.set(table, b)
      if (key !== undefined) this.replayKeys.set(table, { columns, key })
      return b
    }
    this.batchers = {
      pour: make(TABLES.pour.table, TABLES.pour.columns, ['device_id', 'seq']),
      temp: make(TABLES.temp.table, TABLES.temp.columns, ['device_id', 'seq']),
      health: make(TABLES.health.table, TABLES.health.columns, ['device_id', 'seq']),
    }
    this.deadLetters = make('tapflow.dead_letters', DEAD_LETTER_COLUMNS, ['received_at', 'topic', 'reason', 'detail', 'payload_base64'])
    this.gapRows = make('tapflow.gaps', GAP_COLUMNS)
    // OPC-UA chiller readings (ChillerBridge) share the WAL and batch path; a replayed copy collapses (ReplacingMergeTree).
    make('tapflow.chiller', CHILLER_COLUMNS)
    make(GROUND_TRUTH_TABLE, GROUND_TRUTH_COLUMNS, ['record_id', 'recorded_at'])
  }

  /** Applies migrations, then starts taking frames from the source. */
  async start(): Promise<void> {
    await migrate(this.opts.clickhouse.client, this.log)
    if (this.opts.wal !== undefined) await this.replay(this.opts.wal)
    await this.seedSeq()
    await this.opts.source.start((topic, payload, ack) => this.handle(topic, payload, ack))
    this.log.info({ source: this.opts.source.description, clickhouse: this.opts.clickhouse.location }, 'gateway running')
  }

  /** Rows buffered and not yet durable. */
  get pendingRows(): number {
    return Object.values(this.batchers).reduce((s, b) => s + b.pending, this.deadLetters.pending + this.gapRows.pending)
  }

  /** Frames held back, unacknowledged, because the WAL is full. */
  get heldFrames(): number {
    return this.held.length
  }

  /** Every row goes through here: into the WAL (acked when durable there), then the table's batcher. */
  store(table: string, row: Row, ack: () => void): void {
    const b = this.byTable.get(table)
    if (b === undefined) throw new Error(`no batcher for table ${table}`)
    const wal = this.opts.wal
    if (wal === undefined) {
      b.add(row, ack)
      return
    }
    const lsn = wal.append(table, row, ack)
    b.add(row, () => wal.release(lsn))
  }

  /** Re-inserts what the WAL still holds from before a stop or crash, skipping rows ClickHouse already has. */
  private async replay(wal: WriteAheadLog): Promise<void> {
    if (wal.recovered.length === 0) return
    const { present, missing } = await splitReplay(this.opts.clickhouse.client, wal.recovered, this.replayKeys)
    for (const r of present) wal.release(r.lsn)
    for (const r of missing) {
      const b = this.byTable.get(r.table)
      if (b === undefined) {
        this.log.error({ table: r.table, lsn: r.lsn }, 'WAL record for an unknown table; skipped')
        wal.release(r.lsn)
        continue
      }
      b.add(r.row as Row, () => wal.release(r.lsn))
    }
    await this.flush()
    this.log.info({ replayed: missing.length, alreadyInClickHouse: present.length }, 'WAL replayed')
  }

  /** After a restart, judge each device's next frame against the highest seq already landed. */
  private async seedSeq(): Promise<void> {
    const rs = await this.opts.clickhouse.client.query({
      query: `SELECT device_id, toString(max(seq)) FROM (SELECT device_id, seq FROM tapflow.pours UNION ALL
              SELECT device_id, seq FROM tapflow.temperatures UNION ALL SELECT device_id, seq FROM tapflow.health) GROUP BY device_id`,
      format: 'JSONCompactEachRow',
    })
    for (const [device, high] of (await rs.json()) as [string, string][]) this.seq.seed(device, Number(high))
  }

  /** One frame in. Public so other sources (tests, bridges) can feed the same path. */
  handle(topic: string, payload: Uint8Array, ack: () => void): void {
    const wal = this.opts.wal
    if (wal !== undefined && (wal.full || this.held.length > 0)) {
      // Stop acknowledging: the device (embedded) or broker (external) keeps the frame until there is room.
      this.held.push([topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), ack])
      if (this.held.length === 1) {
        this.log.warn({ walBytes: wal.bytes, maxBytes: wal.maxBytes }, 'WAL full: holding frames unacknowledged until ClickHouse catches up')
        void wal.whenSpace().then(() => this.releaseHeld())
      }
      return
    }
    const now = this.clock.now()
    // The simulator's ground-truth records: their own table, same durable path; bad ones are dead-lettered.
    if (topic === GROUND_TRUTH_TOPIC) {
      const g = decodeGroundTruth(payload, now)
      if (g.ok) this.store(GROUND_TRUTH_TABLE, g.row, ack)
      else this.accept(g, topic, payload, now, ack)
      return
    }
    if (isBatchTopic(topic)) {
      this.handleBatch(topic, payload, now, ack)
      return
    }
    this.accept(decodeFrame(topic, payload, now, this.validation), topic, payload, now, ack)
  }

  /** A batch message is acknowledged once every frame in it is durable, dead-lettered or a known duplicate. */
  private handleBatch(topic: string, payload: Uint8Array, now: number, ack: () => void): void {
    const frames = decodeBatch(topic, payload, now, this.validation)
    if (!Array.isArray(frames)) {
      this.accept(frames, topic, payload, now, ack)
      return
    }
    let pending = frames.length
    if (pending === 0) {
      ack()
      return
    }
    const one = (): void => {
      if (--pending === 0) ack()
    }
    for (const d of frames) this.accept(d, topic, payload, now, one)
  }

  /** One decoded frame: dead-letter it, drop it as a duplicate, or store it. */
  private accept(d: Decoded, topic: string, payload: Uint8Array, now: number, ack: () => void): void {
    this.stats.framesIn++
    if (!d.ok) {
      this.deadLetter(topic, payload, d.reason, d.detail, d.deviceId, now, ack)
      return
    }
    this.metrics.framesIn.inc({ kind: d.kind })
    const verdict = this.seq.observe(d.deviceId, d.seq)
    if (verdict.kind === 'implausible') {
      this.deadLetter(topic, payload, 'invalid_value', verdict.detail, d.deviceId, now, ack)
      return
    }
    if (verdict.kind === 'duplicate') {
      this.stats.duplicates++
      this.metrics.duplicates.inc()
      ack()
      return
    }
    const venueId = d.row[1] as string
    if (verdict.kind === 'gap') {
      this.stats.gaps++
      this.metrics.gaps.inc()
      this.logGap(d.deviceId, verdict.from, verdict.to)
      this.store('tapflow.gaps', gapRow(d.deviceId, venueId, verdict.from, verdict.to, verdict.to - verdict.from + 1, now, now), noop)
    } else if (verdict.kind === 'fills_gap') {
      if (verdict.remaining === 0) this.metrics.gapsClosed.inc()
      this.store('tapflow.gaps', gapRow(d.deviceId, venueId, verdict.gap.from, verdict.gap.to, verdict.remaining, now, now), noop)
    }
    this.metrics.missing.set(this.seq.openMissing)
    this.stats.accepted++
    this.store(TABLES[d.kind].table, d.row, ack)
  }

  private releaseHeld(): void {
    const held = this.held
    this.held = []
    this.log.info({ frames: held.length }, 'WAL has room again: taking held frames')
    for (const [topic, payload, ack] of held) this.handle(topic, payload, ack)
  }

  private deadLetter(topic: string, payload: Uint8Array, reason: RejectReason, detail: string, deviceId: string, now: number, ack: () => void): void {
    this.stats.deadLettered++
    this.metrics.deadLetters.inc({ reason })
    const raw = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 64 * 1024))
    this.store('tapflow.dead_letters', [now, topic.slice(0, 1024), deviceId, reason, detail.slice(0, 1024), raw.toString('base64')], ack)
  }

  private logGap(deviceId: string, from: number, to: number): void {
    const second = Math.floor(Date.now() / 1000)
    if (second !== this.gapLogBudget.second) this.gapLogBudget = { second, lines: 0 }
    if (this.gapLogBudget.lines++ < 10) this.log.warn({ device: deviceId, from, to, missing: to - from + 1 }, 'seq gap: frames missing')
  }

  /** Writes every buffered row now. */
  async flush(): Promise<void> {
    await Promise.all([...this.byTable.values()].map((b) => b.flush()))
  }

  /** Stops the source, then flushes every buffered frame to ClickHouse. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.opts.source.close()
    await this.opts.wal?.sync()
    await Promise.all([...this.byTable.values()].map((b) => b.close()))
    this.log.info({ ...this.stats }, 'gateway stopped; all buffered frames flushed')
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function noop(): void {}
