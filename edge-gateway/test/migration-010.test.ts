import { describe, expect, it } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { Gateway, migrate, readRetention, type FrameSource } from '../index.js'

const source: FrameSource = { description: 'test', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }
const DEV = 'tap-0001-01'
const VEN = 'ven-0001'
const DAY = 86_400_000
const topic = (kind: string): string => `tapflow/v1/${VEN}/${DEV}/${kind}`

describe('migration 10 on a data directory at version 9 with data', () => {
  const db = useChDB('m010-')
  const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()

  it('turns received_at into a stored delay and an ALIAS: rows, rollups, the skip index, the TTL and gateway inserts keep working', async () => {
    // A data directory as version 9 left it, written the way the gateway wrote it then.
    const c = db.ch.client
    await migrate(c, { upTo: 9 })
    const t0 = Date.now() - 3_600_000
    // Delays of 5 ms, 250 ms and 40 days (a device clock far behind: more than Int32 milliseconds hold).
    const delays = [5, 250, 40 * DAY]
    const head = (i: number): Record<string, unknown> => ({ device_id: DEV, venue_id: VEN, seq: i, ts: t0 - delays[i % 3]! + i * 1000, late: i % 3 === 2, received_at: t0 + i * 1000 })
    await c.insert({
      table: 'tapflow.pours',
      format: 'JSONEachRow',
      values: [1, 2, 3].map((i) => ({
        ...head(i), line_id: 1, beverage_id: 'bev-001', volume_ml: 500, duration_ms: 9000, flow_rate_ml_s: 60.1, foam_ratio: 0.05,
        waste_ml: 15, keg_id: `${DEV}-k1`, keg_remaining_ml: 30_000 - 500 * i, beverage_temp_c: 4.0625,
      })),
    })
    await c.insert({ table: 'tapflow.temperatures', format: 'JSONEachRow', values: [4, 5].map((i) => ({ ...head(i), line_id: 1, line_temp_c: 4, keg_temp_c: 3.5, ambient_temp_c: 21 })) })
    await c.insert({
      table: 'tapflow.health',
      format: 'JSONEachRow',
      values: [{ ...head(6), firmware_version: '1.4.2', uptime_s: 100, rssi_dbm: -60, supply_voltage_v: 12, valve_cycles: 5000, error_codes: [], reboot_count: 0 }],
    })
    const arrivals = async (table: string): Promise<{ seq: number; received: number; delay: number }[]> =>
      (await q<{ seq: string; received: string; delay: string }>(
        `SELECT seq, toUnixTimestamp64Milli(received_at) AS received, receive_delay_ms AS delay FROM tapflow.${table} ORDER BY seq`,
      )).map((r) => ({ seq: Number(r.seq), received: Number(r.received), delay: Number(r.delay) }))

    // The gateway starts on it (migration 10 applies) with a clock 20 ms after each frame's device time.
    let now = 0
    const gw = new Gateway({ source, clickhouse: db.ch, clock: { now: () => now }, batch: { maxDelayMs: 10 } })
    await gw.start()
    const at = (i: number): number => t0 + i * 1000
    const send = (kind: string, ts: number, payload: Uint8Array): Promise<void> => {
      now = ts + 20
      return new Promise((resolve) => gw.handle(topic(kind), Buffer.from(payload), resolve))
    }
    await send('pour', at(7), PourEvent.encode({ device_id: DEV, seq: 7, ts_ms: at(7), line_id: 1, beverage_id: 'bev-001', volume_ml: 2.2222222 * 225, duration_ms: 8000, flow_rate_ml_s: 62.3, foam_ratio: 0.04, waste_ml: 12, keg_id: `${DEV}-k1`, keg_remaining_ml: 24_500, beverage_temp_c: 4.125 }).finish())
    await send('temp', at(8), TemperatureReading.encode({ device_id: DEV, seq: 8, ts_ms: at(8), line_id: 1, line_temp_c: 6, keg_temp_c: 3.5, ambient_temp_c: 21.0625 }).finish())
    await send('health', at(9), HealthFrame.encode({ device_id: DEV, seq: 9, ts_ms: at(9), firmware_version: '1.5.1', uptime_s: 200, rssi_dbm: -61, supply_voltage_v: 11.995, valve_cycles: 5002, error_codes: [], reboot_count: 0 }).finish())
    await gw.close()

    expect((await q<{ v: number }>('SELECT DISTINCT version AS v FROM tapflow.schema_migrations ORDER BY v')).map((r) => r.v)).toContain(10)
    const kinds = await q<{ table: string; name: string; default_kind: string; type: string }>(
      `SELECT table, name, default_kind, type FROM system.columns WHERE database = 'tapflow' AND table IN ('pours', 'temperatures', 'health')
       AND name IN ('received_at', 'received_at_in', 'receive_delay_ms') ORDER BY table, name`,
    )
    for (const table of ['health', 'pours', 'temperatures']) {
      expect(kinds.filter((k) => k.table === table).map(({ name, default_kind, type }) => ({ name, default_kind, type }))).toEqual([
        { name: 'receive_delay_ms', default_kind: 'DEFAULT', type: 'Int64' },
        { name: 'received_at', default_kind: 'ALIAS', type: "DateTime64(3, 'UTC')" },
        { name: 'received_at_in', default_kind: 'EPHEMERAL', type: "DateTime64(3, 'UTC')" },
      ])
    }

    // Old rows read back the same arrival time, held as the delay; the gateway's rows arrived 20 ms after ts.
    const expected = {
      pours: [1, 2, 3].map((i) => ({ seq: i, received: t0 + i * 1000, delay: delays[i % 3]! })).concat([{ seq: 7, received: at(7) + 20, delay: 20 }]),
      temperatures: [4, 5].map((i) => ({ seq: i, received: t0 + i * 1000, delay: delays[i % 3]! })).concat([{ seq: 8, received: at(8) + 20, delay: 20 }]),
      health: [{ seq: 6, received: t0 + 6000, delay: delays[0]! }, { seq: 9, received: at(9) + 20, delay: 20 }],
    }
    for (const [table, rows] of Object.entries(expected)) expect(await arrivals(table)).toEqual(rows)
    for (const t of ['pours', 'temperatures', 'health']) await c.command({ query: `OPTIMIZE TABLE tapflow.${t} FINAL` })
    for (const [table, rows] of Object.entries(expected)) expect(await arrivals(table)).toEqual(rows)

    // The live stream's filter on received_at still skips by the index, now built on the ALIAS's expression.
    const [idx] = await q<{ expr: string }>(`SELECT expr FROM system.data_skipping_indices WHERE database = 'tapflow' AND table = 'pours' AND name = 'pours_received_at'`)
    expect(idx?.expr).toBe('ts + toIntervalMillisecond(receive_delay_ms)')
    const since = `fromUnixTimestamp64Milli(toInt64(${t0 + 2500}))`
    expect(await q(`SELECT seq FROM tapflow.pours WHERE received_at >= ${since} ORDER BY seq SETTINGS force_data_skipping_indices = 'pours_received_at'`)).toEqual([{ seq: 3 }, { seq: 7 }])

    // Raw retention still ages rows from arrival (90 days), through the stored delay.
    expect(await readRetention(c)).toMatchObject({ pours: 90, temperatures: 90, health: 90 })
    const [ttl] = await q<{ e: string }>(`SELECT engine_full AS e FROM system.tables WHERE database = 'tapflow' AND name = 'pours'`)
    expect(ttl!.e).toContain('TTL toDateTime(ts + toIntervalMillisecond(receive_delay_ms)) + toIntervalDay(90)')

    // The rollups kept counting across the migration: 3 pours before, 1 after.
    const [r] = await q<{ pours: string }>(`SELECT sum(pour_count) AS pours FROM tapflow.device_5m WHERE device_id = '${DEV}'`)
    expect(Number(r!.pours)).toBe(4)
  })
})
