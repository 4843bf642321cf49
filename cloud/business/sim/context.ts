import { Rng } from './prng.js'
import { Batch } from './batch.js'
import type { SimConfig } from './config.js'
import type { Account, AccountStatus, World } from './world.js'

export type Counters = Record<string, number>

export const TIER_PRICE_CENTS: Readonly<Record<string, number>> = { starter: 3900, pro: 5900, enterprise: 7900 }

export function tierFor(taps: number): string {
  return taps >= 20 ? 'enterprise' : taps >= 6 ? 'pro' : 'starter'
}

export function mrrFor(tier: string, taps: number): number {
  return (TIER_PRICE_CENTS[tier] ?? 0) * taps
}

/** One simulated day: its date, random streams, pending writes and id counters. */
export class DayContext {
  readonly batch = new Batch()
  /** Accounts whose trial converted today: billed with a subscription_create invoice. */
  readonly convertedToday = new Set<string>()
  /** Taps taken out of service today (contraction); churned accounts' taps are decommissioned with them. */
  readonly decommissioned: string[] = []
  /** Where today's device data comes from. */
  daySource: 'simulated_daily' | 'measured' = 'simulated_daily'
  private readonly rngs = new Map<string, Rng>()

  constructor(
    readonly day: string,
    readonly seed: number,
    readonly cfg: SimConfig,
    readonly counters: Counters,
    readonly world: World,
  ) {}

  /** A random stream per concern, so changing one step never shifts another's draws. */
  rng(stream: string): Rng {
    let r = this.rngs.get(stream)
    if (!r) {
      r = new Rng(this.seed, this.day, stream)
      this.rngs.set(stream, r)
    }
    return r
  }

  nextId(kind: string): number {
    const n = (this.counters[kind] ?? 0) + 1
    this.counters[kind] = n
    return n
  }

  /** Formatted id, e.g. id('acc', 'ACC_') → 'ACC_000042'. */
  id(kind: string, prefix: string, width = 6): string {
    return `${prefix}${String(this.nextId(kind)).padStart(width, '0')}`
  }

  /** Move an account to a new status and record the change (unless the injected issue drops the record). */
  setStatus(a: Account, to: AccountStatus, reason: string, day = this.day): void {
    const from = a.status
    if (from === to) return
    a.status = to
    if (to === 'churned') a.churnedDay = day
    this.recordStatus(a.id, from, to, reason, a.salesRep, a.sub?.contractValueCents ?? null, day)
  }

  recordStatus(accountId: string, from: string, to: string, reason: string, rep: string | null, contract: number | null, day = this.day): void {
    const id = this.nextId('status_change')
    if (this.rng('inject-status').chance(this.cfg.missingStatusRate)) return
    this.batch.insert('account_status_changes', [id, accountId, from, to, day, reason, rep, contract])
  }

  /** Change licences (and so tier and MRR) and record the movement for the growth pipeline. */
  changeLicences(a: Account, licences: number, type: 'new' | 'expansion' | 'contraction' | 'churn' | 'reactivation', day = this.day): void {
    const sub = a.sub
    if (!sub) return
    const prevMrr = type === 'new' || type === 'reactivation' ? 0 : sub.mrrCents
    const prevLic = type === 'new' || type === 'reactivation' ? 0 : sub.licences
    const prevTier = sub.tier
    if (type === 'churn') {
      this.batch.insert('licence_changes', [this.nextId('licence_change'), a.id, day, type, sub.licences, 0, prevTier, null, sub.mrrCents, 0, -sub.mrrCents])
      return
    }
    sub.licences = licences
    sub.tier = tierFor(licences)
    sub.mrrCents = mrrFor(sub.tier, licences)
    sub.dirty = true
    this.batch.insert('licence_changes', [this.nextId('licence_change'), a.id, day, type, prevLic, licences,
      type === 'new' ? null : prevTier, sub.tier, prevMrr, sub.mrrCents, sub.mrrCents - prevMrr])
  }
}
