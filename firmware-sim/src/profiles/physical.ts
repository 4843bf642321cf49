import type { FailureProfile } from './types.js'

/** Glycol or compressor failure: keg and line temperature creep up to `max_rise_c` at failure. */
export const coolingFailure: FailureProfile = {
  name: 'cooling-failure',
  kind: 'physical',
  summary: 'keg and line temperature creep up by max_rise_c over the progression window',
  params: { max_rise_c: { default: 10, min: 0.5, max: 30, doc: 'temperature rise at failure, °C' } },
  effects: (s, p) => ({ tempRiseC: p.max_rise_c! * s }),
}

/** The flow meter's calibration drifts: measured volume moves away from keg depletion. */
export const flowMeterDrift: FailureProfile = {
  name: 'flow-meter-drift',
  kind: 'physical',
  summary: 'measured volume_ml drifts by `drift` (a fraction) away from keg depletion',
  params: { drift: { default: 0.15, min: -0.9, max: 2, doc: 'relative meter error at failure (0.15 = reads 15% high)' } },
  effects: (s, p) => ({ meterGain: 1 + p.drift! * s }),
}

/** A leaking valve: volume is recorded with no pour (slow drip pours at a trickle flow rate). */
export const valveLeak: FailureProfile = {
  name: 'valve-leak',
  kind: 'physical',
  summary: 'drip pours with a trickle flow rate and no customer pour; the keg empties faster',
  params: { drip_ml_h: { default: 120, min: 1, max: 5_000, doc: 'leak rate at failure, ml per hour' } },
  effects: (s, p) => ({ leakMlPerH: p.drip_ml_h! * s }),
}

/** Beer stone or yeast in the line: flow rate falls and pours take longer. */
export const cloggedLine: FailureProfile = {
  name: 'clogged-line',
  kind: 'physical',
  summary: 'flow_rate_ml_s falls by flow_drop and duration_ms rises',
  params: { flow_drop: { default: 0.6, min: 0.05, max: 0.95, doc: 'share of flow lost at failure' } },
  effects: (s, p) => ({ flowFactor: 1 - p.flow_drop! * s }),
}

/** CO2 or mixed-gas pressure loss: badly balanced lines foam, and waste rises with foam. */
export const gasPressureLoss: FailureProfile = {
  name: 'gas-pressure-loss',
  kind: 'physical',
  summary: 'foam_ratio and waste_ml rise by up to foam_rise',
  params: { foam_rise: { default: 0.35, min: 0.01, max: 0.9, doc: 'foam ratio added at failure' } },
  effects: (s, p) => ({ foamAdd: p.foam_rise! * s }),
}

/** The temperature sensor freezes at its last reading from onset. */
export const stuckSensor: FailureProfile = {
  name: 'stuck-sensor',
  kind: 'physical',
  summary: 'temperature readings freeze at the value read at onset',
  params: {},
  effects: (s) => ({ sensorStuck: s > 0 }),
}

/** A failing sensor or loose connector: temperature noise grows to `noise_c`. */
export const noisySensor: FailureProfile = {
  name: 'noisy-sensor',
  kind: 'physical',
  summary: 'temperature readings scatter with a standard deviation growing to noise_c',
  params: { noise_c: { default: 2, min: 0.1, max: 20, doc: 'noise standard deviation at failure, °C' } },
  effects: (s, p) => ({ sensorNoiseC: p.noise_c! * s }),
}

/** A weak supply: the voltage dips and the tap reboots, bumping reboot_count and resetting uptime. */
export const powerBrownout: FailureProfile = {
  name: 'power-brownout',
  kind: 'physical',
  summary: 'supply_voltage_v dips by dip_v; reboots (reboot_count up, uptime reset) at reboots_per_day',
  params: {
    dip_v: { default: 2.5, min: 0.1, max: 8, doc: 'voltage dip at failure, V' },
    reboots_per_day: { default: 12, min: 0, max: 500, doc: 'reboot rate at failure' },
  },
  effects: (s, p) => ({ voltageDropV: p.dip_v! * s, rebootsPerDay: p.reboots_per_day! * s }),
}
