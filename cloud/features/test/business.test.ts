import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCompany, type Company } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { FeatureStore, LmdbOnlineStore, type EntityRow } from '../index.js'
import { insert, openTestChdb, type Chdb } from './fixtures.js'

const D = 86_400_000
const START = Date.UTC(2026, 2, 1)
const HISTORY = 75
/** The business tables customer features read, and their day columns: a copy "as of ts" drops what came later. */
const CUT: Record<string, { rows: string; nulls?: Record<string, string> }> = {
  accounts: { rows: 'created_day' },
  charges: { rows: "toDate(created, 'UTC')" },
  devices: { rows: 'installed_day', nulls: { decommissioned_day: 'decommissioned_day' } },
  support_tickets: { rows: 'opened_day', nulls: { resolved_day: 'resolved_day' } },
  venue_days: { rows: 'day' },
}

/**
 * Customer features from the business: a real PostgreSQL with a generated business (the daily model's history),
 * read by ClickHouse through postgresql().
 */
describe('customer features from the business (PostgreSQL)', () => {
  let server: TestServer | undefined
  let company: Company | undefined
  let ch: Chdb
  let url: string
  let pool: pg.Pool
  let online: LmdbOnlineStore
  let store: FeatureStore
  let accounts: string[]
  const clock = { now: () => START + D }

  beforeAll(async () => {
    server = await startTestServer()
    if (!server) return
    url = await server.createDatabase('features_business')
    company = await openCompany({ databaseUrl: url, seed: 5, devices: 300, startMs: START, historyDays: HISTORY })
    await company.runHistory(false)
    pool = new pg.Pool({ connectionString: url, max: 2 })
    pool.on('error', () => undefined) // an idle client cut by the server's stop at the end
    ch = await openTestChdb()
    // The venue dimension as `tapflow up` writes it: which accounts materialization serves.
    const roster = await company.roster()
    await insert(ch.client, 'venues', roster.map((v) => ({ venue_id: v.venueId, name: v.name, customer: v.customer, account_id: v.accountId })))
    accounts = [...new Set(roster.map((v) => v.accountId))].sort()
    online = new LmdbOnlineStore({ path: join(ch.dir, 'online') })
    store = new FeatureStore({ clickhouse: ch.client, online, clock, businessUrl: url })
  }, 300_000)

  afterAll(async () => {
    await online?.close()
    await ch?.close()
    await pool?.end()
    await company?.close()
    await server?.stop()
  })

  const seedFeatures = ['days_active', 'total_revenue', 'device_count', 'support_tickets_30d', 'usage_trend_7d', 'payment_reliability']

  it('counts a business fact from the end of its day, as the daily DAG writes it', async () => {
    if (!server) return
    const row = (await pool.query<{ account_id: string; day: string }>(`SELECT account_id, opened_day::text AS day FROM support_tickets
      WHERE opened_day < $1::date - 1 ORDER BY opened_day DESC, account_id LIMIT 1`, [new Date(START).toISOString().slice(0, 10)])).rows[0]
    expect(row).toBeDefined()
    const dayEnd = Date.parse(`${row!.day}T00:00:00Z`) + D
    const out = await store.getHistoricalFeatures({
      entity: 'customer', features: ['support_tickets_30d', 'open_support_tickets', 'device_count', 'days_active'],
      rows: [{ entityId: row!.account_id, ts: dayEnd - 1 }, { entityId: row!.account_id, ts: dayEnd }],
    })
    // The oracle: PostgreSQL itself, counting tickets opened in the 30 days before dayEnd and live devices then.
    const oracle = async (day: string): Promise<{ opened: number; open: number; devices: number; age: number }> => {
      const r = await pool.query<{ opened: string; open: string; devices: string; age: number }>(`SELECT
        (SELECT count(*) FROM support_tickets WHERE account_id = $1 AND opened_day < $2::date AND opened_day >= $2::date - 30) AS opened,
        (SELECT count(*) FROM support_tickets WHERE account_id = $1 AND opened_day < $2::date AND (resolved_day IS NULL OR resolved_day >= $2::date)) AS open,
        (SELECT count(*) FROM devices WHERE account_id = $1 AND installed_day < $2::date AND (decommissioned_day IS NULL OR decommissioned_day >= $2::date)) AS devices,
        (SELECT $2::date - created_day FROM accounts WHERE account_id = $1) AS age`, [row!.account_id, day])
      const o = r.rows[0]!
      return { opened: Number(o.opened), open: Number(o.open), devices: Number(o.devices), age: o.age }
    }
    const before = await oracle(row!.day)
    const at = await oracle(new Date(dayEnd).toISOString().slice(0, 10))
    expect(out[0]?.values).toMatchObject({ support_tickets_30d: before.opened, open_support_tickets: before.open, device_count: before.devices })
    expect(out[1]?.values).toMatchObject({ support_tickets_30d: at.opened, open_support_tickets: at.open, device_count: at.devices, days_active: at.age })
  })

  it('leaks nothing: recomputing from the business as it was at each row gives the same row', async () => {
    if (!server) return
    const features = store.registry.list('customer').map((f) => f.name).filter((n) => !n.startsWith('customer_'))
    const rows: EntityRow[] = accounts.slice(0, 4).map((entityId, i) => ({ entityId, ts: START - (5 + 11 * i) * D + i * 7_777_777 }))
    const full = await store.getHistoricalFeatures({ entity: 'customer', rows, features })
    const src = (t: string): string => {
      const u = new URL(url)
      return `postgresql('${u.hostname}:${u.port}', '${u.pathname.slice(1)}', '${t}', '${decodeURIComponent(u.username)}', '${decodeURIComponent(u.password)}')`
    }
    for (const [i, row] of rows.entries()) {
      // A ClickHouse copy of each table holding only what PostgreSQL held at the row's time: rows of later days
      // deleted, day columns set later (resolutions, decommissions) cleared.
      const asOf = `toDate(fromUnixTimestamp64Milli(toInt64(${row.ts}), 'UTC'))`
      await ch.client.command({ query: 'DROP DATABASE IF EXISTS biz_cut' })
      await ch.client.command({ query: 'CREATE DATABASE biz_cut' })
      for (const [t, c] of Object.entries(CUT)) {
        const cols = Object.entries(c.nulls ?? {}).map(([col, expr]) => `if(${expr} < ${asOf}, ${col}, NULL) AS ${col}`)
        const select = cols.length === 0 ? '*' : `* REPLACE (${cols.join(', ')})`
        await ch.client.command({ query: `CREATE TABLE biz_cut.${t} ENGINE = MergeTree ORDER BY tuple() AS SELECT ${select} FROM ${src(t)} WHERE ${c.rows} < ${asOf}` })
      }
      const cut = new FeatureStore({ clickhouse: ch.client, clock, businessDatabase: 'biz_cut' })
      const [again] = await cut.getHistoricalFeatures({ entity: 'customer', rows: [row], features })
      expect(again?.values, `row ${i}`).toEqual(full[i]?.values)
      for (const f of seedFeatures.filter((n) => n !== 'payment_reliability')) expect(full[i]?.values[f], `row ${i} ${f}`).not.toBeNull()
    }
  })

  it('has no skew: materialized customer vectors equal the offline point-in-time ones', async () => {
    if (!server) return
    const at = START - 1_234_567
    const [res] = await store.materialize({ entity: 'customer', at })
    expect(res?.entities).toBe(accounts.length)
    expect(res?.features).toBe(store.registry.list('customer').length)
    const features = store.registry.list('customer').map((f) => f.name)
    const ids = accounts.slice(0, 6)
    const offline = await store.getHistoricalFeatures({ entity: 'customer', rows: ids.map((entityId) => ({ entityId, ts: at })), features })
    const served = await store.getOnlineFeatures({ entity: 'customer', ids, features })
    for (const [i, o] of offline.entries()) {
      for (const f of features) expect(served[i]?.features[f]?.value, `${ids[i]} ${f}`).toStrictEqual(o.values[f])
    }
    expect(served.some((r) => r.features.total_revenue?.status === 'fresh' && Number(r.features.total_revenue.value) > 0)).toBe(true)
  })

  it('refuses business features when no business is configured, and materializes the rest', async () => {
    if (!server) return
    const bare = new FeatureStore({ clickhouse: ch.client, clock, online })
    await expect(bare.getHistoricalFeatures({ entity: 'customer', rows: [{ entityId: accounts[0]!, ts: START }], features: ['total_revenue'] }))
      .rejects.toThrow(/business/)
    const [res] = await bare.materialize({ entity: 'customer', at: START })
    expect(res?.features).toBe(store.registry.list('customer').filter((f) => f.view === 'customer_pours').length)
  })
})
