import type { ClickHouseClient } from '@clickhouse/client'
import { errorMessage, silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import { chTime, rows } from './db.js'
import type { LivePour, LiveRates } from '../api.js'



export type LiveEvent = { type: 'pours'; pours: LivePour[] } | { type: 'rates'; rates: LiveRates }

export interface LiveFeedOptions {
  client: ClickHouseClient
  /** The clock the gateway stamps received_at with (the simulated clock in `tapflow up`). Default: system clock. */
  clock?: Clock
  /** Frames the gateway has taken in so far, when it runs in this process. Default: counted in ClickHouse. */
  framesIn?: () => number
  /** Poll period for new pours, ms. Default: 250 (with the gateway's 500 ms batches, pours show within ~1 s). */
  pollMs?: number
  logger?: Logger
}

const POUR_COLUMNS = `device_id AS deviceId, venue_id AS venueId, seq, toUnixTimestamp64Milli(ts) AS ts,
  toUnixTimestamp64Milli(received_at) AS receivedAt, beverage_id AS beverage, round(volume_ml) AS volumeMl, round(keg_remaining_ml) AS kegRemainingMl`

/**
 * One poller shared by every SSE client: new pours by arrival time, and rates once a second.
 * It runs only while someone listens. Arrival time is stamped before the batch is inserted, so each poll
 * looks back a few real seconds and drops pours it has already sent.
 */
export class LiveFeed {
  private readonly listeners = new Set<(e: LiveEvent) => void>()
  private readonly clock: Clock
  private readonly log: Logger
  private readonly sent = new Map<string, number>()
  private marks: [real: number, sim: number][] = []
  private frameMarks: [real: number, frames: number][] = []
  private timer: NodeJS.Timeout | undefined
  private polls = 0
  private busy = false

  constructor(private readonly opts: LiveFeedOptions) {
    this.clock = opts.clock ?? systemClock
    this.log = (opts.logger ?? silentLogger).child({ component: 'dashboard-live' })
  }

  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 250)
      void this.tick()
    }
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stop()
    }
  }

  /** The newest pours (within the last 10 minutes of the stack's clock) and current rates. */
  async snapshot(limit: number): Promise<{ pours: LivePour[]; rates: LiveRates }> {
    const since = chTime(this.clock.now() - 600_000)
    const pours = await rows<LivePour>(this.opts.client, `SELECT ${POUR_COLUMNS} FROM tapflow.pours WHERE received_at >= {since:DateTime64(3)} ORDER BY received_at DESC LIMIT {limit:UInt32}`, { since, limit })
    return { pours, rates: await this.rates() }
  }

  private async tick(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const real = Date.now()
      this.marks.push([real, this.clock.now()])
      while (this.marks.length > 1 && this.marks[0]![0] < real - 5_000) this.marks.shift()
      const lo = this.marks[0]![1] - 1_000
      const found = await rows<LivePour>(this.opts.client, `SELECT ${POUR_COLUMNS} FROM tapflow.pours WHERE received_at >= {lo:DateTime64(3)} ORDER BY received_at DESC LIMIT 500`, { lo: chTime(lo) })
      const fresh = found.filter((p) => !this.sent.has(`${p.deviceId}:${p.seq}`)).reverse()
      for (const p of fresh) this.sent.set(`${p.deviceId}:${p.seq}`, p.receivedAt)
      for (const [k, at] of this.sent) if (at < lo) this.sent.delete(k)
      if (fresh.length > 0) this.emit({ type: 'pours', pours: fresh })
      if (this.polls++ % Math.max(1, Math.round(1000 / (this.opts.pollMs ?? 250))) === 0) this.emit({ type: 'rates', rates: await this.rates() })
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'live poll failed; retrying')
    } finally {
      this.busy = false
    }
  }

  private async rates(): Promise<LiveRates> {
    const now = this.clock.now()
    // Without an in-process counter, count the last 10 s of arrivals in all three telemetry tables.
    const frames = this.opts.framesIn
      ? '0'
      : `countIf(received_at >= {fsince:DateTime64(3)}) + (SELECT count() FROM tapflow.temperatures WHERE received_at >= {fsince:DateTime64(3)})
         + (SELECT count() FROM tapflow.health WHERE received_at >= {fsince:DateTime64(3)})`
    const [r] = await rows<{ pours: number; volume: number; frames: number }>(
      this.opts.client,
      `SELECT count() AS pours, sum(volume_ml) AS volume, ${frames} AS frames FROM tapflow.pours WHERE received_at >= {since:DateTime64(3)}`,
      { since: chTime(now - 60_000), fsince: chTime(now - 10_000) },
    )
    return { framesPerS: this.framesPerS(r?.frames ?? 0), litresPerMin: Math.round((r?.volume ?? 0) / 10) / 100, pours: r?.pours ?? 0 }
  }

  /** From the in-process counter over the last ~5 real seconds, else frames that arrived in the last 10 s. */
  private framesPerS(countedLast10s: number): number {
    if (this.opts.framesIn === undefined) return Math.round(countedLast10s / 10)
    const real = Date.now()
    this.frameMarks.push([real, this.opts.framesIn()])
    while (this.frameMarks.length > 2 && this.frameMarks[0]![0] < real - 5_000) this.frameMarks.shift()
    const [a, b] = [this.frameMarks[0]!, this.frameMarks[this.frameMarks.length - 1]!]
    return b[0] > a[0] ? Math.round(((b[1] - a[1]) * 1000) / (b[0] - a[0])) : 0
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e)
  }

  private stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.sent.clear()
    this.marks = []
  }

  close(): void {
    this.listeners.clear()
    this.stop()
  }
}
