import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBusiness, type Business, type BusinessOptions, type CheckResult } from '../index.js'
import { startTestServer, type TestServer } from './pg-server.js'

let server: TestServer | undefined

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
})

const CLEAN = { lateEventRate: 0, missingStatusRate: 0, ledgerDropRate: 0, skipInvoiceRate: 0 }

async function business(prefix: string, opts: BusinessOptions): Promise<Business> {
  if (!server) throw new Error('no server')
  return openBusiness({ databaseUrl: await server.createDatabase(prefix), retryDelayMs: 0, ...opts })
}

const byName = (rs: readonly CheckResult[]): Record<string, CheckResult> => Object.fromEntries(rs.map((r) => [r.check, r]))

describe('data-quality checks (PostgreSQL)', () => {
  it('pass on clean data and catch each injected issue', async (ctx) => {
    if (!server) return ctx.skip()
    await using clean = await business('dq_clean', { seed: 5, sim: { initialCustomers: 120, signupsPerDay: 2, ...CLEAN } })
    await clean.run({ days: 45, progress: false })
    const ok = byName(await clean.check())
    for (const r of Object.values(ok)) expect(r.status, `${r.check}: ${r.message}`).toBe('pass')

    await using dirty = await business('dq_dirty', { seed: 5, sim: { initialCustomers: 120, signupsPerDay: 2, lateEventRate: 0.05, missingStatusRate: 0.1, ledgerDropRate: 0.05, skipInvoiceRate: 0.5 } })
    await dirty.run({ days: 45, progress: false })
    const bad = byName(await dirty.check())
    expect(bad.late_data?.status).toBe('warn') // caught, and the engagement pipeline reprocessed the days
    expect(bad.late_data?.observed).toBeGreaterThan(0)
    expect(bad.missing_status_transition?.status).toBe('fail')
    expect(bad.revenue_mismatch?.status).toBe('fail')
    expect(bad.revenue_mismatch?.observed).toBeGreaterThan(0.01)
    expect(bad.completeness?.status).toBe('fail')
    // Results are stored, so they can be surfaced later.
    const stored = await dirty.db.query(`SELECT count(*)::int AS n FROM dq_results WHERE status = 'fail' AND check_name = 'revenue_mismatch'`)
    expect(stored.rows[0]?.n).toBeGreaterThan(0)
  })

  it('tolerates revenue differences within ±1%', async (ctx) => {
    if (!server) return ctx.skip()
    await using b = await business('dq_tol', { seed: 9, sim: { initialCustomers: 300, signupsPerDay: 1, ...CLEAN, ledgerDropRate: 0.002 } })
    await b.run({ days: 31, progress: false })
    const r = byName(await b.check()).revenue_mismatch
    expect(r?.status).toBe('pass')
    expect(r?.observed).toBeGreaterThan(0)
    expect(r?.observed).toBeLessThanOrEqual(0.01)
  })

  it('retries failed steps, records them in run history, flags stale pipelines, and catches up', async (ctx) => {
    if (!server) return ctx.skip()
    let broken = true
    await using b = await business('dq_sched', {
      seed: 2, maxAttempts: 2, sim: { initialCustomers: 60, ...CLEAN },
      faultInjector: (task, day, attempt) => {
        if (task === 'growth' && day === '2025-01-02' && attempt === 1) throw new Error('transient')
        if (task === 'engagement' && day >= '2025-01-06' && broken) throw new Error('warehouse down')
      },
    })
    const s = await b.run({ days: 9, progress: false })
    expect(s.failedDays).toEqual(['2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09'])
    const h = await b.db.query(`SELECT t.task, t.status, t.attempt FROM scheduler_task_runs t JOIN scheduler_runs r USING (run_id)
      WHERE r.sim_day = '2025-01-02' AND t.task = 'growth' ORDER BY t.attempt`)
    expect(h.rows.map((r) => `${r.status}:${r.attempt}`)).toEqual(['failed:1', 'succeeded:2'])
    const checks = byName(await b.check())
    expect(checks.freshness_engagement?.status).toBe('fail')
    expect(checks.freshness_engagement?.observed).toBe(96)
    expect(checks.freshness_profit?.status).toBe('pass')
    broken = false
    const again = await b.run({ days: 1, progress: false })
    expect(again.failedDays).toEqual([])
    expect(byName(await b.check()).freshness_engagement?.status).toBe('pass')
    const backfill = await b.backfill({ days: 5, progress: false })
    expect(backfill.days).toBe(5)
    expect(backfill.failedDays).toEqual([])
  })

  it('is deterministic for a seed, and a restart carries on where it left off', async (ctx) => {
    if (!server) return ctx.skip()
    const digest = async (b: Business): Promise<string> => JSON.stringify((await b.db.query(`SELECT
        (SELECT count(*) FROM accounts) AS accounts, (SELECT sum(amount) FROM charges) AS charged,
        (SELECT count(*) FROM events) AS events, (SELECT sum(mrr_delta_cents) FROM licence_changes) AS mrr,
        (SELECT count(*) FROM support_tickets) AS tickets, (SELECT string_agg(status, '' ORDER BY account_id) FROM accounts) AS statuses,
        (SELECT last_day FROM sim_state) AS last_day`)).rows[0])
    const sim = { initialCustomers: 80, signupsPerDay: 2 }
    const urlA = await server.createDatabase('det_a')
    await using a = await openBusiness({ databaseUrl: urlA, seed: 77, sim })
    await a.run({ days: 20, progress: false })
    const urlB = await server.createDatabase('det_b')
    {
      await using first = await openBusiness({ databaseUrl: urlB, seed: 77, sim })
      await first.run({ days: 12, progress: false })
    }
    await using resumed = await openBusiness({ databaseUrl: urlB })
    await resumed.run({ days: 8, progress: false })
    expect(await digest(resumed)).toBe(await digest(a))
    const urlC = await server.createDatabase('det_c')
    await using other = await openBusiness({ databaseUrl: urlC, seed: 78, sim })
    await other.run({ days: 20, progress: false })
    expect(await digest(other)).not.toBe(await digest(a))
    await expect(openBusiness({ databaseUrl: urlB, seed: 1 })).rejects.toThrow(/seed 77/)
  })
})
