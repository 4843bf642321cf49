import type { Queryable } from '../db/database.js'

export type AccountStatus = 'trial' | 'active' | 'past_due' | 'churned'

export interface Subscription {
  id: string
  tier: string
  licences: number
  mrrCents: number
  status: 'trialing' | 'active' | 'past_due' | 'canceled'
  startedDay: string
  billingAnchor: number
  contractStart: string
  contractValueCents: number
  dirty: boolean
}

export interface Venue {
  /** The fleet's id, `ven-0001`. */
  id: string
  name: string
  taps: number
  failureRate: number
  /** Live taps, `tap-0001-01` …, in line order. */
  devices: string[]
  /** Next line number to install: lines are never reused, so a decommissioned tap's id stays unique. */
  nextLine: number
  dirty: boolean
}

export interface User {
  id: string
  activity: number
}

export interface Account {
  id: string
  customerId: string
  status: AccountStatus
  createdDay: string
  salesRep: string
  engagement: number
  usageScore: number
  adoption: number
  failureScore: number
  churnedDay: string | null
  sub: Subscription | undefined
  venues: Venue[]
  users: User[]
  openTickets: number
  oldestOpenTicket: string | null
  /** Failures today, filled by the support step. */
  failuresToday: number
  /** 0..1, from usage, downtime and open tickets; drives churn and expansion odds. */
  health: number
  /** Smoothed pours / expected pours at the account's venues. */
  usageRatio: number
  /** Smoothed share of tap-time down. */
  downtimeScore: number
}

export interface Lead {
  id: string
  campaignId: string | null
  source: string
  companyName: string
  expectedTaps: number
  stage: string
  owner: string
}

export interface Campaign {
  id: string
  channel: string
  endDay: string
  dailyBudgetCents: number
  efficiency: number
}

export interface OpenTicket {
  id: string
  accountId: string
  deviceId: string | null
  openedDay: string
  priority: string
  difficulty: number
}

export interface OpenInvoice {
  id: string
  accountId: string
  amountDue: number
  attemptCount: number
}

export interface Team {
  id: string
  name: string
  fn: string
  headcount: number
  salaryPerHeadCents: number
}

/** Everything the day's steps read, in id order so the simulation is deterministic. */
export interface World {
  accounts: Account[]
  byId: Map<string, Account>
  leads: Lead[]
  campaigns: Campaign[]
  trialsEnding: Array<{ trialId: string; accountId: string }>
  /** Open tickets at the start of the day; the support step leaves those still open at its end, new ones last. */
  tickets: OpenTicket[]
  invoicesDue: OpenInvoice[]
  teams: Team[]
}

/** Everything the day's steps read, from the database. */
export async function loadWorld(c: Queryable, day: string): Promise<World> {
  const acc = await c.query(`
    SELECT a.account_id, a.customer_id, a.status, a.created_day, a.sales_rep, a.engagement, a.usage_score, a.adoption, a.failure_score,
           a.health, a.usage_ratio, a.downtime_score,
           s.subscription_id, s.tier, s.licences, s.mrr_cents, s.status AS sub_status, s.started_day, s.billing_anchor,
           s.contract_start, s.contract_value_cents
    FROM accounts a LEFT JOIN subscriptions s USING (account_id)
    WHERE a.status <> 'churned' ORDER BY a.account_id`)
  const accounts: Account[] = acc.rows.map((r) => ({
    id: r.account_id, customerId: r.customer_id, status: r.status, createdDay: r.created_day, salesRep: r.sales_rep,
    engagement: r.engagement, usageScore: r.usage_score, adoption: r.adoption, failureScore: r.failure_score, churnedDay: null,
    sub: r.subscription_id === null ? undefined : {
      id: r.subscription_id, tier: r.tier, licences: r.licences, mrrCents: r.mrr_cents, status: r.sub_status, startedDay: r.started_day,
      billingAnchor: r.billing_anchor, contractStart: r.contract_start, contractValueCents: r.contract_value_cents, dirty: false,
    },
    venues: [], users: [], openTickets: 0, oldestOpenTicket: null, failuresToday: 0,
    health: r.health, usageRatio: r.usage_ratio, downtimeScore: r.downtime_score,
  }))
  const byId = new Map(accounts.map((a) => [a.id, a]))
  const ven = await c.query(`SELECT v.venue_id, v.account_id, v.name, v.taps, v.failure_rate, v.next_line, v.live_devices AS devices
    FROM venues v JOIN accounts a USING (account_id) WHERE a.status <> 'churned' ORDER BY v.venue_id`)
  for (const r of ven.rows) {
    byId.get(r.account_id)?.venues.push({
      id: r.venue_id, name: r.name, taps: r.taps, failureRate: r.failure_rate, devices: r.devices === '' ? [] : r.devices.split(','), nextLine: r.next_line, dirty: false,
    })
  }
  const usr = await c.query(`SELECT u.user_id, u.account_id, u.activity FROM users u
    JOIN accounts a USING (account_id) WHERE a.status <> 'churned' ORDER BY u.user_id`)
  for (const r of usr.rows) byId.get(r.account_id)?.users.push({ id: r.user_id, activity: r.activity })
  const tk = await c.query(`SELECT ticket_id, account_id, device_id, opened_day, priority, difficulty FROM support_tickets WHERE status = 'open' ORDER BY ticket_id`)
  const tickets: OpenTicket[] = tk.rows.map((r) => ({
    id: r.ticket_id, accountId: r.account_id, deviceId: r.device_id, openedDay: r.opened_day, priority: r.priority, difficulty: r.difficulty,
  }))
  countOpenTickets(byId, tickets)
  const teams = (await c.query('SELECT team_id, team_name, function, headcount, salary_per_head_cents FROM teams ORDER BY team_id')).rows.map((r) => ({
    id: r.team_id, name: r.team_name, fn: r.function, headcount: r.headcount, salaryPerHeadCents: r.salary_per_head_cents,
  }))
  return { accounts, byId, tickets, teams, ...(await loadDaily(c, day)) }
}

/**
 * The world for `day` from the one the previous day left in memory once its transaction committed: the same as
 * `loadWorld` would read, without re-reading accounts, venues, users, open tickets and teams (the simulation writes
 * every change to those through to the database, and nothing else writes them during a run). The lists that depend
 * on the day are read again.
 */
export async function nextWorld(c: Queryable, prev: World, day: string): Promise<World> {
  const accounts = prev.accounts.filter((a) => a.status !== 'churned')
  for (const a of accounts) {
    a.failuresToday = 0
    a.openTickets = 0
    a.oldestOpenTicket = null
    if (a.sub) a.sub.dirty = false
    for (const v of a.venues) v.dirty = false
    // The database's order (by id): a new account's users were created _1, _2 … _10, which sorts _1, _10, _2 ….
    a.venues.sort(byIdOrder)
    a.users.sort(byIdOrder)
  }
  const byId = new Map(accounts.map((a) => [a.id, a]))
  countOpenTickets(byId, prev.tickets)
  // Teams too: the first day creates them in INITIAL_TEAMS order.
  return { accounts, byId, tickets: prev.tickets, teams: prev.teams.sort(byIdOrder), ...(await loadDaily(c, day)) }
}

function byIdOrder(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function countOpenTickets(byId: ReadonlyMap<string, Account>, tickets: readonly OpenTicket[]): void {
  for (const t of tickets) {
    const a = byId.get(t.accountId)
    if (!a) continue
    a.openTickets++
    if (a.oldestOpenTicket === null || t.openedDay < a.oldestOpenTicket) a.oldestOpenTicket = t.openedDay
  }
}

/** Open leads, running campaigns, trials ending and invoices due: small, and read fresh every day. */
async function loadDaily(c: Queryable, day: string): Promise<Pick<World, 'leads' | 'campaigns' | 'trialsEnding' | 'invoicesDue'>> {
  const leads = (await c.query(`SELECT lead_id, campaign_id, source, company_name, expected_taps, stage, owner FROM leads
    WHERE stage NOT IN ('won', 'lost') ORDER BY lead_id`)).rows.map((r) => ({
    id: r.lead_id, campaignId: r.campaign_id, source: r.source, companyName: r.company_name, expectedTaps: r.expected_taps, stage: r.stage, owner: r.owner,
  }))
  const campaigns = (await c.query(`SELECT campaign_id, channel, end_day, daily_budget_cents, efficiency FROM campaigns
    WHERE start_day <= $1 AND end_day >= $1 ORDER BY campaign_id`, [day])).rows.map((r) => ({
    id: r.campaign_id, channel: r.channel, endDay: r.end_day, dailyBudgetCents: r.daily_budget_cents, efficiency: r.efficiency,
  }))
  const trialsEnding = (await c.query(`SELECT trial_id, account_id FROM trials WHERE outcome IS NULL AND ends_day <= $1 ORDER BY trial_id`, [day]))
    .rows.map((r) => ({ trialId: r.trial_id, accountId: r.account_id }))
  const invoicesDue = (await c.query(`SELECT id, customer, amount_due, attempt_count FROM invoices
    WHERE status = 'open' AND next_payment_attempt < ($1::date + 1) ORDER BY id`, [day])).rows.map((r) => ({
    id: r.id, accountId: r.customer, amountDue: r.amount_due, attemptCount: r.attempt_count,
  }))
  return { leads, campaigns, trialsEnding, invoicesDue }
}
