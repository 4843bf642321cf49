import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../edge-gateway/index.js'
import { BEVERAGES, type FleetSpec } from '../../firmware-sim/index.js'

export interface FleetDimensionOptions {
  /** The business account owning a venue. Default: none (a synthetic fleet: `tapflow load`, `--manifest`). */
  accountOf?: (venueId: string) => string | undefined
  /** Mark these devices decommissioned at this time, ms. Default: in service. */
  decommissionedAt?: number
}

/** A business account as the dashboards show it beside its venues. */
export interface AccountRow {
  account_id: string
  name: string
  status: string
  tier: string
  mrr_cents: number
  health: number
  open_tickets: number
}

/** A support ticket about a device, for its fault history. */
export interface TicketRow {
  ticket_id: string
  account_id: string
  venue_id: string
  device_id: string
  fault_kind: string
  priority: string
  status: string
  opened_day: string
  resolved_day: string | null
}

/** Copies the business's accounts and device tickets into ClickHouse (newest row wins), for the dashboards. */
export async function writeBusinessDimensions(client: ClickHouseClient, accounts: readonly AccountRow[], tickets: readonly TicketRow[]): Promise<void> {
  try {
    if (accounts.length > 0) await client.insert({ table: 'tapflow.accounts', format: 'JSONEachRow', values: [...accounts] })
    if (tickets.length > 0) await client.insert({ table: 'tapflow.support_tickets', format: 'JSONEachRow', values: [...tickets] })
  } catch (err) {
    throw asClickHouseError(err, 'writing business dimensions')
  }
}

/**
 * Writes the fleet's reference data (venues, devices, beverages) into the dimension tables of migration 5,
 * so every view can name venues, price pours and size kegs in any deployment. Idempotent: the tables are
 * ReplacingMergeTree by key, so writing the same fleet again replaces rows rather than adding them.
 */
export async function writeFleetDimensions(client: ClickHouseClient, fleet: FleetSpec, opts: FleetDimensionOptions = {}): Promise<void> {
  const account = (venueId: string): string => opts.accountOf?.(venueId) ?? ''
  const decommissioned = opts.decommissionedAt === undefined ? null : new Date(opts.decommissionedAt).toISOString().replace('T', ' ').replace('Z', '')
  try {
    await client.insert({
      table: 'tapflow.venues',
      format: 'JSONEachRow',
      values: fleet.venues.map((v) => ({
        venue_id: v.venueId, name: v.name, customer: v.customer, city: v.city, country: v.country,
        time_zone: v.timeZone, venue_type: v.type, region: v.region, account_id: account(v.venueId),
      })),
    })
    await client.insert({
      table: 'tapflow.devices',
      format: 'JSONEachRow',
      values: fleet.devices.map((d) => ({
        device_id: d.deviceId, venue_id: d.venueId, line_id: d.lineId, beverage_id: d.beverageId,
        keg_size_ml: d.kegSizeMl, firmware: d.firmware, account_id: account(d.venueId), decommissioned_at: decommissioned,
      })),
    })
    await client.insert({
      table: 'tapflow.beverages',
      format: 'JSONEachRow',
      values: BEVERAGES.map((b) => ({ beverage_id: b.beverageId, name: b.name, style: b.style, abv: b.abv, price_per_litre: b.pricePerLitre })),
    })
  } catch (err) {
    throw asClickHouseError(err, 'writing fleet dimensions')
  }
}
