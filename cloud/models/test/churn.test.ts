import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../common/index.js'
import { migrate, openDatabase, type Database } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { buildChurnDataset, CHURN_FEATURES, churnDataset, churnFeatures, dayNumber, payingOn, type AccountTimeline } from '../churn.js'
import type { Dataset } from '../types.js'

let server: TestServer | undefined
let db: Database | undefined

const col = (name: (typeof CHURN_FEATURES)[number]): number => CHURN_FEATURES.indexOf(name)
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/**
 * A hand-built business, 2025-01-01 … 2025-05-31:
 * - ACC_1 pays from before the start and churns on 2025-03-10 (its tickets pile up first);
 * - ACC_2 pays all along, goes past due 2025-02-01 and recovers 2025-02-04;
 * - ACC_3 signs up for a trial on 2025-02-01 and converts on 2025-02-15.
 * Every account has daily venue days, product events and monthly charges through the whole range, so any feature
 * that read past its prediction day would change when the later facts are deleted.
 */
async function seed(d: Database): Promise<void> {
  const q = (sql: string, p: unknown[] = []): Promise<unknown> => d.query(sql, p)
  for (let day = '2025-01-01'; day <= '2025-05-31'; day = addDays(day, 1)) await q(`INSERT INTO sim_days VALUES ($1, 'simulated_daily')`, [day])
  const accounts: [string, string, string | null][] = [['ACC_1', '2024-10-01', '2025-03-10'], ['ACC_2', '2024-06-01', null], ['ACC_3', '2025-02-01', null]]
  let id = 0
  for (const [acc, created, churned] of accounts) {
    const n = acc.slice(-1)
    await q(`INSERT INTO customers VALUES ($1, $1, 'bar', 'Leeds', $2, 'web', NULL)`, [`CUS_${n}`, created])
    await q(`INSERT INTO accounts (account_id, customer_id, status, created_day, churned_day, sales_rep, engagement) VALUES ($1, $2, $3, $4, $5, 'rep', 0.5)`,
      [acc, `CUS_${n}`, churned ? 'churned' : 'active', created, churned])
    await q(`INSERT INTO subscriptions VALUES ($1, $2, 'pro', 6, 35400, 'active', $3, 1, $3, 424800, NULL)`, [`SUB_${n}`, acc, created])
    await q(`INSERT INTO venues (venue_id, account_id, name, city, taps, failure_rate, opened_day) VALUES ($1, $2, $1, 'Leeds', 6, 0.001, $3)`, [`ven-${n}`, acc, created])
    for (let t = 1; t <= 6; t++) {
      await q(`INSERT INTO devices VALUES ($1, $2, $3, $4, '1.0.0', $5, $6)`, [`tap-${n}-${t}`, `ven-${n}`, acc, t, t === 6 ? '2025-03-01' : created, churned])
    }
    const trialStart = acc === 'ACC_3' ? '2025-02-01' : addDays(created, -14)
    const converted = acc === 'ACC_3' ? '2025-02-15' : created
    await q(`INSERT INTO account_status_changes VALUES ($1, $2, 'none', 'trial', $3, 'Signup', NULL, NULL)`, [++id, acc, trialStart])
    await q(`INSERT INTO account_status_changes VALUES ($1, $2, 'trial', 'active', $3, 'Trial Conversion', NULL, NULL)`, [++id, acc, converted])
    await q(`INSERT INTO licence_changes VALUES ($1, $2, $3, 'new', 0, 6, NULL, 'pro', 0, 35400, 35400)`, [++id, acc, converted])
    if (churned) await q(`INSERT INTO account_status_changes VALUES ($1, $2, 'active', 'churned', $3, 'Unresolved Issues', NULL, NULL)`, [++id, acc, churned])
    for (let day = '2025-01-01'; day <= '2025-05-31'; day = addDays(day, 1)) {
      const ts = `${day}T18:00:00Z`
      await q(`INSERT INTO venue_days VALUES ($1, $2, $3, 6, 100, 40, 20000, 120, 30, 'simulated_daily')`, [`ven-${n}`, day, acc])
      await q(`INSERT INTO events VALUES ($1, 'feature_used', $2, $3, $4, $4)`, [++id, `u${n}`, JSON.stringify({ account_id: acc }), ts])
      if (day.endsWith('-01')) {
        const ok = !(acc === 'ACC_2' && day === '2025-02-01')
        await q(`INSERT INTO invoices (id, customer, subscription, status, billing_reason, amount_due, period_start, period_end, created) VALUES ($1, $2, $3, 'paid', 'subscription_cycle', 35400, $4, $4, $5)`,
          [`in_${n}_${day}`, acc, `SUB_${n}`, day, ts])
        await q(`INSERT INTO charges (id, invoice, customer, amount, status, paid, created) VALUES ($1, $2, $3, 35400, $4, $5, $6)`,
          [`ch_${n}_${day}`, `in_${n}_${day}`, acc, ok ? 'succeeded' : 'failed', ok, ts])
      }
      if (day.endsWith('-05') || day.endsWith('-20')) {
        await q(`INSERT INTO support_tickets (ticket_id, account_id, category, priority, status, opened_day, resolved_day, difficulty) VALUES ($1, $2, 'device_failure', 'high', 'solved', $3, $4, 0.5)`,
          [`TCK_${n}_${day}`, acc, day, addDays(day, 10)])
        await q(`INSERT INTO device_failures (id, venue_id, account_id, device_id, failure_day, kind, source) VALUES ($1, $2, $3, $4, $5, 'valve_leak', 'simulated')`,
          [++id, `ven-${n}`, acc, `tap-${n}-1`, day])
      }
      if (new Date(`${day}T00:00:00Z`).getUTCDay() === 0) {
        await q(`INSERT INTO account_health VALUES ($1, $2, $3, 0.9, 30, 0, 0.001, 0.01, 'simulated_daily')`, [acc, day, Number(day.slice(8)) / 100])
      }
    }
  }
  await q(`INSERT INTO account_status_changes VALUES ($1, 'ACC_2', 'active', 'past_due', '2025-02-01', 'Payment Failed', NULL, NULL)`, [++id])
  await q(`INSERT INTO account_status_changes VALUES ($1, 'ACC_2', 'past_due', 'active', '2025-02-04', 'Payment Recovered', NULL, NULL)`, [++id])
}

beforeAll(async () => {
  server = await startTestServer()
  if (!server) return
  db = await openDatabase({ databaseUrl: await server.createDatabase('churn'), logger: silentLogger })
  await migrate(db, silentLogger)
  await seed(db)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const rowOf = (ds: Dataset, entity: string, day: string): number =>
  ds.rows.findIndex((r) => r.entity === entity && r.ts === (dayNumber(day) + 1) * 86_400_000)

describe('churn dataset (PostgreSQL)', () => {
  it('labels churn within the horizon, only for paying accounts, with no rows after churn', async (ctx) => {
    if (!db) return ctx.skip()
    const ds = await buildChurnDataset({ db, from: '2025-01-04', horizonDays: 30, step: 7, validationShare: 0, testShare: 0 })
    const label = (acc: string, day: string): number | undefined => {
      const i = rowOf(ds, acc, day)
      return i < 0 ? undefined : ds.targets.churn![i]
    }
    // 2025-03-10 is the churn day: within (t, t + 30] from 2025-02-08 on, not from 2025-02-01.
    expect(label('ACC_1', '2025-02-01')).toBe(0)
    expect(label('ACC_1', '2025-02-08')).toBe(1)
    expect(label('ACC_1', '2025-03-08')).toBe(1)
    expect(label('ACC_1', '2025-03-15')).toBeUndefined()
    expect(label('ACC_2', '2025-02-01')).toBe(0)
    // Past due is still paying; a trial is not.
    expect(label('ACC_3', '2025-02-08')).toBeUndefined()
    expect(label('ACC_3', '2025-02-15')).toBe(0)
    // Rows stop where the label is not known yet: the last prediction day is 2025-05-31 − 30.
    expect(Math.max(...ds.rows.map((r) => r.ts))).toBeLessThanOrEqual((dayNumber('2025-05-01') + 1) * 86_400_000)
    expect(ds.x.rows).toBe(ds.rows.length)
    expect(ds.x.values.length).toBe(ds.rows.length * CHURN_FEATURES.length)
  })

  it('refuses a bad horizon or a range with no day whose label is known', async (ctx) => {
    if (!db) return ctx.skip()
    await expect(buildChurnDataset({ db, horizonDays: 0 })).rejects.toThrow(/ChurnDatasetOptions.horizonDays must be a positive integer/)
    await expect(buildChurnDataset({ db, from: '2025-05-10', horizonDays: 30 })).rejects.toThrow(/leaves no prediction day/)
  })

  it('reads features as of the prediction day', async (ctx) => {
    if (!db) return ctx.skip()
    const ds = await buildChurnDataset({ db, from: '2025-02-01', to: '2025-02-01', horizonDays: 30, step: 7 })
    const i = rowOf(ds, 'ACC_2', '2025-02-01')
    const f = (name: (typeof CHURN_FEATURES)[number]): number => ds.x.values[i * CHURN_FEATURES.length + col(name)]!
    expect(f('past_due')).toBe(1)
    expect(f('failed_payments_90d')).toBe(1)
    expect(f('payment_reliability')).toBeCloseTo(1 / 2)
    expect(f('total_revenue')).toBeCloseTo(354)
    expect(f('mrr')).toBe(354)
    expect(f('tier')).toBe(1)
    // Tickets on 01-05 and 01-20 (each open 10 days): two in 30 days, none open on 02-01.
    expect(f('support_tickets_30d')).toBe(2)
    expect(f('open_tickets')).toBe(0)
    expect(f('device_count')).toBe(5)
    expect(f('litres_per_tap_7d')).toBeCloseTo(40 / 6)
    expect(f('usage_trend_7d')).toBeCloseTo(0)
    expect(f('product_events_7d')).toBe(7)
    expect(f('days_since_product_use')).toBe(0)
    expect(f('tenure_days')).toBe(dayNumber('2025-02-01') - dayNumber('2024-06-01'))
  })

  it('uses no fact dated after the prediction day: deleting the later facts changes no feature', async (ctx) => {
    if (!db) return ctx.skip()
    const cut = '2025-03-22'
    const opts = { db, from: '2025-01-04', to: cut, horizonDays: 30, step: 7, validationShare: 0, testShare: 0 }
    const before = await buildChurnDataset(opts)
    let after: Dataset | undefined
    await db.tx(async (c) => {
      for (const [table, column] of [['account_status_changes', 'change_day'], ['licence_changes', 'change_day'], ['support_tickets', 'opened_day'],
        ['device_failures', 'failure_day'], ['venue_days', 'day'], ['account_health', 'day']] as const) {
        await c.query(`DELETE FROM ${table} WHERE ${column} > $1::date`, [cut])
      }
      for (const table of ['events', 'charges'] as const) {
        await c.query(`DELETE FROM ${table} WHERE ${table === 'events' ? 'received_at' : 'created'} >= ($1::date + 1)::timestamp AT TIME ZONE 'UTC'`, [cut])
      }
      // Tickets still open at the cut were not known to be resolved; devices not yet known to be removed.
      await c.query(`UPDATE support_tickets SET resolved_day = NULL, status = 'open' WHERE resolved_day > $1`, [cut])
      await c.query(`UPDATE devices SET decommissioned_day = NULL WHERE decommissioned_day > $1`, [cut])
      await c.query(`UPDATE accounts SET churned_day = NULL, status = 'active' WHERE churned_day > $1`, [cut])
      after = await buildChurnDataset({ ...opts, db: c })
      // Roll the deletes back.
      throw new Error('rollback')
    }).catch(() => undefined)
    expect(after?.rows.map((r) => `${r.entity}@${r.ts}`)).toEqual(before.rows.map((r) => `${r.entity}@${r.ts}`))
    expect(Array.from(after?.x.values ?? [])).toEqual(Array.from(before.x.values))
    expect(before.rows.length).toBeGreaterThan(20)
  })
})

describe('churn features (pure)', () => {
  const day = dayNumber('2025-03-01')
  const base: AccountTimeline = {
    id: 'A', created: day - 100, churned: null, statuses: [[day - 100, 'active']], licences: [[day - 100, 'new', 4, 'starter', 156]],
    money: new Map([[day - 10, { n: 2, failed: 1, net: 156 }], [day + 1, { n: 1, failed: 1, net: 0 }]]),
    tickets: [[day - 3, null], [day - 40, day - 35], [day + 1, null]], failures: new Map([[day, 2], [day + 1, 5]]),
    devices: [[day - 100, null], [day - 100, day + 1], [day + 1, null]], venueDays: new Map(), health: [[day - 7, 0.8], [day + 1, 0.1]], events: new Map([[day + 1, 9]]),
  }

  it('ignores facts dated after the day, and missing history is NaN, not zero', () => {
    const f = churnFeatures(base, day)
    const get = (name: (typeof CHURN_FEATURES)[number]): number => f[col(name)]!
    expect(get('failed_payments_90d')).toBe(1)
    expect(get('open_tickets')).toBe(1)
    expect(get('oldest_open_ticket_days')).toBe(3)
    expect(get('support_tickets_30d')).toBe(1)
    expect(get('device_failures_30d')).toBe(2)
    expect(get('device_count')).toBe(2)
    expect(get('health')).toBe(0.8)
    expect(get('product_events_7d')).toBe(0)
    expect(get('days_since_product_use')).toBeNaN()
    expect(get('litres_per_tap_7d')).toBeNaN()
    expect(get('tier')).toBe(0)
  })

  it('splits by day, earliest first, and drops rows whose label window reaches the next slice', () => {
    const days = Array.from({ length: 10 }, (_, k) => day + 7 * k)
    const ds = churnDataset([base], days, { horizon: 10, validationShare: 0.2, testShare: 0.2 })
    const byDay = ds.rows.map((r) => [(r.ts - 86_400_000) / 86_400_000 - day, r.split])
    // Days 0…35 train, 42 and 49 validation, 56 and 63 test; 35 + 10 reaches 42 and 49 + 10 reaches 56: both dropped.
    expect(byDay).toEqual([[0, 'train'], [7, 'train'], [14, 'train'], [21, 'train'], [28, 'train'], [42, 'validation'], [56, 'test'], [63, 'test']])
  })

  it('an account churned on the day, or not yet converted, is not a row', () => {
    expect(payingOn(base, day)).toBe(true)
    expect(payingOn({ ...base, churned: day }, day)).toBe(false)
    expect(payingOn({ ...base, statuses: [[day - 5, 'trial'], [day + 1, 'active']] }, day)).toBe(false)
  })
})
