import type { ClickHouseClient } from '@clickhouse/client'
import { chTime, rows } from './db.js'
import { kegForecasts, modelForecasts, NAIVE, reorders, type DemandForecast, type KegRow } from './demand.js'
import { HttpError } from './params.js'

const DAY = 86_400_000

interface HourBev {
  t: number
  localHour: number
  beverage: string
  price: number
  pours: number
  volumeMl: number
  wasteMl: number
}

/**
 * What a bar owner sees. Three reads (venue, hourly rollup, kegs); sales by beverage, by hour and by local
 * hour of day are all folded from the one hourly result here, since each chDB round trip costs milliseconds.
 * Kegs' days until empty and the reorder list use `demand` (the demand model) when given, else the naive pace.
 */
export async function venue(client: ClickHouseClient, id: string, from: number, to: number, demand?: DemandForecast, onDemandError: (err: unknown) => void = () => undefined): Promise<Record<string, unknown>> {
  const [info] = await rows<{ venueId: string; name: string; city: string; country: string; timeZone: string; type: string; customer: string }>(
    client,
    `SELECT venue_id AS venueId, name, customer, city, country, time_zone AS timeZone, venue_type AS type
     FROM tapflow.venues FINAL WHERE venue_id = {id:String}`,
    { id },
  )
  if (info === undefined) throw new HttpError(404, `no venue '${id}'`)
  const p = { id, from: chTime(from), to: chTime(to), tz: info.timeZone, week: chTime(to - 7 * DAY) }
  const [hours, kegs, [account], tickets] = await Promise.all([
    rows<HourBev>(
      client,
      `SELECT toUnixTimestamp(h.hour) * 1000 AS t, toHour(toTimeZone(h.hour, {tz:String})) AS localHour,
              ifNull(b.name, h.beverage_id) AS beverage, ifNull(b.price_per_litre, 0) AS price,
              h.pours AS pours, h.volume_ml AS volumeMl, h.waste_ml AS wasteMl
       FROM (SELECT beverage_id, hour, sum(pours) AS pours, sum(volume_ml) AS volume_ml, sum(waste_ml) AS waste_ml
             FROM tapflow.venue_beverage_1h WHERE venue_id = {id:String} AND hour >= {from:DateTime64(3)} AND hour < {to:DateTime64(3)}
             GROUP BY beverage_id, hour) AS h
       LEFT JOIN (SELECT beverage_id, name, price_per_litre FROM tapflow.beverages FINAL) AS b ON b.beverage_id = h.beverage_id`,
      p,
    ),
    rows<KegRow>(
      client,
      `SELECT d.device_id AS deviceId, d.line_id AS lineId, ifNull(b.name, d.beverage_id) AS beverage, d.keg_size_ml AS kegSizeMl,
              s.keg_remaining_ml AS remainingMl, s.last_pour > 0 AS poured, ifNull(w.week_ml, 0) AS weekMl, w.since_ms AS sinceMs
       FROM (SELECT * FROM tapflow.devices FINAL WHERE venue_id = {id:String}) AS d
       LEFT JOIN (SELECT * FROM tapflow.device_latest WHERE venue_id = {id:String}) AS s ON s.device_id = d.device_id
       LEFT JOIN (SELECT device_id, sum(volume_ml) AS week_ml, toUnixTimestamp(min(bucket)) * 1000 AS since_ms FROM tapflow.device_5m
                  WHERE venue_id = {id:String} AND bucket >= {week:DateTime64(3)} AND bucket < {to:DateTime64(3)} GROUP BY device_id) AS w
         ON w.device_id = d.device_id
       LEFT JOIN (SELECT beverage_id, name FROM tapflow.beverages FINAL) AS b ON b.beverage_id = d.beverage_id
       ORDER BY d.line_id SETTINGS join_use_nulls = 1`,
      p,
    ),
    // One company: the business account that owns this venue, and its open device tickets here.
    rows<{ accountId: string; name: string; tier: string; mrr: number; health: number; openTickets: number; status: string }>(
      client,
      `SELECT a.account_id AS accountId, a.name AS name, a.tier AS tier, a.mrr_cents / 100 AS mrr, a.health AS health,
              a.open_tickets AS openTickets, a.status AS status
       FROM (SELECT account_id FROM tapflow.venues FINAL WHERE venue_id = {id:String}) AS v
       JOIN (SELECT * FROM tapflow.accounts FINAL) AS a ON a.account_id = v.account_id`,
      p,
    ),
    rows<{ ticketId: string; deviceId: string; kind: string; priority: string; opened: string }>(
      client,
      `SELECT ticket_id AS ticketId, device_id AS deviceId, fault_kind AS kind, priority, toString(opened_day) AS opened
       FROM tapflow.support_tickets FINAL WHERE venue_id = {id:String} AND status = 'open' ORDER BY ticket_id`,
      p,
    ),
  ])
  const bev = new Map<string, { beverage: string; pours: number; volumeMl: number; wasteMl: number; revenue: number }>()
  const byT = new Map<number, { t: number; pours: number; litres: number; revenue: number }>()
  const local = new Array<number>(24).fill(0)
  for (const h of hours) {
    const revenue = (h.volumeMl / 1000) * h.price
    const b = bev.get(h.beverage) ?? { beverage: h.beverage, pours: 0, volumeMl: 0, wasteMl: 0, revenue: 0 }
    b.pours += h.pours
    b.volumeMl += h.volumeMl
    b.wasteMl += h.wasteMl
    b.revenue += revenue
    bev.set(h.beverage, b)
    const t = byT.get(h.t) ?? { t: h.t, pours: 0, litres: 0, revenue: 0 }
    t.pours += h.pours
    t.litres += h.volumeMl / 1000
    t.revenue += revenue
    byT.set(h.t, t)
    local[h.localHour] = local[h.localHour]! + h.volumeMl / 1000
  }
  const byBeverage = [...bev.values()]
    .map((b) => ({ beverage: b.beverage, pours: b.pours, litres: round2(b.volumeMl / 1000), revenue: round2(b.revenue), wastePct: round2((100 * b.wasteMl) / Math.max(b.volumeMl, 1)) }))
    .sort((a, b) => b.revenue - a.revenue)
  const days = Math.max(1, (to - from) / DAY)
  const peakHours = local.map((l, localHour) => ({ localHour, litresPerDay: round2(l / days) })).filter((h) => h.litresPerDay > 0)
  const sum = (f: (b: { pours: number; volumeMl: number; wasteMl: number; revenue: number }) => number): number => [...bev.values()].reduce((s, b) => s + f(b), 0)
  const litres = sum((b) => b.volumeMl) / 1000
  const forecasts = kegForecasts(kegs, to, await modelForecasts(demand, kegs.map((k) => k.deviceId), onDemandError))
  const models = [...new Set(forecasts.map((k) => k.forecast))].sort()
  return {
    info,
    account: account ?? null,
    tickets,
    from,
    to,
    totals: { pours: sum((b) => b.pours), litres: round2(litres), revenue: round2(sum((b) => b.revenue)), wastePct: litres > 0 ? round2((100 * sum((b) => b.wasteMl)) / 1000 / litres) : 0 },
    byBeverage,
    byHour: [...byT.values()].sort((a, b) => a.t - b.t).map((h) => ({ t: h.t, pours: h.pours, litres: round2(h.litres), revenue: round2(h.revenue) })),
    peakHours,
    peak: [...peakHours].sort((a, b) => b.litresPerDay - a.litresPerDay).slice(0, 3).map((h) => h.localHour),
    kegs: forecasts,
    // Which forecasts the keg numbers rest on: model versions, 'naive' (the last week's pace), or both.
    demand: { models, naive: models.includes(NAIVE), next24hL: round2(forecasts.reduce((s, k) => s + k.litres24h, 0)) },
    reorders: reorders(forecasts),
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
