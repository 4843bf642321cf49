import type { ClickHouseClient } from '@clickhouse/client'
import type { LiveModeRow } from '../../dashboards/index.js'
import { asClickHouseError } from '../../edge-gateway/index.js'
import { DEFAULT_HORIZON_MS, isPredictable, type GroundTruthRecord } from '../models/index.js'
import type { Alert } from './alerts.js'
import { readAlerts } from './loop.js'

/** What happened to one ground-truth failure (or one alert that matched none). */
export type Outcome = 'caught' | 'prevented' | 'missed' | 'pending' | 'false-alarm'

export interface LiveEvent {
  deviceId: string
  mode: string
  outcome: Outcome
  /** Ground truth's failure time (would-be, for a prevented one); null for a false alarm. */
  failureAt: number | null
  /** The first alert of the window; null for missed and pending. */
  alertAt: number | null
  /** failureAt − alertAt, ms. */
  leadMs: number | null
}

/** One mode's (or all modes') record: the dashboard's Models view shows exactly this. */
export type ModeSummary = LiveModeRow

export interface LiveReport {
  /** Simulated ms: the data's own time. */
  asOf: number
  /** Failures before this (the first scoring round) are not counted: nothing was watching. */
  from: number
  horizonMs: number
  modes: ModeSummary[]
  total: ModeSummary
  events: LiveEvent[]
}

export interface LiveReportInput {
  alerts: readonly Alert[]
  truth: readonly GroundTruthRecord[]
  asOf: number
  from: number
  /** Modes the model predicts. Default: the alerts' modes. */
  modes?: readonly string[]
  /** An alert up to this long before a failure catches it (or from the fault's onset, if earlier). Default: 24 h. */
  horizonMs?: number
}

/**
 * Alerts against ground truth. Pure. A predictable failure (cloud/models' isPredictable) of a scored mode, due after
 * `from`, is caught when an alert of its device and mode opened in [min(onset, failure − horizon), failure), and
 * prevented when that alert came before a repair that cleared the fault ahead of its failure time. Due and not caught:
 * missed; still ahead: pending. An alert that matched no failure window is a false alarm, unless it opened while the
 * tap was failed (late).
 */
export function liveReport(i: LiveReportInput): LiveReport {
  const h = i.horizonMs ?? DEFAULT_HORIZON_MS
  const modes = [...new Set(i.modes ?? i.alerts.map((a) => a.mode))].sort()
  const scored = new Set(modes)
  const events: LiveEvent[] = []
  const used = new Set<string>()
  const late = new Set<string>()
  const alertsOf = (device: string, mode: string): Alert[] => i.alerts.filter((a) => a.deviceId === device && a.mode === mode)
  for (const r of i.truth) {
    if (!scored.has(r.mode)) continue
    const start = Math.min(r.onsetMs, r.failureMs - h)
    const repairedFirst = r.clearedMs !== null && r.clearedMs <= r.failureMs
    const end = repairedFirst ? (r.clearedMs as number) : r.failureMs
    const mine = alertsOf(r.deviceId, r.mode)
    // Alerts during the outage are late, whatever happens to the record below.
    for (const a of mine) if (a.openedAt >= r.failureMs && a.openedAt < (r.clearedMs ?? Infinity) && !repairedFirst) late.add(a.alertId)
    if (!isPredictable(r) || r.failureMs < i.from) {
      for (const a of mine) if (a.openedAt >= start && a.openedAt < end) used.add(a.alertId) // not a false alarm either
      continue
    }
    const hits = mine.filter((a) => a.openedAt >= start && a.openedAt < end)
    for (const a of hits) used.add(a.alertId)
    const first = hits[0]
    const lead = first === undefined ? null : r.failureMs - first.openedAt
    const outcome: Outcome | undefined = first !== undefined ? (repairedFirst ? 'prevented' : 'caught')
      : repairedFirst ? undefined : r.failureMs <= i.asOf ? 'missed' : 'pending'
    if (outcome !== undefined) events.push({ deviceId: r.deviceId, mode: r.mode, outcome, failureAt: r.failureMs, alertAt: first?.openedAt ?? null, leadMs: lead })
  }
  for (const a of i.alerts) {
    if (!scored.has(a.mode) || used.has(a.alertId) || late.has(a.alertId)) continue
    events.push({ deviceId: a.deviceId, mode: a.mode, outcome: 'false-alarm', failureAt: null, alertAt: a.openedAt, leadMs: null })
  }
  const summarize = (mode: string, ev: readonly LiveEvent[], lateCount: number): ModeSummary => {
    const n = (o: Outcome): number => ev.filter((e) => e.outcome === o).length
    const caught = n('caught')
    const prevented = n('prevented')
    const missed = n('missed')
    const falseAlarms = n('false-alarm')
    const leads = ev.filter((e) => e.leadMs !== null && e.outcome !== 'false-alarm').map((e) => (e.leadMs as number) / 3_600_000).sort((a, b) => a - b)
    const due = caught + prevented + missed
    return {
      mode, caught, prevented, missed, pending: n('pending'), falseAlarms, late: lateCount,
      precision: caught + prevented + falseAlarms === 0 ? null : (caught + prevented) / (caught + prevented + falseAlarms),
      recall: due === 0 ? null : (caught + prevented) / due,
      leadHours: leads.length === 0 ? null : { median: median(leads), min: leads[0]!, max: leads[leads.length - 1]! },
    }
  }
  // An alert that caught one fault is not late for another (an older, still uncleared record of the same tap).
  for (const id of used) late.delete(id)
  const lateOf = (mode: string): number => i.alerts.filter((a) => a.mode === mode && late.has(a.alertId)).length
  return {
    asOf: i.asOf, from: i.from, horizonMs: h, events,
    modes: modes.map((m) => summarize(m, events.filter((e) => e.mode === m), lateOf(m))),
    total: summarize('all', events, late.size),
  }
}

function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2
}

/**
 * The live report from a stack's ClickHouse: alerts so far, ground truth, the modes scored (distinct in predictions),
 * `from` = the first scoring round, `asOf` = the newest telemetry or prediction. Undefined when nothing was scored.
 */
export async function readLiveReport(client: ClickHouseClient, o: { horizonMs?: number } = {}): Promise<LiveReport | undefined> {
  let stat: { first: string; last: string; n: string; modes: string[] } | undefined
  try {
    const rs = await client.query({
      query: `SELECT toString(toUnixTimestamp64Milli(min(ts))) AS first, toString(greatest(toUnixTimestamp64Milli(max(ts)),
          (SELECT toUnixTimestamp64Milli(max(ts)) FROM tapflow.health))) AS last, toString(count()) AS n, groupUniqArray(mode) AS modes FROM tapflow.predictions`,
      format: 'JSONEachRow',
    })
    ;[stat] = await rs.json<{ first: string; last: string; n: string; modes: string[] }>()
  } catch (err) {
    throw asClickHouseError(err, 'reading tapflow.predictions')
  }
  if (stat === undefined || Number(stat.n) === 0) return undefined
  const [alerts, truth] = await Promise.all([readAlerts(client), readTruth(client)])
  return liveReport({ alerts, truth, asOf: Number(stat.last), from: Number(stat.first), modes: stat.modes, horizonMs: o.horizonMs })
}

/**
 * Every ground-truth record. Times come as strings: a running stack's read-only SQL port refuses the output setting
 * (output_format_json_quote_64bit_integers) that cloud/models' reader sets.
 */
async function readTruth(client: ClickHouseClient): Promise<GroundTruthRecord[]> {
  const ms = (col: string): string => `toString(toUnixTimestamp64Milli(${col}))`
  try {
    const rs = await client.query({
      query: `SELECT device_id, mode, source, ${ms('onset_ts')} AS onset, ${ms('failure_ts')} AS failure, if(cleared_at IS NULL, NULL, ${ms('assumeNotNull(cleared_at)')}) AS cleared
        FROM tapflow.ground_truth FINAL ORDER BY device_id, onset_ts`,
      format: 'JSONEachRow',
    })
    const rows = await rs.json<{ device_id: string; mode: string; source: string; onset: string; failure: string; cleared: string | null }>()
    return rows.map((r) => ({ deviceId: r.device_id, mode: r.mode, source: r.source, onsetMs: Number(r.onset), failureMs: Number(r.failure), clearedMs: r.cleared === null ? null : Number(r.cleared) }))
  } catch (err) {
    throw asClickHouseError(err, 'reading tapflow.ground_truth')
  }
}
