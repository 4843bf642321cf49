import { describe, expect, it } from 'vitest'
import { HealthFrame, PourEvent, TemperatureReading, parseTopic, topicFor } from '../index.js'

describe('telemetry protobuf', () => {
  it('round-trips a pour with snake_case fields and 64-bit ints as numbers', () => {
    const bytes = PourEvent.encode({
      device_id: 'tap-0001-01', seq: 2 ** 40 + 7, ts_ms: 1_795_000_000_123, line_id: 3, beverage_id: 'bev-stout',
      volume_ml: 568, duration_ms: 9_500, flow_rate_ml_s: 60, foam_ratio: 0.05, waste_ml: 12, keg_id: 'k1',
      keg_remaining_ml: 40_000, beverage_temp_c: 3.5,
    }).finish()
    const m = PourEvent.decode(bytes)
    expect(m.device_id).toBe('tap-0001-01')
    expect(m.seq).toBe(2 ** 40 + 7)
    expect(typeof m.ts_ms).toBe('number')
    expect(m.ts_ms).toBe(1_795_000_000_123)
    expect(m.volume_ml).toBeCloseTo(568)
    expect(m.beverage_id).toBe('bev-stout')
  })

  it('starts every message with device_id=1, seq=2, ts_ms=3', () => {
    for (const T of [PourEvent, TemperatureReading, HealthFrame]) {
      const bytes = T.encode({ device_id: 'd', seq: 5, ts_ms: 9 }).finish()
      // field 1 (LEN) tag 0x0a, field 2 (VARINT) tag 0x10, field 3 (VARINT) tag 0x18
      expect([...bytes]).toEqual([0x0a, 1, 'd'.charCodeAt(0), 0x10, 5, 0x18, 9])
    }
  })

  it('keeps repeated error codes on health frames', () => {
    const m = HealthFrame.decode(HealthFrame.encode({ device_id: 'd', seq: 1, ts_ms: 1, error_codes: [17, 42] }).finish())
    expect(m.error_codes).toEqual([17, 42])
  })
})

describe('topics', () => {
  it('builds and parses tapflow/v1/{venue}/{device}/{kind}', () => {
    const t = topicFor('ven-0001', 'tap-0001-01', 'pour')
    expect(t).toBe('tapflow/v1/ven-0001/tap-0001-01/pour')
    expect(parseTopic(t)).toEqual({ venueId: 'ven-0001', deviceId: 'tap-0001-01', suffix: 'pour' })
  })

  it('rejects wrong shapes and ids that could inject topic levels', () => {
    expect(parseTopic('tapflow/v1/ven/tap/pour/extra')).toBeUndefined()
    expect(parseTopic('tapflow/v2/ven/tap/pour')).toBeUndefined()
    expect(parseTopic('tapflow/v1/ven/+/pour')).toBeUndefined()
    expect(parseTopic('tapflow/v1/ven/ta p/pour')).toBeUndefined()
  })
})
