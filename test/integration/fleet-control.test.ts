import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../common/index.js'
import { EmbeddedBroker, FleetAuthority, Gateway, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import {
  FleetClient, FleetControl, FleetService, MqttCommandBus, MqttTransport, SimClock, Simulator, initialFleet, manifestAssignments, parseManifest,
  type FleetEventMessage,
} from '../../firmware-sim/index.js'

const H = 3_600_000
const MANIFEST = `
seed: 21
generate: { taps: 100, taps_per_venue: [4, 8] }
profiles:
  - profile: valve-leak
    select: device=tap-0001-01
    params: { progression: 0, drip_ml_h: 300 }
`

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The Done-when flow against a whole embedded stack: sim → aedes → gateway → chDB, FleetService on gRPC.
 * Flash 10% of the fleet, put one venue into cooling failure, and find both in telemetry and ground truth.
 */
describe('FleetService against a running stack', () => {
  let dir: string
  let ch: ClickHouseHandle
  let gateway: Gateway
  let sim: Simulator
  let service: FleetService
  let control: FleetControl
  let bus: MqttCommandBus
  let client: FleetClient
  let running: Promise<void>
  const events: FleetEventMessage[] = []
  const start = Date.UTC(2026, 10, 20, 12)
  const authority = new FleetAuthority(randomBytes(32))

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-fleet-'))
    ch = openClickHouse({ path: join(dir, 'clickhouse') })
    const clock = new SimClock({ start, speed: 1800 })
    const broker = new EmbeddedBroker({ port: 0 })
    await broker.listen()
    gateway = new Gateway({ source: broker, clickhouse: ch, clock, batch: { maxDelayMs: 100 } })
    await gateway.start()
    const m = parseManifest(MANIFEST)
    sim = new Simulator({ fleet: initialFleet(m), clock, transport: new MqttTransport({ url: broker.url }), profiles: manifestAssignments(m) })
    running = sim.start()
    await until(() => sim.framesSent > 200, 'the fleet to start')
    bus = await MqttCommandBus.connect(broker.url)
    control = new FleetControl({ sim, bus, now: () => clock.now() })
    service = new FleetService({ control, authority, port: 0 })
    await service.listen()
    client = new FleetClient({ url: service.url, credentials: authority.control('test.ops') })
    client.streamEvents().on('data', (e: FleetEventMessage) => events.push(e))
  })

  afterAll(async () => {
    client?.close()
    await service?.close()
    await control?.close()
    await bus?.close()
    await sim?.close()
    await running
    await gateway?.close()
    await ch?.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('rejects bad selectors, profiles and parameters and leaves the fleet untouched', async () => {
    await expect(client.flash({ selector: 'colour=red', firmware: '1.5.1', percent: 10 })).rejects.toThrow(ConfigError)
    await expect(client.flash({ selector: 'colour=red', firmware: '1.5.1' })).rejects.toThrow("selector: unknown key 'colour' in 'colour=red'")
    await expect(client.flash({ selector: 'venue=ven-9999', firmware: '1.5.1' })).rejects.toThrow("selector 'venue=ven-9999' matches no devices")
    await expect(client.setFailureProfile('venue=ven-0002', 'melting', {})).rejects.toThrow(/unknown profile 'melting'/)
    await expect(client.setFailureProfile('venue=ven-0002', 'cooling-failure', { max_rise_c: 'hot' })).rejects.toThrow("params.max_rise_c: expected a number, got 'hot'")
    await expect(client.applyManifest('seed: 1\ngenerate: { taps: 5 }\nrollouts:\n  - firmware: 1.5.1\n    percent: 500\n', 'bad.yaml')).rejects.toThrow('bad.yaml:5: rollouts[0].percent: expected 0.01..100, got 500')
    const { devices } = await client.listDevices()
    expect(devices).toHaveLength(100)
    expect(devices.every((d) => d.firmware === '1.4.2' && d.pending_command_id === '')).toBe(true)
    expect(devices.filter((d) => d.profiles.length > 0).map((d) => d.device_id)).toEqual(['tap-0001-01'])
    expect(events.filter((e) => e.kind === 'command_sent')).toHaveLength(0)
  })

  it('flashes exactly the selected 10% and puts one venue into cooling failure, visible in telemetry and ground truth', async () => {
    const flash = await client.flash({ selector: 'all', firmware: '1.5.1', percent: 10, stage_percent: 5, stage_interval_ms: 200 })
    expect(flash.device_ids).toHaveLength(10)
    expect(flash.stages).toBe(2)
    const cool = await client.setFailureProfile('venue=ven-0002', 'cooling-failure', { progression: '1h', max_rise_c: '8' })
    const venue2 = sim.devices.filter((d) => d.spec.venueId === 'ven-0002').map((d) => d.deviceId)
    expect(cool.device_ids).toEqual(venue2)
    // Stage 2 goes out 200 ms after stage 1; every device acknowledges through a health frame.
    await until(() => events.filter((e) => e.kind === 'stage').length === 2, 'the second stage')
    await until(async () => (await client.listDevices()).devices.every((d) => d.pending_command_id === ''), 'acknowledgements')
    const live = (await client.listDevices()).devices
    const flashed = live.filter((d) => d.firmware === '1.5.1').map((d) => d.device_id).sort()
    expect(flashed).toEqual([...flash.device_ids].sort())
    expect(live.filter((d) => flash.device_ids.includes(d.device_id)).every((d) => d.reboot_count === 1)).toBe(true)
    expect(live.filter((d) => d.profiles.some((p) => p.startsWith('cooling-failure@'))).map((d) => d.device_id)).toEqual(venue2)
    // Events stream asynchronously: every acknowledgement arrives, and no more than one per command.
    await until(() => events.filter((e) => e.kind === 'command_acked').length >= 10 + venue2.length, 'acknowledgement events')
    expect(events.filter((e) => e.kind === 'command_acked')).toHaveLength(10 + venue2.length)
    expect(events.filter((e) => e.kind === 'stage')).toHaveLength(2)
    // Who asked is on every command, stage and device response the calls caused.
    expect(events.filter((e) => ['command_sent', 'command_acked', 'stage', 'firmware_changed', 'profile_applied'].includes(e.kind)).every((e) => e.actor === 'tool:test.ops')).toBe(true)

    // Let 1.5 simulated hours pass (the cooling failure's progression window), then land everything.
    const t0 = sim.stats.simTime
    await until(() => sim.stats.simTime > t0 + 1.5 * H, 'simulated time to pass', 60_000)
    await sim.close()
    await running
    await until(() => gateway.pendingRows === 0, 'rows to land')
    await gateway.flush()

    const q = async <T>(query: string): Promise<T[]> => (await (await ch.client.query({ query, format: 'JSONEachRow' })).json()) as T[]
    const fw = await q<{ device_id: string }>(`SELECT device_id FROM tapflow.health GROUP BY device_id HAVING argMax(firmware_version, ts) = '1.5.1' ORDER BY device_id`)
    expect(fw.map((r) => r.device_id)).toEqual([...flash.device_ids].sort())
    const gt = await q<{ device_id: string; mode: string; source: string; onset: string; failure: string; actor: string }>(
      `SELECT device_id, mode, source, toUnixTimestamp64Milli(onset_ts) AS onset, toUnixTimestamp64Milli(failure_ts) AS failure, actor FROM tapflow.ground_truth FINAL ORDER BY device_id, mode`,
    )
    expect(gt.filter((r) => r.mode === 'cooling-failure').map((r) => r.device_id)).toEqual(venue2)
    // Ground truth names who caused each record: the FleetService caller for commands, nobody for the manifest.
    expect(gt.filter((r) => r.source === 'command').every((r) => r.actor === 'tool:test.ops')).toBe(true)
    expect(gt.find((r) => r.mode === 'valve-leak')?.actor).toBe('')
    expect(gt.filter((r) => r.mode === 'cooling-failure').every((r) => r.source === 'command' && Number(r.failure) - Number(r.onset) === H)).toBe(true)
    expect(gt.find((r) => r.mode === 'valve-leak')).toMatchObject({ device_id: 'tap-0001-01', source: 'manifest' })
    expect(gt).toHaveLength(sim.groundTruth)
    // The cooling failure shows in the temperatures: ven-0002's keg temperature after failure is far above the rest.
    const [temps] = await q<{ sick: number; well: number }>(`
      SELECT avgIf(keg_temp_c, venue_id = 'ven-0002' AND ts > (SELECT max(failure_ts) FROM tapflow.ground_truth WHERE mode = 'cooling-failure')) AS sick,
             avgIf(keg_temp_c, venue_id != 'ven-0002') AS well
      FROM tapflow.temperatures`)
    expect(temps!.sick - temps!.well).toBeGreaterThan(6)
  })
})
