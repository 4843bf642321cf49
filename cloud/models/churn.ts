import { OptionError } from '../../common/index.js'
import type { Dataset, DatasetRow, SplitName } from './types.js'

/**
 * Churn: will a paying account churn within the next `horizonDays`? One row per account × prediction day, with
 * customer features as of the end of that day, read point in time from the business's PostgreSQL tables: every
 * input is a dated fact (a status change, a charge, a ticket, a venue's day) and a row sees only facts dated on or
 * before its prediction day. Current-state columns (accounts.engagement, subscriptions.mrr_cents…) are never read,
 * nor the simulator's own hazard (account_health.churn_odds): that would be the answer, not a feature.
 */

const DAY_MS = 86_400_000

/** What the builder needs from a database: `Database` from cloud/, a pg Pool or Client all fit. */
export interface SqlQueryable {
  query(sql: string): Promise<{ rows: unknown[] }>
}

export interface ChurnDatasetOptions {
  db: SqlQueryable
  /** First prediction day, YYYY-MM-DD (or an instant in ms: its UTC day). Default: the first simulated day + `warmupDays`. */
  from?: string | number
  /** Last prediction day, inclusive. Default and latest: the last simulated day − `horizonDays` (later labels are not known yet). */
  to?: string | number
  /** The label: the account churns within this many days after the prediction day. Default: 30. */
  horizonDays?: number
  /** Days between prediction days (7 = weekly snapshots). Default: 7. */
  step?: number
  /** Days of history before the first default prediction day, so 28-day windows are full. Default: 28. */
  warmupDays?: number
  /** Share of prediction days in validation and in test (latest days last). Default: 0.2 each. */
  validationShare?: number
  testShare?: number
}

/** Feature columns, in matrix order. Windows end on the prediction day, inclusive. */
export const CHURN_FEATURES = [
  'tenure_days', 'mrr', 'licences', 'tier', 'past_due', 'total_revenue', 'failed_payments_90d', 'payment_reliability',
  'support_tickets_30d', 'open_tickets', 'oldest_open_ticket_days', 'device_failures_30d', 'device_count',
  'litres_per_tap_7d', 'usage_trend_7d', 'pour_ratio_7d', 'downtime_share_7d', 'health', 'health_change_28d',
  'product_events_7d', 'product_trend_7d', 'days_since_product_use', 'expansions_90d', 'contractions_90d',
] as const

/** The feature set's version, for the registry's lineage; bump when a column's meaning changes. */
export const CHURN_FEATURE_VIEW = { name: 'churn_customer_pg', version: 1 } as const

const TIERS: Record<string, number> = { starter: 0, pro: 1, enterprise: 2 }

/** Everything the business recorded about one account, as dated facts. Days are day numbers (ms / 86 400 000). */
export interface AccountTimeline {
  id: string
  created: number
  /** First day the account is recorded churned (accounts.churned_day or its status change), if ever. */
  churned: number | null
  /** Status changes in order: [day, status]. */
  statuses: [number, string][]
  /** Licence changes in order: [day, type, licences, tier, mrr in dollars]. */
  licences: [number, string, number, string, number][]
  /** Per day: charges made, charges failed, net money collected in dollars (charges − refunds). */
  money: Map<number, { n: number; failed: number; net: number }>
  /** Tickets: [opened day, resolved day or null]. */
  tickets: [number, number | null][]
  failures: Map<number, number>
  /** Taps: [installed day, decommissioned day or null]. */
  devices: [number, number | null][]
  /** Per day, summed over the account's venues. */
  venueDays: Map<number, { litres: number; pours: number; expected: number; downtime: number; taps: number }>
  /** Health snapshots in order: [day, health]. */
  health: [number, number][]
  /** Product (PostHog) events per day they were received. */
  events: Map<number, number>
}

export const dayNumber = (day: string): number => Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS)
const dayOf = (v: string | number): number => (typeof v === 'number' ? Math.floor(v / DAY_MS) : dayNumber(v))
const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10)
const dn = (v: unknown): number | null => (v === null || v === undefined ? null : dayNumber(String(v)))

/** Build the churn dataset from the business database. */
export async function buildChurnDataset(o: ChurnDatasetOptions): Promise<Dataset> {
  const horizon = positiveInt('horizonDays', o.horizonDays ?? 30)
  const step = positiveInt('step', o.step ?? 7)
  const warmup = o.warmupDays ?? 28
  const [range] = (await o.db.query(`SELECT min(day)::text AS first, max(day)::text AS last FROM sim_days`)).rows as { first: string | null; last: string | null }[]
  if (!range?.first || !range.last) throw new OptionError('ChurnDatasetOptions.db', 'holds no simulated days (run tapflow business run first)')
  const last = dayNumber(range.last)
  const from = o.from !== undefined ? dayOf(o.from) : dayNumber(range.first) + warmup
  const to = Math.min(o.to !== undefined ? dayOf(o.to) : last - horizon, last - horizon)
  if (Number.isNaN(from) || Number.isNaN(to)) throw new OptionError('ChurnDatasetOptions.from', `and to must be YYYY-MM-DD or epoch ms, got ${String(o.from)} .. ${String(o.to)}`)
  if (!(to >= from)) throw new OptionError('ChurnDatasetOptions', `leaves no prediction day: from ${dayString(from)} to ${dayString(to)} (history ends ${range.last}, horizon ${horizon} days)`)
  const timelines = await readTimelines(o.db)
  const days: number[] = []
  for (let d = from; d <= to; d += step) days.push(d)
  return churnDataset(timelines, days, { horizon, validationShare: o.validationShare, testShare: o.testShare, source: `postgresql business tables, days ${range.first}..${range.last}` })
}

/**
 * The pure half: rows, features and labels from timelines. A train row whose label window reaches into the
 * validation days is dropped (and likewise validation into test), so no churn event labels rows on both sides of
 * a split boundary.
 */
export function churnDataset(
  timelines: readonly AccountTimeline[], days: readonly number[],
  o: { horizon: number; validationShare?: number; testShare?: number; source?: string },
): Dataset {
  const splitOf = splitDays(days, o.validationShare ?? 0.2, o.testShare ?? 0.2)
  const firstOf = (s: SplitName): number => days.find((d) => splitOf(d) === s) ?? Infinity
  const nextStart: Record<SplitName, number> = { train: firstOf('validation'), validation: firstOf('test'), test: Infinity }
  const values: number[] = []
  const label: number[] = []
  const rows: DatasetRow[] = []
  for (const day of days) {
    const split = splitOf(day)
    if (day + o.horizon >= nextStart[split]) continue
    for (const a of timelines) {
      if (!payingOn(a, day)) continue
      values.push(...churnFeatures(a, day))
      label.push(a.churned !== null && a.churned > day && a.churned <= day + o.horizon ? 1 : 0)
      rows.push({ entity: a.id, ts: (day + 1) * DAY_MS, split })
    }
  }
  return {
    name: 'churn',
    featureNames: [...CHURN_FEATURES],
    x: { rows: rows.length, cols: CHURN_FEATURES.length, values: Float32Array.from(values) },
    targets: { churn: Float32Array.from(label) },
    rows,
    featureViews: [{ ...CHURN_FEATURE_VIEW }],
    window: { from: (days[0] ?? 0) * DAY_MS, to: ((days.at(-1) ?? 0) + 1 + o.horizon) * DAY_MS, source: o.source ?? 'timelines' },
  }
}

/** Paying on `day`: created, not churned by then, and last recorded as active or past due (trials are excluded). */
export function payingOn(a: AccountTimeline, day: number): boolean {
  if (a.created > day || (a.churned !== null && a.churned <= day)) return false
  const s = lastOnOrBefore(a.statuses, day)
  return s !== undefined && (s[1] === 'active' || s[1] === 'past_due')
}

/** The feature vector of one account at the end of `day`: only facts dated ≤ day. */
export function churnFeatures(a: AccountTimeline, day: number): number[] {
  const lic = lastOnOrBefore(a.licences, day)
  const tier = [...a.licences].reverse().find((l) => l[0] <= day && l[3] !== '')?.[3]
  let n = 0
  let failed = 0
  let net = 0
  let failed90 = 0
  for (const [d, m] of a.money) {
    if (d > day) continue
    n += m.n
    failed += m.failed
    net += m.net
    if (d > day - 90) failed90 += m.failed
  }
  const open = a.tickets.filter(([o, r]) => o <= day && (r === null || r > day))
  const oldest = open.reduce((min, [o]) => Math.min(min, o), day)
  const v7 = venueWindow(a, day - 6, day)
  const v14 = venueWindow(a, day - 13, day - 7)
  const h = lastOnOrBefore(a.health, day)
  const h28 = lastOnOrBefore(a.health, day - 28)
  const e7 = sumWindow(a.events, day - 6, day)
  const e14 = sumWindow(a.events, day - 13, day - 7)
  let lastUse = -Infinity
  for (const [d] of a.events) if (d <= day && d > lastUse) lastUse = d
  const changes = (type: string): number => a.licences.filter((l) => l[1] === type && l[0] <= day && l[0] > day - 90).length
  return [
    day - a.created,
    lic?.[4] ?? NaN,
    lic?.[2] ?? NaN,
    tier === undefined ? NaN : (TIERS[tier] ?? NaN),
    lastOnOrBefore(a.statuses, day)?.[1] === 'past_due' ? 1 : 0,
    net,
    failed90,
    n > 0 ? (n - failed) / n : NaN,
    a.tickets.filter(([o]) => o <= day && o > day - 30).length,
    open.length,
    day - oldest,
    sumWindow(a.failures, day - 29, day),
    a.devices.filter(([i, d]) => i <= day && (d === null || d > day)).length,
    v7.tapDays > 0 ? v7.litres / v7.tapDays : NaN,
    v14.litres > 0 ? v7.litres / v14.litres - 1 : NaN,
    v7.expected > 0 ? v7.pours / v7.expected : NaN,
    v7.tapDays > 0 ? v7.downtime / (v7.tapDays * 1440) : NaN,
    h?.[1] ?? NaN,
    h !== undefined && h28 !== undefined ? h[1] - h28[1] : NaN,
    e7,
    e14 > 0 ? e7 / e14 - 1 : NaN,
    lastUse === -Infinity ? NaN : day - lastUse,
    changes('expansion'),
    changes('contraction'),
  ]
}

function venueWindow(a: AccountTimeline, lo: number, hi: number) {
  const s = { litres: 0, pours: 0, expected: 0, downtime: 0, tapDays: 0 }
  for (let d = lo; d <= hi; d++) {
    const v = a.venueDays.get(d)
    if (v === undefined) continue
    s.litres += v.litres
    s.pours += v.pours
    s.expected += v.expected
    s.downtime += v.downtime
    s.tapDays += v.taps
  }
  return s
}

function sumWindow(m: Map<number, number>, lo: number, hi: number): number {
  let s = 0
  for (let d = lo; d <= hi; d++) s += m.get(d) ?? 0
  return s
}

/** The last entry of a day-ordered list dated ≤ day. */
function lastOnOrBefore<T extends [number, ...unknown[]]>(list: readonly T[], day: number): T | undefined {
  let found: T | undefined
  for (const e of list) {
    if (e[0] > day) break
    found = e
  }
  return found
}

/** Earliest days train, then validation, then test, by share of distinct prediction days. */
export function splitDays(days: readonly number[], validationShare: number, testShare: number): (day: number) => SplitName {
  const sorted = [...new Set(days)].sort((a, b) => a - b)
  const nTest = Math.round(sorted.length * testShare)
  const nVal = Math.round(sorted.length * validationShare)
  const valStart = sorted[sorted.length - nTest - nVal] ?? Infinity
  const testStart = sorted[sorted.length - nTest] ?? Infinity
  return (d) => (d >= testStart ? 'test' : d >= valStart ? 'validation' : 'train')
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new OptionError(`ChurnDatasetOptions.${name}`, `must be a positive integer, got ${v}`)
  return v
}

type Row = Record<string, unknown>
const num = (v: unknown): number => Number(v)

/** One query per fact table, each grouped small enough to hold in memory (a year of 1,000 accounts: ~10⁶ facts). */
export async function readTimelines(db: SqlQueryable): Promise<AccountTimeline[]> {
  const q = async (sql: string): Promise<Row[]> => (await db.query(sql)).rows as Row[]
  // One at a time: a single pg client (a transaction's) must not run queries concurrently.
  const sqls = [
    `SELECT a.account_id AS id, a.created_day::text AS created, LEAST(a.churned_day, s.day)::text AS churned
       FROM accounts a LEFT JOIN (SELECT account_id, min(change_day) AS day FROM account_status_changes WHERE new_status = 'churned' GROUP BY 1) s
       USING (account_id) ORDER BY a.account_id`,
    `SELECT account_id AS id, change_day::text AS day, new_status AS status FROM account_status_changes ORDER BY change_day, id`,
    `SELECT account_id AS id, change_day::text AS day, change_type AS type, new_licences::float8 AS licences, coalesce(new_tier, '') AS tier,
              new_mrr_cents::float8 / 100 AS mrr FROM licence_changes ORDER BY change_day, id`,
    `SELECT id, day, sum(n)::float8 AS n, sum(failed)::float8 AS failed, sum(net)::float8 / 100 AS net FROM (
         SELECT customer AS id, (created AT TIME ZONE 'UTC')::date::text AS day, 1 AS n, (status = 'failed')::int AS failed,
                CASE WHEN status = 'succeeded' THEN amount ELSE 0 END AS net FROM charges
         UNION ALL
         SELECT c.customer, (r.created AT TIME ZONE 'UTC')::date::text, 0, 0, -r.amount FROM refunds r JOIN charges c ON c.id = r.charge
       ) m GROUP BY id, day`,
    `SELECT account_id AS id, opened_day::text AS opened, resolved_day::text AS resolved FROM support_tickets`,
    `SELECT account_id AS id, failure_day::text AS day, count(*)::float8 AS n FROM device_failures GROUP BY 1, 2`,
    `SELECT account_id AS id, installed_day::text AS installed, decommissioned_day::text AS removed FROM devices`,
    `SELECT account_id AS id, day::text AS day, sum(litres)::float8 AS litres, sum(pours)::float8 AS pours, sum(expected_pours)::float8 AS expected,
              sum(downtime_minutes)::float8 AS downtime, sum(live_taps)::float8 AS taps FROM venue_days GROUP BY 1, 2`,
    `SELECT account_id AS id, day::text AS day, health FROM account_health ORDER BY day`,
    // Received, not happened: a late event was not known on the day it happened.
    `SELECT properties->>'account_id' AS id, (received_at AT TIME ZONE 'UTC')::date::text AS day, count(*)::float8 AS n FROM events GROUP BY 1, 2`,
  ]
  const results: Row[][] = []
  for (const sql of sqls) results.push(await q(sql))
  const [accounts = [], statuses = [], licences = [], money = [], tickets = [], failures = [], devices = [], venueDays = [], health = [], events = []] = results
  const byId = new Map<string, AccountTimeline>()
  for (const r of accounts) {
    byId.set(String(r.id), {
      id: String(r.id), created: dayNumber(String(r.created)), churned: dn(r.churned), statuses: [], licences: [], money: new Map(),
      tickets: [], failures: new Map(), devices: [], venueDays: new Map(), health: [], events: new Map(),
    })
  }
  const each = (rows: Row[], fn: (a: AccountTimeline, r: Row) => void): void => {
    for (const r of rows) {
      const a = byId.get(String(r.id))
      if (a !== undefined) fn(a, r)
    }
  }
  each(statuses, (a, r) => a.statuses.push([dayNumber(String(r.day)), String(r.status)]))
  each(licences, (a, r) => a.licences.push([dayNumber(String(r.day)), String(r.type), num(r.licences), String(r.tier), num(r.mrr)]))
  each(money, (a, r) => a.money.set(dayNumber(String(r.day)), { n: num(r.n), failed: num(r.failed), net: num(r.net) }))
  each(tickets, (a, r) => a.tickets.push([dayNumber(String(r.opened)), dn(r.resolved)]))
  each(failures, (a, r) => a.failures.set(dayNumber(String(r.day)), num(r.n)))
  each(devices, (a, r) => a.devices.push([dayNumber(String(r.installed)), dn(r.removed)]))
  each(venueDays, (a, r) => a.venueDays.set(dayNumber(String(r.day)), { litres: num(r.litres), pours: num(r.pours), expected: num(r.expected), downtime: num(r.downtime), taps: num(r.taps) }))
  each(health, (a, r) => a.health.push([dayNumber(String(r.day)), num(r.health)]))
  each(events, (a, r) => a.events.set(dayNumber(String(r.day)), num(r.n)))
  return [...byId.values()]
}
