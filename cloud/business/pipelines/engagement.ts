import type { Queryable } from '../db/database.js'
import { addDays } from '../sim/dates.js'
import { markFresh } from './freshness.js'

/**
 * One scan of the raw events (JSON properties parsed once) feeds both the per-user and the per-account tables.
 * Session time is last event − first event of a session, plus a minute for the final screen.
 */
const USER_AND_ACCOUNT_SQL = `
WITH ev AS MATERIALIZED (
  SELECT timestamp::date AS day, distinct_id, properties->>'$session_id' AS session, properties->>'account_id' AS account_id,
         properties->>'feature' AS feature, timestamp
  FROM events WHERE timestamp >= $1::date AND timestamp < $2::date + 1
    AND ($3::date[] IS NULL OR timestamp >= $2::date
         OR (timestamp::date, distinct_id) IN (SELECT d, u.user_id FROM unnest($3::date[], $4::text[]) AS a(d, acc)
                                               JOIN users u ON u.account_id = a.acc))),
sess AS (SELECT day, distinct_id, session, min(account_id) AS account_id, count(*) AS n,
                extract(epoch FROM max(timestamp) - min(timestamp)) / 60 + 1 AS minutes
         FROM ev GROUP BY 1, 2, 3),
users AS (SELECT day, distinct_id, min(account_id) AS account_id, sum(n) AS n, count(*) AS sessions, sum(minutes::numeric) AS minutes
          FROM sess GROUP BY 1, 2),
feat AS (SELECT day, account_id, jsonb_object_agg(feature, n) AS usage FROM (
           SELECT day, account_id, feature, count(*) AS n FROM ev WHERE feature IS NOT NULL GROUP BY 1, 2, 3) x GROUP BY 1, 2),
ins AS (INSERT INTO pipeline_engagement_user_daily (day, distinct_id, account_id, events, sessions, session_minutes)
        SELECT day, distinct_id, account_id, n, sessions, minutes FROM users)
INSERT INTO pipeline_engagement_account_daily (day, account_id, active_users, session_minutes, feature_usage)
SELECT u.day, u.account_id, count(*), sum(u.minutes::numeric), coalesce(min(f.usage::text), '{}')::jsonb
FROM users u LEFT JOIN feat f USING (day, account_id)
WHERE u.account_id IS NOT NULL GROUP BY u.day, u.account_id`

/**
 * Daily totals and WAU for [$1, $2] in one scan of the user-days they need. WAU counts each user once per window:
 * a bitmask of the user's active days (bit 0 = $1 - 6) meets the day's 7-day window, which costs a hash aggregate
 * instead of a sorted DISTINCT per day. The mask is a bigint, so a call covers at most DAILY_SPAN days.
 */
const DAILY_SQL = `
WITH u AS (SELECT day, distinct_id, sessions, events, session_minutes FROM pipeline_engagement_user_daily
           WHERE day BETWEEN $1::date - 6 AND $2::date),
m AS (SELECT bit_or(1::int8 << (day - ($1::date - 6))) AS m FROM u GROUP BY distinct_id),
d AS (SELECT g::date AS day, g::date - $1::date AS k FROM generate_series($1::date, $2::date, interval '1 day') g),
w AS (SELECT d.day, count(*) FILTER (WHERE m.m & (127::int8 << d.k) <> 0) AS wau FROM d CROSS JOIN m GROUP BY d.day),
t AS (SELECT day, count(*) AS dau, sum(sessions) AS sessions, sum(events) AS events,
             sum(session_minutes::numeric) / nullif(sum(sessions), 0) AS avg_minutes
      FROM u WHERE day >= $1::date GROUP BY day)
INSERT INTO pipeline_engagement_daily (day, dau, wau, sessions, avg_session_minutes, events)
SELECT d.day, coalesce(t.dau, 0), coalesce(w.wau, 0), coalesce(t.sessions, 0), coalesce(t.avg_minutes, 0), coalesce(t.events, 0)
FROM d LEFT JOIN t USING (day) LEFT JOIN w USING (day)`
const DAILY_SPAN = 50

/** An event from outside the simulation (the website's, from ClickHouse), as `events` holds it; times in epoch ms. */
export interface ImportedEvent {
  /** Negative: the simulation's event counter owns the positive ids. Stable per event, so a re-import is a no-op. */
  id: number
  event: string
  distinct_id: string
  properties: Record<string, unknown>
  timestamp: number
  received_at: number
}

/** Where a day's events from outside the simulation come from; they are imported into `events` before engagement runs. */
export interface EngagementEventSource {
  eventsOf(c: Queryable, day: string): Promise<ImportedEvent[]>
}

async function importEvents(c: Queryable, events: readonly ImportedEvent[]): Promise<void> {
  if (events.length === 0) return
  await c.query(`INSERT INTO events (id, event, distinct_id, properties, timestamp, received_at)
    SELECT id, event, distinct_id, properties, to_timestamp(timestamp / 1000.0), to_timestamp(received_at / 1000.0)
    FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, event text, distinct_id text, properties jsonb, timestamp float8, received_at float8)
    ON CONFLICT (id) DO NOTHING`, [JSON.stringify(events)])
}

// Float sums are taken as numeric: exact, so they do not depend on the order rows come back in (heap order moves
// with vacuum timing), and the same seed gives bit-identical metrics.

/**
 * Engagement: DAU, WAU, session time and feature usage per account. With a `source` (the website's events in
 * ClickHouse), that day's events are imported first, so website visitors count too. Events that arrive late
 * (received today, stamped earlier) make their days stale: the accounts they belong to are recomputed for those
 * days, and the daily totals from the earliest such day on.
 */
export async function runEngagement(c: Queryable, day: string, source?: EngagementEventSource): Promise<{ from: string; to: string }> {
  if (source !== undefined) await importEvents(c, await source.eventsOf(c, day))
  // OFFSET 0 keeps the planner on the received_at index.
  const late = await c.query<{ day: string; account_id: string }>(`SELECT DISTINCT ts::date AS day, account_id FROM (
      SELECT timestamp AS ts, properties->>'account_id' AS account_id FROM events
      WHERE received_at >= $1::date AND received_at < $1::date + 1 OFFSET 0) x WHERE ts < $1::date`, [day])
  const from = late.rows.reduce((m, r) => (r.day < m ? r.day : m), day)
  return recomputeEngagement(c, from, day, late.rows.map((r) => ({ day: r.day, accountId: r.account_id })))
}

/**
 * Rebuild engagement outputs. Without `only`, every day in [from, to] is rebuilt (backfill). With `only`, `to` is
 * rebuilt in full and earlier days just for the listed (day, account) pairs.
 */
export async function recomputeEngagement(c: Queryable, from: string, to: string, only?: Array<{ day: string; accountId: string }>): Promise<{ from: string; to: string }> {
  const days = only ? only.map((x) => x.day) : null
  const accs = only ? only.map((x) => x.accountId) : null
  const scope = `day BETWEEN $1 AND $2 AND ($3::date[] IS NULL OR day = $2
    OR (day, account_id) IN (SELECT * FROM unnest($3::date[], $4::text[])))`
  await c.query(`DELETE FROM pipeline_engagement_user_daily WHERE ${scope}`, [from, to, days, accs])
  await c.query(`DELETE FROM pipeline_engagement_account_daily WHERE ${scope}`, [from, to, days, accs])
  await c.query(USER_AND_ACCOUNT_SQL, [from, to, days, accs])
  // Totals and WAU for [from, to]; later days are in the future, so nothing else goes stale.
  await c.query('DELETE FROM pipeline_engagement_daily WHERE day BETWEEN $1 AND $2', [from, to])
  for (let d = from; d <= to; d = addDays(d, DAILY_SPAN)) {
    const end = addDays(d, DAILY_SPAN - 1)
    await c.query(DAILY_SQL, [d, end < to ? end : to])
  }
  await markFresh(c, 'engagement', to, to)
  return { from, to }
}
