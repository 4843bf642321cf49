import { HealthFrame, PourEvent, TemperatureReading, topicFor, type FrameKind } from '../../../proto/index.js'
import { Rng } from '../clock/rng.js'
import { busyness, demandFor, type Demand, type LocalTime } from './venue.js'
import { DEFAULT_INTERVALS, type DeviceSpec, type Frame, type TelemetryIntervals, type VenueSpec } from './types.js'

const MIN = 60_000
const NOMINAL_FLOW_ML_S = 60
const LINE_TAU_MS = 25 * MIN
const KEG_SWAP_MS: readonly [number, number] = [10 * MIN, 45 * MIN]

export type Schedule = (at: number, key: number, task: (at: number) => void) => void
export type Emit = (frame: Frame) => void

/**
 * One smart tap. All behaviour is a function of its spec, its own seeded RNG and the simulated
 * times it is woken at, so the same seed gives byte-identical frames whatever the pacing.
 */
export class TapDevice {
  readonly spec: DeviceSpec
  readonly venue: VenueSpec
  private readonly local: LocalTime
  private readonly rng: Rng
  private readonly demand: Demand
  private readonly intervals: TelemetryIntervals
  private readonly topics: Record<FrameKind, string>
  private readonly meterGain: number
  private readonly flowFactor: number
  private readonly compressorPhase: number

  private seq = 0
  private bootTs = 0
  private valveCycles: number
  private kegNo = 1
  private kegRemainingMl: number
  private kegEmptyUntil = 0
  private lineTempC: number
  private lineTempAt = 0

  constructor(spec: DeviceSpec, venue: VenueSpec, local: LocalTime, seed: number, intervals = DEFAULT_INTERVALS) {
    this.spec = spec
    this.venue = venue
    this.local = local
    this.intervals = intervals
    this.rng = new Rng(`${seed}:${spec.deviceId}`)
    this.demand = demandFor(venue.type, spec.poursPerDay * spec.popularity)
    this.topics = {
      pour: topicFor(spec.venueId, spec.deviceId, 'pour'),
      temp: topicFor(spec.venueId, spec.deviceId, 'temp'),
      health: topicFor(spec.venueId, spec.deviceId, 'health'),
    }
    this.meterGain = this.rng.normal(1, 0.005)
    this.flowFactor = this.rng.between(0.85, 1.15)
    this.compressorPhase = this.rng.next() * 2 * Math.PI
    this.valveCycles = this.rng.int(1_000, 200_000)
    this.kegRemainingMl = spec.kegSizeMl * this.rng.between(0.2, 1)
    this.lineTempC = venue.setpointC + 2
  }

  get deviceId(): string {
    return this.spec.deviceId
  }

  /** Last seq used; the next frame carries seq + 1. */
  get lastSeq(): number {
    return this.seq
  }

  /** Boots the device at `at` and schedules its first frames. */
  start(at: number, schedule: Schedule, emit: Emit): void {
    this.bootTs = at
    this.lineTempAt = at
    const key = this.spec.index * 4
    const every = (kind: FrameKind, period: number, make: (t: number) => Frame): void => {
      const tick = (t: number): void => {
        emit(make(t))
        schedule(t + period, key + kindOrder[kind], tick)
      }
      schedule(at + Math.floor(this.rng.next() * period), key + kindOrder[kind], tick)
    }
    every('temp', this.intervals.temperatureMs, (t) => this.temperature(t))
    every('health', this.intervals.healthMs, (t) => this.health(t))
    const pourTick = (t: number): void => {
      const frame = this.pour(t)
      if (frame !== undefined) emit(frame)
      schedule(this.nextPourAt(t), key + kindOrder.pour, pourTick)
    }
    schedule(this.nextPourAt(at), key + kindOrder.pour, pourTick)
  }

  /** Next pour after `from`, drawn from the venue's demand curve by thinning a Poisson process. */
  nextPourAt(from: number): number {
    const maxPerMs = this.demand.max / 3_600_000
    let t = from
    for (;;) {
      t += Math.max(1, Math.round(this.rng.exp(1 / maxPerMs)))
      const rate = this.demand.rate(this.local.hour(t), this.local.weekday(t))
      if (this.rng.next() * this.demand.max < rate) return t
    }
  }

  /** A pour ending at `t`; undefined while the keg is being swapped. */
  pour(t: number): Frame | undefined {
    if (t < this.kegEmptyUntil) return undefined
    const r = this.rng
    const kegC = this.kegTemp(t)
    const lineC = this.lineTemp(t)
    let served = r.weighted(this.spec.servings) * r.normal(1.02, 0.03)
    let foam = clamp(0.04 + 0.015 * Math.max(0, lineC - 4) + r.normal(0, 0.01), 0.01, 0.6)
    if (served >= this.kegRemainingMl) {
      // The keg kicks: a short, foamy pour, then a swap.
      served = Math.max(0, this.kegRemainingMl)
      foam = clamp(0.5 + r.normal(0, 0.05), 0.3, 0.9)
      this.kegEmptyUntil = t + r.between(KEG_SWAP_MS[0], KEG_SWAP_MS[1])
    }
    const flow = NOMINAL_FLOW_ML_S * this.flowFactor * r.normal(1, 0.03) * (1 - foam * 0.3)
    const durationMs = Math.round((served / flow) * 1000 + r.between(200, 600))
    const beverageC = (lineC + kegC) / 2
    this.kegRemainingMl -= served
    const kegId = this.kegId()
    const kegRemainingMl = Math.max(0, this.kegRemainingMl)
    if (t < this.kegEmptyUntil) this.swapKeg()
    this.valveCycles++
    this.lineTempC = kegC + 0.3
    this.lineTempAt = t
    const msg = PourEvent.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t,
      line_id: this.spec.lineId,
      beverage_id: this.spec.beverageId,
      volume_ml: served * this.meterGain,
      duration_ms: durationMs,
      flow_rate_ml_s: flow,
      foam_ratio: foam,
      waste_ml: served * foam * 0.6 + Math.abs(r.normal(0, 3)),
      keg_id: kegId,
      keg_remaining_ml: kegRemainingMl,
      beverage_temp_c: beverageC,
    }).finish()
    return this.frame('pour', t, msg)
  }

  temperature(t: number): Frame {
    const msg = TemperatureReading.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t,
      line_id: this.spec.lineId,
      line_temp_c: this.lineTemp(t) + this.rng.normal(0, 0.05),
      keg_temp_c: this.kegTemp(t) + this.rng.normal(0, 0.05),
      ambient_temp_c: this.ambient(t) + this.rng.normal(0, 0.1),
    }).finish()
    return this.frame('temp', t, msg)
  }

  health(t: number): Frame {
    const msg = HealthFrame.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t,
      firmware_version: this.spec.firmware,
      uptime_s: Math.floor((t - this.bootTs) / 1000),
      rssi_dbm: Math.round(this.spec.rssiBaselineDbm + this.rng.normal(0, 2)),
      supply_voltage_v: 12 + this.rng.normal(0, 0.05),
      valve_cycles: this.valveCycles,
      error_codes: [],
      reboot_count: 0,
    }).finish()
    return this.frame('health', t, msg)
  }

  private frame(kind: FrameKind, t: number, payload: Uint8Array): Frame {
    return { kind, deviceId: this.spec.deviceId, seq: this.seq, tsMs: t, topic: this.topics[kind], payload }
  }

  private kegId(): string {
    return `${this.spec.deviceId}-k${this.kegNo}`
  }

  private swapKeg(): void {
    this.kegNo++
    this.kegRemainingMl = this.spec.kegSizeMl
  }

  /** Cold room: set point plus a compressor duty-cycle ripple. */
  private kegTemp(t: number): number {
    return this.venue.setpointC + 0.4 * Math.sin((2 * Math.PI * t) / (20 * MIN) + this.compressorPhase)
  }

  /** Bar air: warmer when busy and in the afternoon. */
  private ambient(t: number): number {
    const h = this.local.hour(t)
    return this.venue.ambientC + 2 * busyness(this.venue.type, h) + 1.5 * Math.sin((2 * Math.PI * (h - 9)) / 24)
  }

  /** The line warms towards a mix of keg and air while idle; a pour flushes it back to keg temperature. */
  private lineTemp(t: number): number {
    const kegC = this.kegTemp(t)
    const idleTarget = kegC + 0.35 * (this.ambient(t) - kegC)
    const decay = Math.exp(-(t - this.lineTempAt) / LINE_TAU_MS)
    return idleTarget + (this.lineTempC - idleTarget) * decay
  }
}

const kindOrder: Record<FrameKind, number> = { pour: 0, temp: 1, health: 2 }

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x))
}
