import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../common/index.js'
import { openBusiness, PostgresError, type Business } from '../index.js'
import { startTestServer, type TestServer } from './pg-server.js'

let server: TestServer | undefined
let biz: Business | undefined

// One realistic business, 120 days with 300 customers and failure-prone kit, shared by the correlation tests.
beforeAll(async () => {
  server = await startTestServer()
  if (!server) return
  biz = await openBusiness({ databaseUrl: await server.createDatabase('biz'), seed: 11, sim: { initialCustomers: 300, signupsPerDay: 2, tapFailureRate: 0.004 } })
  const s = await biz.run({ days: 120, progress: false })
  expect(s.days).toBe(120)
  expect(s.failedDays).toEqual([])
})

afterAll(async () => {
  await biz?.close()
  await server?.stop()
})

const q = async (sql: string, params: unknown[] = []): Promise<Array<Record<string, number | string | null>>> => {
  if (!biz) throw new Error('no database')
  return (await biz.db.query(sql, params)).rows
}

describe('business simulation (PostgreSQL)', () => {
  it('accounts with more device failures open more tickets and churn more', async (ctx) => {
    if (!biz) return ctx.skip()
    const rows = await q(`WITH f AS (SELECT a.account_id, a.status, count(d.id) AS failures
        FROM accounts a LEFT JOIN device_failures d USING (account_id)
        WHERE a.created_day < '2025-01-01' GROUP BY 1, 2),
      b AS (SELECT *, ntile(4) OVER (ORDER BY failures, account_id) AS quartile FROM f)
      SELECT quartile, avg(failures)::float8 AS failures,
        avg((SELECT count(*) FROM support_tickets t WHERE t.account_id = b.account_id AND t.category = 'device_failure'))::float8 AS tickets,
        avg((status = 'churned')::int)::float8 AS churn
      FROM b GROUP BY 1 ORDER BY 1`)
    const lo = rows[0]
    const hi = rows[3]
    expect(Number(hi?.failures)).toBeGreaterThan(Number(lo?.failures))
    expect(Number(hi?.tickets)).toBeGreaterThan(Number(lo?.tickets) * 2)
    expect(Number(hi?.churn)).toBeGreaterThan(Number(lo?.churn))
  })

  it('low usage raises churn; adoption brings expansion', async (ctx) => {
    if (!biz) return ctx.skip()
    const [u] = await q(`SELECT avg((status = 'churned')::int) FILTER (WHERE engagement < 0.35)::float8 AS low,
        avg((status = 'churned')::int) FILTER (WHERE engagement >= 0.55)::float8 AS high
      FROM accounts WHERE created_day < '2025-01-01'`)
    expect(Number(u?.low)).toBeGreaterThan(Number(u?.high) * 1.5)
    const [e] = await q(`SELECT avg(adoption) FILTER (WHERE expanded)::float8 AS expanded, avg(adoption) FILTER (WHERE NOT expanded)::float8 AS other
      FROM (SELECT a.adoption, EXISTS (SELECT 1 FROM licence_changes l WHERE l.account_id = a.account_id AND l.change_type = 'expansion') AS expanded
            FROM accounts a WHERE a.status = 'active') x`)
    expect(Number(e?.expanded)).toBeGreaterThan(Number(e?.other))
  })

  it('campaigns bring signups', async (ctx) => {
    if (!biz) return ctx.skip()
    const [r] = await q(`WITH d AS (SELECT g::date AS day, EXISTS (SELECT 1 FROM campaigns c WHERE g::date BETWEEN c.start_day AND c.end_day) AS on_air,
        (SELECT count(*) FROM leads l WHERE l.created_day = g::date) AS leads
      FROM generate_series('2025-01-01'::date, '2025-04-30'::date, interval '1 day') g)
      SELECT avg(leads) FILTER (WHERE on_air)::float8 AS with_campaign, avg(leads) FILTER (WHERE NOT on_air)::float8 AS without,
        (SELECT count(*) FROM customers WHERE campaign_id IS NOT NULL) AS attributed FROM d`)
    expect(Number(r?.with_campaign)).toBeGreaterThan(Number(r?.without))
    expect(Number(r?.attributed)).toBeGreaterThan(0)
  })

  it('writes Stripe-shaped billing, PostHog-shaped events, and keeps run history', async (ctx) => {
    if (!biz) return ctx.skip()
    const [b] = await q(`SELECT (SELECT count(*) FROM invoices WHERE status = 'paid') AS paid, (SELECT count(*) FROM charges WHERE status = 'failed') AS failed,
      (SELECT count(*) FROM refunds) AS refunds, (SELECT count(*) FROM dunning_events) AS dunning,
      (SELECT count(*) FROM events WHERE properties ? '$session_id' AND distinct_id LIKE 'USR_%') AS events,
      (SELECT count(*) FROM scheduler_runs WHERE status = 'succeeded') AS runs,
      (SELECT count(DISTINCT task) FROM scheduler_task_runs) AS tasks`)
    for (const k of ['paid', 'failed', 'refunds', 'dunning', 'events']) expect(Number(b?.[k]), k).toBeGreaterThan(0)
    expect(Number(b?.runs)).toBe(120)
    expect(Number(b?.tasks)).toBe(6)
  })

  it('produces a believable investor report as Markdown and HTML with charts', async (ctx) => {
    if (!biz) return ctx.skip()
    const out = join(tmpdir(), `tapflow-report-${process.pid}`)
    const r = await biz.report({ month: '2025-03', outDir: out })
    const m = r.model.metrics
    expect(m.complete).toBe(true)
    expect(m.mrr).toBeGreaterThan(100_000)
    expect(m.arr).toBe(m.mrr * 12)
    expect(m.customers).toBeGreaterThan(250)
    expect(m.nrr).toBeGreaterThan(0.9)
    expect(m.nrr).toBeLessThan(1.1)
    expect(m.grr).toBeLessThanOrEqual(1)
    expect(m.cac).toBeGreaterThan(0)
    expect(m.ltv).toBeGreaterThan(m.cac ?? 0)
    expect(m.burn).toBeGreaterThan(0)
    const md = await readFile(r.markdownPath, 'utf8')
    expect(md).toMatch(/# TapFlow Analytics investor report — 2025-03/)
    for (const k of ['MRR', 'ARR', 'Net revenue retention', 'Gross revenue retention', 'Logo churn', 'CAC', 'LTV', 'Net burn', 'late_data']) expect(md).toContain(k)
    const html = await readFile(r.htmlPath, 'utf8')
    expect((html.match(/<svg/g) ?? []).length).toBe(4)
    expect(html).not.toMatch(/<script/)
    await rm(out, { recursive: true, force: true })
    await expect(biz.report({ month: '2031-01' })).rejects.toThrow(ConfigError)
    await expect(biz.report({ month: '2025-1' })).rejects.toThrow(/YYYY-MM/)
  })
})

describe('bad connection input', () => {
  it('rejects a bad DATABASE_URL and reports an unreachable server clearly', async () => {
    await expect(openBusiness({ databaseUrl: 'http://localhost/db' })).rejects.toThrow(ConfigError)
    const err = await openBusiness({ databaseUrl: 'postgres://u:pw@127.0.0.1:1/nope' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PostgresError)
    expect(String((err as Error).message)).toMatch(/connection refused/)
    expect(String((err as Error).message)).not.toContain(':pw@')
  })
  it('names a missing database with its SQLSTATE', async (ctx) => {
    if (!server) return ctx.skip()
    const url = (await server.createDatabase('x')).replace(/\/[^/]+$/, '/does_not_exist')
    const err = await openBusiness({ databaseUrl: url }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PostgresError)
    expect((err as PostgresError).sqlState).toBe('3D000')
  })
})
