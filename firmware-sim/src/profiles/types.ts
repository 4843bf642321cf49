/**
 * What a fault does to a tap, as numbers the device code consults. A profile maps its severity
 * (0 before onset, rising to 1 at failure) to a partial set of effects; active profiles combine.
 */
export interface Effects {
  /** Added to keg and line temperature, °C (cooling failure). */
  tempRiseC: number
  /** Multiplies the flow meter's reading (meter drift). */
  meterGain: number
  /** Multiplies the flow rate (clogged line). */
  flowFactor: number
  /** Added to the foam ratio (gas pressure loss). */
  foamAdd: number
  /** Volume through a leaking valve, ml per hour, recorded with no pour. */
  leakMlPerH: number
  /** Temperature sensor frozen at its last reading. */
  sensorStuck: boolean
  /** Extra temperature sensor noise, standard deviation °C. */
  sensorNoiseC: number
  /** Supply voltage dip, V. */
  voltageDropV: number
  /** Brownout reboots per day. */
  rebootsPerDay: number
  /** The uplink is down: frames queue on the device. */
  offline: boolean
  /** Probability a frame is lost on the way. */
  lossProb: number
  /** Probability a frame is held back by `lateMs` before it is sent. */
  lateProb: number
  lateMs: number
  /** Probability a frame is sent after the next one. */
  reorderProb: number
  /** Probability a frame is sent twice. */
  duplicateProb: number
  /** Probability a frame's payload is corrupted. */
  corruptProb: number
  /** Offset of the device clock, ms (added to ts_ms). */
  skewMs: number
}

export const NO_EFFECTS: Readonly<Effects> = Object.freeze({
  tempRiseC: 0, meterGain: 1, flowFactor: 1, foamAdd: 0, leakMlPerH: 0, sensorStuck: false, sensorNoiseC: 0,
  voltageDropV: 0, rebootsPerDay: 0, offline: false, lossProb: 0, lateProb: 0, lateMs: 0, reorderProb: 0,
  duplicateProb: 0, corruptProb: 0, skewMs: 0,
})

export interface ParamSpec {
  default: number
  min: number
  max: number
  /** 'ms' params also accept durations such as 90s, 30m, 6h, 2d. */
  unit?: 'ms'
  doc: string
}

export type Params = Readonly<Record<string, number>>

export interface FailureProfile {
  /** Registry name, e.g. cooling-failure. */
  name: string
  kind: 'physical' | 'connectivity' | 'data'
  /** One line: the signature it leaves in the telemetry. */
  summary: string
  /** Profile-specific knobs; onset, hazard_per_day and progression are common to all. */
  params: Readonly<Record<string, ParamSpec>>
  /** `t - onsetMs` lets periodic faults (flapping) know where in the cycle they are. */
  effects(severity: number, p: Params, sinceOnsetMs: number): Partial<Effects>
}
