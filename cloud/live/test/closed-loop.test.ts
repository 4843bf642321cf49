import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../common/index.js'
import { writeFleetDimensions } from '../../../dashboards/index.js'
import { Gateway, migrate, openClickHouse, type ClickHouseHandle, type FrameSource } from '../../../edge-gateway/index.js'
import { SimClock, Simulator, buildRosterFleet, type DeviceTransport, type Frame, type TransportStats } from '../../../firmware-sim/index.js'
import {
  ChampionExplainer, ChampionScorer, FeatureStore, LiveScoring, LmdbOnlineStore, ModelRegistry, PROACTIVE_CATEGORY, gbdtToOnnx, liveReport, maintenanceFeatures,
  openCompany, readAlerts, readGroundTruth, readLiveReport, trainGbdt, type Company,
} from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'

const H = 3_600_000
// Recent: raw telemetry older than 90 days by the wall clock is dropped (retention, migration 7).
const START = Math.floor(Date.now() / (24 * H)) * 24 * H - 4 * 24 * H
const ONSET = 6 * H
const PROGRESSION = 48 * H
/** The technician comes this long after the proactive ticket opens (the support simulation would take about a day). */
const VISIT_AFTER = 6 * H
const ROUND_EVERY = 2 * H
const UNTIL = START + 40 * H

const NO_SOURCE: FrameSource = { description: 'closed-loop test (direct)', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

let server: TestServer | undefined
let dir: string
let ch: ClickHouseHandle
let company: Company

beforeAll(async () => {
  server = await startTestServer()
  if (server === undefined) return
  dir = mkdtempSync(join(tmpdir(), 'tapflow-live-loop-'))
  ch = openClickHouse({ path: join(dir, 'clickhouse') })
  await migrate(ch.client)
  company = await openCompany({ databaseUrl: await server.createDatabase('live_loop'), seed: 5, devices: 12, startMs: START, historyDays: 3, logger: silentLogger })
  await company.runHistory(false) // the business's first days install its customers' taps: the roster
}, 300_000)

afterAll(async () => {
  await company?.close()
  await ch?.client.close()
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/**
 * A small champion: one GBDT for cooling-failure over the live feature vector, trained on rows where only the keg
 * temperature varies (every other feature constant, so no tree splits on it): risky above the warmest set point
 * + 2.5 °C. Exported to ONNX (what cloud/inference scores) with model.json as training writes it.
 */
async function registerChampion(registry: ModelRegistry, warmestSetpoint: number): Promise<void> {
  const names = maintenanceFeatures().map((f) => f.name)
  const col = names.indexOf('keg_temp_c')
  expect(col).toBeGreaterThanOrEqual(0)
  const rows = 600
  const values = new Float32Array(rows * names.length)
  const y = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    const t = warmestSetpoint - 3 + (15 * r) / rows
    values[r * names.length + col] = t
    y[r] = t > warmestSetpoint + 2.5 ? 1 : 0
  }
  const gbdt = trainGbdt({ rows, cols: names.length, values }, y, { objective: 'binary', iterations: 15, minSamplesLeaf: 10 })
  const manifest = { schema: 'tapflow.model/1', name: 'maintenance', kind: 'maintenance', featureNames: names, targets: { 'cooling-failure': { objective: 'binary', onnx: 'model.cooling-failure.onnx', threshold: 0.5, trees: gbdt.treeCount, gbdt: gbdt.toJSON() } } }
  const v = await registry.registerVersion({
    name: 'maintenance', artifacts: { 'model.json': JSON.stringify(manifest), 'model.cooling-failure.onnx': gbdtToOnnx(gbdt, { featureNames: names, name: 'maintenance_cooling' }) },
    metrics: { 'cooling-failure': { lead_median_h: 30 } }, params: {}, featureViews: [], window: { from: 0, to: 1, source: 'synthetic' }, codeVersion: 'test',
  })
  await registry.setAlias('maintenance', 'champion', v.version)
}

describe('the closed loop: a failing tap → features → champion → alert → proactive ticket → repair', () => {
  it('alerts before the ground-truth failure, opens a proactive ticket for its account, and resolves after the repair', async (ctx) => {
    if (server === undefined) return ctx.skip()
    const roster = await company.roster()
    const fleet = buildRosterFleet({ seed: 5, venues: roster })
    const accountOf = new Map(roster.map((v) => [v.venueId, v.accountId]))
    const victim = fleet.devices[0]!
    expect(fleet.devices.length).toBeGreaterThan(3)
    await writeFleetDimensions(ch.client, fleet, { accountOf: (v) => accountOf.get(v) })

    const registry = await ModelRegistry.open({ db: company.business.db, artifactsDir: join(dir, 'models') })
    await registerChampion(registry, Math.max(...fleet.venues.map((v) => v.setpointC)) + 0.4)
    const clock = new SimClock({ start: START, speed: 'max' })
    const online = new LmdbOnlineStore({ path: join(dir, 'online') })
    const store = new FeatureStore({ clickhouse: ch.client, online, clock })
    const scorer = await ChampionScorer.open({ registry, online: store })
    const live = new LiveScoring({
      clickhouse: ch.client, scorer, clock, explainer: (m, v) => ChampionExplainer.load(registry, `${m}@${v}`), tickets: (t) => company.openProactiveTicket(t),
    })
    const gateway = new Gateway({ source: NO_SOURCE, clickhouse: ch, clock, logger: silentLogger, batch: { maxRows: 50_000, maxDelayMs: 200 } })
    await gateway.start()

    let nextRound = START + ROUND_EVERY
    let repairedAt: number | undefined
    // Between scheduler events, at simulated time: every ROUND_EVERY the gateway flushes, the store materializes and the
    // loop scores; VISIT_AFTER past the proactive ticket, the technician clears the tap's fault (as a solved ticket does in up).
    const between = async (): Promise<void> => {
      const now = clock.now()
      if (now < nextRound) return
      nextRound += ROUND_EVERY
      await gateway.flush()
      await store.materialize({ at: now })
      await live.round(now)
      const open = live.openAlerts().find((a) => a.deviceId === victim.deviceId)
      if (open !== undefined && repairedAt === undefined && open.ticketId !== '' && now >= open.openedAt + VISIT_AFTER) {
        const d = sim.device(victim.deviceId)!
        sim.injector.clear(d, now, () => true)
        repairedAt = now
      }
    }
    const stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
    const transport: DeviceTransport = {
      stats,
      connect: async () => undefined,
      publish: (f: Frame) => {
        stats.sent++
        gateway.handle(f.topic, f.payload, () => stats.acked++)
      },
      publishRecord: (topic, payload) => gateway.handle(topic, payload, () => undefined),
      backpressure: () => (clock.now() >= nextRound || stats.sent - stats.acked > 50_000 ? between().then(() => gateway.flush()) : undefined),
      flush: () => gateway.flush(),
      close: async () => undefined,
    }
    const sim = new Simulator({
      fleet, clock, transport, until: UNTIL, logger: silentLogger,
      profiles: [{ deviceId: victim.deviceId, profile: 'cooling-failure', params: { onset: ONSET, progression: PROGRESSION, max_rise_c: 10 }, where: 'closed-loop test' }],
    })
    try {
      await sim.start()
      await sim.close()
      await gateway.flush()
      await live.round(UNTIL) // one more round after the repair landed
    } finally {
      await gateway.close()
      await live.close()
      await scorer.close()
      await online.close()
    }

    const [truth] = (await readGroundTruth(ch.client, 0, UNTIL + H)).filter((r) => r.deviceId === victim.deviceId && r.mode === 'cooling-failure')
    expect(truth).toBeDefined()
    expect(truth!.failureMs).toBe(START + ONSET + PROGRESSION)
    const alerts = await readAlerts(ch.client)
    const mine = alerts.filter((a) => a.deviceId === victim.deviceId && a.mode === 'cooling-failure')
    // 1-2: the alert opened before the failure ground truth says was coming, with an expected time and its evidence.
    expect(mine).toHaveLength(1)
    const alert = mine[0]!
    expect(alert.openedAt).toBeGreaterThan(START + ONSET)
    expect(alert.openedAt).toBeLessThan(truth!.failureMs)
    expect(alert.expectedFailureAt).toBe(alert.openedAt + 30 * H)
    expect(alert.topFeatures[0]?.feature).toBe('keg_temp_c')
    expect(alert.risk).toBeGreaterThanOrEqual(0.5)
    // 3: a proactive ticket for the tap's account.
    const tickets = (await company.business.db.query(`SELECT ticket_id, account_id, device_id, category, fault_kind, status FROM support_tickets WHERE device_id = $1`, [victim.deviceId])).rows
    expect(tickets).toEqual([{ ticket_id: alert.ticketId, account_id: accountOf.get(victim.venueId), device_id: victim.deviceId, category: PROACTIVE_CATEGORY, fault_kind: 'cooling-failure', status: 'open' }])
    // 4: repaired (profile cleared, ground truth cleared_at) → the alert resolved as repaired, and stayed closed.
    expect(repairedAt).toBeDefined()
    expect(truth!.clearedMs).toBe(repairedAt)
    expect(alert).toMatchObject({ status: 'resolved', resolution: 'repaired' })
    expect(alert.resolvedAt).toBe(repairedAt)
    // Healthy taps raised nothing; every tap was scored every round; the live report counts a failure prevented.
    expect(alerts.filter((a) => a.deviceId !== victim.deviceId)).toEqual([])
    const rs = await ch.client.query({ query: `SELECT uniqExact(device_id) AS devices, uniqExact(ts) AS rounds FROM tapflow.predictions`, format: 'JSONEachRow' })
    const [p] = await rs.json<{ devices: number; rounds: number }>()
    expect(Number(p?.devices)).toBe(fleet.devices.length)
    expect(Number(p?.rounds)).toBeGreaterThanOrEqual(19)
    const report = liveReport({ alerts, truth: await readGroundTruth(ch.client, 0, UNTIL + H), asOf: UNTIL, from: START, modes: ['cooling-failure'] })
    expect(report.total).toMatchObject({ prevented: 1, caught: 0, missed: 0, falseAlarms: 0, recall: 1, precision: 1 })
    expect((await readLiveReport(ch.client))?.total).toMatchObject({ prevented: 1, missed: 0, falseAlarms: 0 })
    // The investor report: once the alert's day is closed by the DAG, its month counts the proactive ticket.
    const day = new Date(alert.openedAt).toISOString().slice(0, 10)
    await company.closeDay(day)
    const investor = await company.business.report({ month: day.slice(0, 7), outDir: join(dir, 'report') })
    expect(investor.model.metrics.proactiveTickets).toBe(1)
    expect(readFileSync(investor.markdownPath, 'utf8')).toMatch(/Proactive maintenance.*1 tickets from model alerts; failures foreseen \d+, without one \d+/)
    await registry.close()
  }, 600_000)
})
