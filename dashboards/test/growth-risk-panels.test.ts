import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { chTime } from '../src/db.js'
import { DashboardServer, type DeviceRow } from '../index.js'
import { funnelRow, topGroups, type GrowthData, type ProductEvent } from '../src/growth-panel.js'
import type { DeviceRiskPanel } from '../src/device-panel.js'

/**
 * The Growth view's and the risk panels' SQL against real chDB (migration 9's tables), with rows inserted here in
 * the shape the capture endpoint, the simulated visitors and live scoring write. Every figure below is counted by
 * hand from those rows.
 */
const H = 3_600_000
const T = Date.UTC(2026, 10, 27, 18) // the newest scoring round and the day of most events
const DAY = Date.UTC(2026, 10, 27)

let dir: string
let ch: ClickHouseHandle
let reader: ClickHouseHandle
let server: DashboardServer

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(server.url + path)
  return { status: res.status, body: (await res.json()) as T }
}

const insert = (table: string, values: Record<string, unknown>[]): Promise<unknown> => ch.client.insert({ table: `tapflow.${table}`, values, format: 'JSONEachRow' })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapflow-growth-risk-'))
  ch = openClickHouse({ path: join(dir, 'clickhouse') })
  await migrate(ch.client)
  // The dashboard's own read-only session, as in tapflow up (chDB keeps readonly=2 per session).
  reader = openClickHouse({ path: join(dir, 'clickhouse') })
  server = new DashboardServer({ client: reader.client, port: 0 })
  await server.listen()
  await insert('devices', ['tap-a', 'tap-b', 'tap-c', 'tap-d', 'tap-e'].map((d, i) => ({
    device_id: d, venue_id: 'ven-1', line_id: i + 1, beverage_id: 'bev-lager', keg_size_ml: 50_000, firmware: '1.4.0', account_id: 'ACC_1',
  })))
})

afterAll(async () => {
  await server?.close()
  await reader?.client.close()
  await ch?.client.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('empty tables (no predictions, no product events yet)', () => {
  it('growth answers zeros with every day of the range, and an empty stream', async () => {
    const g = await get<GrowthData>('/api/growth?range=3d&to=2026-11-28T00:00:00Z')
    expect(g.status).toBe(200)
    expect(g.body.totals).toMatchObject({ events: 0, visitors: 0, sessions: 0 })
    expect(g.body.funnel.all.steps.map((s) => [s.visitors, s.fromPrevious, s.fromStart])).toEqual(Array(6).fill([0, null, null]))
    expect(g.body.funnel.bySource.map((r) => r.key)).toEqual(['real', 'simulated'])
    expect(g.body.daily.map((d) => d.day)).toEqual([DAY - 2 * 86_400_000, DAY - 86_400_000, DAY])
    expect(g.body.pages).toEqual([])
    expect((await get<ProductEvent[]>('/api/growth/events')).body).toEqual([])
    // Without events, the range ends at the wall clock.
    const now = await get<GrowthData>('/api/growth?range=1d')
    expect(now.status).toBe(200)
    expect(Math.abs(now.body.to - Date.now())).toBeLessThan(60_000)
    expect(now.body.daily.length).toBeGreaterThanOrEqual(1)
  })

  it('fleet has no risk and the at-risk filter is empty; the device view has an empty risk panel', async () => {
    const f = await get<{ devices: DeviceRow[] }>('/api/fleet')
    expect(f.body.devices).toHaveLength(5)
    expect(f.body.devices.every((d) => d.risk === null)).toBe(true)
    expect((await get<{ devices: DeviceRow[] }>('/api/fleet?status=risk')).body.devices).toEqual([])
    const d = await get<{ risk: DeviceRiskPanel }>(`/api/device?id=tap-a&to=${T}`)
    expect(d.status).toBe(200)
    expect(d.body.risk).toEqual({ series: [], alerts: [], truth: [] })
  })
})

describe('risk column, alert filter and device risk', () => {
  beforeAll(async () => {
    const p = (device_id: string, mode: string, ts: number, score: number): Record<string, unknown> => ({
      ts: chTime(ts), device_id, venue_id: 'ven-1', account_id: 'ACC_1', model: `maintenance-${mode}`, version: 3, mode, score, features_hash: 1,
    })
    await insert('predictions', [
      p('tap-a', 'cooling-failure', T - 2 * H, 0.2), p('tap-a', 'cooling-failure', T - H, 0.5), p('tap-a', 'cooling-failure', T, 0.8),
      p('tap-a', 'flow-meter-drift', T - 2 * H, 0.1), p('tap-a', 'flow-meter-drift', T - H, 0.15), p('tap-a', 'flow-meter-drift', T, 0.3),
      // tap-b was high once, long ago: its newest score is its risk.
      p('tap-b', 'cooling-failure', T - 30 * H, 0.9), p('tap-b', 'cooling-failure', T - 2 * H, 0.05),
      // tap-c was last scored more than a day before the newest round: not current.
      p('tap-c', 'cooling-failure', T - 30 * H, 0.7),
    ])
    const a = (alert_id: string, device_id: string, risk: number, updated: number, resolved: number | null): Record<string, unknown> => ({
      alert_id, device_id, venue_id: 'ven-1', account_id: 'ACC_1', mode: 'cooling-failure', model: 'maintenance-cooling-failure', version: 3, risk,
      threshold: 0.42, opened_at: chTime(T - H), expected_failure_at: chTime(T + 5 * H),
      top_features: JSON.stringify([
        { feature: 'temp_max_c_6h', value: 9.5, contribution: 0.21 },
        { feature: 'pour_count_24h', value: 40, contribution: -0.05 },
        { feature: 'temp_slope_c_per_h', value: 0.8, contribution: 0.33 },
      ]),
      status: resolved === null ? 'open' : 'resolved', resolved_at: resolved === null ? null : chTime(resolved), ticket_id: 'TCK_000001', updated_at: chTime(updated),
    })
    await insert('alerts', [
      a('al-a', 'tap-a', 0.5, T - H, null), a('al-a', 'tap-a', 0.8, T, null), // the newer version wins under FINAL
      a('al-b', 'tap-b', 0.6, T - 10 * H, null), a('al-b', 'tap-b', 0.05, T - 2 * H, T - 2 * H), // resolved
      a('al-d', 'tap-d', 0.7, T, null), // open, but no prediction in the table
    ])
    await insert('ground_truth', [{
      record_id: 'gt-1', device_id: 'tap-a', recorded_at: chTime(T - 3 * H), venue_id: 'ven-1', mode: 'cooling-failure',
      onset_ts: chTime(T - 3 * H), failure_ts: chTime(T + 5 * H), parameters: '{}', source: 'profile', cleared_at: null, received_at: chTime(T - 3 * H),
    }])
  })

  it('fleet rows carry the highest current mode score and the open alerts', async () => {
    const f = await get<{ devices: DeviceRow[] }>('/api/fleet')
    const risk = Object.fromEntries(f.body.devices.map((d) => [d.deviceId, d.risk]))
    expect(risk['tap-a']).toEqual({ score: 0.8, mode: 'cooling-failure', scoredAt: T, openAlerts: ['cooling-failure'] })
    expect(risk['tap-b']).toEqual({ score: 0.05, mode: 'cooling-failure', scoredAt: T - 2 * H, openAlerts: [] })
    expect(risk['tap-c']).toBeNull()
    expect(risk['tap-d']).toEqual({ score: null, mode: null, scoredAt: null, openAlerts: ['cooling-failure'] })
    expect(risk['tap-e']).toBeNull()
  })

  it('the at-risk filter keeps the devices with an open alert, and only them', async () => {
    const f = await get<{ devices: DeviceRow[] }>('/api/fleet?status=risk')
    expect(f.body.devices.map((d) => d.deviceId)).toEqual(['tap-a', 'tap-d'])
  })

  it('the device view has risk over time per mode, its alert with contributions, and ground truth to overlay', async () => {
    const d = await get<{ risk: DeviceRiskPanel }>(`/api/device?id=tap-a&range=24h&to=${T + 1}`)
    expect(d.status).toBe(200)
    expect(d.body.risk.series).toEqual([
      { mode: 'cooling-failure', points: [[T - 2 * H, 0.2], [T - H, 0.5], [T, 0.8]] },
      { mode: 'flow-meter-drift', points: [[T - 2 * H, 0.1], [T - H, 0.15], [T, 0.3]] },
    ])
    expect(d.body.risk.alerts).toHaveLength(1)
    expect(d.body.risk.alerts[0]).toMatchObject({
      alertId: 'al-a', risk: 0.8, threshold: 0.42, status: 'open', openedAt: T - H, expectedFailureAt: T + 5 * H, resolvedAt: null, ticketId: 'TCK_000001',
    })
    // Largest contribution first, by magnitude.
    expect(d.body.risk.alerts[0]!.topFeatures.map((f) => f.feature)).toEqual(['temp_slope_c_per_h', 'temp_max_c_6h', 'pour_count_24h'])
    expect(d.body.risk.truth).toEqual([{ mode: 'cooling-failure', onset: T - 3 * H, failure: T + 5 * H, cleared: null }])
    // A range before any score: no points, the alert history still shows.
    const before = await get<{ risk: DeviceRiskPanel }>(`/api/device?id=tap-a&range=1h&to=${T - 5 * H}`)
    expect(before.body.risk.series).toEqual([])
    const b = await get<{ risk: DeviceRiskPanel }>(`/api/device?id=tap-b&range=24h&to=${T + 1}`)
    expect(b.body.risk.alerts).toMatchObject([{ alertId: 'al-b', status: 'resolved', resolvedAt: T - 2 * H }])
  })
})

describe('growth', () => {
  const D = DAY + 10 * H
  let n = 0
  const ev = (source: 'real' | 'simulated', distinct_id: string, event: string, ts: number, props: Record<string, unknown> = {}, uuid = `u-${++n}`): Record<string, unknown> => ({
    uuid, event, distinct_id, session_id: `s-${distinct_id}`, properties: JSON.stringify({ distinct_id, ...props }), timestamp: chTime(ts), source,
  })

  beforeAll(async () => {
    const s = 1000
    await insert('product_events', [
      // r1: a real visitor from a cpc campaign who signs up.
      ev('real', 'r1', '$pageview', D, { $pathname: '/', utm_campaign: 'launch', utm_medium: 'cpc', utm_source: 'search' }),
      ev('real', 'r1', 'home_viewed', D + s, { $pathname: '/' }),
      ev('real', 'r1', 'pricing_viewed', D + 10 * s, { $pathname: '/pricing' }),
      ev('real', 'r1', 'pricing_calculator_used', D + 20 * s, { $pathname: '/pricing', tier: 'pro' }),
      ev('real', 'r1', 'signup_started', D + 30 * s),
      ev('real', 'r1', 'signup_completed', D + 40 * s, {}, 'u-retried'),
      // r2 only looks; r3 starts a signup without any page view (not in the funnel's first step).
      ev('real', 'r2', '$pageview', D + 50 * s, { $current_url: 'http://127.0.0.1:3000/?ref=x' }),
      ev('real', 'r2', 'home_viewed', D + 51 * s, { $pathname: '/' }),
      ev('real', 'r3', 'signup_started', D + 60 * s),
      // s1 goes all the way; s2's UTM campaign wins over its plain campaign; s4 does things out of order.
      ev('simulated', 's1', 'home_viewed', D, { $pathname: '/', campaign: 'CMP_0001', channel: 'google_ads' }),
      ev('simulated', 's1', 'demo_requested', D + H),
      ev('simulated', 's1', 'signup_started', D + 2 * H),
      ev('simulated', 's1', 'signup_completed', D + 3 * H),
      ev('simulated', 's1', 'trial_activated', D + 4 * H),
      ev('simulated', 's1', 'plan_upgraded', D + 5 * H),
      ev('simulated', 's2', 'features_viewed', D, { $current_url: 'http://127.0.0.1:3000/features?x=1', campaign: 'CMP_0001', utm_campaign: 'spring' }),
      ev('simulated', 's2', 'demo_requested', D + s),
      ev('simulated', 's3', 'home_viewed', D - 86_400_000, { $pathname: '/' }),
      ev('simulated', 's4', 'signup_started', D),
      ev('simulated', 's4', 'home_viewed', D + s, { $pathname: '/' }),
    ])
    // posthog-js retried a batch: the same uuid again, received later.
    await insert('product_events', [{ ...ev('real', 'r1', 'signup_completed', D + 40 * s, {}, 'u-retried'), received_at: chTime(Date.now() + 1000) }])
  })

  const to = `to=${DAY + 86_400_000}`

  it('funnel counts visitors through the steps in order, with conversion per step, by source, campaign and channel', async () => {
    // The default range ends just after the newest event.
    expect((await get<GrowthData>('/api/growth?range=7d')).body.to).toBe(D + 5 * H + 1)
    const { body: g } = await get<GrowthData>(`/api/growth?range=7d&${to}`)
    const counts = (key: string, rows: GrowthData['funnel']['byCampaign']): number[] | undefined => rows.find((r) => r.key === key)?.steps.map((s) => s.visitors)
    expect(g.funnel.steps.map((s) => s.step)).toEqual(['visited', 'engaged', 'signup_started', 'signup_completed', 'trial_activated', 'plan_upgraded'])
    expect(g.funnel.all.steps.map((s) => s.visitors)).toEqual([6, 3, 2, 2, 1, 1])
    expect(g.funnel.all.steps.map((s) => s.fromPrevious)).toEqual([1, 0.5, 2 / 3, 1, 0.5, 1])
    expect(g.funnel.all.steps.map((s) => s.fromStart)).toEqual([1, 0.5, 2 / 6, 2 / 6, 1 / 6, 1 / 6])
    expect(counts('real', g.funnel.bySource)).toEqual([2, 1, 1, 1, 0, 0])
    expect(counts('simulated', g.funnel.bySource)).toEqual([4, 2, 1, 1, 1, 1])
    expect(g.funnel.byCampaign.map((r) => r.key)).toEqual(['(none)', 'CMP_0001', 'launch', 'spring'])
    expect(counts('(none)', g.funnel.byCampaign)).toEqual([3, 0, 0, 0, 0, 0])
    expect(counts('CMP_0001', g.funnel.byCampaign)).toEqual([1, 1, 1, 1, 1, 1])
    expect(counts('launch', g.funnel.byCampaign)).toEqual([1, 1, 1, 1, 0, 0])
    expect(counts('spring', g.funnel.byCampaign)).toEqual([1, 1, 0, 0, 0, 0])
    expect(counts('cpc', g.funnel.byChannel)).toEqual([1, 1, 1, 1, 0, 0])
    expect(counts('google_ads', g.funnel.byChannel)).toEqual([1, 1, 1, 1, 1, 1])
    expect(counts('(direct)', g.funnel.byChannel)).toEqual([4, 1, 0, 0, 0, 0])
  })

  it('counts each event once (a retried uuid is not counted twice), by source, taxonomy first', async () => {
    const { body: g } = await get<GrowthData>(`/api/growth?range=7d&${to}`)
    expect(g.totals).toEqual({ events: 20, visitors: 7, sessions: 7, bySource: { real: { events: 9, visitors: 3 }, simulated: { events: 11, visitors: 4 } } })
    expect(g.events.map((e) => [e.event, e.kind, e.real, e.simulated])).toEqual([
      ['home_viewed', 'page view', 2, 3],
      ['pricing_viewed', 'page view', 1, 0],
      ['features_viewed', 'page view', 0, 1],
      ['demo_requested', 'action', 0, 2],
      ['pricing_calculator_used', 'action', 1, 0],
      ['signup_started', 'conversion', 2, 2],
      ['signup_completed', 'conversion', 1, 1],
      ['trial_activated', 'conversion', 0, 1],
      ['plan_upgraded', 'conversion', 0, 1],
      ['$pageview', 'posthog', 2, 0],
    ])
  })

  it('daily active visitors by source, and top pages by visitors with page views', async () => {
    const { body: g } = await get<GrowthData>(`/api/growth?range=3d&${to}`)
    expect(g.daily).toEqual([
      { day: DAY - 2 * 86_400_000, real: 0, simulated: 0 },
      { day: DAY - 86_400_000, real: 0, simulated: 1 },
      { day: DAY, real: 3, simulated: 3 },
    ])
    // '/': real counts its 2 $pageviews (not the home_viewed beside them); simulated sends none, so its 3 home_viewed.
    expect(g.pages).toEqual([
      { page: '/', visitors: 5, views: 5, real: 2, simulated: 3 },
      { page: '/features', visitors: 1, views: 1, real: 0, simulated: 1 },
      { page: '/pricing', visitors: 1, views: 1, real: 1, simulated: 0 },
    ])
  })

  it('filters by source', async () => {
    const { body: g } = await get<GrowthData>(`/api/growth?range=7d&${to}&source=real`)
    expect(g.funnel.all.steps.map((s) => s.visitors)).toEqual([2, 1, 1, 1, 0, 0])
    expect(g.totals.bySource.simulated).toEqual({ events: 0, visitors: 0 })
    expect(g.pages.map((p) => p.page)).toEqual(['/', '/pricing'])
  })

  it('the live stream lists the newest arrivals first, once per uuid, with page and attribution', async () => {
    const { body } = await get<ProductEvent[]>('/api/growth/events?limit=500')
    expect(body).toHaveLength(20)
    expect(body[0]).toMatchObject({ uuid: 'u-retried', event: 'signup_completed', source: 'real', distinctId: 'r1' })
    expect(body.find((e) => e.distinctId === 's2' && e.event === 'features_viewed')).toMatchObject({ page: '/features', campaign: 'spring', channel: '' })
    const real = (await get<ProductEvent[]>('/api/growth/events?source=real&limit=3')).body
    expect(real.map((e) => e.source)).toEqual(['real', 'real', 'real'])
  })

  it('refuses bad parameters with a 400', async () => {
    expect((await get('/api/growth?source=bots')).status).toBe(400)
    expect((await get('/api/growth?range=1y')).status).toBe(400)
    expect((await get('/api/growth/events?limit=0')).status).toBe(400)
    expect((await get('/api/growth?x=1')).status).toBe(400)
  })
})

describe('funnel arithmetic', () => {
  it('keeps the 11 biggest campaigns and sums the rest into (other), step by step', () => {
    // Campaign i has i visitors who stopped at the first step and one who went all six steps.
    const rows = Array.from({ length: 15 }, (_, i) => funnelRow(`c${String(i).padStart(2, '0')}`, new Map([[1, i], [6, 1]])))
    const top = topGroups(rows)
    expect(top).toHaveLength(12)
    expect(top.slice(0, 11).map((r) => r.key)).toEqual(['c14', 'c13', 'c12', 'c11', 'c10', 'c09', 'c08', 'c07', 'c06', 'c05', 'c04'])
    // c00…c03: 0+1+2+3 stopped at the first step, and 4 who converted.
    expect(top[11]!.key).toBe('(other)')
    expect(top[11]!.steps.map((s) => s.visitors)).toEqual([10, 4, 4, 4, 4, 4])
    expect(top[11]!.steps[1]!.fromPrevious).toBe(0.4)
  })
})
