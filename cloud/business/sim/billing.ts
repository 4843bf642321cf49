import { addDays, addMonthsToDay, dayOfMonth, tsInDay } from './dates.js'
import type { DayContext } from './context.js'
import type { Account } from './world.js'

const FAILURES = [
  ['card_declined', 'Your card was declined.'],
  ['insufficient_funds', 'Your card has insufficient funds.'],
  ['expired_card', 'Your card has expired.'],
] as const
/** Stripe-style smart retries: days after the previous failed attempt. */
const RETRY_GAPS = [3, 5, 7] as const
const MAX_ATTEMPTS = RETRY_GAPS.length + 1

/** Invoices on each subscription's billing anchor, charges, refunds, dunning, and the ledger postings. */
export function runBilling(ctx: DayContext): void {
  // Retries first, so an account that recovers today is billed on its anchor like any other.
  retryOpenInvoices(ctx)
  const rng = ctx.rng('billing')
  const dom = dayOfMonth(ctx.day)
  for (const a of ctx.world.accounts) {
    const sub = a.sub
    if (!sub || a.status !== 'active' || sub.status !== 'active') continue
    const created = ctx.convertedToday.has(a.id)
    // Anchors are clamped to 28, so every anchor falls inside every month.
    if (!created && sub.billingAnchor !== dom) continue
    if (rng.chance(ctx.cfg.skipInvoiceRate)) continue
    const id = ctx.id('invoice', 'in_', 8)
    const ts = tsInDay(ctx.day, 3600 * 6 + rng.int(0, 3600))
    const periodEnd = addDays(addMonthsToDay(ctx.day, 1), -1)
    const lowUsage = Math.max(0, 0.4 - a.usageScore) / 0.4
    const ok = rng.chance(0.975 - 0.05 * lowUsage)
    const amount = sub.mrrCents
    if (ok) {
      const refund = a.openTickets > 0 && rng.chance(0.25) ? Math.round(amount * 0.15) : 0
      const chargeId = charge(ctx, id, a, amount, true, ts, refund)
      ctx.batch.insert('invoices', [id, a.id, sub.id, 'paid', created ? 'subscription_create' : 'subscription_cycle', amount, amount, 1, null, ctx.day, periodEnd, ts])
      if (refund > 0) issueRefund(ctx, chargeId, refund, ts)
    } else {
      charge(ctx, id, a, amount, false, ts, 0)
      ctx.batch.insert('invoices', [id, a.id, sub.id, 'open', created ? 'subscription_create' : 'subscription_cycle', amount, 0, 1,
        tsInDay(addDays(ctx.day, RETRY_GAPS[0]), 3600 * 6), ctx.day, periodEnd, ts])
      ctx.batch.insert('dunning_events', [ctx.nextId('dunning'), id, a.id, 'payment_failed_email', ctx.day])
      ctx.setStatus(a, 'past_due', 'Payment Failed')
      sub.status = 'past_due'
      sub.dirty = true
    }
  }
}

function retryOpenInvoices(ctx: DayContext): void {
  const rng = ctx.rng('dunning')
  const updates: unknown[][] = []
  for (const inv of ctx.world.invoicesDue) {
    const a = ctx.world.byId.get(inv.accountId)
    const attempt = inv.attemptCount + 1
    const ts = tsInDay(ctx.day, 3600 * 6 + rng.int(0, 3600))
    if (!a?.sub) {
      // The account left by another route; nothing more to collect.
      updates.push([inv.id, 'void', 0, inv.attemptCount, null])
      continue
    }
    if (rng.chance(0.6)) {
      charge(ctx, inv.id, a, inv.amountDue, true, ts, 0)
      updates.push([inv.id, 'paid', inv.amountDue, attempt, null])
      ctx.batch.insert('dunning_events', [ctx.nextId('dunning'), inv.id, a.id, 'payment_recovered', ctx.day])
      if (a.status === 'past_due') {
        ctx.setStatus(a, 'active', 'Payment Recovered')
        a.sub.status = 'active'
        a.sub.dirty = true
      }
      continue
    }
    charge(ctx, inv.id, a, inv.amountDue, false, ts, 0)
    if (attempt >= MAX_ATTEMPTS) {
      updates.push([inv.id, 'uncollectible', 0, attempt, null])
      ctx.batch.insert('dunning_events', [ctx.nextId('dunning'), inv.id, a.id, 'marked_uncollectible', ctx.day])
      if (a.status === 'past_due') {
        ctx.changeLicences(a, 0, 'churn')
        ctx.setStatus(a, 'churned', 'Involuntary Churn')
        a.sub.status = 'canceled'
        a.sub.dirty = true
      }
    } else {
      const gap = RETRY_GAPS[attempt - 1] ?? 7
      updates.push([inv.id, 'open', 0, attempt, tsInDay(addDays(ctx.day, gap), 3600 * 6)])
      ctx.batch.insert('dunning_events', [ctx.nextId('dunning'), inv.id, a.id, `retry_${attempt}_failed`, ctx.day])
    }
  }
  ctx.batch.update('invoices', ['id', 'text'], [['status', 'text'], ['amount_paid', 'int8'], ['attempt_count', 'int4'], ['next_payment_attempt', 'timestamptz']], updates)
}

function charge(ctx: DayContext, invoice: string, a: Account, amount: number, ok: boolean, ts: string, refunded: number): string {
  const id = ctx.id('charge', 'ch_', 8)
  const f = ok ? undefined : FAILURES[ctx.rng('billing-codes').int(0, FAILURES.length - 1)]
  ctx.batch.insert('charges', [id, invoice, a.id, amount, refunded, ok ? 'succeeded' : 'failed', ok, f?.[0] ?? null, f?.[1] ?? null, ts])
  if (ok) post(ctx, 'revenue', id, amount)
  return id
}

function issueRefund(ctx: DayContext, chargeId: string, amount: number, ts: string): void {
  const id = ctx.id('refund', 're_', 8)
  ctx.batch.insert('refunds', [id, chargeId, amount, 'requested_by_customer', ts])
  post(ctx, 'refunds', id, -amount)
}

/** Post to the general ledger, unless the injected revenue-mismatch issue loses the posting. */
function post(ctx: DayContext, gl: string, ref: string, amount: number): void {
  const id = ctx.nextId('ledger')
  if (gl === 'revenue' && ctx.rng('inject-ledger').chance(ctx.cfg.ledgerDropRate)) return
  ctx.batch.insert('ledger_entries', [id, ctx.day, gl, ref, amount])
}
