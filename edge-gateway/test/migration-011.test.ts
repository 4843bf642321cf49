import { describe, expect, it } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { HealthFrame, PourEvent, TemperatureReading } from '../../proto/index.js'
import { Gateway, migrate, type FrameSource } from '../index.js'

const source: FrameSource = { description: 'test', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }
const DEV = 'tap-0001-01'
const VEN = 'ven-0001'
const topic = (kind: string): string => `tapflow/v1/${VEN}/${DEV}/${kind}`

/** Float32 as the device sends it (proto `float`). */
const f32 = Math.fround
const PULSE_ML = 1000 / 450

describe('migration 11 on a data directory at version 10 with data', () => {
  const db = useChDB('m011-')
  const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()

  it('stores sensor values as whole steps: rows read back equal, rollups and gateway inserts keep working, the floats leave the disk', async () => {
    // A data directory as version 10 left it, written the way the gateway wrote it then.
    const c = db.ch.client
    await migrate(c, { upTo: 10 })
    const t0 = Date.now() - 3_600_000
    const head = (i: number): Record<string, unknown> => ({ device_id: DEV, venue_id: VEN, seq: i, ts: t0 + i * 1000, late: false, received_at_in: t0 + i * 1000 + 5 })
    const pour = (i: number): Record<string, number> => ({
      volume_ml: f32(PULSE_ML * (200 + i)), flow_rate_ml_s: f32(62.3 + i / 10), foam_ratio: f32(0.04 + i / 100), waste_ml: 12 + i,
      keg_remaining_ml: 30_000 - 500 * i, beverage_temp_c: 4.0625 - i / 16,
    })
    const temp = (i: number): Record<string, number> => ({ line_temp_c: 4 + i / 16, keg_temp_c: -0.5 - i / 16, ambient_temp_c: 21.0625 })
    const health = (i: number): Record<string, number> => ({ supply_voltage_v: f32(11.995 + i * 0.005) })
    const insert = (table: string, values: Record<string, unknown>[]): Promise<unknown> =>
      c.insert({ table, values, format: 'JSONEachRow', columns: Object.keys(values[0]!) as [string, ...string[]] })
    await insert('tapflow.pours', [1, 2, 3].map((i) => ({ ...head(i), line_id: 1, beverage_id: 'bev-001', duration_ms: 9000, keg_id: `${DEV}-k1`, ...pour(i) })))
    await insert('tapflow.temperatures', [4, 5].map((i) => ({ ...head(i), line_id: 1, ...temp(i) })))
    await insert('tapflow.health', [6].map((i) => ({ ...head(i), firmware_version: '1.4.2', uptime_s: 100, rssi_dbm: -60, valve_cycles: 5000, error_codes: [], reboot_count: 0, ...health(i) })))

    // The gateway starts on it (migration 11 applies) and lands one frame of each kind.
    const gw = new Gateway({ source, clickhouse: db.ch, batch: { maxDelayMs: 10 } })
    await gw.start()
    const send = (kind: string, payload: Uint8Array): Promise<void> => new Promise((resolve) => gw.handle(topic(kind), Buffer.from(payload), resolve))
    const at = (i: number): number => t0 + i * 1000
    await send('pour', PourEvent.encode({ device_id: DEV, seq: 7, ts_ms: at(7), line_id: 1, beverage_id: 'bev-001', duration_ms: 8000, keg_id: `${DEV}-k1`, ...pour(7) }).finish())
    await send('temp', TemperatureReading.encode({ device_id: DEV, seq: 8, ts_ms: at(8), line_id: 1, ...temp(8) }).finish())
    await send('health', HealthFrame.encode({ device_id: DEV, seq: 9, ts_ms: at(9), firmware_version: '1.5.1', uptime_s: 200, rssi_dbm: -61, valve_cycles: 5002, error_codes: [], reboot_count: 0, ...health(9) }).finish())
    await gw.close()

    expect((await q<{ v: number }>('SELECT DISTINCT version AS v FROM tapflow.schema_migrations ORDER BY v')).map((r) => r.v)).toContain(11)
    const kinds = await q<{ name: string; default_kind: string; type: string }>(
      `SELECT name, default_kind, type FROM system.columns WHERE database = 'tapflow' AND table = 'temperatures' AND name LIKE 'line_temp%' ORDER BY name`,
    )
    expect(kinds).toEqual([
      { name: 'line_temp_c', default_kind: 'ALIAS', type: 'Float32' },
      { name: 'line_temp_c_in', default_kind: 'EPHEMERAL', type: 'Float32' },
      { name: 'line_temp_steps', default_kind: 'DEFAULT', type: 'Int16' },
    ])

    // Old rows and the gateway's read back exactly the Float32 values sent, before and after a merge rewrites them.
    const read = async (table: string, fields: string[]): Promise<Record<string, number>[]> =>
      // JSON prints a Float32 by its shortest decimal: back to Float32 to compare bits.
      (await q<Record<string, number>>(`SELECT seq, ${fields.join(', ')} FROM tapflow.${table} ORDER BY seq`)).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'seq' ? Number(v) : f32(v)])),
      )
    const expected = {
      pours: [1, 2, 3, 7].map((i) => ({ seq: i, ...pour(i) })),
      temperatures: [4, 5, 8].map((i) => ({ seq: i, ...temp(i) })),
      health: [6, 9].map((i) => ({ seq: i, ...health(i) })),
    }
    const fields = (t: keyof typeof expected): string[] => Object.keys(expected[t][0]!).filter((k) => k !== 'seq')
    for (const t of ['pours', 'temperatures', 'health'] as const) expect(await read(t, fields(t))).toEqual(expected[t])
    for (const t of ['pours', 'temperatures', 'health'] as const) await c.command({ query: `OPTIMIZE TABLE tapflow.${t} FINAL` })
    for (const t of ['pours', 'temperatures', 'health'] as const) expect(await read(t, fields(t))).toEqual(expected[t])
    const [steps] = await q<{ pulses: number; temp: number }>(`SELECT volume_pulses AS pulses, beverage_temp_steps AS temp FROM tapflow.pours WHERE seq = 7`)
    expect(steps).toEqual({ pulses: 207, temp: 65 - 7 })

    // After the merge the parts hold the step columns and no float column.
    const stored = await q<{ column: string }>(
      `SELECT DISTINCT column FROM system.parts_columns WHERE active AND database = 'tapflow' AND table = 'pours' AND column LIKE 'volume%' ORDER BY column`,
    )
    expect(stored.map((r) => r.column)).toEqual(['volume_pulses'])

    // The rollups kept counting across the migration, and read the ALIAS: 3 pours before, 1 after.
    const [r] = await q<{ pours: string; volume: number }>(`SELECT sum(pour_count) AS pours, round(sum(volume_ml), 2) AS volume FROM tapflow.device_5m WHERE device_id = '${DEV}'`)
    expect({ pours: Number(r!.pours), volume: r!.volume }).toEqual({ pours: 4, volume: Math.round([1, 2, 3, 7].reduce((s, i) => s + pour(i).volume_ml!, 0) * 100) / 100 })
    const [state] = await q<{ keg: number; line: number; volts: number }>(
      `SELECT keg_remaining_ml AS keg, line_temp_c AS line, supply_voltage_v AS volts FROM tapflow.device_latest WHERE device_id = '${DEV}'`,
    )
    expect({ keg: state!.keg, line: state!.line, volts: f32(state!.volts) }).toEqual({ keg: pour(7).keg_remaining_ml, line: temp(8).line_temp_c, volts: health(9).supply_voltage_v })
  })
})
