import type { ClickHouseClient } from '@clickhouse/client'
import { chTime, rows } from './db.js'
import { hasTable } from './fleet-panels.js'
import { HttpError } from './params.js'

const DAY = 86_400_000

/** Rollup step for a chart: 5-minute buckets up to 2 days, hourly beyond, so a chart stays a few hundred points. */
function stepSeconds(rangeMs: number): number {
  return rangeMs <= 2 * DAY ? 300 : 3600
}

export async function device(client: ClickHouseClient, id: string, from: number, to: number): Promise<Record<string, unknown>> {
  const p = { id, from: chTime(from), to: chTime(to), step: stepSeconds(to - from) }
  const [[info], [state], series, pours, health, faults, deadLetters, groundTruth, tickets, risk] = await Promise.all([
    rows<Record<string, unknown>>(
      client,
      `SELECT d.device_id AS deviceId, d.venue_id AS venueId, ifNull(v.name, '') AS venueName, d.line_id AS lineId,
              d.beverage_id AS beverageId, d.keg_size_ml AS kegSizeMl, d.firmware AS specFirmware
       FROM (SELECT * FROM tapflow.devices FINAL WHERE device_id = {id:String}) AS d
       LEFT JOIN (SELECT venue_id, name FROM tapflow.venues FINAL) AS v ON v.venue_id = d.venue_id`,
      p,
    ),
    rows<Record<string, unknown>>(
      client,
      `SELECT venue_id AS venueId, toUnixTimestamp64Milli(last_seen) AS lastSeen, toUnixTimestamp64Milli(last_pour) AS lastPour,
              keg_id AS kegId, keg_remaining_ml AS kegRemainingMl, line_temp_c AS lineTempC, firmware_version AS firmware,
              rssi_dbm AS rssiDbm, supply_voltage_v AS supplyVoltageV, error_codes AS errorCodes, reboot_count AS rebootCount
       FROM tapflow.device_latest WHERE device_id = {id:String}`,
      p,
    ),
    rows(
      client,
      `SELECT toUnixTimestamp(toStartOfInterval(bucket, toIntervalSecond({step:UInt32}))) * 1000 AS t,
              sum(pour_count) AS pours, round(sum(volume_ml)) AS volumeMl,
              round(avgIf(temp_avg_c, temp_avg_c IS NOT NULL), 2) AS tempAvgC, round(max(temp_max_c), 2) AS tempMaxC
       FROM tapflow.device_5m
       -- The rollup is ordered by (venue_id, device_id, bucket): naming the venue lets the primary key prune
       -- (30 days: ~12 ms instead of ~50 ms, p95 150 ms); health is keyed by device, so the lookup is cheap.
       WHERE venue_id IN (SELECT venue_id FROM tapflow.health WHERE device_id = {id:String} LIMIT 1)
         AND device_id = {id:String} AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}
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
    // The business's support tickets about this tap (one company: its faults become tickets).
    rows<{ ticketId: string; accountId: string; venueId: string; kind: string; priority: string; status: string; opened: string; resolved: string | null }>(
      client,
      `SELECT ticket_id AS ticketId, account_id AS accountId, venue_id AS venueId, fault_kind AS kind, priority, status,
              toString(opened_day) AS opened, if(isNull(resolved_day), NULL, toString(resolved_day)) AS resolved
       FROM tapflow.support_tickets FINAL WHERE device_id = {id:String} ORDER BY ticket_id DESC LIMIT 100`,
      p,
    ),
    riskFor(client, p),
  ])
  if (info === undefined && state === undefined) throw new HttpError(404, `no device '${id}'`)
  // Each fault links to the ticket it became: the first ticket of that kind opened on or after its onset day.
  const truth = groundTruth?.map((g) => {
    const day = String(g.onset).slice(0, 10)
    const t = [...tickets].reverse().find((x) => x.kind === g.mode && x.opened >= day)
    return { ...g, ticket: t?.ticketId ?? null }
  }) ?? null
  return {
    info: info ?? null, state: state ?? null, from, to, stepS: p.step, series, pours, health, faults, deadLetters, groundTruth: truth, tickets,
    risk: { ...risk, truth: (groundTruth ?? []).map(truthMarks) },
  }
}

/** A feature's share of an alert's score, as the scorer wrote it into `top_features`. */
export interface Contribution {
  feature: string
  value: number | string | null
  contribution: number
}

export interface DeviceAlert {
  alertId: string
  mode: string
  model: string
  version: number
  risk: number
  threshold: number
  status: string
  openedAt: number
  expectedFailureAt: number | null
  resolvedAt: number | null
  resolution: string
  ticketId: string
  topFeatures: Contribution[]
}

/** The device view's predictive-maintenance panel: risk per mode over the range, alerts, and ground truth to compare. */
export interface DeviceRiskPanel {
  /** Per mode, the highest score in each chart step (ms, 0–1). */
  series: { mode: string; points: [number, number][] }[]
  /** Newest first; open ones carry the features that drove them. */
  alerts: DeviceAlert[]
  /** Injected faults as instants to mark on the chart (ms): onset, failure, and when cleared. */
  truth: { mode: string; onset: number | null; failure: number | null; cleared: number | null }[]
}

async function riskFor(client: ClickHouseClient, p: { id: string; from: string; to: string; step: number }): Promise<Omit<DeviceRiskPanel, 'truth'>> {
  if (!(await hasTable(client, 'predictions')) || !(await hasTable(client, 'alerts'))) return { series: [], alerts: [] }
  const [points, alerts] = await Promise.all([
    rows<{ mode: string; t: number; score: number }>(
      client,
      `SELECT mode, toUnixTimestamp(toStartOfInterval(ts, toIntervalSecond({step:UInt32}))) * 1000 AS t, round(max(score), 4) AS score
       FROM tapflow.predictions WHERE device_id = {id:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
       GROUP BY mode, t ORDER BY mode, t`,
      p,
    ),
    rows<Omit<DeviceAlert, 'topFeatures'> & { topFeatures: string }>(
      client,
      `SELECT alert_id AS alertId, mode, model, version, round(risk, 4) AS risk, round(threshold, 4) AS threshold, status,
              toUnixTimestamp64Milli(opened_at) AS openedAt, toUnixTimestamp64Milli(expected_failure_at) AS expectedFailureAt,
              toUnixTimestamp64Milli(resolved_at) AS resolvedAt, resolution, ticket_id AS ticketId, top_features AS topFeatures
       FROM tapflow.alerts FINAL WHERE device_id = {id:String} ORDER BY opened_at DESC LIMIT 50`,
      p,
    ),
  ])
  const series = new Map<string, [number, number][]>()
  for (const x of points) series.set(x.mode, [...(series.get(x.mode) ?? []), [x.t, x.score]])
  return {
    series: [...series].map(([mode, pts]) => ({ mode, points: pts })),
    alerts: alerts.map((a) => ({ ...a, topFeatures: contributions(a.topFeatures) })),
  }
}

/** `top_features` JSON, largest contribution first; a malformed value shows as none rather than failing the view. */
function contributions(json: string): Contribution[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return []
  }
  if (!Array.isArray(parsed)) return []
  return parsed
    .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null && typeof (f as Record<string, unknown>).feature === 'string')
    .map((f) => ({
      feature: f.feature as string,
      value: typeof f.value === 'number' || typeof f.value === 'string' ? f.value : null,
      contribution: typeof f.contribution === 'number' ? f.contribution : 0,
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
}

/** DateTime64 text ('2026-11-30 12:00:00.000', UTC) → ms. */
const ms = (v: unknown): number | null => (typeof v === 'string' && v !== '' ? Date.parse(`${v.replace(' ', 'T')}Z`) : null)

function truthMarks(g: Record<string, unknown>): DeviceRiskPanel['truth'][number] {
  return { mode: String(g.mode), onset: ms(g.onset), failure: ms(g.failure), cleared: ms(g.cleared) }
}

/** Injected faults (migration 3), newest first; FINAL so a cleared fault shows once, with its clearing time. */
async function groundTruthFor(client: ClickHouseClient, id: string): Promise<Record<string, unknown>[] | null> {
  if (!(await hasTable(client, 'ground_truth'))) return null
  return rows(
    client,
    `SELECT mode, source, onset_ts AS onset, failure_ts AS failure, cleared_at AS cleared, parameters, record_id AS record
     FROM tapflow.ground_truth FINAL WHERE device_id = {id:String} ORDER BY recorded_at DESC LIMIT 200`,
    { id },
  )
}
