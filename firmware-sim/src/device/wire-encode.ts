import { HealthFrame, PourEvent, TemperatureReading, type HealthFrameInit, type PourEventInit, type TemperatureReadingInit } from '../../../proto/index.js'

/**
 * Static encoders for the three telemetry messages, byte-identical to the generated protobufjs `encode`: the same
 * fields in the same order, skipped on the same (proto3 default) values. protobufjs builds a linked list of write
 * operations per field and a fresh buffer per message; at a million frames that was the simulator's largest
 * allocation source. These write straight into one scratch buffer and copy the result out once.
 * Values outside what the fast path handles exactly (negative or fractional 64-bit fields) go to protobufjs, so the
 * bytes never differ; test/wire-encode.test.ts checks every field against protobufjs.
 */
// Far above any frame: three ids and a handful of numbers.
const scratch = Buffer.allocUnsafe(64 * 1024)
let pos = 0
/** Set when a value needs protobufjs; the caller then encodes the whole message there. */
let slow = false

export function encodePour(m: PourEventInit): Uint8Array {
  begin()
  str(10, m.device_id)
  u64(16, m.seq)
  u64(24, m.ts_ms)
  u32(32, m.line_id)
  str(42, m.beverage_id)
  f32(53, m.volume_ml)
  u32(56, m.duration_ms)
  f32(69, m.flow_rate_ml_s)
  f32(77, m.foam_ratio)
  f32(85, m.waste_ml)
  str(90, m.keg_id)
  f32(101, m.keg_remaining_ml)
  f32(109, m.beverage_temp_c)
  return slow ? PourEvent.encode(m).finish() : end()
}

export function encodeTemperature(m: TemperatureReadingInit): Uint8Array {
  begin()
  str(10, m.device_id)
  u64(16, m.seq)
  u64(24, m.ts_ms)
  u32(32, m.line_id)
  f32(45, m.line_temp_c)
  f32(53, m.keg_temp_c)
  f32(61, m.ambient_temp_c)
  return slow ? TemperatureReading.encode(m).finish() : end()
}

export function encodeHealth(m: HealthFrameInit): Uint8Array {
  begin()
  str(10, m.device_id)
  u64(16, m.seq)
  u64(24, m.ts_ms)
  str(34, m.firmware_version)
  u64(40, m.uptime_s)
  if (m.rssi_dbm != null && m.rssi_dbm !== 0) {
    varint(48)
    varint(((m.rssi_dbm << 1) ^ (m.rssi_dbm >> 31)) >>> 0)
  }
  f32(61, m.supply_voltage_v)
  u64(64, m.valve_cycles)
  const codes = m.error_codes
  if (codes != null && codes.length > 0) {
    varint(74)
    let len = 0
    for (const c of codes) len += varintSize(c >>> 0)
    varint(len)
    for (const c of codes) varint(c >>> 0)
  }
  u32(80, m.reboot_count)
  return slow ? HealthFrame.encode(m).finish() : end()
}

function begin(): void {
  pos = 0
  slow = false
}

/** A copy of what was written: callers keep frames, and the scratch buffer is reused by the next one. */
function end(): Uint8Array {
  const out = Buffer.allocUnsafe(pos)
  scratch.copy(out, 0, 0, pos)
  return out
}

function varint(v: number): void {
  // v is a non-negative integer below 2^53.
  while (v > 0x7f) {
    scratch[pos++] = (v % 0x80) | 0x80
    v = Math.floor(v / 0x80)
  }
  scratch[pos++] = v
}

function varintSize(v: number): number {
  let n = 1
  while (v > 0x7f) {
    v = Math.floor(v / 0x80)
    n++
  }
  return n
}

function str(tag: number, s: string | null | undefined): void {
  if (s == null || s === '') return
  varint(tag)
  if (s.length < 43) {
    // At most 126 UTF-8 bytes: the length fits the one byte reserved in front.
    const len = scratch.write(s, pos + 1, 'utf8')
    scratch[pos] = len
    pos += 1 + len
    return
  }
  if (pos + 5 + s.length * 3 > scratch.length) {
    slow = true
    return
  }
  const len = Buffer.byteLength(s, 'utf8')
  varint(len)
  pos += scratch.write(s, pos, 'utf8')
}

function u32(tag: number, v: number | null | undefined): void {
  if (v == null || v === 0) return
  varint(tag)
  varint(v >>> 0)
}

/** uint64 and (non-negative) int64 given as numbers; anything else goes to protobufjs. */
function u64(tag: number, v: number | { low: number; high: number } | null | undefined): void {
  if (v == null || v === 0) return
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    slow = true
    return
  }
  varint(tag)
  varint(v)
}

function f32(tag: number, v: number | null | undefined): void {
  // Object.is, as protobufjs: -0 is written, +0 is the default and skipped.
  if (v == null || Object.is(v, 0)) return
  varint(tag)
  scratch.writeFloatLE(v, pos)
  pos += 4
}
