import type { ClickHouseClient } from '@clickhouse/client'
import { chTime, rows } from './db.js'
import { hasTable } from './fleet-panels.js'

/**
 * The Growth view: product analytics over `tapflow.product_events` (migration 9), where real posthog-js events and
 * the business simulation's visitors land side by side, told apart by `source`.
 *
 * Attribution, from each event's `properties` JSON:
 * - campaign: `utm_campaign` (what posthog-js records from a landing URL) wins over `campaign` (what the simulated
 *   visitors write); none is '(none)'.
 * - channel: `utm_medium`, else `utm_source`, else `channel`; none is '(direct)'.
 * - page: `$pathname`, else the path of `$current_url`.
 * A visitor (distinct_id) is attributed first-touch: the campaign and channel of their earliest event that has one,
 * since posthog-js only sees UTM parameters on the landing page.
 * Visitor totals add the sources up: a real browser's distinct_id (posthog-js's own id) and a simulated visitor's
 * are assumed never to coincide.
 */

export const PAGE_VIEWS = ['home_viewed', 'pricing_viewed', 'features_viewed', 'demo_viewed'] as const
export const ACTIONS = ['demo_requested', 'pricing_calculator_used', 'feature_video_played', 'documentation_searched'] as const
export const CONVERSIONS = ['signup_started', 'signup_completed', 'trial_activated', 'plan_upgraded'] as const
export const POSTHOG_EVENTS = ['$pageview', '$pageleave', '$autocapture'] as const
export const SOURCES = ['real', 'simulated'] as const
export type Source = (typeof SOURCES)[number]
export type EventKind = 'page view' | 'action' | 'conversion' | 'posthog'

/**
 * The funnel's steps, in order. A visitor reaches step n when they did steps 1…n in this order within the window,
 * other events in between allowed (ClickHouse's `windowFunnel`; PostHog's default, sequential funnels count the same).
 */
export const FUNNEL: readonly { step: string; events: readonly string[] }[] = [
  { step: 'visited', events: ['$pageview', ...PAGE_VIEWS] },
  { step: 'engaged', events: ACTIONS },
  ...CONVERSIONS.map((e) => ({ step: e, events: [e] })),
]
/** PostHog's default conversion window. */
export const FUNNEL_WINDOW_S = 14 * 86_400
/** Campaigns and channels beyond this many (by visitors) are summed into '(other)'. */
const MAX_GROUPS = 12

export interface FunnelStep {
  step: string
  visitors: number
  /** Share of the previous step's visitors (1 for the first step; null when the previous step has none). */
  fromPrevious: number | null
  /** Share of the first step's visitors (null when it has none). */
  fromStart: number | null
}

export interface FunnelRow {
  key: string
  steps: FunnelStep[]
}

export interface GrowthData {
  from: number
  to: number
  source: Source | 'all'
  totals: { events: number; visitors: number; sessions: number; bySource: Record<Source, { events: number; visitors: number }> }
  funnel: { steps: { step: string; events: readonly string[] }[]; windowS: number; all: FunnelRow; bySource: FunnelRow[]; byCampaign: FunnelRow[]; byChannel: FunnelRow[] }
  /** Every event seen in the range (the taxonomy first), with counts by source and unique visitors. */
  events: { event: string; kind: EventKind | 'other'; real: number; simulated: number; visitors: number }[]
  /** Distinct visitors per UTC day, by source, every day of the range (zeros included). */
  daily: { day: number; real: number; simulated: number }[]
  /** Pages by visitors. `views` counts `$pageview`; a source that sends none for a page counts its `*_viewed` events. */
  pages: { page: string; visitors: number; views: number; real: number; simulated: number }[]
}

export interface ProductEvent {
  uuid: string
  event: string
  distinctId: string
  sessionId: string
  source: string
  timestamp: number
  receivedAt: number
  page: string
  campaign: string
  channel: string
}

const prop = (k: string): string => `JSONExtractString(properties, '${k}')`
const CAMPAIGN = `coalesce(nullIf(${prop('utm_campaign')}, ''), nullIf(${prop('campaign')}, ''), '')`
const CHANNEL = `coalesce(nullIf(${prop('utm_medium')}, ''), nullIf(${prop('utm_source')}, ''), nullIf(${prop('channel')}, ''), '')`
const PAGE = `coalesce(nullIf(${prop('$pathname')}, ''), nullIf(path(${prop('$current_url')}), ''), '')`
const list = (events: readonly string[]): string => events.map((e) => `'${e}'`).join(', ')
const RANGE = `timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND ({source:String} = 'all' OR source = {source:String})`
// FINAL: posthog-js retries a batch with the same uuids, and the sorting key lets the merge drop the copy.
const EVENTS = 'tapflow.product_events FINAL'

export function kindOf(event: string): EventKind | 'other' {
  if ((PAGE_VIEWS as readonly string[]).includes(event)) return 'page view'
  if ((ACTIONS as readonly string[]).includes(event)) return 'action'
  if ((CONVERSIONS as readonly string[]).includes(event)) return 'conversion'
  if ((POSTHOG_EVENTS as readonly string[]).includes(event)) return 'posthog'
  return 'other'
}

/** Visitors reaching each step from per-visitor levels (`levels[n]` visitors stopped at step n), with conversions. */
export function funnelRow(key: string, levels: Map<number, number>): FunnelRow {
  const steps: FunnelStep[] = []
  for (let i = 0; i < FUNNEL.length; i++) {
    let visitors = 0
    for (const [level, n] of levels) if (level > i) visitors += n
    const prev = i === 0 ? null : steps[i - 1]!.visitors
    const first = i === 0 ? visitors : steps[0]!.visitors
    steps.push({
      step: FUNNEL[i]!.step,
      visitors,
      fromPrevious: i === 0 ? (visitors > 0 ? 1 : null) : prev ? visitors / prev : null,
      fromStart: first ? visitors / first : null,
    })
  }
  return { key, steps }
}

export async function growth(client: ClickHouseClient, from: number, to: number, source: Source | 'all'): Promise<GrowthData> {
  const empty = emptyGrowth(from, to, source)
  if (!(await hasTable(client, 'product_events'))) return empty
  const p = { from: chTime(from), to: chTime(to), source, window: FUNNEL_WINDOW_S * 1000 }
  const [levels, events, daily, pages, totals] = await Promise.all([
    rows<{ source: Source; campaign: string; channel: string; level: number; n: number }>(
      client,
      `SELECT source, campaign, channel, level, count() AS n FROM (
         SELECT source, distinct_id,
                argMinIf(c, timestamp, c != '') AS campaign, argMinIf(ch, timestamp, ch != '') AS channel,
                windowFunnel({window:UInt64})(toUInt64(toUnixTimestamp64Milli(timestamp)), ${FUNNEL.map((s) => `event IN (${list(s.events)})`).join(', ')}) AS level
         FROM (SELECT source, distinct_id, timestamp, event, ${CAMPAIGN} AS c, ${CHANNEL} AS ch FROM ${EVENTS} WHERE ${RANGE})
         GROUP BY source, distinct_id)
       GROUP BY source, campaign, channel, level`,
      p,
    ),
    rows<{ event: string; real: number; simulated: number; visitors: number }>(
      client,
      `SELECT event, countIf(source = 'real') AS real, countIf(source = 'simulated') AS simulated, uniqExact(distinct_id) AS visitors
       FROM ${EVENTS} WHERE ${RANGE} GROUP BY event`,
      p,
    ),
    rows<{ day: number; real: number; simulated: number }>(
      client,
      `SELECT toUnixTimestamp(toStartOfDay(toDateTime(timestamp, 'UTC'))) * 1000 AS day, uniqExactIf(distinct_id, source = 'real') AS real,
              uniqExactIf(distinct_id, source = 'simulated') AS simulated
       FROM ${EVENTS} WHERE ${RANGE} GROUP BY day`,
      p,
    ),
    rows<{ page: string; visitors: number; real: number; simulated: number; views: number }>(
      client,
      `SELECT page, sum(v) AS visitors, sumIf(v, source = 'real') AS real, sumIf(v, source = 'simulated') AS simulated, sum(n) AS views FROM (
         SELECT page, source, uniqExact(distinct_id) AS v,
                if(countIf(event = '$pageview') > 0, countIf(event = '$pageview'), countIf(event IN (${list(PAGE_VIEWS)}))) AS n
         FROM (SELECT ${PAGE} AS page, source, distinct_id, event FROM ${EVENTS} WHERE ${RANGE})
         WHERE page != '' GROUP BY page, source)
       GROUP BY page ORDER BY visitors DESC, views DESC, page LIMIT 20`,
      p,
    ),
    rows<{ source: Source; events: number; visitors: number; sessions: number }>(
      client,
      `SELECT source, count() AS events, uniqExact(distinct_id) AS visitors, uniqExactIf(session_id, session_id != '') AS sessions
       FROM ${EVENTS} WHERE ${RANGE} GROUP BY source`,
      p,
    ),
  ])
  return {
    ...empty,
    totals: sumTotals(totals),
    funnel: { ...empty.funnel, ...funnels(levels) },
    events: events
      .map((e) => ({ ...e, kind: kindOf(e.event) }))
      .sort((a, b) => order(a.event) - order(b.event) || b.real + b.simulated - (a.real + a.simulated) || a.event.localeCompare(b.event)),
    daily: fillDays(from, to, daily),
    pages,
  }
}

/**
 * The newest events (by arrival), for the live stream: those that arrived within a day of the newest arrival (so the
 * scan skips old parts), once per uuid, with the properties parsed for the page only.
 */
export async function recentEvents(client: ClickHouseClient, limit: number, source: Source | 'all'): Promise<ProductEvent[]> {
  if (!(await hasTable(client, 'product_events'))) return []
  return rows<ProductEvent>(
    client,
    `SELECT uuid, event, distinct_id AS distinctId, session_id AS sessionId, source, toUnixTimestamp64Milli(timestamp) AS timestamp,
            toUnixTimestamp64Milli(received_at) AS receivedAt, ${PAGE} AS page, ${CAMPAIGN} AS campaign, ${CHANNEL} AS channel
     FROM (SELECT * FROM tapflow.product_events
           WHERE ({source:String} = 'all' OR source = {source:String})
             AND received_at >= (SELECT max(received_at) FROM tapflow.product_events) - INTERVAL 1 DAY
           ORDER BY received_at DESC, timestamp DESC LIMIT 1 BY uuid LIMIT {limit:UInt32})
     ORDER BY receivedAt DESC, timestamp DESC`,
    { limit, source },
  )
}

/**
 * The Growth view's default end of range: just after the newest event, so simulated visitors on a clock ahead of or
 * behind the wall read like today (as the other views measure "now" from the data); the wall clock before any event.
 */
export async function growthEnd(client: ClickHouseClient): Promise<number> {
  if (!(await hasTable(client, 'product_events'))) return Date.now()
  const r = await rows<{ t: number }>(client, 'SELECT toUnixTimestamp64Milli(max(timestamp)) AS t FROM tapflow.product_events')
  return r[0] && r[0].t > 0 ? r[0].t + 1 : Date.now()
}

function emptyGrowth(from: number, to: number, source: Source | 'all'): GrowthData {
  const none = funnelRow('all', new Map())
  return {
    from, to, source,
    totals: { events: 0, visitors: 0, sessions: 0, bySource: { real: { events: 0, visitors: 0 }, simulated: { events: 0, visitors: 0 } } },
    funnel: { steps: FUNNEL.map((s) => ({ ...s })), windowS: FUNNEL_WINDOW_S, all: none, bySource: SOURCES.map((s) => ({ ...none, key: s })), byCampaign: [], byChannel: [] },
    events: [],
    daily: fillDays(from, to, []),
    pages: [],
  }
}

function sumTotals(r: { source: Source; events: number; visitors: number; sessions: number }[]): GrowthData['totals'] {
  const by = (s: Source): { events: number; visitors: number } => {
    const x = r.find((t) => t.source === s)
    return { events: x?.events ?? 0, visitors: x?.visitors ?? 0 }
  }
  const real = by('real')
  const simulated = by('simulated')
  return {
    events: real.events + simulated.events,
    visitors: real.visitors + simulated.visitors,
    sessions: r.reduce((s, t) => s + t.sessions, 0),
    bySource: { real, simulated },
  }
}

type Levels = { source: Source; campaign: string; channel: string; level: number; n: number }[]

function funnels(levels: Levels): Pick<GrowthData['funnel'], 'all' | 'bySource' | 'byCampaign' | 'byChannel'> {
  const group = (key: (l: Levels[number]) => string, fill: readonly string[] = []): FunnelRow[] => {
    const by = new Map<string, Map<number, number>>(fill.map((k) => [k, new Map()]))
    for (const l of levels) {
      const k = key(l)
      const m = by.get(k) ?? new Map<number, number>()
      m.set(l.level, (m.get(l.level) ?? 0) + l.n)
      by.set(k, m)
    }
    return [...by].map(([k, m]) => funnelRow(k, m))
  }
  return {
    all: group(() => 'all', ['all'])[0]!,
    bySource: group((l) => l.source, SOURCES),
    byCampaign: topGroups(group((l) => l.campaign || '(none)')),
    byChannel: topGroups(group((l) => l.channel || '(direct)')),
  }
}

/** The biggest groups by first-step visitors; the rest summed into '(other)'. */
export function topGroups(rows: FunnelRow[]): FunnelRow[] {
  rows.sort((a, b) => b.steps[0]!.visitors - a.steps[0]!.visitors || a.key.localeCompare(b.key))
  if (rows.length <= MAX_GROUPS) return rows
  const rest = rows.slice(MAX_GROUPS - 1)
  const levels = new Map<number, number>()
  // Back from "visitors reaching step i" to "visitors stopping at level i" so funnelRow can sum them again.
  for (const r of rest) {
    r.steps.forEach((s, i) => {
      const next = r.steps[i + 1]?.visitors ?? 0
      levels.set(i + 1, (levels.get(i + 1) ?? 0) + s.visitors - next)
    })
  }
  return [...rows.slice(0, MAX_GROUPS - 1), funnelRow('(other)', levels)]
}

function order(event: string): number {
  const i = [...PAGE_VIEWS, ...ACTIONS, ...CONVERSIONS, ...POSTHOG_EVENTS].indexOf(event as never)
  return i < 0 ? 1_000 : i
}

function fillDays(from: number, to: number, got: { day: number; real: number; simulated: number }[]): GrowthData['daily'] {
  const byDay = new Map(got.map((d) => [d.day, d]))
  const out: GrowthData['daily'] = []
  for (let day = Math.floor(from / 86_400_000) * 86_400_000; day < to; day += 86_400_000) {
    out.push(byDay.get(day) ?? { day, real: 0, simulated: 0 })
  }
  return out
}
