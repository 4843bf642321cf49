import type { ClickHouseClient } from '@clickhouse/client'
import { silentLogger, type Clock, type Logger } from '../../common/index.js'
import { asClickHouseError } from '../../edge-gateway/index.js'
import { AlertBook, type Alert, type AlertBookOptions, type AlertChange } from './alerts.js'
import { UnknownEntityError, type EntityScore } from '../inference/index.js'
import type { ChampionExplainer, LiveScorer } from './champion.js'
import type { TicketDesk } from './tickets.js'

export interface LiveScoringOptions {
  clickhouse: ClickHouseClient
  scorer: LiveScorer
  /** The champion's GBDT for top features and lead times, for the scorer's model and version. Required. */
  explainer: (model: string, version: number) => Promise<ChampionExplainer>
  /** Opens a proactive ticket for each new alert. Default: none (alerts only). */
  tickets?: TicketDesk
  /** The fleet's clock: rounds are stamped with simulated time. Required. */
  clock: Clock
  alerts?: AlertBookOptions
  /** Features listed per alert. Default: 3. */
  topFeatures?: number
  /** Entities per scoring call. Default: 1,000. */
  batch?: number
  logger?: Logger
}

export interface RoundSummary {
  at: number
  devices: number
  model: string
  version: number
  opened: number
  updated: number
  resolved: number
  tickets: number
  open: number
  ms: number
}

const chTs = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * Live scoring: every live tap (tapflow.devices, not decommissioned) is scored by the champion; every score goes to
 * `tapflow.predictions`, and the alert book turns them into `tapflow.alerts` rows, each new alert into a proactive
 * ticket. Rounds run one at a time, whoever asks (the schedule or on demand).
 */
export class LiveScoring implements AsyncDisposable {
  private readonly book: AlertBook
  private readonly log: Logger
  private lane: Promise<unknown> = Promise.resolve()
  private restored = false
  private last: RoundSummary | undefined

  constructor(private readonly o: LiveScoringOptions) {
    this.book = new AlertBook(o.alerts)
    this.log = (o.logger ?? silentLogger).child({ component: 'live' })
  }

  /** The last round's summary, for the dashboard. */
  lastRound(): RoundSummary | undefined {
    return this.last
  }

  openAlerts(): Alert[] {
    return this.book.open()
  }

  /** Score every live tap as of `at` (default: the clock), after any round in flight. */
  round(at?: number): Promise<RoundSummary> {
    const run = this.lane.then(() => this.run(at ?? this.o.clock.now()))
    this.lane = run.catch(() => undefined)
    return run
  }

  private async run(at: number): Promise<RoundSummary> {
    const t0 = performance.now()
    if (!this.restored) {
      this.book.restore(await readOpenAlerts(this.o.clickhouse))
      this.restored = true
    }
    const info = this.o.scorer.info()
    const explainer = await this.o.explainer(info.model, info.version)
    const devices = await this.query<{ device_id: string; venue_id: string; account_id: string }>(
      'SELECT device_id, argMax(venue_id, updated_at) AS venue_id, argMax(account_id, updated_at) AS account_id FROM tapflow.devices GROUP BY device_id HAVING argMax(decommissioned_at, updated_at) IS NULL ORDER BY device_id', {})
    const changes: AlertChange[] = []
    // Repairs first: an alert whose tap was repaired resolves as repaired, not by its next score.
    for (const r of await this.repairs()) changes.push(...this.book.repaired(r.device_id, Number(r.cleared)))
    const predictions: Record<string, unknown>[] = []
    const batch = this.o.batch ?? 1_000
    for (let i = 0; i < devices.length; i += batch) {
      const chunk = devices.slice(i, i + batch)
      const byId = new Map(chunk.map((d) => [d.device_id, d]))
      for (const s of await this.score([...byId.keys()])) {
        const d = byId.get(s.entityId)!
        const row = explainer.row(s.features)
        for (const m of s.scores) {
          predictions.push({ ts: chTs(at), device_id: d.device_id, venue_id: d.venue_id, account_id: d.account_id, model: s.model, version: s.version, mode: m.mode, score: m.score, features_hash: s.featuresHash.toString() })
          if (!explainer.alerts(m.mode)) continue
          const lead = explainer.leadMs(m.mode)
          const c = this.book.observe({
            deviceId: d.device_id, venueId: d.venue_id, accountId: d.account_id, mode: m.mode, model: s.model, version: s.version,
            risk: m.score, threshold: m.threshold, at, expectedFailureAt: lead === null ? null : at + lead,
            topFeatures: () => explainer.top(m.mode, row, this.o.topFeatures ?? 3),
          })
          if (c !== undefined) changes.push(c)
        }
      }
    }
    await this.insert('tapflow.predictions', predictions)
    let tickets = 0
    for (const c of changes.filter((x) => x.kind === 'opened')) {
      const t = await this.o.tickets?.({ alertId: c.alert.alertId, deviceId: c.alert.deviceId, mode: c.alert.mode, day: dayOf(at) })
      if (t === undefined) continue
      if (t.opened) tickets += 1
      const linked = this.book.linkTicket(c.alert.alertId, t.ticketId, at)
      if (linked !== undefined) changes.push(linked)
    }
    await this.insert('tapflow.alerts', changes.map((c) => alertRow(c.alert)))
    const count = (k: AlertChange['kind']): number => changes.filter((c) => c.kind === k).length
    const s: RoundSummary = {
      at, devices: devices.length, model: info.model, version: info.version, opened: count('opened'), updated: count('updated'),
      resolved: count('resolved'), tickets, open: this.book.open().length, ms: Math.round(performance.now() - t0),
    }
    this.last = s
    this.log.info({ ...s, at: new Date(at).toISOString() }, 'live scoring round')
    return s
  }

  /** Scores of the ids the online store knows: a tap installed since the last materialization is scored next round. */
  private async score(ids: string[]): Promise<EntityScore[]> {
    try {
      return await this.o.scorer.scoreEntities(ids)
    } catch (err) {
      if (!(err instanceof UnknownEntityError)) throw err
      const unknown = new Set(err.ids)
      const known = ids.filter((id) => !unknown.has(id))
      this.log.debug({ unknown: unknown.size }, 'taps without online features yet: not scored this round')
      return known.length === 0 ? [] : this.o.scorer.scoreEntities(known)
    }
  }

  /** Devices with open alerts whose fault was cleared (repaired or flashed): the newest clearance per device. */
  private async repairs(): Promise<{ device_id: string; cleared: string }[]> {
    const ids = [...new Set(this.book.open().map((a) => a.deviceId))]
    if (ids.length === 0) return []
    return this.query(`SELECT device_id, toString(toUnixTimestamp64Milli(max(assumeNotNull(cleared_at)))) AS cleared FROM tapflow.ground_truth FINAL
      WHERE device_id IN {ids:Array(String)} AND cleared_at IS NOT NULL GROUP BY device_id`, { ids })
  }

  private async query<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    try {
      const rs = await this.o.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })
      return await rs.json<T>()
    } catch (err) {
      throw asClickHouseError(err, 'live scoring')
    }
  }

  private async insert(table: string, values: Record<string, unknown>[]): Promise<void> {
    if (values.length === 0) return
    try {
      await this.o.clickhouse.insert({ table, values, format: 'JSONEachRow' })
    } catch (err) {
      throw asClickHouseError(err, `writing ${table}`)
    }
  }

  async close(): Promise<void> {
    await this.lane
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function alertRow(a: Alert): Record<string, unknown> {
  return {
    alert_id: a.alertId, device_id: a.deviceId, venue_id: a.venueId, account_id: a.accountId, mode: a.mode, model: a.model, version: a.version,
    risk: a.risk, threshold: a.threshold, opened_at: chTs(a.openedAt), expected_failure_at: a.expectedFailureAt === null ? null : chTs(a.expectedFailureAt),
    top_features: JSON.stringify(a.topFeatures), status: a.status, resolved_at: a.resolvedAt === null ? null : chTs(a.resolvedAt),
    resolution: a.resolution, ticket_id: a.ticketId, updated_at: chTs(a.updatedAt),
  }
}

const ms = (col: string): string => `toUnixTimestamp64Milli(${col})`

/** Every alert as it stands now (the newest row of each), oldest first. */
export async function readAlerts(client: ClickHouseClient, filter: 'open' | 'all' = 'all'): Promise<Alert[]> {
  try {
    const rs = await client.query({
      query: `SELECT alert_id, device_id, venue_id, account_id, mode, model, version, risk, threshold, toString(${ms('opened_at')}) AS opened,
          if(expected_failure_at IS NULL, NULL, toString(${ms('assumeNotNull(expected_failure_at)')})) AS expected, top_features, status,
          if(resolved_at IS NULL, NULL, toString(${ms('assumeNotNull(resolved_at)')})) AS resolved, resolution, ticket_id, toString(${ms('updated_at')}) AS updated
        FROM tapflow.alerts FINAL ${filter === 'open' ? "WHERE status = 'open'" : ''} ORDER BY opened_at, alert_id`,
      format: 'JSONEachRow',
    })
    const rows = await rs.json<{
      alert_id: string; device_id: string; venue_id: string; account_id: string; mode: string; model: string; version: number; risk: number; threshold: number
      opened: string; expected: string | null; top_features: string; status: string; resolved: string | null; resolution: string; ticket_id: string; updated: string
    }>()
    return rows.map((r) => ({
      alertId: r.alert_id, deviceId: r.device_id, venueId: r.venue_id, accountId: r.account_id, mode: r.mode, model: r.model, version: Number(r.version),
      risk: r.risk, threshold: r.threshold, openedAt: Number(r.opened), expectedFailureAt: r.expected === null ? null : Number(r.expected),
      topFeatures: JSON.parse(r.top_features || '[]') as Alert['topFeatures'], status: r.status === 'open' ? 'open' : 'resolved',
      resolvedAt: r.resolved === null ? null : Number(r.resolved), resolution: r.resolution === 'repaired' || r.resolution === 'risk-fell' ? r.resolution : '',
      ticketId: r.ticket_id, updatedAt: Number(r.updated),
    }))
  } catch (err) {
    throw asClickHouseError(err, 'reading tapflow.alerts')
  }
}

const readOpenAlerts = (client: ClickHouseClient): Promise<Alert[]> => readAlerts(client, 'open')
