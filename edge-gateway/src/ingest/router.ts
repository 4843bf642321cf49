import type { Clock, Logger } from '../../../common/index.js'
import { GROUND_TRUTH_TOPIC } from '../../../proto/index.js'
import type { GatewayMetrics } from '../metrics.js'
import type { StoreFn } from '../sink/table-spec.js'
import { DEAD_LETTERS, GAPS, GROUND_TRUTH, TELEMETRY } from '../sink/tables.js'
import { decodeBatch, decodeFrame, isBatchTopic, type Decoded, type ValidationOptions } from './decode.js'
import { gapRecord } from './gap-rows.js'
import { decodeGroundTruth } from './ground-truth.js'
import type { RejectReason } from './rows.js'
import type { SeqTracker } from './seq-tracker.js'

/** Counters the router keeps; the gateway's stats object is passed in and shared. */
export interface RouterStats {
  framesIn: number
  accepted: number
  deadLettered: number
  duplicates: number
  gaps: number
}

export interface FrameRouterOptions {
  validation: ValidationOptions
  seq: SeqTracker
  /** Where records go: the gateway's `store` (WAL, then the table's batcher). */
  store: StoreFn
  stats: RouterStats
  metrics: GatewayMetrics
  /** The clock frames are judged against (`received_at`, future and late checks). */
  clock: Clock
  /** Real time, for the gap-log rate limit (the simulated clock may run a day per second). */
  wallClock: Clock
  logger: Logger
}

/** At most this many "seq gap" warnings per wall-clock second; the metric counts every gap. */
const GAP_LOG_LINES_PER_SECOND = 10

/**
 * The first stages of a frame's path: topic → decode and validate (dead-letter if bad) → seq verdict (drop a
 * duplicate, record a gap) → `store` into its table. Every frame's `puback` runs exactly once: when its row is
 * durable, when it is dead-lettered durably, or at once for a duplicate.
 */
export class FrameRouter {
  private gapLogBudget = { second: 0, lines: 0 }
  private missingShown = -1

  constructor(private readonly o: FrameRouterOptions) {}

  /** One frame in. */
  route(topic: string, payload: Uint8Array, puback: () => void): void {
    const now = this.o.clock.now()
    // The simulator's ground-truth records: their own table, same durable path; bad ones are dead-lettered.
    if (topic === GROUND_TRUTH_TOPIC) {
      const g = decodeGroundTruth(payload, now)
      if (g.ok) this.o.store(GROUND_TRUTH, g.record, puback)
      else this.accept(g, topic, payload, now, puback)
      return
    }
    if (isBatchTopic(topic)) {
      this.routeBatch(topic, payload, now, puback)
      return
    }
    this.accept(decodeFrame(topic, payload, now, this.o.validation), topic, payload, now, puback)
  }

  /** A batch message gets its PUBACK once every frame in it is durable, dead-lettered or a known duplicate. */
  private routeBatch(topic: string, payload: Uint8Array, now: number, puback: () => void): void {
    const frames = decodeBatch(topic, payload, now, this.o.validation)
    if (!Array.isArray(frames)) {
      this.accept(frames, topic, payload, now, puback)
      return
    }
    let pending = frames.length
    if (pending === 0) {
      puback()
      return
    }
    const one = (): void => {
      if (--pending === 0) puback()
    }
    for (const d of frames) this.accept(d, topic, payload, now, one)
  }

  /** One decoded frame: dead-letter it, drop it as a duplicate, or store it (recording a gap it opens or fills). */
  private accept(d: Decoded, topic: string, payload: Uint8Array, now: number, puback: () => void): void {
    const { stats, metrics, seq, store } = this.o
    stats.framesIn++
    if (!d.ok) {
      this.deadLetter(topic, payload, d.reason, d.detail, d.deviceId, now, puback)
      return
    }
    metrics.countFrameIn(d.kind)
    const verdict = seq.observe(d.deviceId, d.seq)
    if (verdict.kind === 'implausible') {
      this.deadLetter(topic, payload, 'invalid_value', verdict.detail, d.deviceId, now, puback)
      return
    }
    if (verdict.kind === 'duplicate') {
      stats.duplicates++
      metrics.duplicates.inc()
      puback()
      return
    }
    const venueId = d.record.venue_id
    if (verdict.kind === 'gap') {
      stats.gaps++
      metrics.gaps.inc()
      this.logGap(d.deviceId, verdict.from, verdict.to)
      store(GAPS, gapRecord(d.deviceId, venueId, verdict.from, verdict.to, verdict.to - verdict.from + 1, now, now), noop)
    } else if (verdict.kind === 'fills_gap') {
      if (verdict.remaining === 0) metrics.gapsClosed.inc()
      store(GAPS, gapRecord(d.deviceId, venueId, verdict.gap.from, verdict.gap.to, verdict.remaining, now, now), noop)
    }
    // Set only on change: it moves with gaps, which are rare, and a gauge write per frame is not free.
    if (seq.openMissing !== this.missingShown) metrics.missing.set((this.missingShown = seq.openMissing))
    stats.accepted++
    switch (d.kind) {
      case 'pour':
        return store(TELEMETRY.pour, d.record, puback)
      case 'temp':
        return store(TELEMETRY.temp, d.record, puback)
      case 'health':
        return store(TELEMETRY.health, d.record, puback)
    }
  }

  private deadLetter(topic: string, payload: Uint8Array, reason: RejectReason, detail: string, deviceId: string, now: number, puback: () => void): void {
    this.o.stats.deadLettered++
    this.o.metrics.deadLetters.inc({ reason })
    const raw = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 64 * 1024))
    this.o.store(DEAD_LETTERS, {
      received_at: now, topic: topic.slice(0, 1024), device_id: deviceId, reason, detail: detail.slice(0, 1024), payload_base64: raw.toString('base64'),
    }, puback)
  }

  private logGap(deviceId: string, from: number, to: number): void {
    const second = Math.floor(this.o.wallClock.now() / 1000)
    if (second !== this.gapLogBudget.second) this.gapLogBudget = { second, lines: 0 }
    if (this.gapLogBudget.lines++ < GAP_LOG_LINES_PER_SECOND) this.o.logger.warn({ device: deviceId, from, to, missing: to - from + 1 }, 'seq gap: frames missing')
  }
}

function noop(): void {}
