import type { ClickHouseClient } from '@clickhouse/client'
import { chTime, rows, tableExists } from './db.js'
import { HttpError } from './params.js'

const DAY = 86_400_000

/** Rollup step for a chart: 5-minute buckets up to 2 days, hourly beyond, so a chart stays a few hundred points. */
function stepSeconds(rangeMs: number): number {
  return rangeMs <= 2 * DAY ? 300 : 3600
}

export async function device(client: ClickHouseClient, id: string, from: number, to: number): Promise<Record<string, unknown>> {
  const p = { id, from: chTime(from), to: chTime(to), step: stepSeconds(to - from) }
  const [info] = await rows<Record<string, unknown>>(
    client,
    `SELECT d.device_id AS deviceId, d.venue_id AS venueId, ifNull(v.name, '') AS venueName, d.line_id AS lineId,
            d.beverage_id AS beverageId, d.keg_size_ml AS kegSizeMl, d.firmware AS specFirmware
     FROM (SELECT * FROM tapflow.devices FINAL WHERE device_id = {id:String}) AS d
     LEFT JOIN (SELECT venue_id, name FROM tapflow.venues FINAL) AS v ON v.venue_id = d.venue_id`,
    p,
  )
  const [state] = await rows<Record<string, unknown>>(
    client,
    `SELECT venue_id AS venueId, toUnixTimestamp64Milli(last_seen) AS lastSeen, toUnixTimestamp64Milli(last_pour) AS lastPour,
            keg_id AS kegId, keg_remaining_ml AS kegRemainingMl, line_temp_c AS lineTempC, firmware_version AS firmware,
            rssi_dbm AS rssiDbm, supply_voltage_v AS supplyVoltageV, error_codes AS errorCodes, reboot_count AS rebootCount
     FROM tapflow.device_latest WHERE device_id = {id:String}`,
    p,
  )
  if (info === undefined && state === undefined) throw new HttpError(404, `no device '${id}'`)
  const [series, pours, health, faults, deadLetters, groundTruth] = await Promise.all([
    rows(
      client,
      `SELECT toUnixTimestamp(toStartOfInterval(bucket, toIntervalSecond({step:UInt32}))) * 1000 AS t,
              sum(pour_count) AS pours, round(sum(volume_ml)) AS volumeMl,
              round(avgIf(temp_avg_c, temp_avg_c IS NOT NULL), 2) AS tempAvgC, round(max(temp_max_c), 2) AS tempMaxC
       FROM tapflow.device_5m WHERE device_id = {id:String} AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}
       GROUP BY t ORDER BY t`,
      p,
    ),
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts, seq, round(volume_ml) AS volumeMl, round(waste_ml) AS wasteMl,
              round(keg_remaining_ml) AS kegRemainingMl, round(beverage_temp_c, 1) AS beverageTempC
       FROM tapflow.pours WHERE device_id = {id:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
       ORDER BY ts DESC LIMIT 50`,
      p,
    ),
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts, firmware_version AS firmware, rssi_dbm AS rssiDbm,
              round(supply_voltage_v, 2) AS supplyVoltageV, error_codes AS errorCodes, reboot_count AS rebootCount, uptime_s AS uptimeS
       FROM tapflow.health WHERE device_id = {id:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
       ORDER BY ts DESC LIMIT 20`,
      p,
    ),
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts, error_codes AS errorCodes, reboot_count AS rebootCount, firmware_version AS firmware
       FROM tapflow.health WHERE device_id = {id:String} AND (length(error_codes) > 0 OR reboot_count > 0)
       ORDER BY ts DESC LIMIT 100`,
      p,
    ),
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(received_at) AS receivedAt, topic, reason, detail
       FROM tapflow.dead_letters WHERE device_id = {id:String} ORDER BY received_at DESC LIMIT 100`,
      p,
    ),
    groundTruthFor(client, id),
  ])
  return { info: info ?? null, state: state ?? null, from, to, stepS: p.step, series, pours, health, faults, deadLetters, groundTruth }
}

/** Injected faults (migration 3), newest first; FINAL so a cleared fault shows once, with its clearing time. */
async function groundTruthFor(client: ClickHouseClient, id: string): Promise<Record<string, unknown>[] | null> {
  if (!(await tableExists(client, 'tapflow', 'ground_truth'))) return null
  return rows(
    client,
    `SELECT mode, source, onset_ts AS onset, failure_ts AS failure, cleared_at AS cleared, parameters, record_id AS record
     FROM tapflow.ground_truth FINAL WHERE device_id = {id:String} ORDER BY recorded_at DESC LIMIT 200`,
    { id },
  )
}

/** Days of stock below which the venue view suggests reordering a keg. */
export const REORDER_DAYS = 3

export async function venue(client: ClickHouseClient, id: string, from: number, to: number): Promise<Record<string, unknown>> {
  const [info] = await rows<{ venueId: string; name: string; city: string; country: string; timeZone: string; type: string; customer: string }>(
    client,
    `SELECT venue_id AS venueId, name, customer, city, country, time_zone AS timeZone, venue_type AS type
     FROM tapflow.venues FINAL WHERE venue_id = {id:String}`,
    { id },
  )
  if (info === undefined) throw new HttpError(404, `no venue '${id}'`)
  const p = { id, from: chTime(from), to: chTime(to), tz: info.timeZone, week: chTime(to - 7 * DAY), days: Math.max(1, (to - from) / DAY) }
  const hourly = `SELECT h.*, ifNull(b.name, h.beverage_id) AS beverage, ifNull(b.price_per_litre, 0) AS price
     FROM (SELECT beverage_id, hour, sum(pours) AS pours, sum(volume_ml) AS volume_ml, sum(waste_ml) AS waste_ml
           FROM tapflow.venue_beverage_1h WHERE venue_id = {id:String} AND hour >= {from:DateTime64(3)} AND hour < {to:DateTime64(3)}
           GROUP BY beverage_id, hour) AS h
     LEFT JOIN (SELECT beverage_id, name, price_per_litre FROM tapflow.beverages FINAL) AS b ON b.beverage_id = h.beverage_id`
  const [byBeverage, byHour, peakHours, kegs] = await Promise.all([
    rows(
      client,
      `SELECT beverage, sum(pours) AS pours, round(sum(volume_ml) / 1000, 2) AS litres, round(sum(volume_ml) / 1000 * any(price), 2) AS revenue,
              round(100 * sum(waste_ml) / greatest(sum(volume_ml), 1), 2) AS wastePct
       FROM (${hourly}) GROUP BY beverage ORDER BY revenue DESC`,
      p,
    ),
    rows<HourRow>(
      client,
      `SELECT toUnixTimestamp(hour) * 1000 AS t, sum(pours) AS pours, round(sum(volume_ml) / 1000, 2) AS litres,
              round(sum(volume_ml) / 1000 * price, 2) AS revenue
       FROM (${hourly}) GROUP BY t, price ORDER BY t`,
      p,
    ).then(mergeByT),
    rows(
      client,
      `SELECT toHour(toTimeZone(hour, {tz:String})) AS localHour, round(sum(volume_ml) / 1000 / {days:Float64}, 2) AS litresPerDay
       FROM (${hourly}) GROUP BY localHour ORDER BY localHour`,
      p,
    ),
    rows<{ deviceId: string; lineId: number; beverage: string; kegSizeMl: number; remainingMl: number; poured: number; weekMl: number; sinceMs: number | null }>(
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
  ])
  const totals = (byBeverage as { pours: number; litres: number; revenue: number; wastePct: number }[]).reduce(
    (t, b) => ({ pours: t.pours + b.pours, litres: t.litres + b.litres, revenue: t.revenue + b.revenue, wasteL: t.wasteL + (b.litres * b.wastePct) / 100 }),
    { pours: 0, litres: 0, revenue: 0, wasteL: 0 },
  )
  const peak = [...(peakHours as { localHour: number; litresPerDay: number }[])].sort((a, b) => b.litresPerDay - a.litresPerDay).slice(0, 3)
  return {
    info,
    from,
    to,
    totals: { pours: totals.pours, litres: round2(totals.litres), revenue: round2(totals.revenue), wastePct: totals.litres > 0 ? round2((100 * totals.wasteL) / totals.litres) : 0 },
    byBeverage,
    byHour,
    peakHours,
    peak: peak.map((h) => h.localHour),
    kegs: kegs.map((k) => kegForecast(k, to)),
  }
}

/** Days until empty at the pace of the last week (or of the data so far, if younger), and whether to reorder now. */
function kegForecast(k: { deviceId: string; lineId: number; beverage: string; kegSizeMl: number; remainingMl: number | null; poured: number | null; weekMl: number; sinceMs: number | null }, to: number) {
  const remaining = k.poured ? Math.max(0, k.remainingMl ?? 0) : null
  const observedDays = Math.min(7, Math.max(1 / 24, (to - (k.sinceMs ?? to)) / DAY))
  const perDay = k.weekMl / observedDays
  const daysLeft = remaining === null || perDay <= 0 ? null : round2(remaining / perDay)
  return {
    deviceId: k.deviceId,
    lineId: k.lineId,
    beverage: k.beverage,
    kegSizeL: round2(k.kegSizeMl / 1000),
    remainingL: remaining === null ? null : round2(remaining / 1000),
    pct: remaining === null ? null : round2((100 * remaining) / k.kegSizeMl),
    litresPerDay: round2(perDay / 1000),
    daysLeft,
    reorder: remaining !== null && (remaining < 0.15 * k.kegSizeMl || (daysLeft !== null && daysLeft < REORDER_DAYS)),
  }
}

interface HourRow {
  t: number
  pours: number
  litres: number
  revenue: number
}

/** One point per hour: the query splits an hour by price, so add the parts back up. */
function mergeByT(r: HourRow[]): HourRow[] {
  const m = new Map<number, HourRow>()
  for (const x of r) {
    const e = m.get(x.t) ?? { t: x.t, pours: 0, litres: 0, revenue: 0 }
    e.pours += x.pours
    e.litres = round2(e.litres + x.litres)
    e.revenue = round2(e.revenue + x.revenue)
    m.set(x.t, e)
  }
  return [...m.values()].sort((a, b) => a.t - b.t)
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
