import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { useChDB } from '../../test/utils/index.js'
import { Gateway, WriteAheadLog, type FrameSource } from '../index.js'

/** Deterministic: a failing input can be replayed from the seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const N = 100_000
const NOW = Date.now()
const source: FrameSource = { description: 'fuzz', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

describe('fuzz: random and mutated frames through decode and the gateway', () => {
  const db = useChDB('fuzz')

  it(`survives ${N.toLocaleString()} hostile inputs, dead-letters every reject with a reason, and stays bounded`, async () => {
    const r = rng(20261122)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
    const int = (n: number): number => Math.floor(r() * n)
    const wild = (): number => pick([NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324, 3, 2 ** 53, -(2 ** 31)])
    const dev = (): string => `tap-${String(int(50)).padStart(4, '0')}-01`
    const venueOf = (d: string): string => `ven-${d.slice(4, 8)}`
    const seqs = new Map<string, number>()
    const nextSeq = (d: string): number => {
      const s = (seqs.get(d) ?? 0) + (r() < 0.02 ? 1 + int(1e6) : r() < 0.02 ? -int(5) : 1)
      seqs.set(d, Math.max(1, s))
      return Math.max(1, s)
    }
    const valid = (d: string): { topic: string; payload: Uint8Array } => {
      const kind = pick(['pour', 'temp', 'health'] as const)
      const base = { device_id: d, seq: nextSeq(d), ts_ms: NOW - int(3_600_000) }
      const payload =
        kind === 'pour'
          ? PourEvent.encode({ ...base, line_id: 1, beverage_id: 'bev', volume_ml: 400, duration_ms: 6000, flow_rate_ml_s: 60, foam_ratio: 0.1, waste_ml: 5, keg_id: 'k', keg_remaining_ml: 9000, beverage_temp_c: 3 }).finish()
          : kind === 'temp'
            ? TemperatureReading.encode({ ...base, line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish()
            : HealthFrame.encode({ ...base, firmware_version: '1.0.0', uptime_s: 100, rssi_dbm: -60, supply_voltage_v: 12, valve_cycles: 5, error_codes: [1], reboot_count: 0 }).finish()
      return { topic: `tapflow/v1/${venueOf(d)}/${d}/${kind}`, payload }
    }
    const mutate = (p: Uint8Array): Uint8Array => {
      const b = Buffer.from(p)
      switch (int(6)) {
        case 0:
          return b.subarray(0, int(b.length)) // truncated
        case 1:
          for (let i = 0; i < 1 + int(4); i++) if (b.length > 0) b[int(b.length)] = int(256) // bit rot
          return b
        case 2:
          return Buffer.concat([b, Buffer.alloc(int(300_000), int(256))]) // oversized
        case 3:
          return Buffer.from(Array.from({ length: int(200) }, () => int(256))) // noise
        case 4:
          return Buffer.concat([Buffer.from([0x08 | int(8), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), b]) // wrong wire type / max varint
        default:
          return Buffer.concat([b, b]) // repeated fields: last one wins
      }
    }
    const hostileTopic = (d: string): string =>
      pick([
        `tapflow/v1/${venueOf(d)}/${d}/pour/extra`, `tapflow/v1/${venueOf(d)}/+/temp`, `tapflow/v1/#`, `tapflow/v1/${venueOf(d)}/${d}`,
        `tapflow/v1/../${d}/temp`, `tapflow/v1/${venueOf(d)}/${d}\u0000/temp`, `tapflow/v1/${venueOf(d)}/${'x'.repeat(5000)}/temp`,
        `tapflow/v2/${venueOf(d)}/${d}/temp`, `tapflow/v1/${venueOf(d)}/tap-9999-01/temp`, `tapflow/v1/${venueOf(d)}/${d}/cmd`,
        `tapflow/v1/ven-0001/${d}/témp`, `/tapflow/v1/${venueOf(d)}/${d}/temp`, '',
      ])
    const special = (d: string): { topic: string; payload: Uint8Array } => {
      const base = { device_id: d, seq: nextSeq(d), ts_ms: NOW }
      const topic = `tapflow/v1/${venueOf(d)}/${d}/temp`
      switch (int(5)) {
        case 0:
          return { topic, payload: TemperatureReading.encode({ ...base, line_id: 1, line_temp_c: wild(), keg_temp_c: wild(), ambient_temp_c: wild() }).finish() }
        case 1:
          return { topic, payload: TemperatureReading.encode({ ...base, ts_ms: pick([NOW + 10 * 365 * 86_400_000, 2 ** 53, -1, 0]), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish() }
        case 2:
          return { topic, payload: TemperatureReading.encode({ ...base, seq: pick([0, 2 ** 53 - 1, 2 ** 40 + int(1e6)]), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish() }
        case 3:
          return { topic, payload: TemperatureReading.encode({ ...base, device_id: pick(['', 'tap-0001-01', 'x'.repeat(10_000), '\u0000']), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish() }
        default:
          return { topic, payload: PourEvent.encode({ device_id: d, seq: base.seq, ts_ms: NOW, volume_ml: wild(), foam_ratio: wild(), duration_ms: 1 }).finish() }
      }
    }

    const wal = WriteAheadLog.open({ dir: join(db.dir, 'wal'), fsync: 'never' })
    const gateway = new Gateway({ source, clickhouse: db.ch, wal, batch: { maxDelayMs: 50 } })
    await gateway.start()
    const heapBefore = process.memoryUsage().heapUsed
    let acked = 0
    let peakPending = 0
    for (let i = 0; i < N; i++) {
      const d = dev()
      const roll = r()
      const f = roll < 0.3 ? valid(d) : roll < 0.6 ? { ...valid(d), payload: mutate(valid(d).payload) } : roll < 0.8 ? special(d) : { topic: hostileTopic(d), payload: mutate(valid(d).payload) }
      gateway.handle(f.topic, f.payload, () => acked++)
      // Let the WAL and batchers drain as a broker's flow control would: the gateway never holds more than this.
      if (i % 2_000 === 1_999) {
        peakPending = Math.max(peakPending, gateway.pendingRows)
        await wal.sync()
        await gateway.flush()
      }
    }
    await wal.sync()
    await gateway.flush()
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6
    await gateway.close()
    await wal.close()

    const s = gateway.stats
    expect(acked).toBe(N)
    expect(s.framesIn).toBe(N)
    expect(s.accepted + s.deadLettered + s.duplicates).toBe(N)
    expect(s.deadLettered).toBeGreaterThan(N * 0.4)
    expect(s.accepted).toBeGreaterThan(N * 0.2)
    expect(peakPending).toBeLessThan(10_000)
    expect(heapGrowthMb).toBeLessThan(300)
    expect(wal.depth).toBe(0)
    const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()
    const [dl] = await q<{ n: string; blank: string }>(`SELECT count() AS n, countIf(reason = '' OR detail = '') AS blank FROM tapflow.dead_letters`)
    expect(Number(dl!.n)).toBe(s.deadLettered)
    expect(Number(dl!.blank)).toBe(0)
    const reasons = await q<{ reason: string }>('SELECT DISTINCT reason FROM tapflow.dead_letters ORDER BY reason')
    expect(reasons.map((x) => x.reason)).toEqual(expect.arrayContaining(['device_mismatch', 'future_timestamp', 'invalid_value', 'undecodable', 'unknown_topic']))
    const [rows] = await q<{ n: string }>('SELECT (SELECT count() FROM tapflow.pours) + (SELECT count() FROM tapflow.temperatures) + (SELECT count() FROM tapflow.health) AS n')
    expect(Number(rows!.n)).toBe(s.accepted)
  })
})
