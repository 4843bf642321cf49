import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, silentLogger } from '../../common/index.js'
import { openBusiness, type Business } from '../../cloud/index.js'
import { FleetControl, MqttCommandBus, MqttTransport, SimClock, Simulator } from '../../firmware-sim/index.js'
import { startCompany, type CompanyRun } from '../../cli/company.js'
import { startGatewayStack, withCredentials, type GatewayStack } from '../../cli/stack.js'

const H = 3_600_000

/**
 * One company, in process, with the same stack code as `tapflow up --speed max --duration 48h`: the business's
 * installed base is the fleet, its DAG closes each simulated day from ClickHouse telemetry, a cooling failure on one
 * venue becomes that account's ticket, and churned accounts' taps go quiet without counting as faults.
 */
describe('tapflow up as one company', () => {
  const start = Date.UTC(2026, 5, 1, 6) // 06:00 UTC: the first day is partly measured
  let dir: string
  let stack: GatewayStack
  let company: CompanyRun
  let business: Business | undefined
  let target: { venueId: string; accountId: string; devices: string[] }
  let pg: (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>
  let ch: (sql: string) => Promise<Array<Record<string, unknown>>>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-company-'))
    chmodSync(dir, 0o755) // the embedded PostgreSQL runs as its own user
    const clock = new SimClock({ start, speed: 'max' })
    stack = await startGatewayStack({ dataDir: dir, host: '127.0.0.1', mqttPort: 0, webPort: 0, sqlPort: 0, clock, logger: silentLogger })
    // A busy signup month, so trials end (and some expire) while the fleet runs.
    company = await startCompany({ stack, clock, dataDir: dir, seed: 7, devices: 80, start, historyDays: 35, sim: { signupsPerDay: 1.5 }, logger: process.env.H17 ? createLogger({ level: 'info' }) : silentLogger })
    const venueOf = new Map(company.fleet.devices.map((d) => [d.deviceId, d.venueId]))
    const transport = new MqttTransport({
      url: stack.mqttUrl, recorderCredentials: stack.authority.tool('sim'),
      credentials: (id) => stack.authority.device(venueOf.get(id) ?? '', id),
    })
    const sim = new Simulator({ fleet: company.fleet, clock, transport: company.gate(transport), profiles: company.profiles, until: start + 48 * H })
    const bus = await MqttCommandBus.connect(withCredentials(stack.mqttUrl, stack.authority.tool('fleet')))
    const control = new FleetControl({ sim, bus, now: () => clock.now() })
    company.attach(control, venueOf)
    const v = company.fleet.venues[2]!
    target = { venueId: v.venueId, accountId: company.accountOf.get(v.venueId)!, devices: company.fleet.devices.filter((d) => d.venueId === v.venueId).map((d) => d.deviceId) }
    const running = sim.start()
    while (sim.framesSent === 0) await new Promise((r) => setTimeout(r, 20))
    // What `tapflow fleet set-profile --select venue=… --profile cooling-failure` does, in process.
    await control.setProfile(`venue=${v.venueId}`, 'cooling-failure', { progression: '2h' })
    await running
    await sim.close()
    await control.close()
    await bus.close()
    // Closes the last whole day, like Ctrl-C or the end of --duration; then the business is read back from the data dir.
    await company.close()
    business = await openBusiness({ dataDir: dir, logger: silentLogger })
    const db = business.db
    pg = async (sql, params) => (await db.query(sql, params)).rows
    ch = async (sql) => (await (await stack.clickhouse.client.query({ query: sql, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>
  }, 600_000)

  afterAll(async () => {
    await business?.close()
    await stack?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('uses the same ids: every ground-truth device is a business tap, every live venue is in tapflow.venues', async () => {
    const truth = (await ch('SELECT DISTINCT device_id FROM tapflow.ground_truth')).map((r) => String(r.device_id))
    expect(truth.length).toBeGreaterThan(0)
    const known = new Set((await pg('SELECT device_id FROM devices')).map((r) => String(r.device_id)))
    for (const id of truth) expect(known, id).toContain(id)
    const live = (await pg(`SELECT DISTINCT venue_id FROM devices WHERE installed_day < $1 AND (decommissioned_day IS NULL OR decommissioned_day >= $1)`, ['2026-06-01']))
      .map((r) => String(r.venue_id))
    const dims = new Set((await ch('SELECT venue_id FROM tapflow.venues FINAL')).map((r) => String(r.venue_id)))
    for (const id of live) expect(dims, id).toContain(id)
    const owners = await ch(`SELECT count() AS n FROM tapflow.venues FINAL WHERE account_id = ''`)
    expect(Number(owners[0]?.n)).toBe(0)
  })

  it('closes each simulated day from telemetry, marked measured after history marked simulated_daily', async () => {
    const days = await pg(`SELECT day, source FROM sim_days ORDER BY day`)
    expect(days.filter((d) => d.source === 'simulated_daily')).toHaveLength(35)
    expect(days.filter((d) => d.source === 'measured').map((d) => d.day)).toEqual(['2026-06-01', '2026-06-02'])
    const usage = await pg(`SELECT sum(pours)::float8 AS pours, sum(expected_pours)::float8 AS expected FROM venue_days WHERE day = '2026-06-02'`)
    expect(Number(usage[0]?.pours) / Number(usage[0]?.expected)).toBeGreaterThan(0.8)
  })

  it('turns a cooling failure on one venue into a ticket for its account naming an affected device, within a day', async () => {
    const tickets = await pg(`SELECT ticket_id, account_id, venue_id, device_id, fault_kind, opened_day FROM support_tickets
      WHERE venue_id = $1 AND fault_kind = 'cooling-failure'`, [target.venueId])
    expect(tickets.length).toBeGreaterThan(0)
    expect(tickets[0]?.account_id).toBe(target.accountId)
    expect(target.devices).toContain(tickets[0]?.device_id)
    expect(tickets[0]?.opened_day).toBe('2026-06-01')
    const dims = await ch(`SELECT count() AS n FROM tapflow.support_tickets FINAL WHERE venue_id = '${target.venueId}'`)
    expect(Number(dims[0]?.n)).toBeGreaterThan(0)
    const health = await pg(`SELECT open_tickets FROM account_health WHERE account_id = $1 AND day = '2026-06-01'`, [target.accountId])
    expect(Number(health[0]?.open_tickets)).toBeGreaterThan(0)
  })

  it('decommissions churned accounts\' taps: they stop publishing, are marked, and are never faults', async () => {
    const gone = await pg(`SELECT device_id, decommissioned_day FROM devices WHERE decommissioned_day = '2026-06-01'`)
    expect(gone.length).toBeGreaterThan(0)
    const ids = gone.map((r) => `'${String(r.device_id)}'`).join(',')
    const last = await ch(`SELECT max(ts) AS t FROM tapflow.health WHERE device_id IN (${ids})`)
    // Closed at 2026-06-02 00:05 (simulated time waits for the DAG at --speed max); nothing after, through a whole day.
    expect(Date.parse(`${String(last[0]?.t)}Z`)).toBeLessThan(Date.UTC(2026, 5, 2, 0, 30))
    const faults = await pg(`SELECT count(*)::int AS n FROM device_failures WHERE device_id = ANY($1) AND failure_day > '2026-06-01'`, [gone.map((r) => r.device_id)])
    expect(faults[0]?.n).toBe(0)
    const marked = await ch(`SELECT count() AS n FROM tapflow.devices FINAL WHERE device_id IN (${ids}) AND decommissioned_at IS NOT NULL`)
    expect(Number(marked[0]?.n)).toBe(gone.length)
  })
})
