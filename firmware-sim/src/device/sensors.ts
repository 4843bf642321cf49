import type { PourEventInit } from '../../../proto/index.js'

/**
 * What a tap's hardware can actually report. The device model computes physical quantities at full precision;
 * each value leaves the device only through `quantize(sensor, x)`, which snaps it to the sensor's step and clamps it
 * to its range, as the real part would. The table in the README ("Sensors") and the comments in
 * proto/tapflow/telemetry/v1/telemetry.proto document the same parts; keep the three in step.
 */
export interface Sensor {
  /** The part (or firmware computation) the value comes from. */
  readonly part: string
  /** Smallest reportable change, in the field's unit; every reading is a whole multiple of it. */
  readonly step: number
  /** Lowest and highest value the part reports; readings beyond saturate. */
  readonly min: number
  readonly max: number
}

/** YF-S201-class hall-effect flow meter: 450 pulses per litre (F = 7.5 × Q L/min), so one pulse is 20/9 ml. */
const PULSE_ML = 1000 / 450

export const SENSORS = {
  /** Maxim DS18B20 digital thermometer at 12-bit resolution: 1/16 °C steps over −55…125 °C. */
  temperature: { part: 'DS18B20, 12-bit', step: 0.0625, min: -55, max: 125 },
  /** Whole pulses of the flow meter; 5 l is more than any pour or drip report. */
  flowVolume: { part: 'YF-S201 hall-effect flow meter, 450 pulses/l', step: PULSE_ML, min: 0, max: 5_000 },
  /**
   * Mean flow while open, firmware fixed point in 0.1 ml/s: one pulse (2.2 ml) over a 4 s pour is already 0.55 ml/s,
   * so finer digits would be noise. Up to the meter's rated 30 l/min (500 ml/s).
   */
  flowRate: { part: 'firmware from YF-S201 pulses, 0.1 ml/s', step: 0.1, min: 0, max: 500 },
  /** Firmware estimate from the pulse-rate profile, in whole percent. */
  foamRatio: { part: 'firmware estimate, whole %', step: 0.01, min: 0, max: 1 },
  /** Firmware estimate of foam and spill loss, whole ml. */
  wasteMl: { part: 'firmware estimate, whole ml', step: 1, min: 0, max: 5_000 },
  /** Firmware keg-depletion counter, whole ml (a 50 l keg is 50,000). */
  kegMl: { part: 'firmware depletion counter, whole ml', step: 1, min: 0, max: 200_000 },
  /** Valve-open time from the MCU's 1 ms tick (uint32); the valve driver caps one opening at 10 min. */
  durationMs: { part: 'MCU 1 ms tick', step: 1, min: 0, max: 600_000 },
  /** Wi-Fi RSSI as the radio reports it: a signed byte, whole dBm. */
  rssi: { part: 'ESP32-class Wi-Fi radio, int8 dBm', step: 1, min: -127, max: 0 },
  /** 12-bit ADC with a 2.048 V reference behind a 1:10 divider: 5 mV per LSB, 0…20.475 V. */
  supplyVoltage: { part: '12-bit ADC, 2.048 V ref, 1:10 divider', step: 0.005, min: 0, max: 20.475 },
} as const satisfies Record<string, Sensor>

/** The value the sensor reports for a true value `x`: nearest step, saturated at the range's ends. */
export function quantize(sensor: Sensor, x: number): number {
  const steps = Math.round(Math.min(sensor.max, Math.max(sensor.min, x)) / sensor.step)
  // Multiplying by a decimal step (0.01, 0.005) leaves binary noise; dividing by its inverse gives the nearest double.
  const inverse = Math.round(1 / sensor.step)
  return Math.abs(inverse * sensor.step - 1) < 1e-12 ? steps / inverse : steps * sensor.step
}

/** The measured fields of a pour, as PourEvent carries them. */
export type PourMeasurement = Pick<
  PourEventInit,
  'volume_ml' | 'duration_ms' | 'flow_rate_ml_s' | 'foam_ratio' | 'waste_ml' | 'keg_id' | 'keg_remaining_ml' | 'beverage_temp_c'
>

/** A pour's (or drip's) measured fields as the tap's sensors and firmware report them. */
export function quantizePour(m: PourMeasurement): PourMeasurement {
  return {
    ...m,
    volume_ml: q(SENSORS.flowVolume, m.volume_ml),
    duration_ms: q(SENSORS.durationMs, m.duration_ms),
    flow_rate_ml_s: q(SENSORS.flowRate, m.flow_rate_ml_s),
    foam_ratio: q(SENSORS.foamRatio, m.foam_ratio),
    waste_ml: q(SENSORS.wasteMl, m.waste_ml),
    keg_remaining_ml: q(SENSORS.kegMl, m.keg_remaining_ml),
    beverage_temp_c: q(SENSORS.temperature, m.beverage_temp_c),
  }
}

// Top level, not a closure in quantizePour: the dev loader wraps every closure it creates in a naming call, per pour.
function q(s: Sensor, x: number | null | undefined): number {
  return quantize(s, x ?? 0)
}
