import { addDays, addMonthsToDay, dayOfMonth } from './dates.js'
import { companyName, venueName, role, CITIES, SEGMENTS, SALES_REPS } from './names.js'
import { mrrFor, tierFor, type DayContext } from './context.js'
import { rosterVenueSpec } from '../../../firmware-sim/index.js'
import { installTaps, newVenueId } from './installs.js'
import type { Account } from './world.js'

export const TRIAL_DAYS = 14

export interface NewCustomer {
  channel: string
  campaignId: string | null
  taps: number
  companyName?: string
  salesRep?: string
  /** Day the customer signed up (trial start). */
  createdDay: string
  /** 'trial' for new signups; 'active' for the book of business that exists before the simulation. */
  status: 'trial' | 'active'
}

/** Create a customer with its account, venues, users, subscription and (for signups) trial. */
export function createCustomer(ctx: DayContext, spec: NewCustomer): Account {
  const rng = ctx.rng('entities')
  const n = ctx.nextId('customer')
  const num = String(n).padStart(6, '0')
  const customerId = `CUS_${num}`
  const accountId = `ACC_${num}`
  const name = spec.companyName ?? companyName(rng)
  const city = rng.pick(CITIES)
  const rep = spec.salesRep ?? rng.pick(SALES_REPS)
  ctx.batch.insert('customers', [customerId, name, rng.pick(SEGMENTS), city, spec.createdDay, spec.channel, spec.campaignId])
  // Latent engagement drives usage, adoption, conversion and churn.
  const engagement = rng.unit(0.55, 0.2)
  const a: Account = {
    id: accountId, customerId, status: spec.status, createdDay: spec.createdDay, salesRep: rep, engagement,
    usageScore: engagement * 0.6, adoption: engagement * 0.5, failureScore: 0, churnedDay: null, sub: undefined,
    venues: [], users: [], openTickets: 0, oldestOpenTicket: null, failuresToday: 0, health: 1, usageRatio: 1, downtimeScore: 0,
  }
  ctx.batch.insert('accounts', [accountId, customerId, spec.status, spec.createdDay, rep, engagement, a.usageScore, a.adoption])
  // Split taps over 1–3 venues; each venue has its own failure proneness (kit age, cellar).
  const nVenues = spec.taps >= 24 ? rng.int(2, 3) : spec.taps >= 12 && rng.chance(0.3) ? 2 : 1
  let left = spec.taps
  for (let i = 0; i < nVenues; i++) {
    const taps = i === nVenues - 1 ? left : Math.max(1, Math.round(spec.taps / nVenues))
    left -= taps
    const failureRate = Math.exp(rng.normal(0, 0.8))
    const v = { id: newVenueId(ctx), name: venueName(rng, name, i), taps: 0, failureRate, devices: [] as string[], nextLine: 1, dirty: false }
    a.venues.push(v)
    // Where the venue is comes from the fleet's model of it, so the business and the fleet agree.
    const where = rosterVenueSpec(ctx.seed, { venueId: v.id, name: v.name, customer: name })
    installTaps(ctx, a, v, taps, spec.createdDay)
    ctx.batch.insert('venues', [v.id, accountId, v.name, where.city, taps, failureRate, spec.createdDay, v.nextLine, v.devices.join(',')])
    v.dirty = false
  }
  const nUsers = Math.min(10, 1 + Math.floor(spec.taps / 10))
  for (let i = 0; i < nUsers; i++) {
    const u = { id: `USR_${num}_${i + 1}`, activity: rng.unit(0.7, 0.2) }
    a.users.push(u)
    ctx.batch.insert('users', [u.id, accountId, `user${i + 1}@acc${num}.example.com`, role(i, rng), spec.createdDay, u.activity])
  }
  const tier = tierFor(spec.taps)
  const mrr = mrrFor(tier, spec.taps)
  if (spec.status === 'trial') {
    const trialEnd = addDays(spec.createdDay, TRIAL_DAYS)
    ctx.batch.insert('trials', [`TRL_${num}`, accountId, spec.createdDay, trialEnd])
    a.sub = {
      id: `SUB_${num}`, tier, licences: spec.taps, mrrCents: mrr, status: 'trialing', startedDay: spec.createdDay,
      billingAnchor: Math.min(28, dayOfMonth(trialEnd)), contractStart: trialEnd, contractValueCents: mrr * 12, dirty: false,
    }
    ctx.recordStatus(accountId, 'none', 'trial', 'Signup', rep, null, spec.createdDay)
  } else {
    // Existing book: converted after its trial; contract renews yearly on the conversion anniversary.
    const converted = addDays(spec.createdDay, TRIAL_DAYS)
    let contractStart = converted
    while (addMonthsToDay(contractStart, 12) <= ctx.day) contractStart = addMonthsToDay(contractStart, 12)
    a.sub = {
      id: `SUB_${num}`, tier, licences: spec.taps, mrrCents: mrr, status: 'active', startedDay: converted,
      billingAnchor: Math.min(28, dayOfMonth(converted)), contractStart, contractValueCents: mrr * 12, dirty: false,
    }
    ctx.recordStatus(accountId, 'none', 'trial', 'Signup', rep, null, spec.createdDay)
    ctx.recordStatus(accountId, 'trial', 'active', 'Trial Conversion', rep, mrr * 12, converted)
    ctx.changeLicences(a, spec.taps, 'new', converted)
  }
  const s = a.sub
  ctx.batch.insert('subscriptions', [s.id, accountId, s.tier, s.licences, s.mrrCents, s.status, s.startedDay, s.billingAnchor, s.contractStart, s.contractValueCents])
  s.dirty = false
  ctx.world.accounts.push(a)
  ctx.world.byId.set(a.id, a)
  return a
}
