import type { Queryable } from '../business/db/database.js'

/** Category of a maintenance ticket opened by a model's alert rather than by a failure. */
export const PROACTIVE_CATEGORY = 'proactive_maintenance'

export interface ProactiveTicketRequest {
  alertId: string
  deviceId: string
  mode: string
  /** The simulated day the alert opened (YYYY-MM-DD). */
  day: string
}

export interface TicketOutcome {
  ticketId: string
  /** False when the device already had an open ticket: the alert links to it instead of opening a second case. */
  opened: boolean
}

/**
 * Where alerts open tickets: the one-company link (cloud/company's `openProactiveTicket`), which runs this in the
 * business's lane so it never races the daily DAG.
 */
export type TicketDesk = (t: ProactiveTicketRequest) => Promise<TicketOutcome | undefined>

/** Planned work is easier than a breakdown: the support simulation solves it sooner (its odds are 0.35 / difficulty a day). */
const PROACTIVE_DIFFICULTY = 0.5

/**
 * A proactive maintenance ticket for the device's account, unless the device already has an open ticket (one case per
 * device, as the DAG's support step keeps it: while this ticket is open, a failure of the tap opens no reactive one).
 * Idempotent per alert. Undefined when the business does not know the device.
 */
export async function openProactiveTicket(c: Queryable, t: ProactiveTicketRequest): Promise<TicketOutcome | undefined> {
  const ticketId = `PTK_${t.alertId}`
  const open = await c.query<{ ticket_id: string }>(`SELECT ticket_id FROM support_tickets WHERE device_id = $1 AND status = 'open' ORDER BY ticket_id = $2 DESC, ticket_id LIMIT 1`, [t.deviceId, ticketId])
  const existing = open.rows[0]?.ticket_id
  if (existing !== undefined) return { ticketId: existing, opened: false }
  const r = await c.query<{ ticket_id: string }>(`INSERT INTO support_tickets (ticket_id, account_id, venue_id, device_id, category, priority, status, opened_day, difficulty, fault_kind, source)
    SELECT $1, d.account_id, d.venue_id, d.device_id, $2, 'high', 'open', $3, $4, $5, $6 FROM devices d WHERE d.device_id = $7
    ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id`, [ticketId, PROACTIVE_CATEGORY, t.day, PROACTIVE_DIFFICULTY, t.mode, `alert:${t.alertId}`, t.deviceId])
  if (r.rows[0] !== undefined) return { ticketId, opened: true }
  // Already opened (a retried round) and since solved, or an unknown device.
  const again = await c.query<{ ticket_id: string }>('SELECT ticket_id FROM support_tickets WHERE ticket_id = $1', [ticketId])
  return again.rows[0] === undefined ? undefined : { ticketId, opened: false }
}
