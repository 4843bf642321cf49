import { topicFor, type FrameKind, type PourEventInit } from '../../../proto/index.js'
import { Rng } from '../../../common/index.js'
import { FaultState } from '../profiles/index.js'
import { ColdChain } from './cold-chain.js'
import { quantize, quantizePour, SENSORS } from './sensors.js'
import { Uplink } from './uplink.js'
import { encodeHealth, encodePour, encodeTemperature } from './wire-encode.js'
import { demandFor, withinHours, type Demand, type LocalTime } from './venue.js'
import { DEFAULT_INTERVALS, type DevicePorts, type DeviceSpec, type Frame, type TelemetryIntervals, type VenueSpec } from './types.js'

const MIN = 60_000
const NOMINAL_FLOW_ML_S = 60
const KEG_SWAP_MS: readonly [number, number] = [10 * MIN, 45 * MIN]
const DAY = 24 * 60 * MIN
/** A leaking valve reports its drip as a pour once this much has run through the meter. */
const DRIP_REPORT_ML = 20

/**
 * One smart tap. All behaviour is a function of its spec, its own seeded RNG and the simulated
 * times it is woken at, so the same seed gives byte-identical frames whatever the pacing.
 * Frames go out one way: the device sends each to its uplink, and the uplink onto the wire it was given at start.
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
  /** Keg, air and line temperatures. */
  private readonly cold: ColdChain
  /** Injected faults; pour, temperature and health code consult `faults.at(t)`. */
  readonly faults: FaultState
  /** Firmware it runs now: changes on a flash, after the reboot. */
  firmware: string
  rebootCount = 0
  /** The last command the device carried out, confirmed by the health frame that follows it. */
  lastCommandId = ''

  private seq = 0
  private bootTs = 0
  private valveCycles: number
  private kegNo = 1
  private kegRemainingMl: number
  private kegEmptyUntil = 0
  private dripMl = 0
  private stuck: { line: number; keg: number; ambient: number } | undefined
  /** Set at start; frames made before then go nowhere. */
  private uplink: Uplink | undefined

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
    const compressorPhase = this.rng.next() * 2 * Math.PI
    this.valveCycles = this.rng.int(1_000, 200_000)
    this.kegRemainingMl = spec.kegSizeMl * this.rng.between(0.2, 1)
    this.faults = new FaultState(`${seed}:${spec.deviceId}`)
    this.cold = new ColdChain({ venue, local, faults: this.faults, compressorPhase })
    this.firmware = spec.firmware
  }

  get deviceId(): string {
    return this.spec.deviceId
  }

  /** Last seq used; the next frame carries seq + 1. */
  get lastSeq(): number {
    return this.seq
  }

  /** Goes on counting from `last` (the counter kept in flash across a restart); never moves the counter back. */
  resumeSeq(last: number): void {
    this.seq = Math.max(this.seq, last)
  }

  /** Boots the device at `at`, plugged into `ports`, and schedules its first frames. */
  start(at: number, ports: DevicePorts): void {
    const { schedule, wire } = ports
    this.bootTs = at
    this.cold.boot(at)
    const key = this.spec.index * 4
    // Frames leave through the uplink, where connectivity and data faults act; slot 3 is for delayed frames.
    this.uplink = new Uplink({ faults: this.faults, wire, schedule, key: key + 3 })
    const every = (kind: FrameKind, period: number, make: (t: number) => Frame): void => {
      const tick = (t: number): void => {
        this.send(make(t))
        schedule(t + period, key + kindOrder[kind], tick)
      }
      schedule(at + Math.floor(this.rng.next() * period), key + kindOrder[kind], tick)
    }
    every('temp', this.intervals.temperatureMs, (t) => this.temperature(t))
    every('health', this.intervals.healthMs, (t) => this.health(t))
    const pourTick = (t: number): void => {
      const frame = this.pour(t)
      if (frame !== undefined) this.send(frame)
      schedule(this.nextPourAt(t), key + kindOrder.pour, pourTick)
    }
    schedule(this.nextPourAt(at), key + kindOrder.pour, pourTick)
  }

  private send(frame: Frame): void {
    this.uplink?.send(frame)
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
    const kegC = this.cold.keg(t)
    const lineC = this.cold.line(t)
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
    this.cold.flush(t, kegC + 0.3)
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
    const seq = this.nextSeq()
    const msg = encodePour({
      device_id: this.spec.deviceId,
      seq,
      ts_ms: t + fx.skewMs,
      line_id: this.spec.lineId,
      beverage_id: this.spec.beverageId,
      ...quantizePour(measured),
    })
    return this.frame('pour', t, seq, msg)
  }

  temperature(t: number): Frame {
    const fx = this.faults.at(t)
    if (fx.leakMlPerH > 0) this.drip(t, fx.leakMlPerH)
    let read = {
      line: this.cold.line(t) + this.rng.normal(0, 0.05),
      keg: this.cold.keg(t) + this.rng.normal(0, 0.05),
      ambient: this.cold.ambient(t) + this.rng.normal(0, 0.1),
    }
    if (fx.sensorNoiseC > 0) {
      const n = (): number => this.faults.rng.normal(0, fx.sensorNoiseC)
      read = { line: read.line + n(), keg: read.keg + n(), ambient: read.ambient + n() }
    }
    // A stuck sensor repeats the reading it froze on.
    if (fx.sensorStuck) read = this.stuck ??= read
    else this.stuck = undefined
    const seq = this.nextSeq()
    const msg = encodeTemperature({
      device_id: this.spec.deviceId,
      seq,
      ts_ms: t + fx.skewMs,
      line_id: this.spec.lineId,
      line_temp_c: quantize(SENSORS.temperature, read.line),
      keg_temp_c: quantize(SENSORS.temperature, read.keg),
      ambient_temp_c: quantize(SENSORS.temperature, read.ambient),
    })
    return this.frame('temp', t, seq, msg)
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
    this.send(
      this.pourFrame(t, fx, {
        volume_ml: volume * this.meterGain * fx.meterGain,
        duration_ms: Math.min(600_000, Math.round((volume / 0.5) * 1000)),
        flow_rate_ml_s: Math.min(0.5, volume / 600),
        foam_ratio: 0,
        waste_ml: volume,
        keg_id: this.kegId(),
        keg_remaining_ml: this.kegRemainingMl,
        beverage_temp_c: this.cold.line(t) + fx.tempRiseC,
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
    const seq = this.nextSeq()
    const msg = encodeHealth({
      device_id: this.spec.deviceId,
      seq,
      ts_ms: t + fx.skewMs,
      firmware_version: this.firmware,
      uptime_s: Math.floor((t - this.bootTs) / 1000),
      rssi_dbm: quantize(SENSORS.rssi, this.spec.rssiBaselineDbm + this.rng.normal(0, 2)),
      supply_voltage_v: quantize(SENSORS.supplyVoltage, 12 + this.rng.normal(0, 0.05) - fx.voltageDropV),
      valve_cycles: this.valveCycles,
      error_codes: fx.voltageDropV > 1.5 ? [BROWNOUT_ERROR] : [],
      reboot_count: this.rebootCount,
    })
    return this.frame('health', t, seq, msg)
  }

  /**
   * Confirms a command carried out at `t` with an immediate health frame (the fleet controller's
   * "command applied"). A flash reboots into the new firmware first, so the confirming frame reports it
   * with uptime 0.
   */
  confirmCommand(t: number, commandId: string, flashTo?: string): void {
    if (flashTo !== undefined) {
      this.firmware = flashTo
      this.bootTs = t
      this.rebootCount++
    }
    this.lastCommandId = commandId
    this.send(this.health(t))
  }

  /** Takes the seq for the next frame: it rises by one per frame, across all three kinds. */
  private nextSeq(): number {
    return ++this.seq
  }

  private frame(kind: FrameKind, t: number, seq: number, payload: Uint8Array): Frame {
    return { kind, deviceId: this.spec.deviceId, seq, tsMs: t, topic: this.topics[kind], payload }
  }

  private kegId(): string {
    return `${this.spec.deviceId}-k${this.kegNo}`
  }

  private swapKeg(): void {
    this.kegNo++
    this.kegRemainingMl = this.spec.kegSizeMl
  }
}

const kindOrder: Record<FrameKind, number> = { pour: 0, temp: 1, health: 2 }
/** Health error code for a supply below spec. */
const BROWNOUT_ERROR = 0x21

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x))
}

type PourMeasurement = Pick<
  PourEventInit,
  'volume_ml' | 'duration_ms' | 'flow_rate_ml_s' | 'foam_ratio' | 'waste_ml' | 'keg_id' | 'keg_remaining_ml' | 'beverage_temp_c'
>
