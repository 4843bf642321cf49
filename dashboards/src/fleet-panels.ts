import type { ClickHouseClient } from '@clickhouse/client'
import { rows, tableExists } from './db.js'
import type { DeviceRisk, DeviceRow, Health, VenueListRow } from '../api.js'

/** A device is online while its frames keep coming: temperatures arrive every 5 min, health every 15. */
export const ONLINE_WINDOW_MS = 20 * 60_000

/** Beer in the line above this is served warm and foams: a cellar or python-cooler problem. */
export const WARM_LINE_C = 12


interface Raw {
  device_id: string
  venue_id: string
  account_id: string
  venue_name: string
  city: string
  line_id: number
  beverage: string
  keg_size_ml: number
  firmware: string
  last_seen: number
  keg_remaining_ml: number
  line_temp_c: number
  rssi_dbm: number
  supply_voltage_v: number
  error_codes: number[]
  seen: number
  poured: number
}

// Dimensions and latest state, joined both ways: a device with no frames yet is still listed (offline),
// and one that reports without a fleet spec (a bare `tapflow gateway`) still shows up.
const FLEET_SQL = `
  SELECT if(s.device_id = '', d.device_id, s.device_id) AS device_id,
         if(s.venue_id = '', d.venue_id, s.venue_id) AS venue_id,
         ifNull(v.name, '') AS venue_name, ifNull(v.city, '') AS city, ifNull(d.account_id, '') AS account_id,
         d.line_id AS line_id, ifNull(b.name, d.beverage_id) AS beverage, d.keg_size_ml AS keg_size_ml,
         if(s.firmware_version = '', d.firmware, s.firmware_version) AS firmware,
         toUnixTimestamp64Milli(s.last_seen) AS last_seen, s.keg_remaining_ml AS keg_remaining_ml,
         s.line_temp_c AS line_temp_c, s.rssi_dbm AS rssi_dbm, s.supply_voltage_v AS supply_voltage_v,
         s.error_codes AS error_codes, s.device_id != '' AS seen, s.last_pour > 0 AS poured
  FROM (SELECT * FROM tapflow.device_latest) AS s
  FULL OUTER JOIN (SELECT device_id, venue_id, line_id, beverage_id, keg_size_ml, firmware, account_id, decommissioned_at FROM tapflow.devices FINAL) AS d
    ON s.device_id = d.device_id
  LEFT JOIN (SELECT venue_id, name, city FROM tapflow.venues FINAL) AS v ON v.venue_id = if(s.venue_id = '', d.venue_id, s.venue_id)
  LEFT JOIN (SELECT beverage_id, name FROM tapflow.beverages FINAL) AS b ON b.beverage_id = d.beverage_id
  WHERE d.decommissioned_at IS NULL
  SETTINGS join_use_nulls = 0`

/** Latest data time: the newest frame in the fleet. Views measure "now" from the data, so seeded data reads right. */
export async function dataNow(client: ClickHouseClient): Promise<number> {
  const r = await rows<{ t: number }>(client, 'SELECT toUnixTimestamp64Milli(max(last_seen)) AS t FROM tapflow.device_state')
  return r[0]?.t ?? 0
}

export async function fleet(client: ClickHouseClient): Promise<{ now: number; devices: DeviceRow[] }> {
  const [now, raw, risks] = await Promise.all([dataNow(client), rows<Raw>(client, FLEET_SQL), risk(client)])
  // Sorted here: with prefer_column_name_to_alias an ORDER BY on the joined names is ambiguous.
  raw.sort((a, b) => (a.venue_id < b.venue_id ? -1 : a.venue_id > b.venue_id ? 1 : a.device_id < b.device_id ? -1 : 1))
  return { now, devices: raw.map((r) => ({ ...classify(r, now), risk: risks.get(r.device_id) ?? null })) }
}

/** Predictions older than this before the newest round are not a device's current risk (it was not scored since). */
export const RISK_LOOKBACK_H = 24

/**
 * Each scored device's current risk: per mode, its newest score within RISK_LOOKBACK_H of the newest prediction
 * (simulated time), the highest of them, and its open alerts (alerts FINAL: the newest version of each wins).
 * An alert is open until it has a `resolved_at` or the status 'resolved'.
 */
export async function risk(client: ClickHouseClient): Promise<Map<string, DeviceRisk>> {
  const out = new Map<string, DeviceRisk>()
  if (!(await hasTable(client, 'predictions')) || !(await hasTable(client, 'alerts'))) return out
  const [scores, alerts] = await Promise.all([
    rows<{ device_id: string; score: number; mode: string; scored: number }>(
      client,
      `SELECT device_id, max(score) AS score, argMax(mode, score) AS mode, toUnixTimestamp64Milli(max(ts)) AS scored
       FROM (SELECT device_id, mode, argMax(score, ts) AS score, max(ts) AS ts FROM tapflow.predictions
             WHERE ts >= (SELECT max(ts) FROM tapflow.predictions) - INTERVAL ${RISK_LOOKBACK_H} HOUR GROUP BY device_id, mode)
       GROUP BY device_id`,
    ),
    rows<{ device_id: string; modes: string[] }>(
      client,
      `SELECT device_id, arraySort(groupArray(mode)) AS modes FROM tapflow.alerts FINAL
       WHERE isNull(resolved_at) AND status != 'resolved' GROUP BY device_id`,
    ),
  ])
  for (const s of scores) out.set(s.device_id, { score: Math.round(s.score * 1000) / 1000, mode: s.mode, scoredAt: s.scored, openAlerts: [] })
  for (const a of alerts) {
    const r = out.get(a.device_id)
    if (r) r.openAlerts = a.modes
    else out.set(a.device_id, { score: null, mode: null, scoredAt: null, openAlerts: a.modes })
  }
  return out
}

const present = new WeakMap<ClickHouseClient, Set<string>>()

/** Whether `tapflow.<table>` exists; remembered once it does (tables are never dropped under a running stack). */
export async function hasTable(client: ClickHouseClient, table: string): Promise<boolean> {
  const seen = present.get(client) ?? new Set<string>()
  present.set(client, seen)
  if (!seen.has(table) && (await tableExists(client, 'tapflow', table))) seen.add(table)
  return seen.has(table)
}

/** Online/offline, health and alert labels from a device's latest state. */
function classify(r: Raw, now: number): DeviceRow {
  const online = r.seen === 1 && now - r.last_seen <= ONLINE_WINDOW_MS
  const alerts: string[] = []
  // Keg level comes with pours; a tap that has not poured yet has no reading.
  const kegPct = r.poured === 1 && r.keg_size_ml > 0 ? Math.min(100, (100 * Math.max(0, r.keg_remaining_ml)) / r.keg_size_ml) : null
  let health: Health = 'ok'
  const fault = (a: string): void => {
    alerts.push(a)
    health = 'fault'
  }
  const warn = (a: string): void => {
    alerts.push(a)
    if (health === 'ok') health = 'warn'
  }
  if (r.error_codes.length > 0) fault(`error ${r.error_codes.map((c) => `E${c}`).join(',')}`)
  if (kegPct !== null && kegPct < 1) fault('keg empty')
  else if (kegPct !== null && kegPct < 10) warn('keg low')
  if (r.seen && r.line_temp_c > WARM_LINE_C) warn(`warm line ${r.line_temp_c.toFixed(1)}°C`)
  if (r.seen && r.rssi_dbm !== 0 && r.rssi_dbm < -85) warn(`weak signal ${r.rssi_dbm} dBm`)
  if (r.seen && r.supply_voltage_v > 0 && r.supply_voltage_v < 11.5) warn(`low voltage ${r.supply_voltage_v.toFixed(2)} V`)
  if (r.seen !== 1) health = 'waiting'
  else if (!online) {
    alerts.unshift('offline')
    health = 'offline'
  }
  return {
    deviceId: r.device_id,
    venueId: r.venue_id,
    accountId: r.account_id,
    venueName: r.venue_name,
    city: r.city,
    lineId: r.line_id,
    beverage: r.beverage,
    firmware: r.firmware,
    online,
    health,
    alerts,
    kegPct: kegPct === null ? null : Math.round(kegPct * 10) / 10,
    lineTempC: r.seen ? Math.round(r.line_temp_c * 10) / 10 : null,
    rssiDbm: r.seen ? r.rssi_dbm : null,
    lastSeen: r.seen ? r.last_seen : null,
    risk: null,
  }
}

export interface Overview {
  now: number
  devices: number
  online: number
  venues: number
  byHealth: Record<Health, number>
  topAlerts: { deviceId: string; venueName: string; health: Health; alerts: string[] }[]
}

const RANK: Record<Health, number> = { fault: 0, warn: 1, offline: 2, waiting: 3, ok: 4 }

/** Fleet counts and the devices most in need of attention: faults first, then warnings, then offline. */
export function overview(f: { now: number; devices: DeviceRow[] }, top = 10): Overview {
  const byHealth: Record<Health, number> = { ok: 0, warn: 0, fault: 0, offline: 0, waiting: 0 }
  for (const d of f.devices) byHealth[d.health]++
  const flagged = f.devices.filter((d) => d.alerts.length > 0).sort((a, b) => RANK[a.health] - RANK[b.health] || a.deviceId.localeCompare(b.deviceId))
  return {
    now: f.now,
    devices: f.devices.length,
    online: f.devices.filter((d) => d.online).length,
    venues: new Set(f.devices.map((d) => d.venueId)).size,
    byHealth,
    topAlerts: flagged.slice(0, top).map((d) => ({ deviceId: d.deviceId, venueName: d.venueName, health: d.health, alerts: d.alerts })),
  }
}

export async function venues(client: ClickHouseClient): Promise<VenueListRow[]> {
  const list = await rows<VenueListRow>(
    client,
    `SELECT v.venue_id AS venueId, v.name AS name, v.city AS city, v.venue_type AS type, toUInt32(ifNull(n.devices, 0)) AS devices,
            round(ifNull(h.litres, 0), 1) AS litresLastHour
     FROM (SELECT * FROM tapflow.venues FINAL) AS v
     LEFT JOIN (SELECT venue_id, count() AS devices FROM tapflow.devices FINAL GROUP BY venue_id) AS n ON n.venue_id = v.venue_id
     LEFT JOIN (SELECT venue_id, sum(volume_ml) / 1000 AS litres FROM tapflow.venue_beverage_1h
                WHERE hour >= (SELECT max(hour) FROM tapflow.venue_beverage_1h) - INTERVAL 1 HOUR GROUP BY venue_id) AS h ON h.venue_id = v.venue_id
     SETTINGS join_use_nulls = 1`,
  )
  return list.sort((a, b) => b.litresLastHour - a.litresLastHour || a.venueId.localeCompare(b.venueId))
}
