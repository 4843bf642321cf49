import { beforeAll, describe, expect, it } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { ConfigError } from '../../common/index.js'
import { DEFAULT_RETENTION, applyRetention, migrate, parseRetention, readRetention } from '../index.js'

const DAY = 86_400_000
const DEV = 'tap-0001-01'

describe('parseRetention', () => {
  it('reads days, weeks, years and forever; rejects the rest', () => {
    expect(parseRetention('90d')).toBe(90)
    expect(parseRetention('12w')).toBe(84)
    expect(parseRetention('2y')).toBe(730)
    expect(parseRetention('forever')).toBe(0)
    for (const bad of ['0d', '90', '3 months', '-1d', '1.5y']) expect(() => parseRetention(bad)).toThrow(ConfigError)
  })
})

describe('retention by TTL', () => {
  const db = useChDB('retention-')
  beforeAll(async () => {
    await migrate(db.ch.client)
  })
  const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()
  const count = async (table: string): Promise<number> => Number((await q<{ n: string }>(`SELECT count() AS n FROM tapflow.${table}`))[0]!.n)
  const merge = async (...tables: string[]): Promise<void> => {
    // A changed TTL is recomputed for existing parts by a background mutation; the merge after it drops the rows.
    await expect.poll(async () => q(`SELECT table FROM system.mutations WHERE database = 'tapflow' AND NOT is_done`)).toEqual([])
    for (const t of tables) await db.ch.client.command({ query: `OPTIMIZE TABLE tapflow.${t} FINAL` })
  }
  const pour = (seq: number, ageDays: number): Record<string, unknown> => {
    const ts = Date.now() - ageDays * DAY
    return {
      device_id: DEV, venue_id: 'ven-0001', seq, ts, line_id: 1, beverage_id: 'bev-001', volume_ml_in: 500, duration_ms: 9000, flow_rate_ml_s_in: 60,
      foam_ratio_in: 0.05, waste_ml_in: 15, keg_id: `${DEV}-k1`, keg_remaining_ml_in: 30_000, beverage_temp_c_in: 4, late: ageDays > 2, received_at_in: ts,
    }
  }
  // The arrival time and the sensor values go in as the gateway sends them, through the EPHEMERAL inputs
  // (migrations 10 and 11), named explicitly.
  const insertPours = (rows: Record<string, unknown>[]): Promise<unknown> =>
    db.ch.client.insert({ table: 'tapflow.pours', values: rows, format: 'JSONEachRow', columns: Object.keys(rows[0]!) as [string, ...string[]] })
  const rollupPours = async (): Promise<number> => Number((await q<{ n: string }>(`SELECT sum(pour_count) AS n FROM tapflow.device_5m WHERE device_id = '${DEV}'`))[0]!.n)

  it('starts with the defaults from migration 7: raw 90 days, rollups two years, dead letters 30 days', async () => {
    expect(await readRetention(db.ch.client)).toEqual({
      pours: 90, temperatures: 90, health: 90, chiller: 90, device_rollup_5m: 730, venue_beverage_1h: 730, gaps: 730, dead_letters: 30,
    })
    expect(await applyRetention(db.ch.client, DEFAULT_RETENTION)).toEqual([])
  })

  it('drops raw rows and dead letters past their retention at a merge, and keeps the rollups', async () => {
    // Seq 9 is a 200-day-old frame that landed just now (an outage's backlog): it ages from its arrival.
    await insertPours([pour(1, 200), pour(2, 95), pour(3, 80), pour(4, 1), { ...pour(9, 200), received_at_in: Date.now() }])
    const dl = (ageDays: number, reason: string): Record<string, unknown> => ({
      received_at: Date.now() - ageDays * DAY, topic: 't', device_id: DEV, reason, detail: '', payload_base64: '',
    })
    await db.ch.client.insert({ table: 'tapflow.dead_letters', values: [dl(40, 'undecodable'), dl(1, 'invalid_value')], format: 'JSONEachRow' })
    expect(await rollupPours()).toBe(5)
    await merge('pours', 'dead_letters', 'device_rollup_5m', 'venue_beverage_1h')
    expect((await q<{ seq: string }>('SELECT seq FROM tapflow.pours ORDER BY seq')).map((r) => Number(r.seq))).toEqual([3, 4, 9])
    expect((await q<{ reason: string }>('SELECT reason FROM tapflow.dead_letters')).map((r) => r.reason)).toEqual(['invalid_value'])
    // The 5-minute and hourly rollups still hold the 200- and 95-day-old pours.
    expect(await rollupPours()).toBe(5)
    expect(Number((await q<{ n: string }>(`SELECT sum(pours) AS n FROM tapflow.venue_beverage_1h`))[0]!.n)).toBe(5)
  })

  it('changes the TTLs when the options differ, and only then', async () => {
    const changes = await applyRetention(db.ch.client, { rawDays: 30, rollupDays: 180 })
    expect(changes).toEqual([
      { table: 'pours', from: 90, to: 30 },
      { table: 'temperatures', from: 90, to: 30 },
      { table: 'health', from: 90, to: 30 },
      { table: 'chiller', from: 90, to: 30 },
      { table: 'device_rollup_5m', from: 730, to: 180 },
      { table: 'venue_beverage_1h', from: 730, to: 180 },
      { table: 'gaps', from: 730, to: 180 },
    ])
    expect(await applyRetention(db.ch.client, { rawDays: 30, rollupDays: 180 })).toEqual([])
    await merge('pours', 'device_rollup_5m')
    // The 80-day-old pour is now past the raw retention; its rollup (80 < 180 days) stays, the 200-day-old ones go.
    expect((await q<{ seq: string }>('SELECT seq FROM tapflow.pours ORDER BY seq')).map((r) => Number(r.seq))).toEqual([4, 9])
    expect(await rollupPours()).toBe(3)
    await insertPours([pour(5, 45)])
    await merge('pours')
    expect(await count('pours')).toBe(2)
  })

  it('keeps rows forever when asked, and rejects a bad option before touching a table', async () => {
    await expect(applyRetention(db.ch.client, { rawDays: -1 })).rejects.toThrow(ConfigError)
    const changes = await applyRetention(db.ch.client, { rawDays: 0, rollupDays: 180 })
    expect(changes.map((c) => [c.table, c.to])).toEqual([['pours', 0], ['temperatures', 0], ['health', 0], ['chiller', 0]])
    expect((await readRetention(db.ch.client)).pours).toBeUndefined()
    await insertPours([pour(6, 500)])
    await merge('pours')
    expect(await count('pours')).toBe(3)
  })
})
