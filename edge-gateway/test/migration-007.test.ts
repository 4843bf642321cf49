import { describe, expect, it } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { Gateway, migrate, type FrameSource } from '../index.js'

const source: FrameSource = { description: 'test', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }
const DEV = 'tap-0001-01'
const VEN = 'ven-0001'
const topic = (kind: string): string => `tapflow/v1/${VEN}/${DEV}/${kind}`

describe('migration 7 on a data directory at version 5 with data', () => {
  const db = useChDB('m007-')
  const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()

  it('keeps rows, rollups and the gateway inserts working, with the new codecs and TTLs', async () => {
    // A data directory as version 5 left it, written the way the gateway wrote it then.
    const c = db.ch.client
    await migrate(c, { upTo: 5 })
    const t0 = Date.now() - 3_600_000
    const head = (i: number): Record<string, unknown> => ({ device_id: DEV, venue_id: VEN, seq: i, ts: t0 + i * 1000, late: false, received_at: t0 + i * 1000 + 5 })
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

    // The gateway starts on it: migrations 6 (when present) and 7 apply, then it lands frames through its own path.
    const gw = new Gateway({ source, clickhouse: db.ch, batch: { maxDelayMs: 10 } })
    await gw.start()
    const at = (i: number): number => t0 + i * 1000
    const acks: Promise<void>[] = []
    const send = (kind: string, payload: Uint8Array): void => {
      acks.push(new Promise((resolve) => gw.handle(topic(kind), Buffer.from(payload), resolve)))
    }
    for (const i of [7, 8]) {
      send('pour', PourEvent.encode({ device_id: DEV, seq: i, ts_ms: at(i), line_id: 1, beverage_id: 'bev-001', volume_ml: 2.2222222 * 225, duration_ms: 8000, flow_rate_ml_s: 62.3, foam_ratio: 0.04, waste_ml: 12, keg_id: `${DEV}-k1`, keg_remaining_ml: 28_000 - 500 * i, beverage_temp_c: 4.125 }).finish())
    }
    for (const i of [9, 10]) send('temp', TemperatureReading.encode({ device_id: DEV, seq: i, ts_ms: at(i), line_id: 1, line_temp_c: 6, keg_temp_c: 3.5, ambient_temp_c: 21.0625 }).finish())
    send('health', HealthFrame.encode({ device_id: DEV, seq: 11, ts_ms: at(11), firmware_version: '1.5.1', uptime_s: 200, rssi_dbm: -61, supply_voltage_v: 11.995, valve_cycles: 5002, error_codes: [], reboot_count: 0 }).finish())
    await Promise.all(acks)
    await gw.close()

    expect((await q<{ v: number }>('SELECT DISTINCT version AS v FROM tapflow.schema_migrations ORDER BY v')).map((r) => r.v)).toContain(7)
    const codec = async (table: string, column: string): Promise<string> =>
      (await q<{ c: string }>(`SELECT compression_codec AS c FROM system.columns WHERE database = 'tapflow' AND table = '${table}' AND name = '${column}'`))[0]!.c
    // (Migration 11 later stores the sensor floats as step counts with codecs of their own.)
    expect(await codec('pours', 'duration_ms')).toBe('CODEC(T64, ZSTD(3))')
    expect(await codec('temperatures', 'seq')).toBe('CODEC(Delta(8), ZSTD(3))')
    expect(await codec('health', 'rssi_dbm')).toBe('CODEC(Delta(2), T64, ZSTD(3))')

    // Every row is there and reads back the same before and after the merge recompresses it with the new codecs.
    const sums = async (): Promise<unknown[]> =>
      q(`SELECT (SELECT count() FROM tapflow.pours) AS pours, (SELECT round(sum(volume_ml), 3) FROM tapflow.pours) AS volume,
                (SELECT round(sum(keg_remaining_ml)) FROM tapflow.pours) AS keg, (SELECT count() FROM tapflow.temperatures) AS temps,
                (SELECT round(sum(ambient_temp_c), 4) FROM tapflow.temperatures) AS ambient, (SELECT count() FROM tapflow.health) AS health,
                (SELECT sum(rssi_dbm) FROM tapflow.health) AS rssi`)
    const before = await sums()
    expect(before).toEqual([{ pours: 5, volume: 1500 + 2 * 500, keg: 3 * 30_000 - 3000 + 2 * 28_000 - 7500, temps: 4, ambient: 84.125, health: 2, rssi: -121 }])
    for (const t of ['pours', 'temperatures', 'health']) await c.command({ query: `OPTIMIZE TABLE tapflow.${t} FINAL` })
    expect(await sums()).toEqual(before)

    // The rollups kept counting across the migration: 3 pours before, 2 after; 4 temperatures; the latest state is the gateway's.
    const [r] = await q<{ pours: string; temp_max: number }>(
      `SELECT sum(pour_count) AS pours, max(temp_max_c) AS temp_max FROM tapflow.device_5m WHERE device_id = '${DEV}'`,
    )
    expect(Number(r!.pours)).toBe(5)
    expect(r!.temp_max).toBe(6)
    const [hourly] = await q<{ pours: number; volume: number }>(`SELECT sum(pours) AS pours, round(sum(volume_ml), 3) AS volume FROM tapflow.venue_beverage_1h WHERE venue_id = '${VEN}'`)
    expect(hourly).toEqual({ pours: 5, volume: 2500 })
    const [latest] = await q<Record<string, unknown>>(`SELECT firmware_version, rssi_dbm, supply_voltage_v, line_temp_c, keg_remaining_ml FROM tapflow.device_latest WHERE device_id = '${DEV}'`)
    expect(latest).toMatchObject({ firmware_version: '1.5.1', rssi_dbm: -61, line_temp_c: 6, keg_remaining_ml: 24_000 })
    expect(latest!.supply_voltage_v).toBeCloseTo(11.995, 5)
  })
})
