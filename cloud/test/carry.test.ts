import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBusiness, type Business } from '../index.js'
import { startTestServer, type TestServer } from './pg-server.js'

let server: TestServer | undefined

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.stop()
})

/** Every simulated table, row by row: what a day leaves behind. */
async function digest(b: Business): Promise<Record<string, string>> {
  const tables = ['accounts', 'subscriptions', 'venues', 'devices', 'users', 'support_tickets', 'device_failures', 'teams', 'salary_payments',
    'leads', 'trials', 'invoices', 'charges', 'licence_changes', 'account_status_changes', 'events', 'venue_days', 'account_health',
    'pipeline_engagement_daily', 'pipeline_engagement_account_daily', 'pipeline_investor_monthly']
  const out: Record<string, string> = {}
  for (const t of tables) {
    const r = await b.db.query<{ h: string }>(`SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`)
    out[t] = r.rows[0]?.h ?? ''
  }
  return out
}

describe('a run carries the world from day to day', () => {
  it('gives the same tables as reading the world back from PostgreSQL every day', async (ctx) => {
    if (!server) return ctx.skip()
    // Failure-prone kit and many signups, so tickets open and close, accounts churn and new ones arrive every day.
    const sim = { initialCustomers: 60, signupsPerDay: 4, tapFailureRate: 0.01 }
    await using carried = await openBusiness({ databaseUrl: await server.createDatabase('carry_a'), seed: 5, sim })
    const s = await carried.run({ days: 40, progress: false })
    expect(s.failedDays).toEqual([])
    // One day per run: every run starts by reading the world, as after a restart.
    await using reread = await openBusiness({ databaseUrl: await server.createDatabase('carry_b'), seed: 5, sim })
    for (let i = 0; i < 40; i++) await reread.run({ days: 1, progress: false })
    const [a, b] = [await digest(carried), await digest(reread)]
    expect(Number(a.support_tickets?.split(':')[0])).toBeGreaterThan(20)
    expect(a).toEqual(b)
  })
})
