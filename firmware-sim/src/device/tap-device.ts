import { HealthFrame, PourEvent, TemperatureReading, topicFor, type FrameKind, type PourEventInit } from '../../../proto/index.js'
import { Rng } from '../../../common/index.js'
import { FaultState } from '../profiles/fault-state.js'
import { Uplink } from '../profiles/uplink.js'
import { quantize, quantizePour, SENSORS } from './sensors.js'
import { busyness, demandFor, type Demand, type LocalTime } from './venue.js'
import { DEFAULT_INTERVALS, type DeviceSpec, type Frame, type TelemetryIntervals, type VenueSpec } from './types.js'

const MIN = 60_000
const NOMINAL_FLOW_ML_S = 60
const LINE_TAU_MS = 25 * MIN
const KEG_SWAP_MS: readonly [number, number] = [10 * MIN, 45 * MIN]
const DAY = 24 * 60 * MIN
/** A leaking valve reports its drip as a pour once this much has run through the meter. */
const DRIP_REPORT_ML = 20

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
  /** Injected faults; pour, temperature and health code consult `faults.at(t)`. */
  readonly faults: FaultState
  /** Firmware it runs now: changes on a flash, after the reboot. */
  firmware: string
  rebootCount = 0
  /** The last command the device carried out, acknowledged by the health frame that follows it. */
  lastCommandId = ''

  private seq = 0
  private bootTs = 0
  private valveCycles: number
  private kegNo = 1
  private kegRemainingMl: number
  private kegEmptyUntil = 0
  private lineTempC: number
  private lineTempAt = 0
  private dripMl = 0
  private stuck: { line: number; keg: number; ambient: number } | undefined
  private emit: Emit = () => undefined

  constructor(spec: DeviceSpec, venue: VenueSpec, local: LocalTime, seed: number, intervals = DEFAULT_INTERVALS) {
    this.spec = spec
    this.venue = venue
    this.local = local
    this.intervals = intervals
    this.rng = new Rng(`${seed}:${spec.deviceId}`)
    this.demand = withinHours(demandFor(venue.type, spec.poursPerDay * spec.popularity), venue.openHours)
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
    this.faults = new FaultState(`${seed}:${spec.deviceId}`)
    this.firmware = spec.firmware
  }

  get deviceId(): string {
    return this.spec.deviceId
  }

  /** Last seq used; the next frame carries seq + 1. */
  get lastSeq(): number {
    return this.seq
  }

  /** Boots the device at `at` and schedules its first frames. */
  start(at: number, schedule: Schedule, send: Emit): void {
    this.bootTs = at
    this.lineTempAt = at
    const key = this.spec.index * 4
    // Frames leave through the uplink, where connectivity and data faults act; slot 3 is for delayed frames.
    const uplink = new Uplink(this.faults, send, schedule, key + 3)
    const emit: Emit = (frame) => uplink.push(frame, frame.tsMs)
    this.emit = emit
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
    const fx = this.faults.at(t)
    const kegC = this.kegTemp(t)
    const lineC = this.lineTemp(t)
    let served = r.weighted(this.spec.servings) * r.normal(1.02, 0.03)
    let foam = clamp(0.04 + 0.015 * Math.max(0, lineC - 4) + r.normal(0, 0.01) + fx.foamAdd, 0.01, 0.6 + fx.foamAdd)
    if (served >= this.kegRemainingMl) {
      // The keg kicks: a short, foamy pour, then a swap.
      served = Math.max(0, this.kegRemainingMl)
      foam = clamp(0.5 + r.normal(0, 0.05), 0.3, 0.9)
      this.kegEmptyUntil = t + r.between(KEG_SWAP_MS[0], KEG_SWAP_MS[1])
    }
    const flow = NOMINAL_FLOW_ML_S * this.flowFactor * fx.flowFactor * r.normal(1, 0.03) * (1 - foam * 0.3)
    const durationMs = Math.round((served / flow) * 1000 + r.between(200, 600))
    const beverageC = (lineC + kegC) / 2
    this.kegRemainingMl -= served
    const kegId = this.kegId()
    const kegRemainingMl = Math.max(0, this.kegRemainingMl)
    if (t < this.kegEmptyUntil) this.swapKeg()
    this.valveCycles++
    this.lineTempC = kegC + 0.3
    this.lineTempAt = t
    return this.pourFrame(t, fx, {
      volume_ml: served * this.meterGain * fx.meterGain,
      duration_ms: durationMs,
      flow_rate_ml_s: flow,
      foam_ratio: foam,
      waste_ml: served * foam * 0.6 + Math.abs(r.normal(0, 3)),
      keg_id: kegId,
      keg_remaining_ml: kegRemainingMl,
      beverage_temp_c: beverageC,
    })
  }

  /** Encodes a pour with the next seq; the measured fields come from a real pour or a drip. */
  private pourFrame(t: number, fx: { skewMs: number }, measured: PourMeasurement): Frame {
    const msg = PourEvent.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t + fx.skewMs,
      line_id: this.spec.lineId,
      beverage_id: this.spec.beverageId,
      ...quantizePour(measured),
    }).finish()
    return this.frame('pour', t, msg)
  }

  temperature(t: number): Frame {
    const fx = this.faults.at(t)
    if (fx.leakMlPerH > 0) this.drip(t, fx.leakMlPerH)
    let read = {
      line: this.lineTemp(t) + this.rng.normal(0, 0.05),
      keg: this.kegTemp(t) + this.rng.normal(0, 0.05),
      ambient: this.ambient(t) + this.rng.normal(0, 0.1),
    }
    if (fx.sensorNoiseC > 0) {
      const n = (): number => this.faults.rng.normal(0, fx.sensorNoiseC)
      read = { line: read.line + n(), keg: read.keg + n(), ambient: read.ambient + n() }
    }
    // A stuck sensor repeats the reading it froze on.
    if (fx.sensorStuck) read = this.stuck ??= read
    else this.stuck = undefined
    const msg = TemperatureReading.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t + fx.skewMs,
      line_id: this.spec.lineId,
      line_temp_c: quantize(SENSORS.temperature, read.line),
      keg_temp_c: quantize(SENSORS.temperature, read.keg),
      ambient_temp_c: quantize(SENSORS.temperature, read.ambient),
    }).finish()
    return this.frame('temp', t, msg)
  }

  /** A leaking valve: the keg loses beer with no pour, and the meter reports the drip as a trickle pour. */
  private drip(t: number, mlPerH: number): void {
    const ml = (mlPerH * this.intervals.temperatureMs) / (60 * MIN)
    this.dripMl += ml
    this.kegRemainingMl = Math.max(0, this.kegRemainingMl - ml)
    if (this.dripMl < DRIP_REPORT_ML) return
    const volume = this.dripMl
    this.dripMl = 0
    const fx = this.faults.at(t)
    this.emit(
      this.pourFrame(t, fx, {
        volume_ml: volume * this.meterGain * fx.meterGain,
        duration_ms: Math.min(600_000, Math.round((volume / 0.5) * 1000)),
        flow_rate_ml_s: Math.min(0.5, volume / 600),
        foam_ratio: 0,
        waste_ml: volume,
        keg_id: this.kegId(),
        keg_remaining_ml: this.kegRemainingMl,
        beverage_temp_c: this.lineTemp(t) + fx.tempRiseC,
      }),
    )
  }

  health(t: number): Frame {
    const fx = this.faults.at(t)
    // A brownout reboot since the last health frame resets uptime and bumps reboot_count.
    if (fx.rebootsPerDay > 0 && this.faults.rng.next() < 1 - Math.exp((-fx.rebootsPerDay * this.intervals.healthMs) / DAY)) {
      this.bootTs = t - Math.floor(this.faults.rng.next() * this.intervals.healthMs)
      this.rebootCount++
    }
    const msg = HealthFrame.encode({
      device_id: this.spec.deviceId,
      seq: ++this.seq,
      ts_ms: t + fx.skewMs,
      firmware_version: this.firmware,
      uptime_s: Math.floor((t - this.bootTs) / 1000),
      rssi_dbm: quantize(SENSORS.rssi, this.spec.rssiBaselineDbm + this.rng.normal(0, 2)),
      supply_voltage_v: quantize(SENSORS.supplyVoltage, 12 + this.rng.normal(0, 0.05) - fx.voltageDropV),
      valve_cycles: this.valveCycles,
      error_codes: fx.voltageDropV > 1.5 ? [BROWNOUT_ERROR] : [],
      reboot_count: this.rebootCount,
    }).finish()
    return this.frame('health', t, msg)
  }

  /**
   * Carries out a command at `t` and acknowledges it with an immediate health frame. A flash reboots
   * into the new firmware first, so the acknowledging frame reports it with uptime 0.
   */
  acknowledge(t: number, commandId: string, flashTo?: string): void {
    if (flashTo !== undefined) {
      this.firmware = flashTo
      this.bootTs = t
      this.rebootCount++
    }
    this.lastCommandId = commandId
    this.emit(this.health(t))
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

  /** Cold room: set point plus a compressor duty-cycle ripple, plus any cooling failure. */
  private kegTemp(t: number): number {
    const rise = this.faults.any ? this.faults.at(t).tempRiseC : 0
    return this.venue.setpointC + 0.4 * Math.sin((2 * Math.PI * t) / (20 * MIN) + this.compressorPhase) + rise
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
/** Health error code for a supply below spec. */
const BROWNOUT_ERROR = 0x21

/** Restricts a demand curve to the venue's opening hours, when it has them. */
function withinHours(d: Demand, hours: readonly [number, number] | undefined): Demand {
  if (hours === undefined) return d
  const [open, close] = hours
  const isOpen = (h: number): boolean => (open < close ? h >= open && h < close : h >= open || h < close)
  return { max: d.max, rate: (h, w) => (isOpen(h) ? d.rate(h, w) : 0) }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x))
}

type PourMeasurement = Pick<
  PourEventInit,
  'volume_ml' | 'duration_ms' | 'flow_rate_ml_s' | 'foam_ratio' | 'waste_ml' | 'keg_id' | 'keg_remaining_ml' | 'beverage_temp_c'
>
