import { createHash } from 'node:crypto'
import { TapflowError } from '../../common/index.js'
import type { Database } from '../business/db/database.js'
import { SALES_REPS } from '../business/sim/names.js'
import type { ProductEvent } from './table.js'

/** Taps a venue has when the form gives venues but not taps (the business's tap-count model centres on ~9). */
const TAPS_PER_VENUE = 8

/** A LIKE pattern for leads from real demo requests (`WEB_` and 12 hex digits of a hash of the event's uuid). */
export const WEB_LEAD_PATTERN = 'WEB\\_%'

/** A demo request that cannot become a lead (no company and no email). */
export class LeadError extends TapflowError {
  constructor(message: string) {
    super(message, 'LEAD_INVALID')
  }
}

export interface LeadSinkOptions {
  /** The business's database (the `leads` table). Required. */
  db: Pick<Database, 'query'>
}

/**
 * Real demo requests into the business: each `demo_requested` from the website becomes a lead with source
 * 'website' on the business's current day, and the simulation's sales step then works it like any other lead
 * (qualify, demo, negotiate, win or lose). The lead id is derived from the event's uuid, so a retried event does
 * not make a second lead. Use its `onDemandRequest` as the capture endpoint's hook.
 *
 * The event's properties, as the website's form sends them: `company` (or, failing it, `email`, whose domain names
 * the lead) is required; `venues` (× 8 taps) or `taps` size it; `campaign` (or `utm_campaign`) credits a campaign the
 * business runs. `email` and `name` stay on the event in ClickHouse (the leads table has no contact columns).
 */
export class LeadSink {
  private readonly db: Pick<Database, 'query'>

  constructor(o: LeadSinkOptions) {
    this.db = o.db
  }

  /** The lead id a demo request event becomes. */
  static leadId(eventUuid: string): string {
    return `WEB_${createHash('sha256').update(eventUuid).digest('hex').slice(0, 12)}`
  }

  readonly onDemandRequest = (e: ProductEvent): Promise<void> => this.add(e).then(() => undefined)

  /** Inserts the lead; returns its id, or undefined if that event already made one. */
  async add(e: ProductEvent): Promise<string | undefined> {
    const p = e.properties
    const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined)
    const count = (v: unknown): number | undefined => {
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
      return Number.isFinite(n) && n > 0 ? Math.round(n) : undefined
    }
    const email = text(p.email, 320)
    const company = text(p.company, 200) ?? email?.split('@')[1]
    if (company === undefined) throw new LeadError(`demo request ${e.uuid} has neither 'company' nor 'email'`)
    const taps = Math.min(500, Math.max(2, count(p.taps) ?? (count(p.venues) ?? 1) * TAPS_PER_VENUE))
    const campaign = text(p.campaign, 100) ?? text(p.utm_campaign, 100) ?? null
    const id = LeadSink.leadId(e.uuid)
    const owner = SALES_REPS[parseInt(id.slice(-4), 16) % SALES_REPS.length] ?? 'John Smith'
    // The business's today is the day it is simulating next; the campaign counts only if the business knows it.
    const r = await this.db.query(
      `INSERT INTO leads (lead_id, created_day, campaign_id, source, company_name, expected_taps, stage, stage_changed_day, owner)
       SELECT $1, d.day, (SELECT campaign_id FROM campaigns WHERE campaign_id = $2), 'website', $3, $4, 'new', d.day, $5
       FROM (SELECT coalesce(last_day + 1, start_date) AS day FROM sim_state WHERE id = 1) d
       ON CONFLICT (lead_id) DO NOTHING`,
      [id, campaign, company, taps, owner],
    )
    return r.rowCount === 1 ? id : undefined
  }
}
