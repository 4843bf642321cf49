import type { RosterVenue } from '../../firmware-sim/index.js'
import type { Queryable } from '../business/db/database.js'
import type { AccountRow, TicketRow } from '../../dashboards/index.js'

/**
 * The installed base: live accounts' venues and their taps that are in service, in id order. This is what
 * `tapflow up` runs as its fleet and what every id in ClickHouse refers to.
 */
export async function readRoster(c: Queryable): Promise<RosterVenue[]> {
  const r = await c.query<{ venue_id: string; account_id: string; name: string; customer: string; device_id: string; line_id: number; firmware: string }>(`
    SELECT v.venue_id, v.account_id, v.name, cu.name AS customer, d.device_id, d.line_id, d.firmware
    FROM devices d JOIN venues v USING (venue_id) JOIN accounts a ON a.account_id = v.account_id JOIN customers cu ON cu.customer_id = a.customer_id
    WHERE d.decommissioned_day IS NULL AND a.status <> 'churned'
    ORDER BY v.venue_id, d.line_id`)
  const out: RosterVenue[] = []
  let cur: (RosterVenue & { devices: RosterVenue['devices'][number][] }) | undefined
  for (const row of r.rows) {
    if (cur?.venueId !== row.venue_id) {
      cur = { venueId: row.venue_id, accountId: row.account_id, name: row.name, customer: row.customer, devices: [] }
      out.push(cur)
    }
    cur.devices.push({ deviceId: row.device_id, lineId: row.line_id, firmware: row.firmware })
  }
  return out
}

/** What changed in the installed base on one day: the live fleet follows it. */
export interface RosterChange {
  installed: RosterVenue[]
  decommissioned: string[]
  /** Devices whose support ticket was solved that day: the technician's fix clears their fault. */
  repaired: string[]
}

export async function rosterChange(c: Queryable, day: string): Promise<RosterChange> {
  const all = await readRoster(c)
  const fresh = new Set((await c.query<{ device_id: string }>('SELECT device_id FROM devices WHERE installed_day = $1 AND decommissioned_day IS NULL', [day])).rows.map((r) => r.device_id))
  const installed = all.map((v) => ({ ...v, devices: v.devices.filter((d) => fresh.has(d.deviceId)) })).filter((v) => v.devices.length > 0)
  const decommissioned = (await c.query<{ device_id: string }>('SELECT device_id FROM devices WHERE decommissioned_day = $1 ORDER BY device_id', [day])).rows.map((r) => r.device_id)
  const repaired = (await c.query<{ device_id: string }>(`SELECT DISTINCT device_id FROM support_tickets
    WHERE resolved_day = $1 AND device_id IS NOT NULL ORDER BY device_id`, [day])).rows.map((r) => r.device_id)
  return { installed, decommissioned, repaired }
}

/** Account facts the dashboards show beside a venue: tier, MRR, health, open tickets (`tapflow.accounts`). */
export type AccountDimension = AccountRow

export async function accountDimensions(c: Queryable): Promise<AccountDimension[]> {
  const r = await c.query<AccountDimension>(`
    SELECT a.account_id, cu.name, a.status, coalesce(s.tier, '') AS tier, coalesce(s.mrr_cents, 0)::int8 AS mrr_cents, a.health,
      (SELECT count(*) FROM support_tickets t WHERE t.account_id = a.account_id AND t.status = 'open')::int AS open_tickets
    FROM accounts a JOIN customers cu USING (customer_id) LEFT JOIN subscriptions s ON s.account_id = a.account_id
    WHERE EXISTS (SELECT 1 FROM venues v WHERE v.account_id = a.account_id)
    ORDER BY a.account_id`)
  return r.rows
}

/** A device's support ticket, for its fault history on the dashboards (`tapflow.support_tickets`). */
export type TicketDimension = TicketRow

/** Device tickets opened or resolved since `day` (inclusive), for the dashboards' fault history. */
export async function ticketDimensions(c: Queryable, since: string): Promise<TicketDimension[]> {
  const r = await c.query<TicketDimension>(`
    SELECT ticket_id, account_id, venue_id, device_id, coalesce(fault_kind, category) AS fault_kind, priority, status, opened_day, resolved_day
    FROM support_tickets WHERE device_id IS NOT NULL AND (opened_day >= $1 OR resolved_day >= $1) ORDER BY ticket_id`, [since])
  return r.rows
}

/** Each live tap's daily failure hazard in the daily model: the base rate times its venue's proneness. */
export async function tapHazards(c: Queryable, tapFailureRate: number): Promise<Array<{ deviceId: string; perDay: number }>> {
  const r = await c.query<{ device_id: string; failure_rate: number }>(`SELECT d.device_id, v.failure_rate FROM devices d JOIN venues v USING (venue_id)
    JOIN accounts a ON a.account_id = v.account_id WHERE d.decommissioned_day IS NULL AND a.status <> 'churned' ORDER BY d.device_id`)
  return r.rows.map((x) => ({ deviceId: x.device_id, perDay: tapFailureRate * x.failure_rate }))
}
