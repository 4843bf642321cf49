import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chTime } from '../src/db.js'
import { ensureWebBuilt } from './build-web.js'
import { startDashboardStack, type DashboardStack } from './stack-fixture.js'

let stack: DashboardStack
let reports: string

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> {
  const res = await fetch(stack.url + path, init)
  const text = await res.text()
  return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as Record<string, unknown> & unknown[] }
}

function tapflow(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin/tapflow.js', ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

async function count(sql: string, params: Record<string, string>): Promise<number> {
  const rs = await stack.writer.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
  return Number(((await rs.json()) as { n: string }[])[0]!.n)
}

beforeAll(async () => {
  ensureWebBuilt()
  stack = await startDashboardStack({ devices: 60, historyDays: 2, liveSpeed: 30 })
  reports = stack.reportsDir
  await stack.live
  await stack.gateway.flush()
})

afterAll(async () => {
  await stack?.close()
})

describe('dashboard API', () => {
  it('overview counts every device, and health classes add up', async () => {
    const { status, body } = await get('/api/overview')
    expect(status).toBe(200)
    expect(body.devices).toBe(60)
    expect(body.venues).toBe(stack.fleet.venues.length)
    expect(body.online as number).toBeGreaterThan(0)
    const h = body.byHealth as Record<string, number>
    expect(h.ok! + h.warn! + h.fault! + h.offline! + h.waiting!).toBe(60)
    // Every tap has history here, so none is still waiting for its first frame.
    expect(h.waiting).toBe(0)
    expect(Array.isArray(body.topAlerts)).toBe(true)
  })

  it('fleet lists devices with venue names and filters by status, venue and text', async () => {
    const all = await get('/api/fleet')
    expect(all.status).toBe(200)
    const devices = all.body.devices as { deviceId: string; venueId: string; venueName: string; online: boolean }[]
    expect(devices).toHaveLength(60)
    const venue = stack.fleet.venues[0]!
    expect(devices.find((d) => d.venueId === venue.venueId)?.venueName).toBe(venue.name)
    const online = (await get('/api/fleet?status=online')).body.devices as { online: boolean }[]
    expect(online.length).toBe(devices.filter((d) => d.online).length)
    expect(online.every((d) => d.online)).toBe(true)
    const one = (await get(`/api/fleet?venue=${venue.venueId}`)).body.devices as { venueId: string }[]
    expect(one.length).toBe(stack.fleet.devices.filter((d) => d.venueId === venue.venueId).length)
    const searched = (await get(`/api/fleet?q=${encodeURIComponent(stack.fleet.devices[3]!.deviceId)}`)).body.devices as { deviceId: string }[]
    expect(searched.map((d) => d.deviceId)).toEqual([stack.fleet.devices[3]!.deviceId])
    // Text is matched, never executed.
    const injected = await get(`/api/fleet?q=${encodeURIComponent("' OR 1=1 --")}`)
    expect(injected.status).toBe(200)
    expect(injected.body.devices).toEqual([])
  })

  it('venues lists every venue with its taps', async () => {
    const { status, body } = await get('/api/venues')
    expect(status).toBe(200)
    const rows = body as unknown as { venueId: string; devices: number; litresLastHour: number }[]
    expect(rows).toHaveLength(stack.fleet.venues.length)
    expect(rows.reduce((s, v) => s + v.devices, 0)).toBe(60)
    // Busiest first, so a new user lands on a venue that is pouring.
    const litres = rows.map((v) => v.litresLastHour)
    expect(litres).toEqual([...litres].sort((a, b) => b - a))
    expect(litres[0]).toBeGreaterThan(0)
  })

  it('venue totals match the raw pours, and every tap has a keg forecast', async () => {
    const venue = stack.fleet.venues[1]!
    const { status, body } = await get(`/api/venue?id=${venue.venueId}&range=7d`)
    expect(status).toBe(200)
    const from = body.from as number
    const to = body.to as number
    const raw = await count(
      `SELECT count() AS n FROM tapflow.pours FINAL WHERE venue_id = {v:String} AND toStartOfHour(ts) >= {f:DateTime64(3)} AND toStartOfHour(ts) < {t:DateTime64(3)}`,
      { v: venue.venueId, f: chTime(from), t: chTime(to) },
    )
    expect(raw).toBeGreaterThan(0)
    expect((body.totals as { pours: number }).pours).toBe(raw)
    const kegs = body.kegs as { deviceId: string; pct: number | null; daysLeft: number | null; reorder: boolean }[]
    expect(kegs.map((k) => k.deviceId).sort()).toEqual(stack.fleet.devices.filter((d) => d.venueId === venue.venueId).map((d) => d.deviceId).sort())
    expect(kegs.some((k) => k.pct !== null && k.pct >= 0 && k.pct <= 100)).toBe(true)
    expect((body.peakHours as unknown[]).length).toBeGreaterThan(0)
    expect((body.info as { timeZone: string }).timeZone).toBe(venue.timeZone)
  })

  it('device view has charts, pours, health and the dead letters for that device', async () => {
    const d = stack.fleet.devices[0]!
    // One undecodable frame on this device's pour topic: the gateway dead-letters it.
    stack.gateway.handle(`tapflow/v1/${d.venueId}/${d.deviceId}/pour`, new Uint8Array([0xff, 0xff, 0xff]), () => undefined)
    await stack.gateway.flush()
    const { status, body } = await get(`/api/device?id=${d.deviceId}&range=2d`)
    expect(status).toBe(200)
    expect((body.info as { deviceId: string }).deviceId).toBe(d.deviceId)
    expect((body.series as unknown[]).length).toBeGreaterThan(0)
    expect((body.pours as unknown[]).length).toBeGreaterThan(0)
    expect((body.health as { firmware: string }[])[0]?.firmware).toBeTruthy()
    expect((body.deadLetters as { reason: string }[]).length).toBeGreaterThanOrEqual(1)
    // The fixture injects no faults, so its ground truth is exactly what this test records for the device.
    expect(body.groundTruth).toEqual([])
    await stack.writer.client.insert({
      table: 'tapflow.ground_truth',
      format: 'JSONEachRow',
      values: [{
        record_id: 'gt-api-1', device_id: d.deviceId, recorded_at: chTime(1_000), venue_id: d.venueId, mode: 'valve_leak',
        onset_ts: chTime(1_000), failure_ts: chTime(2_000), parameters: '{}', source: 'test', cleared_at: null, received_at: chTime(1_000),
      }],
    })
    const withTruth = await get(`/api/device?id=${d.deviceId}&range=2d`)
    expect(withTruth.body.groundTruth).toEqual([expect.objectContaining({ mode: 'valve_leak', source: 'test', record: 'gt-api-1', cleared: null })])
  })

  it('live returns recent pours and rates, and the SSE stream delivers new pours', async () => {
    const snap = await get('/api/live?limit=5')
    expect(snap.status).toBe(200)
    expect((snap.body.pours as unknown[]).length).toBeLessThanOrEqual(5)
    expect(snap.body.rates).toMatchObject({ framesPerS: expect.any(Number), litresPerMin: expect.any(Number) })
    const res = await fetch(`${stack.url}/api/live/stream`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    let text = ''
    while (!text.includes('event: pours')) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    const data = /event: pours\ndata: (.*)\n/.exec(text)![1]!
    expect((JSON.parse(data) as { deviceId: string }[])[0]!.deviceId).toMatch(/^tap-/)
  })

  it('load lists reports when they exist and refuses bad names', async () => {
    expect((await get('/api/load')).body).toEqual([])
    mkdirSync(join(reports, 'load-001'), { recursive: true })
    writeFileSync(join(reports, 'load-001', 'report.json'), JSON.stringify({ summary: { eventsPerDay: 1_200_000 }, throughput: [{ t: 0, framesPerS: 10 }] }))
    const list = (await get('/api/load')).body as unknown as { name: string; summary: unknown }[]
    expect(list).toEqual([expect.objectContaining({ name: 'load-001', summary: { eventsPerDay: 1_200_000 } })])
    expect((await get('/api/load/report?name=load-001')).body.throughput).toHaveLength(1)
    expect((await get('/api/load/report?name=../../etc/passwd')).status).toBe(400)
    expect((await get('/api/load/report?name=load-missing')).status).toBe(404)
  })

  it.each([
    ['/api/device', 400, /missing parameter 'id'/],
    ["/api/device?id=tap'--", 400, /bad id/],
    ['/api/device?id=tap-9999-99', 404, /no device/],
    ['/api/device?id=tap-0001-01&range=100d', 400, /at most 90d/],
    ['/api/device?id=tap-0001-01&range=soon', 400, /bad range/],
    ['/api/device?id=tap-0001-01&to=yesterday', 400, /bad to/],
    ['/api/venue?id=ven-9999', 404, /no venue/],
    ['/api/venue?id=ven-0001&rnage=7d', 400, /unknown parameter 'rnage'/],
    ['/api/fleet?status=broken', 400, /expected one of/],
    [`/api/fleet?q=${'x'.repeat(101)}`, 400, /longer than 100/],
    ['/api/live?limit=0', 400, /from 1 to 500/],
    ['/api/overview?top=abc', 400, /bad top/],
    // Number() would read these as 100, 16, 10, 5 and 100: only plain decimal digits are an integer here.
    ['/api/overview?top=1e2', 400, /bad top '1e2': expected an integer from 1 to 100/],
    ['/api/overview?top=0x10', 400, /bad top/],
    ['/api/overview?top=%2010', 400, /bad top/],
    ['/api/live?limit=5.0', 400, /bad limit/],
    ['/api/overview?top=100.0', 400, /bad top/],
    ['/api/overview?top=101', 400, /from 1 to 100/],
    // Past what DateTime64 holds: it used to reach ClickHouse and come back as a 500.
    ['/api/venue?id=ven-0001&to=999999999999999', 400, /bad to '999999999999999'/],
    ['/api/device?id=tap-0001-01&to=1899-12-31T00:00:00Z', 400, /bad to .*from 2000 to 2100/],
    ['/api/device?id=tap-0001-01&to=0', 400, /bad to/],
    ['/api/venue?id=ven-0001&range=0d', 400, /bad range/],
    ['/api/venue?id=ven-0001&id=ven-0002', 400, /parameter 'id' given more than once/],
    ['/api/fleet?status=online&status=offline', 400, /given more than once/],
    ['/api/device?id=', 400, /missing parameter 'id'/],
    ['/api/nope', 404, /no endpoint/],
  ])('GET %s → %i with a clear error', async (path, status, message) => {
    const r = await get(path)
    expect(r.status).toBe(status)
    expect(r.body.error).toMatch(message)
    expect(r.body.error).not.toContain('\n')
  })

  it('company says whether the business history backfill is running, and how far it got', async () => {
    expect((await get('/api/company')).body).toEqual({ business: false })
    stack.server.setCompanyStatus(() => ({ business: true, backfill: { state: 'running', daysDone: 3, daysTotal: 30 } }))
    const r = await get('/api/company')
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ business: true, backfill: { state: 'running', daysDone: 3, daysTotal: 30 } })
    expect((await get('/api/company?x=1')).status).toBe(400)
  })

  it('platform says off without a lake, then lists lake tables in layer order with freshness and the last run', async () => {
    expect((await get('/api/platform')).body).toMatchObject({ state: 'off', tables: [], lastRun: null })
    const table = (name: string, lagSeconds: number, maxAgeHours: number | null) => ({
      table: name, rows: 12, dataFiles: 2, snapshots: 3, lastSnapshotId: '4242', lastSnapshotAt: '2026-11-30 12:00:00.000', lagSeconds, maxAgeHours,
    })
    stack.server.setPlatformStatus(async () => ({
      state: 'following', dir: 'data/lake', error: null, cdc: { transactions: 3, changes: 40, commits: 2, lastAckLsn: '0/16B3748' }, readAt: '2026-11-30T12:00:05.000Z',
      tables: [table('entity.entity_customers', 30, null), table('staging.stg_customers', 30, null), table('raw.customers', 200_000, 48)],
      lastRun: { day: '2026-11-29', finishedAt: '2026-11-30T12:00:04.000Z', ms: 2100, ok: false, error: '1 model test(s) failed', built: 18, skipped: 0, tests: [{ test: 'stg_customers.unique(customer_id)', failing: 2 }] },
    }))
    const r = await get('/api/platform')
    expect(r.status).toBe(200)
    expect((r.body.tables as { table: string }[]).map((t) => t.table)).toEqual(['raw.customers', 'staging.stg_customers', 'entity.entity_customers'])
    expect(r.body.lastRun).toMatchObject({ ok: false, tests: [{ test: 'stg_customers.unique(customer_id)', failing: 2 }] })
    expect((await get('/api/platform?x=1')).status).toBe(400)
  })

  it('is read-only and keeps /status and /metrics on the same port', async () => {
    expect((await get('/api/fleet', { method: 'POST', body: 'x' })).status).toBe(405)
    expect((await get('/status')).body).toMatchObject({ ok: true })
    const metrics = await fetch(`${stack.url}/metrics`)
    expect(await metrics.text()).toContain('tapflow_gateway_frames_in_total')
  })

  it('serves the built UI at / and for client routes', async () => {
    const root = await fetch(`${stack.url}/`)
    expect(root.status).toBe(200)
    expect(await root.text()).toContain('<script type="module" src="/app.js">')
    const js = await fetch(`${stack.url}/app.js`)
    expect(js.headers.get('content-type')).toContain('javascript')
    expect((await fetch(`${stack.url}/../../etc/passwd`)).headers.get('content-type')).toContain('text/html')
  })

  it('tapflow watch prints devices, rates, live pours and alerts from the running stack', async () => {
    // Asynchronous: the dashboard answering it runs in this process.
    const r = await tapflow('watch', '--url', stack.url, '--once', '--no-color')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('devices 60')
    expect(r.stdout).toMatch(/\d+ frames\/s +[\d.]+ litres\/min/)
    expect(r.stdout).toMatch(/Live pours\n {2}\d\d:\d\d:\d\d {2}tap-\d{4}-\d{2}/)
    expect(r.stdout).toContain('Top alerts')
  })

  it('tapflow watch says clearly when no stack is running', async () => {
    const r = await tapflow('watch', '--url', 'http://127.0.0.1:9', '--once')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot reach the dashboard at http:\/\/127.0.0.1:9 .*is 'tapflow up' running\?/)
  })

  it('every Grafana panel query runs against the schema, with the plugin macros expanded', async () => {
    const dir = new URL('../grafana/', import.meta.url)
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'))
    expect(files.sort()).toEqual(['fleet.json', 'live-pours.json', 'venue.json'])
    const venue = stack.fleet.venues[0]!.venueId
    for (const f of files) {
      const d = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { panels: { title: string; targets: { rawSql: string; datasource: { type: string } }[] }[] }
      expect(d.panels.length).toBeGreaterThan(3)
      for (const p of d.panels) {
        for (const t of p.targets) {
          expect(t.datasource.type).toBe('grafana-clickhouse-datasource')
          // What grafana-clickhouse-datasource does with its macros, for a 7-day range.
          const sql = t.rawSql
            .replace(/\$__timeFilter\((\w+(?:\.\w+)?)\)/g, '$1 >= now() - INTERVAL 7 DAY AND $1 <= now() + INTERVAL 7 DAY')
            .replace(/\$__timeInterval\((\w+)\)/g, 'toStartOfInterval($1, INTERVAL 60 second)')
            .replace(/\$__fromTime/g, '(now() - INTERVAL 7 DAY)')
            .replace(/\$__toTime/g, 'now()')
            .replaceAll('${venue}', venue)
          const rs = await stack.writer.client.query({ query: sql, format: 'JSONEachRow' }).catch((err: Error) => {
            throw new Error(`${f} / ${p.title}: ${err.message}`)
          })
          await rs.json()
        }
      }
    }
  })
})
