import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../edge-gateway/index.js'
import { BEVERAGES, type FleetSpec } from '../../firmware-sim/index.js'

/**
 * Writes the fleet's reference data (venues, devices, beverages) into the dimension tables of migration 5,
 * so every view can name venues, price pours and size kegs in any deployment. Idempotent: the tables are
 * ReplacingMergeTree by key, so writing the same fleet again replaces rows rather than adding them.
 */
export async function writeFleetDimensions(client: ClickHouseClient, fleet: FleetSpec): Promise<void> {
  try {
    await client.insert({
      table: 'tapflow.venues',
      format: 'JSONEachRow',
      values: fleet.venues.map((v) => ({
        venue_id: v.venueId, name: v.name, customer: v.customer, city: v.city, country: v.country,
        time_zone: v.timeZone, venue_type: v.type, region: v.region,
      })),
    })
    await client.insert({
      table: 'tapflow.devices',
      format: 'JSONEachRow',
      values: fleet.devices.map((d) => ({
        device_id: d.deviceId, venue_id: d.venueId, line_id: d.lineId, beverage_id: d.beverageId,
        keg_size_ml: d.kegSizeMl, firmware: d.firmware,
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
