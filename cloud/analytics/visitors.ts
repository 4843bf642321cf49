import type { Queryable } from '../business/db/database.js'
import { dayToMs } from '../business/sim/dates.js'
import { Rng } from '../business/sim/prng.js'
import { WEB_LEAD_PATTERN } from './leads.js'
import type { ProductEvent } from './table.js'

/** What a campaign's spend buys: one website visit per this many cents, times the campaign's efficiency. */
const CENTS_PER_VISIT = 600
/** Visits a day that no campaign paid for, at the default business volume (1.5 signups a day). */
const ORGANIC_VISITS = 25
const HOUR_MS = 3_600_000

/** UTM tags of the channels that carry them (paid search, social, email); trade shows and partners do not. */
const UTM: Readonly<Record<string, { utm_source: string; utm_medium: string }>> = {
  google_ads: { utm_source: 'google', utm_medium: 'cpc' },
  linkedin: { utm_source: 'linkedin', utm_medium: 'paid_social' },
  email: { utm_source: 'newsletter', utm_medium: 'email' },
}

const PAGES = { home: '/', features: '/features', pricing: '/pricing', demo: '/demo', docs: '/docs', signup: '/signup', app: '/app' } as const
type Page = keyof typeof PAGES

/** The uuid prefix of a day's simulated events: `sim-2026-11-30-…`. */
export function simulatedPrefix(day: string): string {
  return `sim-${day}-`
}

interface Attribution {
  campaign: string | null
  channel: string
}

/**
 * The business simulation's website traffic for one simulated day, as PostHog events in the website's taxonomy,
 * derived from what the day's marketing and sales did in PostgreSQL (so funnels agree with the business):
 * - each running campaign buys visits in proportion to its spend, and some visits come unpaid (organic, direct);
 * - each lead the simulation created that day (not those from real demo requests) is a visitor who viewed the demo page and sent `demo_requested`;
 * - each lead won that day (a trial account) signs up: `signup_started`, `signup_completed`, `trial_activated`;
 * - each trial converted or account expanded that day sends `plan_upgraded`.
 * A lead keeps one distinct id from first visit to upgrade, so per-person funnel order holds. Every event carries
 * `campaign` (null when unpaid) and `channel`, plus `utm_*` when the campaign's channel has them. Deterministic in
 * (seed, day): the same day yields the same uuids, so emitting it twice collapses on merge.
 */
export async function simulatedVisitors(c: Queryable, seed: number, day: string): Promise<ProductEvent[]> {
  const rng = new Rng(seed, day, 'website')
  const cfg = (await c.query<{ signups: number | null }>("SELECT (config->>'signupsPerDay')::float8 AS signups FROM sim_state WHERE id = 1")).rows[0]
  const scale = Math.max(0.2, (cfg?.signups ?? 1.5) / 1.5)
  const campaigns = (await c.query<{ campaign_id: string; channel: string; daily_budget_cents: number; efficiency: number }>(
    'SELECT campaign_id, channel, daily_budget_cents, efficiency FROM campaigns WHERE start_day <= $1 AND end_day >= $1 ORDER BY campaign_id', [day])).rows
  const leads = (await c.query<{ lead_id: string; campaign_id: string | null; channel: string; company_name: string; expected_taps: number }>(
    `SELECT l.lead_id, l.campaign_id, coalesce(c.channel, l.source) AS channel, l.company_name, l.expected_taps
     FROM leads l LEFT JOIN campaigns c USING (campaign_id) WHERE l.created_day = $1 AND l.lead_id NOT LIKE $2 ORDER BY l.lead_id`, [day, WEB_LEAD_PATTERN])).rows
  const won = (await c.query<{ lead_id: string; campaign_id: string | null; channel: string; account_id: string; tier: string | null; licences: number | null }>(
    `SELECT l.lead_id, l.campaign_id, coalesce(c.channel, l.source) AS channel, a.account_id, s.tier, s.licences
     FROM leads l JOIN accounts a ON a.customer_id = l.customer_id LEFT JOIN subscriptions s USING (account_id)
     LEFT JOIN campaigns c ON c.campaign_id = l.campaign_id
     WHERE l.stage = 'won' AND l.stage_changed_day = $1 ORDER BY l.lead_id`, [day])).rows
  const upgrades = (await c.query<{ account_id: string; change_type: string; previous_tier: string | null; new_tier: string | null; new_licences: number; lead_id: string | null; campaign_id: string | null; channel: string }>(
    `SELECT lc.account_id, lc.change_type, lc.previous_tier, lc.new_tier, lc.new_licences, l.lead_id, l.campaign_id,
            coalesce(c.channel, l.source, cu.acquisition_channel) AS channel
     FROM licence_changes lc JOIN accounts a USING (account_id) JOIN customers cu ON cu.customer_id = a.customer_id
     LEFT JOIN leads l ON l.customer_id = a.customer_id LEFT JOIN campaigns c ON c.campaign_id = l.campaign_id
     WHERE lc.change_day = $1 AND lc.change_type IN ('new', 'expansion') ORDER BY lc.id`, [day])).rows

  const out: ProductEvent[] = []
  const prefix = simulatedPrefix(day)
  const dayStart = dayToMs(day)
  let sessions = 0
  /** One visit: a session of events a few seconds to a minute apart, starting in the afternoon on average. */
  const session = (distinctId: string, who: Attribution, steps: ReadonlyArray<[string, Page, Record<string, unknown>?]>): void => {
    const sessionId = `${prefix}s${++sessions}`
    let t = dayStart + Math.min(23.5, Math.max(6, rng.normal(14, 3.5))) * HOUR_MS
    const utm = who.campaign === null ? {} : { ...UTM[who.channel], ...(UTM[who.channel] ? { utm_campaign: who.campaign } : {}) }
    let page: Page | undefined
    const emit = (event: string, p: Page, extra: Record<string, unknown> = {}): void => {
      out.push({
        uuid: `${prefix}${out.length + 1}`, event, distinct_id: distinctId, session_id: sessionId, timestamp: Math.round(t),
        properties: {
          distinct_id: distinctId, $session_id: sessionId, $current_url: `http://tapflow.local${PAGES[p]}`, $pathname: PAGES[p], $host: 'tapflow.local',
          $lib: 'tapflow-sim', campaign: who.campaign, channel: who.channel, ...utm, ...extra,
        },
      })
      t += rng.int(5, 90) * 1000
    }
    for (const [event, p, extra] of steps) {
      if (p !== page) emit('$pageview', p)
      page = p
      emit(event, p, extra)
    }
    if (page !== undefined) emit('$pageleave', page)
  }

  // Anonymous browsing, paid and unpaid: pages in the order the site's navigation leads, none requesting a demo.
  const browse = (): Array<[string, Page]> => {
    const steps: Array<[string, Page]> = [['home_viewed', 'home']]
    if (rng.chance(0.45)) {
      steps.push(['features_viewed', 'features'])
      if (rng.chance(0.3)) steps.push(['feature_video_played', 'features'])
    }
    if (rng.chance(0.4)) {
      steps.push(['pricing_viewed', 'pricing'])
      if (rng.chance(0.45)) steps.push(['pricing_calculator_used', 'pricing'])
    }
    if (rng.chance(0.12)) steps.push(['documentation_searched', 'docs'])
    if (rng.chance(0.15)) steps.push(['demo_viewed', 'demo'])
    return steps
  }
  let visitor = 0
  for (const cmp of campaigns) {
    const n = rng.poisson((cmp.daily_budget_cents / CENTS_PER_VISIT) * cmp.efficiency)
    for (let i = 0; i < n; i++) session(`${prefix}v${++visitor}`, { campaign: cmp.campaign_id, channel: cmp.channel }, browse())
  }
  const organic = rng.poisson(ORGANIC_VISITS * scale)
  for (let i = 0; i < organic; i++) session(`${prefix}v${++visitor}`, { campaign: null, channel: rng.pick(['organic', 'organic', 'direct', 'referral']) }, browse())

  for (const l of leads) {
    const steps: Array<[string, Page, Record<string, unknown>?]> = [['home_viewed', 'home']]
    if (rng.chance(0.6)) steps.push(['features_viewed', 'features'])
    if (rng.chance(0.7)) steps.push(['pricing_viewed', 'pricing'], ['pricing_calculator_used', 'pricing', { taps: l.expected_taps }])
    const slug = l.company_name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
    steps.push(['demo_viewed', 'demo'], ['demo_requested', 'demo', {
      email: `owner@${slug}.example`, name: 'Owner', company: l.company_name, venues: Math.max(1, Math.round(l.expected_taps / 8)), lead_id: l.lead_id,
    }])
    session(`sim-${l.lead_id}`, { campaign: l.campaign_id, channel: l.channel }, steps)
  }
  for (const w of won) {
    const account = { account_id: w.account_id, tier: w.tier, taps: w.licences }
    // A won lead comes back to sign up (often weeks after the demo): prices its taps again, then signs up.
    session(`sim-${w.lead_id}`, { campaign: w.campaign_id, channel: w.channel }, [
      ['pricing_viewed', 'pricing'], ['pricing_calculator_used', 'pricing', { taps: w.licences }], ['signup_started', 'signup'], ['signup_completed', 'signup', account], ['trial_activated', 'app', account],
    ])
  }
  for (const u of upgrades) {
    const id = u.lead_id === null ? `sim-${u.account_id}` : `sim-${u.lead_id}`
    session(id, { campaign: u.campaign_id, channel: u.channel }, [['plan_upgraded', 'app', {
      account_id: u.account_id, from_tier: u.change_type === 'new' ? 'trial' : u.previous_tier, to_tier: u.new_tier, taps: u.new_licences,
    }]])
  }
  return out
}
