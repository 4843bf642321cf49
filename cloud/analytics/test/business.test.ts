import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, openClickHouse, type ClickHouseClient } from '../../../edge-gateway/index.js'
import { openBusiness, TelemetryExport, Warehouse, type Business } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { LeadSink, ProductEventWriter, WebsiteEvents, type ProductEvent } from '../index.js'

const START = '2026-03-01'
const DAYS = 45
let server: TestServer | undefined
/** chDB opens Iceberg files only under the working directory: the test process moves into a fresh temp dir. */
const fx = { dir: '', prev: process.cwd(), client: undefined as unknown as ClickHouseClient }
let biz: Business | undefined
let website: WebsiteEvents

// A business whose DAG emits its website visitors into real chDB, on embedded PostgreSQL.
beforeAll(async () => {
  server = await startTestServer()
  fx.dir = await mkdtemp(join(tmpdir(), 'tapflow-web-'))
  process.chdir(fx.dir)
  fx.client = openClickHouse({ path: join(fx.dir, 'clickhouse') }).client
  await migrate(fx.client)
  if (!server) return
  website = new WebsiteEvents({ client: fx.client })
  biz = await openBusiness({ databaseUrl: await server.createDatabase('web'), seed: 21, startDate: START, sim: { initialCustomers: 60, signupsPerDay: 2 }, engagementEvents: website })
  const s = await biz.run({ days: DAYS, progress: false })
  expect(s.failedDays).toEqual([])
})

afterAll(async () => {
  await website?.close()
  await biz?.close()
  await fx.client?.close()
  process.chdir(fx.prev)
  if (fx.dir !== '') await rm(fx.dir, { recursive: true, force: true })
  await server?.stop()
})

const ch = async <T>(query: string): Promise<T[]> => (await fx.client.query({ query, format: 'JSONEachRow' })).json<T>()
const pgq = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await biz!.db.query(sql, params)).rows as T[]

describe('simulated visitors in tapflow.product_events', () => {
  it('land with source simulated, and carry campaign, channel and (for tagged channels) utm_*', async (ctx) => {
    if (!biz) return ctx.skip()
    const [n] = await ch<{ n: string; days: string; bad: string }>(`SELECT count() AS n, uniqExact(toDate(timestamp)) AS days,
      countIf(NOT JSONHas(properties, 'campaign') OR JSONExtractString(properties, 'channel') = '' OR session_id = '') AS bad
      FROM tapflow.product_events WHERE source = 'simulated'`)
    expect(Number(n?.n)).toBeGreaterThan(1000)
    expect(Number(n?.days)).toBe(DAYS)
    expect(Number(n?.bad)).toBe(0)
    const [utm] = await ch<{ paid: string; tagged: string; untagged_trade: string }>(`SELECT
      countIf(JSONExtractString(properties, 'channel') = 'google_ads' AND JSONExtractString(properties, 'campaign') != '') AS paid,
      countIf(JSONExtractString(properties, 'channel') = 'google_ads' AND JSONExtractString(properties, 'utm_source') = 'google'
              AND JSONExtractString(properties, 'utm_campaign') = JSONExtractString(properties, 'campaign')) AS tagged,
      countIf(JSONExtractString(properties, 'channel') = 'trade_show' AND JSONHas(properties, 'utm_source')) AS untagged_trade
      FROM tapflow.product_events WHERE source = 'simulated'`)
    expect(Number(utm?.tagged)).toBe(Number(utm?.paid))
    expect(Number(utm?.untagged_trade)).toBe(0)
  })

  it('agree with the business: one demo_requested per lead, one signup per won lead, on the same days and campaigns', async (ctx) => {
    if (!biz) return ctx.skip()
    const leads = await pgq<{ day: string; campaign: string | null; n: number }>(`SELECT created_day::text AS day, campaign_id AS campaign, count(*)::int AS n
      FROM leads WHERE lead_id NOT LIKE 'WEB\\_%' GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST`)
    const demos = await ch<{ day: string; campaign: string | null; n: number }>(`SELECT toString(toDate(timestamp)) AS day,
      JSONExtract(properties, 'campaign', 'Nullable(String)') AS campaign, toUInt32(count()) AS n
      FROM tapflow.product_events WHERE source = 'simulated' AND event = 'demo_requested' GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST`)
    expect(demos).toEqual(leads)
    const [won] = await pgq<{ n: number }>("SELECT count(*)::int AS n FROM leads WHERE stage = 'won'")
    const [signups] = await ch<{ n: string }>("SELECT count() AS n FROM tapflow.product_events WHERE event = 'signup_completed'")
    expect(Number(signups?.n)).toBe(won?.n)
    expect(won?.n).toBeGreaterThan(0)
  })

  it('keep funnel order per visitor: home → demo viewed → demo requested → signup → trial, a later day for the signup', async (ctx) => {
    if (!biz) return ctx.skip()
    const rows = await ch<{ level: number; n: string }>(`SELECT level, count() AS n FROM (
        SELECT distinct_id, windowFunnel(86400 * 365)(toDateTime(timestamp), event = 'home_viewed', event = 'demo_viewed', event = 'demo_requested',
          event = 'signup_started', event = 'signup_completed', event = 'trial_activated') AS level
        FROM tapflow.product_events WHERE source = 'simulated' AND distinct_id IN (
          SELECT distinct_id FROM tapflow.product_events WHERE event = 'signup_completed')
        GROUP BY distinct_id) GROUP BY level ORDER BY level`)
    // Every visitor who signed up passed every step before, in order.
    expect(rows.map((r) => r.level)).toEqual([6])
    const [same] = await ch<{ n: string }>(`SELECT count() AS n FROM (SELECT distinct_id, minIf(timestamp, event = 'demo_requested') AS d, minIf(timestamp, event = 'signup_completed') AS s
      FROM tapflow.product_events WHERE event IN ('demo_requested', 'signup_completed') GROUP BY distinct_id HAVING s > 0 AND toDate(s) <= toDate(d))`)
    expect(Number(same?.n)).toBe(0)
  })

  it('are emitted once per day even when the day’s pipelines run again (backfill)', async (ctx) => {
    if (!biz) return ctx.skip()
    const count = async (): Promise<number> => Number((await ch<{ n: string }>("SELECT count() AS n FROM tapflow.product_events WHERE source = 'simulated'"))[0]?.n)
    const before = await count()
    await biz.backfill({ days: 3, progress: false })
    expect(await count()).toBe(before)
  })

  it('feed the engagement pipeline with real events too, and the lake exports them', async (ctx) => {
    if (!biz) return ctx.skip()
    const day = (await biz.state()).lastDay!
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000 + 12 * 3_600_000)
    const writer = new ProductEventWriter({ client: fx.client })
    const real: ProductEvent = { uuid: 'real-visit-1', event: 'pricing_viewed', distinct_id: 'browser-1', session_id: 'bs-1', properties: { $session_id: 'bs-1', campaign: null, channel: 'direct' }, timestamp: next.getTime() }
    writer.write([real], 'real')
    await writer.close()
    await biz.run({ days: 1, progress: false })
    const nextDay = next.toISOString().slice(0, 10)
    const [imported] = await pgq<{ real: number; web: number }>(`SELECT count(*) FILTER (WHERE distinct_id = 'browser-1')::int AS real, count(*)::int AS web
      FROM events WHERE id < 0 AND timestamp::date = $1`, [nextDay])
    const [inCh] = await ch<{ n: string }>(`SELECT count() AS n FROM tapflow.product_events FINAL WHERE toDate(timestamp) = '${nextDay}'`)
    expect(imported?.real).toBe(1)
    expect(imported?.web).toBe(Number(inCh?.n))
    // Website visitors count in the day's active users.
    const [eng] = await pgq<{ dau: number }>('SELECT dau FROM pipeline_engagement_daily WHERE day = $1', [nextDay])
    const [visitors] = await ch<{ n: string }>(`SELECT uniqExact(distinct_id) AS n FROM tapflow.product_events FINAL WHERE toDate(timestamp) = '${nextDay}'`)
    expect(eng?.dau).toBeGreaterThanOrEqual(Number(visitors?.n))

    const wh = await new Warehouse({ client: fx.client, root: 'lake' }).open()
    try {
      const [r] = await new TelemetryExport({ warehouse: wh, settleMs: 0, tables: ['product_events'] }).run()
      const [all] = await ch<{ n: string }>('SELECT count() AS n FROM tapflow.product_events')
      expect(r?.rows).toBe(Number(all?.n))
      const [lake] = await wh.rows<{ n: string }>("SELECT countIf(source = 'real') AS n FROM raw.product_events")
      expect(Number(lake?.n)).toBe(1)
    } finally {
      await wh.close()
    }
  })
})

describe('a demo request from the website becomes a lead', () => {
  it('inserts a website lead on the business’s current day, credited to a known campaign, once per event', async (ctx) => {
    if (!biz) return ctx.skip()
    const sink = new LeadSink({ db: biz.db })
    const [cmp] = await pgq<{ campaign_id: string }>('SELECT campaign_id FROM campaigns ORDER BY campaign_id LIMIT 1')
    const e: ProductEvent = {
      uuid: 'demo-request-1', event: 'demo_requested', distinct_id: 'browser-2', session_id: 's', timestamp: Date.now(),
      properties: { email: 'ada@taproom.example', name: 'Ada', company: 'The Tap Room', venues: '3', campaign: cmp?.campaign_id },
    }
    const id = await sink.add(e)
    expect(id).toBe(LeadSink.leadId('demo-request-1'))
    expect(await sink.add(e)).toBeUndefined() // a retried event makes no second lead
    const today = (await pgq<{ d: string }>("SELECT (last_day + 1)::text AS d FROM sim_state"))[0]?.d
    const [lead] = await pgq<Record<string, unknown>>('SELECT created_day::text AS created_day, source, company_name, expected_taps, stage, campaign_id FROM leads WHERE lead_id = $1', [id])
    expect(lead).toEqual({ created_day: today, source: 'website', company_name: 'The Tap Room', expected_taps: 24, stage: 'new', campaign_id: cmp?.campaign_id })
    // An unknown campaign is not credited; a request without company falls back to the email's domain; neither is refused.
    const other = await sink.add({ ...e, uuid: 'demo-request-2', properties: { email: 'bo@pub.example', campaign: 'CMP_nope' } })
    const [o] = await pgq<{ company_name: string; campaign_id: string | null }>('SELECT company_name, campaign_id FROM leads WHERE lead_id = $1', [other])
    expect(o).toEqual({ company_name: 'pub.example', campaign_id: null })
    await expect(sink.add({ ...e, uuid: 'demo-request-3', properties: { name: 'nobody' } })).rejects.toThrow(/neither 'company' nor 'email'/)
    // The simulation's sales step works the lead like its own.
    await biz.run({ days: 12, progress: false })
    const [later] = await pgq<{ stage: string }>('SELECT stage FROM leads WHERE lead_id = $1', [id])
    expect(later?.stage).not.toBe('new')
  })
})
