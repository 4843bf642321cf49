import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRosterFleet } from '../../firmware-sim/index.js'
import { openCompany, readOnlyQuery, type Company } from '../index.js'
import { startTestServer, type TestServer } from './pg-server.js'

const start = Date.UTC(2025, 5, 1, 12)
let server: TestServer | undefined
const urls: string[] = []
const companies: Company[] = []
const out = mkdtempSync(join(tmpdir(), 'tapflow-company-report-'))

// Two businesses from the same seed, history simulated by the daily model and one more day closed.
beforeAll(async () => {
  server = await startTestServer()
  if (!server) return
  for (const name of ['one', 'two']) {
    const url = await server.createDatabase(`company_${name}`)
    urls.push(url)
    const c = await openCompany({ databaseUrl: url, seed: 9, devices: 400, startMs: start, historyDays: 40 })
    companies.push(c)
    await c.runHistory(false)
    expect(c.backfillStatus()).toEqual({ state: 'running', daysDone: 0, daysTotal: 40 })
    await c.backfillHistory()
    expect(c.backfillStatus()).toEqual({ state: 'done', daysDone: 40, daysTotal: 40 })
    await c.closeDay('2025-06-01')
  }
}, 300_000)

afterAll(async () => {
  for (const c of companies) await c.close()
  await server?.stop()
  rmSync(out, { recursive: true, force: true })
})

describe('one company (PostgreSQL)', () => {
  it('is deterministic for a seed: the same roster, tickets and report', async (ctx) => {
    const [a, b] = companies
    if (!a || !b) return ctx.skip()
    expect(await a.roster()).toEqual(await b.roster())
    const tickets = async (c: Company): Promise<unknown[]> => (await c.business.db.query(`SELECT ticket_id, account_id, venue_id, device_id, fault_kind, opened_day, status
      FROM support_tickets ORDER BY ticket_id`)).rows
    const ta = await tickets(a)
    expect(ta.length).toBeGreaterThan(0)
    expect(ta).toEqual(await tickets(b))
    const ra = await a.business.report({ month: '2025-05', outDir: join(out, 'a') })
    const rb = await b.business.report({ month: '2025-05', outDir: join(out, 'b') })
    expect(ra.model.metrics).toEqual(rb.model.metrics)
  })

  it('keeps one roster: fleet ids, every live tap in a live account\'s venue, the fleet built from it', async (ctx) => {
    const c = companies[0]
    if (!c) return ctx.skip()
    const roster = await c.roster()
    const fleet = buildRosterFleet({ seed: 9, venues: roster })
    expect(fleet.devices.length).toBeGreaterThan(300)
    for (const d of fleet.devices) expect(d.deviceId).toMatch(new RegExp(`^tap-${d.venueId.slice(4)}-\\d{2,}$`))
    const { rows } = await c.business.db.query(`SELECT count(*)::int AS n FROM devices d JOIN accounts a USING (account_id)
      WHERE d.decommissioned_day IS NULL AND a.status = 'churned'`)
    expect(rows[0]?.n).toBe(0)
    const failures = await c.business.db.query(`SELECT count(*)::int AS n FROM device_failures f JOIN devices d USING (device_id)
      WHERE d.decommissioned_day IS NOT NULL AND f.failure_day > d.decommissioned_day`)
    expect(failures.rows[0]?.n).toBe(0)
    const days = await c.business.db.query(`SELECT source, count(*)::int AS n FROM sim_days GROUP BY 1 ORDER BY 1`)
    expect(days.rows).toEqual([{ source: 'simulated_daily', n: 41 }])
  })

  it('resumes a history backfill stopped midway, after a restart', async (ctx) => {
    if (!server) return ctx.skip()
    const url = await server.createDatabase('company_resume')
    const first = await openCompany({ databaseUrl: url, seed: 9, devices: 100, startMs: start, historyDays: 5 })
    await first.runHistory(false)
    // Stopped after two days' pipelines: closing makes the backfill stop at the next day.
    let closed: Promise<void> | undefined
    await first.backfillHistory((_day, left) => {
      if (left === 2) closed ??= first.close()
    })
    await closed
    const second = await openCompany({ databaseUrl: url, seed: 9, devices: 100, startMs: start, historyDays: 5 })
    companies.push(second)
    expect(second.backfillStatus()).toEqual({ state: 'running', daysDone: 0, daysTotal: 2 })
    await second.backfillHistory()
    expect(second.backfillStatus()).toEqual({ state: 'done', daysDone: 2, daysTotal: 2 })
    const runs = await second.business.db.query(`SELECT sim_day, status FROM scheduler_runs WHERE kind = 'backfill' ORDER BY sim_day`)
    expect(runs.rows.map((r) => [r.sim_day, r.status])).toEqual(['2025-05-27', '2025-05-28', '2025-05-29', '2025-05-30', '2025-05-31'].map((d) => [d, 'succeeded']))
    expect((await second.business.pendingBackfill())).toEqual([])
  })

  it('answers `business sql` read-only and bounded', async (ctx) => {
    const url = urls[0]
    if (!url) return ctx.skip()
    const r = await readOnlyQuery(url, 'SELECT device_id FROM devices ORDER BY device_id', { maxRows: 5 })
    expect(r.columns).toEqual(['device_id'])
    expect(r.rows).toHaveLength(5)
    expect(r.truncated).toBe(true)
    await expect(readOnlyQuery(url, 'DELETE FROM support_tickets')).rejects.toThrow(/syntax error/)
    await expect(readOnlyQuery(url, 'SELECT 1; DELETE FROM support_tickets')).rejects.toThrow(/multiple commands/)
    await expect(readOnlyQuery(url, 'SELECT pg_sleep(5)', { timeoutMs: 200 })).rejects.toThrow(/statement timeout|canceling/)
    // A function that writes is refused by the read-only transaction, not just by the cursor.
    await expect(readOnlyQuery(url, "SELECT nextval('scheduler_runs_run_id_seq')")).rejects.toThrow(/read-only/)
  })
})
