import { describe, expect, it } from 'vitest'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { MemoryTransport, SENSORS, SimClock, Simulator, buildFleet, getProfile, profileNames, quantize, type ProfileAssignment, type Sensor } from '../index.js'

const DAY = 86_400_000
// Friday 2026-11-20 00:00 UTC
const START = Date.UTC(2026, 10, 20)

/** How far a float32 on the wire may sit from an exact multiple of its step, in steps. */
const FLOAT32_SLACK = 1e-3

function offGrid(sensor: Sensor, v: number): string | undefined {
  if (!(v >= sensor.min && v <= sensor.max)) return `${v} outside ${sensor.min}..${sensor.max}`
  const steps = v / sensor.step
  if (Math.abs(steps - Math.round(steps)) > FLOAT32_SLACK) return `${v} is not a multiple of ${sensor.step}`
  return undefined
}

describe('quantize', () => {
  it('snaps to the nearest step and saturates at the range', () => {
    expect(quantize(SENSORS.temperature, 4.03)).toBe(4.0)
    expect(quantize(SENSORS.temperature, 4.04)).toBe(4.0625)
    expect(quantize(SENSORS.temperature, -80)).toBe(-55)
    expect(quantize(SENSORS.temperature, 300)).toBe(125)
    expect(quantize(SENSORS.flowVolume, 500)).toBeCloseTo(225 * (1000 / 450), 9)
    expect(quantize(SENSORS.rssi, -61.5)).toBe(-61)
    expect(quantize(SENSORS.rssi, 3)).toBe(0)
    expect(quantize(SENSORS.supplyVoltage, 12.0312)).toBe(12.03)
    expect(quantize(SENSORS.supplyVoltage, 25)).toBe(20.475)
  })

  it('gives the shortest decimal for decimal steps, so 62.3 reads as 62.3', () => {
    expect(quantize(SENSORS.flowRate, 62.349)).toBe(62.3)
    expect(quantize(SENSORS.foamRatio, 0.294)).toBe(0.29)
    expect(quantize(SENSORS.supplyVoltage, 11.8049)).toBe(11.805)
  })
})

describe('every reported value is what its sensor can report', () => {
  it('holds over a simulated fleet-day with every failure profile, at default and extreme parameters', async () => {
    const names = profileNames()
    const fleet = buildFleet({ devices: 2 * names.length + 4, seed: 11 })
    const devices = fleet.devices.map((d) => d.deviceId)
    const profiles: ProfileAssignment[] = []
    names.forEach((profile, i) => {
      const extreme = Object.fromEntries(Object.entries(getProfile(profile).params).map(([k, spec]) => [k, spec.max]))
      profiles.push({ deviceId: devices[2 * i]!, profile, params: { onset: '1h', progression: '4h' } })
      profiles.push({ deviceId: devices[2 * i + 1]!, profile, params: { onset: '1h', progression: '4h', ...extreme } })
    })
    // Corrupted payloads carry random bytes by design, so their devices are left out of the property.
    const corrupt = new Set(profiles.filter((p) => p.profile === 'corrupt-payload').map((p) => p.deviceId))
    const transport = new MemoryTransport()
    const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport, until: START + DAY, profiles })
    await sim.start()
    await sim.close()

    const bad: string[] = []
    const check = (where: string, sensor: Sensor, v: number): void => {
      const why = offGrid(sensor, v)
      if (why !== undefined && bad.length < 20) bad.push(`${where}: ${why}`)
    }
    const counts = { pour: 0, temp: 0, health: 0 }
    for (const f of transport.frames) {
      if (corrupt.has(f.deviceId)) continue
      const at = `${f.deviceId} seq ${f.seq}`
      counts[f.kind]++
      if (f.kind === 'pour') {
        const p = PourEvent.decode(f.payload)
        check(`${at} volume_ml`, SENSORS.flowVolume, p.volume_ml)
        check(`${at} duration_ms`, SENSORS.durationMs, p.duration_ms)
        check(`${at} flow_rate_ml_s`, SENSORS.flowRate, p.flow_rate_ml_s)
        check(`${at} foam_ratio`, SENSORS.foamRatio, p.foam_ratio)
        check(`${at} waste_ml`, SENSORS.wasteMl, p.waste_ml)
        check(`${at} keg_remaining_ml`, SENSORS.kegMl, p.keg_remaining_ml)
        check(`${at} beverage_temp_c`, SENSORS.temperature, p.beverage_temp_c)
      } else if (f.kind === 'temp') {
        const t = TemperatureReading.decode(f.payload)
        check(`${at} line_temp_c`, SENSORS.temperature, t.line_temp_c)
        check(`${at} keg_temp_c`, SENSORS.temperature, t.keg_temp_c)
        check(`${at} ambient_temp_c`, SENSORS.temperature, t.ambient_temp_c)
      } else {
        const h = HealthFrame.decode(f.payload)
        check(`${at} rssi_dbm`, SENSORS.rssi, h.rssi_dbm)
        check(`${at} supply_voltage_v`, SENSORS.supplyVoltage, h.supply_voltage_v)
        if (!Number.isInteger(h.uptime_s) || h.uptime_s < 0) bad.push(`${at} uptime_s ${h.uptime_s}`)
      }
    }
    expect(bad).toEqual([])
    // A fleet-day: every kind, from every device (≈ 500 frames per tap per day).
    expect(counts.temp).toBeGreaterThan(250 * (devices.length - corrupt.size))
    expect(counts.pour).toBeGreaterThan(1_000)
    expect(counts.health).toBeGreaterThan(80 * (devices.length - corrupt.size))
  })
})
