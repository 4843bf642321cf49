import { describe, expect, it } from 'vitest'
import { Rng } from '../../common/index.js'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { encodeHealth, encodePour, encodeTemperature } from '../src/device/wire-encode.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const r = new Rng('wire-encode')

// Values the devices send and the edges of each wire type: defaults (skipped), -0 (written), NaN, huge and negative.
const floats = [0, -0, 1, -1.5, 0.0625, 12.005, 3.4e38, 1e-45, Number.NaN, Number.POSITIVE_INFINITY]
const u32s = [0, 1, 127, 128, 16_383, 16_384, 600_000, 2 ** 32 - 1, 2 ** 32 + 5, -1, 3.7]
const u64s = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 1, Date.UTC(2026, 10, 20, 13, 5), 2 ** 53 - 1, -1, -Date.UTC(1960, 0, 1), 2.5]
const strs = ['', 'tap-0001-01', 'tap-0001-01-k3', 'ü€😀', 'x'.repeat(42), 'x'.repeat(43), 'é'.repeat(200), 'y'.repeat(70_000)]
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!
const maybe = <T>(x: T): T | undefined => (r.next() < 0.15 ? undefined : x)

describe('static telemetry encoders', () => {
  it('write every field protobufjs writes, byte for byte', () => {
    const fields = (o: object): string[] => Object.keys(o).sort()
    // A field added to the .proto must be added to the encoder too; these lists are what it covers.
    expect(fields(PourEvent.toObject(PourEvent.create(), { defaults: true }))).toEqual(['beverage_id', 'beverage_temp_c', 'device_id', 'duration_ms', 'flow_rate_ml_s', 'foam_ratio', 'keg_id', 'keg_remaining_ml', 'line_id', 'seq', 'ts_ms', 'volume_ml', 'waste_ml'])
    expect(fields(TemperatureReading.toObject(TemperatureReading.create(), { defaults: true }))).toEqual(['ambient_temp_c', 'device_id', 'keg_temp_c', 'line_id', 'line_temp_c', 'seq', 'ts_ms'])
    expect(fields(HealthFrame.toObject(HealthFrame.create(), { defaults: true }))).toEqual(['device_id', 'error_codes', 'firmware_version', 'reboot_count', 'rssi_dbm', 'seq', 'supply_voltage_v', 'ts_ms', 'uptime_s', 'valve_cycles'])
  })

  it('give protobufjs\'s bytes for pours, temperatures and health frames across edge values', () => {
    for (let i = 0; i < 3_000; i++) {
      const pour = {
        device_id: maybe(pick(strs)), seq: maybe(pick(u64s)), ts_ms: maybe(pick(u64s)), line_id: maybe(pick(u32s)), beverage_id: maybe(pick(strs)),
        volume_ml: maybe(pick(floats)), duration_ms: maybe(pick(u32s)), flow_rate_ml_s: maybe(pick(floats)), foam_ratio: maybe(pick(floats)),
        waste_ml: maybe(pick(floats)), keg_id: maybe(pick(strs)), keg_remaining_ml: maybe(pick(floats)), beverage_temp_c: maybe(pick(floats)),
      }
      expect(hex(encodePour(pour))).toBe(hex(PourEvent.encode(pour).finish()))
      const temp = {
        device_id: maybe(pick(strs)), seq: maybe(pick(u64s)), ts_ms: maybe(pick(u64s)), line_id: maybe(pick(u32s)),
        line_temp_c: maybe(pick(floats)), keg_temp_c: maybe(pick(floats)), ambient_temp_c: maybe(pick(floats)),
      }
      expect(hex(encodeTemperature(temp))).toBe(hex(TemperatureReading.encode(temp).finish()))
      const health = {
        device_id: maybe(pick(strs)), seq: maybe(pick(u64s)), ts_ms: maybe(pick(u64s)), firmware_version: maybe(pick(strs)), uptime_s: maybe(pick(u64s)),
        rssi_dbm: maybe(pick([0, -1, -67, -127, 5, 2 ** 31 - 1, -(2 ** 31)])), supply_voltage_v: maybe(pick(floats)), valve_cycles: maybe(pick(u64s)),
        error_codes: maybe(pick([[], [0x21], [0, 1, 300, 2 ** 32 - 1]])), reboot_count: maybe(pick(u32s)),
      }
      expect(hex(encodeHealth(health))).toBe(hex(HealthFrame.encode(health).finish()))
    }
  })
})
