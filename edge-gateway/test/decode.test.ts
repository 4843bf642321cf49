import { describe, expect, it } from 'vitest'
import { BatchWriter, HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { decodeBatch, decodeFrame } from '../index.js'

const NOW = Date.UTC(2026, 10, 20, 12)
const topic = (kind: string, dev = 'tap-0001-01'): string => `tapflow/v1/ven-0001/${dev}/${kind}`
const pour = (over: Record<string, unknown> = {}): Uint8Array =>
  PourEvent.encode({
    device_id: 'tap-0001-01', seq: 1, ts_ms: NOW - 1000, line_id: 1, beverage_id: 'bev-stout', volume_ml: 500,
    duration_ms: 8000, flow_rate_ml_s: 60, foam_ratio: 0.05, waste_ml: 10, keg_id: 'k', keg_remaining_ml: 1000,
    beverage_temp_c: 3, ...over,
  }).finish()

describe('decodeFrame', () => {
  it('accepts a valid pour and builds its row with venue from the topic', () => {
    const d = decodeFrame(topic('pour'), pour(), NOW)
    expect(d.ok).toBe(true)
    if (!d.ok) return
    expect(d.kind).toBe('pour')
    expect(d.record).toMatchObject({ device_id: 'tap-0001-01', venue_id: 'ven-0001', seq: 1, ts: NOW - 1000 })
    expect(d.record.late).toBe(false)
    expect(d.record).toEqual({
      device_id: 'tap-0001-01', venue_id: 'ven-0001', seq: 1, ts: NOW - 1000, line_id: 1, beverage_id: 'bev-stout', volume_ml: 500,
      duration_ms: 8000, flow_rate_ml_s: 60, foam_ratio: Math.fround(0.05), waste_ml: 10, keg_id: 'k', keg_remaining_ml: 1000, beverage_temp_c: 3,
      late: false, received_at: NOW,
    })
  })

  it('accepts temperature and health frames and decodes every field', () => {
    const t = TemperatureReading.encode({ device_id: 'tap-0001-01', seq: 2, ts_ms: NOW, line_id: 1, line_temp_c: 4, keg_temp_c: 3, ambient_temp_c: 21 }).finish()
    const h = HealthFrame.encode({
      device_id: 'tap-0001-01', seq: 3, ts_ms: NOW, firmware_version: '1.4.2', uptime_s: 3600, rssi_dbm: -60, supply_voltage_v: 12,
      valve_cycles: 42, error_codes: [7, 9], reboot_count: 2,
    }).finish()
    const dt = decodeFrame(topic('temp'), t, NOW)
    const dh = decodeFrame(topic('health'), h, NOW)
    expect(dt.ok).toBe(true)
    expect(dh.ok).toBe(true)
    expect(dt).toMatchObject({ kind: 'temp', deviceId: 'tap-0001-01', seq: 2, tsMs: NOW })
    if (dt.ok) {
      expect(dt.record).toEqual({
        device_id: 'tap-0001-01', venue_id: 'ven-0001', seq: 2, ts: NOW, line_id: 1, line_temp_c: 4, keg_temp_c: 3, ambient_temp_c: 21, late: false, received_at: NOW,
      })
    }
    expect(dh).toMatchObject({ kind: 'health', deviceId: 'tap-0001-01', seq: 3, tsMs: NOW })
    if (dh.ok) {
      expect(dh.record).toEqual({
        device_id: 'tap-0001-01', venue_id: 'ven-0001', seq: 3, ts: NOW, firmware_version: '1.4.2', uptime_s: 3600, rssi_dbm: -60,
        supply_voltage_v: 12, valve_cycles: 42, error_codes: [7, 9], reboot_count: 2, late: false, received_at: NOW,
      })
    }
  })

  it('rejects an out-of-range health value', () => {
    const h = HealthFrame.encode({ device_id: 'tap-0001-01', seq: 3, ts_ms: NOW, firmware_version: '1.4.2', rssi_dbm: 20, supply_voltage_v: 12 }).finish()
    const d = decodeFrame(topic('health'), h, NOW)
    expect(d.ok).toBe(false)
    if (!d.ok) expect(d.reason).toBe('invalid_value')
  })

  it.each([
    ['unknown topic', 'tapflow/v1/ven-0001/tap-0001-01/flow', pour(), 'unknown_topic'],
    ['foreign root', 'other/v1/ven-0001/tap-0001-01/pour', pour(), 'unknown_topic'],
    ['garbage payload', topic('pour'), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 'undecodable'],
    ['truncated payload', topic('pour'), pour().slice(0, 7), 'undecodable'],
    ['device mismatch', topic('pour', 'tap-0002-01'), pour(), 'device_mismatch'],
    ['NaN volume', topic('pour'), pour({ volume_ml: Number.NaN }), 'invalid_value'],
    ['infinite temperature', topic('pour'), pour({ beverage_temp_c: Number.POSITIVE_INFINITY }), 'invalid_value'],
    ['negative volume', topic('pour'), pour({ volume_ml: -5 }), 'invalid_value'],
    ['foam over 1', topic('pour'), pour({ foam_ratio: 1.5 }), 'invalid_value'],
    ['future timestamp', topic('pour'), pour({ ts_ms: NOW + 3_600_000 }), 'future_timestamp'],
    ['missing seq', topic('pour'), pour({ seq: 0 }), 'missing_field'],
  ])('rejects %s', (_name, t, payload, reason) => {
    const d = decodeFrame(t, payload, NOW)
    expect(d.ok).toBe(false)
    if (!d.ok) expect(d.reason).toBe(reason)
  })

  it('keeps frames older than 48 h but flags them late', () => {
    const d = decodeFrame(topic('pour'), pour({ ts_ms: NOW - 49 * 3_600_000 }), NOW)
    expect(d.ok).toBe(true)
    if (d.ok) expect(d.record.late).toBe(true)
  })
})

describe('decodeBatch', () => {
  const temp = (seq: number): Uint8Array =>
    TemperatureReading.encode({ device_id: 'tap-0001-01', seq, ts_ms: NOW, line_id: 1, line_temp_c: 4, keg_temp_c: 3, ambient_temp_c: 21 }).finish()

  it('unpacks frames packed by BatchWriter, validating each on its own', () => {
    const w = new BatchWriter()
    w.add('pour', pour({ seq: 1 }))
    w.add('temp', temp(2))
    w.add('pour', pour({ seq: 3, volume_ml: Number.NaN }))
    const frames = decodeBatch(topic('batch'), w.finish(), NOW)
    expect(Array.isArray(frames)).toBe(true)
    if (!Array.isArray(frames)) return
    expect(frames.map((f) => (f.ok ? `${f.kind}:${f.seq}` : f.reason))).toEqual(['pour:1', 'temp:2', 'invalid_value'])
    expect(w.count).toBe(0)
  })

  it('rejects an undecodable batch as one dead letter', () => {
    const d = decodeBatch(topic('batch'), Uint8Array.from([0x0a, 0x50, 1, 2]), NOW)
    expect(Array.isArray(d)).toBe(false)
    if (!Array.isArray(d)) expect(d.reason).toBe('undecodable')
  })

  it('checks every frame against the topic device', () => {
    const w = new BatchWriter()
    w.add('temp', TemperatureReading.encode({ device_id: 'tap-9999-01', seq: 1, ts_ms: NOW, line_id: 1, line_temp_c: 4, keg_temp_c: 3, ambient_temp_c: 21 }).finish())
    const frames = decodeBatch(topic('batch'), w.finish(), NOW)
    expect(Array.isArray(frames) && !frames[0]!.ok && frames[0]!.reason).toBe('device_mismatch')
  })
})
