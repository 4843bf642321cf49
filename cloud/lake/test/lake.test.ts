import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../../edge-gateway/index.js'
import { openBusiness } from '../../index.js'
import { CdcSync, LakeFollower, ModelTestError, TelemetryExport, Warehouse, buildModels } from '../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { lakeFixture, type LakeFixture } from './helpers.js'
import { readIcebergTable } from './iceberg-reader.js'

let server: TestServer | undefined
let fx: LakeFixture
let wh: Warehouse
let db: pg.Client
let cdc: CdcSync | undefined
let url = ''

/** Telemetry for the business's venues (the one-company ids), received a minute ago. */
async function seedTelemetry(venues: string[], base: number, n: number): Promise<void> {
  const now = Date.now() - 60_000
  const pours = Array.from({ length: n }, (_, i) => {
    const v = venues[i % venues.length] ?? 'v'
    return {
      device_id: `${v}-tap-${i % 3}`, venue_id: v, seq: base + i, ts: new Date(now - (i % 5) * 86_400_000).toISOString(), line_id: i % 3,
      beverage_id: i % 2 ? 'ipa' : 'lager', volume_ml_in: 500, duration_ms: 4000, flow_rate_ml_s_in: 125, foam_ratio_in: 0.1, waste_ml_in: 10,
      keg_id: 'k', keg_remaining_ml_in: 1000, beverage_temp_c_in: 4, late: false, received_at_in: new Date(now).toISOString(),
    }
  })
  // The arrival time and sensor values go in through EPHEMERAL inputs (edge-gateway migrations 10, 11), named explicitly.
  const settings = { date_time_input_format: 'best_effort' } as const
  await fx.client.insert({ table: 'tapflow.pours', values: pours, format: 'JSONEachRow', columns: Object.keys(pours[0]!) as [string, ...string[]], clickhouse_settings: settings })
  const health = pours.map((p) => ({ device_id: p.device_id, venue_id: p.venue_id, seq: p.seq, ts: p.ts, firmware_version: '1.0', uptime_s: 1, rssi_dbm: -50, supply_voltage_v_in: 12, valve_cycles: 1, error_codes: [], reboot_count: 0, late: false, received_at_in: p.received_at_in }))
  await fx.client.insert({ table: 'tapflow.health', values: health, format: 'JSONEachRow', columns: Object.keys(health[0]!) as [string, ...string[]], clickhouse_settings: settings })
}

beforeAll(async () => {
  server = await startTestServer()
  fx = await lakeFixture()
  await migrate(fx.client)
  wh = await new Warehouse({ client: fx.client, root: 'lake', keepSnapshots: 2 }).open()
  if (!server) return
  url = await server.createDatabase('lake_e2e')
  const biz = await openBusiness({ databaseUrl: url, seed: 7, sim: { initialCustomers: 40, signupsPerDay: 1 } })
  await biz.run({ days: 10, progress: false })
  await biz.close()
  db = new pg.Client({ connectionString: url })
  await db.connect()
  const venues = (await db.query<{ venue_id: string }>('SELECT venue_id FROM venues ORDER BY 1')).rows.map((r) => r.venue_id)
  await seedTelemetry(venues, 0, 3000)
  await fx.client.insert({ table: 'tapflow.beverages', format: 'JSONEachRow', values: [
    { beverage_id: 'ipa', name: 'IPA', style: 'ipa', abv: 6, price_per_litre: 12 },
    { beverage_id: 'lager', name: 'Lager', style: 'lager', abv: 5, price_per_litre: 9 },
  ] })
  await fx.client.insert({ table: 'tapflow.devices', format: 'JSONEachRow', values: venues.flatMap((v) => [0, 1, 2].map((i) => ({ device_id: `${v}-tap-${i}`, venue_id: v, line_id: i, beverage_id: i % 2 ? 'ipa' : 'lager', keg_size_ml: 50000, firmware: '1.0' }))) })
  // The dimensions' updated_at is now(): push it past the settle window by reading with settleMs 0.
  cdc = new CdcSync({ warehouse: wh, databaseUrl: url, flushMs: 100 })
  await cdc.prepare()
  await cdc.start()
})

afterAll(async () => {
  await cdc?.close()
  await db?.end()
  await wh?.close()
  await fx?.close()
  await server?.stop()
})

describe('the lake end to end', () => {
  it('lands CDC and telemetry exactly once, builds the models, and another Iceberg reader agrees', async (ctx) => {
    if (!server || !cdc) return ctx.skip()
    const exp = new TelemetryExport({ warehouse: wh, settleMs: 0 })
    const first = await exp.run()
    expect(first.find((r) => r.table === 'pours')?.rows).toBe(3000)
    expect((await exp.run()).reduce((s, r) => s + r.rows, 0)).toBe(0) // nothing new: exactly once
    await cdc.catchUp()
    const built = await buildModels({ warehouse: wh })
    expect(built.skipped).toEqual([])
    expect(built.built).toEqual(expect.arrayContaining(['entity_customers', 'entity_venues', 'entity_devices', 'fct_pours_daily']))
    expect(built.tests.every((t) => t.failing === 0)).toBe(true)

    const customers = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM customers')).rows[0]?.n)
    const [ec] = await wh.rows<{ n: number; mrr: number; pours: number }>('SELECT count() AS n, sum(mrr_cents) AS mrr, sum(taps) AS taps FROM entity.entity_customers')
    expect(Number(ec?.n)).toBe(customers)
    const mrr = Number((await db.query<{ m: string }>("SELECT coalesce(sum(mrr_cents), 0) AS m FROM subscriptions WHERE status IN ('active', 'past_due')")).rows[0]?.m)
    expect(Number(ec?.mrr)).toBe(mrr)
    const [pv] = await wh.rows<{ p: number }>('SELECT sum(pours) AS p FROM entity.entity_venues')
    expect(Number(pv?.p)).toBe(3000) // telemetry joined to business venues by venue_id

    // A second reader: icebird (on hyparquet) reads the Iceberg files directly.
    const pours = await readIcebergTable(join(fx.dir, 'lake/raw/pours'))
    expect(pours.length).toBe(3000)
    expect(pours.reduce((s, r) => s + Number(r.seq), 0)).toBe((2999 * 3000) / 2)
    const rawCustomers = await readIcebergTable(join(fx.dir, 'lake/raw/customers'))
    const latest = new Map<string, Record<string, unknown>>()
    for (const r of rawCustomers.sort((a, b) => Number(a._lsn) - Number(b._lsn) || Number(a._seq) - Number(b._seq))) latest.set(String(r.customer_id), r)
    const live = [...latest.values()].filter((r) => r._op !== 'd').map((r) => String(r.customer_id)).sort()
    const src = (await db.query<{ id: string }>('SELECT customer_id AS id FROM customers ORDER BY 1')).rows.map((r) => r.id)
    expect(live).toEqual(src)
    const entity = await readIcebergTable(join(fx.dir, 'lake/entity/entity_customers'))
    expect(entity.length).toBe(customers)
    expect(entity.reduce((s, r) => s + Number(r.mrr_cents), 0)).toBe(mrr)
  })

  it('answers as of an earlier snapshot, evolves an entity table without a rewrite, expires and compacts', async (ctx) => {
    if (!server || !cdc) return ctx.skip()
    const before = await wh.snapshots({ namespace: 'entity', name: 'entity_customers' })
    const [n0] = await wh.rows<{ n: number }>('SELECT count() AS n FROM entity.entity_customers')
    await db.query(`INSERT INTO customers (customer_id, name, segment, city, created_day, acquisition_channel) VALUES ('cus_time_travel', 'Later Ltd', 'bar', 'Oslo', '2026-01-01', 'organic')`)
    await cdc.catchUp()
    await buildModels({ warehouse: wh, select: ['stg_customers', 'entity_customers'] })
    const [n1] = await wh.rows<{ n: number }>('SELECT count() AS n FROM entity.entity_customers')
    expect(Number(n1?.n)).toBe(Number(n0?.n) + 1)
    const asOf = before.at(-1)?.snapshotId ?? ''
    const [old] = await wh.rows<{ n: number }>('SELECT count() AS n FROM entity.entity_customers', { iceberg_snapshot_id: asOf })
    expect(Number(old?.n)).toBe(Number(n0?.n))

    const t = { namespace: 'entity', name: 'entity_customers' } as const
    const files = async () => (await readdir(join(fx.dir, 'lake/entity/entity_customers/data'))).sort()
    const f0 = await files()
    await wh.addColumn(t, 'ai_health_score', 'Nullable(Float64)')
    expect(await files()).toEqual(f0) // metadata only
    const [c] = await wh.rows<{ n: number }>('SELECT countIf(ai_health_score IS NULL) AS n FROM entity.entity_customers')
    expect(Number(c?.n)).toBe(Number(n1?.n))

    expect((await wh.snapshots(t)).length).toBeGreaterThan(2)
    await wh.expire(t)
    expect((await wh.snapshots(t)).length).toBe(2)

    const exp = new TelemetryExport({ warehouse: wh, settleMs: 0 })
    const venues = (await db.query<{ venue_id: string }>('SELECT venue_id FROM venues ORDER BY 1')).rows.map((r) => r.venue_id)
    for (let i = 1; i <= 3; i++) {
      await seedTelemetry(venues, i * 10_000, 200)
      await exp.run()
    }
    const pours = { namespace: 'raw', name: 'pours' } as const
    expect(await wh.filesPerPartition(pours)).toBeGreaterThan(1)
    const [sum0] = await wh.rows<{ n: number; s: number }>('SELECT count() AS n, sum(seq) AS s FROM raw.pours')
    await wh.compact(pours)
    expect(await wh.filesPerPartition(pours)).toBe(1)
    const [sum1] = await wh.rows<{ n: number; s: number }>('SELECT count() AS n, sum(seq) AS s FROM raw.pours')
    expect(sum1).toEqual(sum0)
    expect((await exp.run()).reduce((s, r) => s + r.rows, 0)).toBe(0) // the watermark survived the rewrite
  })

  it('fails the build on a failing model test and names the rows', async (ctx) => {
    if (!server) return ctx.skip()
    const dir = join(fx.dir, 'bad-models')
    await mkdir(join(dir, 'staging'), { recursive: true })
    await writeFile(join(dir, 'staging', 'stg_bad.sql'), `/*\ntests:\n  - not_null: [city]\n  - accepted_values: { column: segment, values: [bar] }\n*/\nSELECT customer_id, if(segment = 'bar', NULL, city) AS city, segment FROM {{ source('raw', 'customers') }}`)
    const err = await buildModels({ warehouse: wh, dir }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ModelTestError)
    const failures = (err as ModelTestError).failures
    expect(failures.map((f) => f.test)).toEqual(['stg_bad.not_null(city)', 'stg_bad.accepted_values(segment)'])
    expect(failures[0]?.rows[0]).toHaveProperty('customer_id')
    expect((err as Error).message).toMatch(/not_null\(city\).*customer_id/s)
  })

  it('follows: rebuilds after a business day and compacts a raw table that grew, between CDC commits', async (ctx) => {
    if (!server || !cdc) return ctx.skip()
    await cdc.close()
    cdc = undefined
    const follower = new LakeFollower({ warehouse: wh, databaseUrl: url, telemetry: true, maxFilesPerPartition: 1 })
    try {
      await follower.start(false)
      for (let i = 0; i < 3; i++) {
        await db.query(`INSERT INTO customers (customer_id, name, segment, city, created_day, acquisition_channel) VALUES ('cus_follow_${i}', 'F', 'bar', 'Oslo', '2026-01-01', 'organic')`)
        await follower.cdc?.catchUp()
      }
      const customers = { namespace: 'raw', name: 'customers' } as const
      expect(await wh.filesPerPartition(customers)).toBeGreaterThan(1)
      const built = await follower.rebuild()
      expect(built.built).toContain('entity_customers')
      const [n] = await wh.rows<{ n: number }>("SELECT count() AS n FROM entity.entity_customers WHERE customer_id LIKE 'cus_follow_%'")
      expect(Number(n?.n)).toBe(3)
      await follower.tick()
      expect(await wh.filesPerPartition(customers)).toBe(1)
      const src = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM customers')).rows[0]?.n)
      const [live] = await wh.rows<{ n: number }>('SELECT count() AS n FROM staging.stg_customers')
      expect(Number(live?.n)).toBe(src)
    } finally {
      await follower.close()
    }
  })
})
