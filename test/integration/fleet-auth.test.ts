import { randomBytes } from 'node:crypto'
import { Metadata, credentials, status, type Client, type ServiceError } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../edge-gateway/index.js'
import { GroundTruth } from '../../proto/index.js'
import {
  DirectCommandBus, FleetClient, FleetControl, FleetError, FleetService, MemoryTransport, SimClock, Simulator, buildFleet, callMetadata,
  fleetServiceClient, type FleetEventMessage,
} from '../../firmware-sim/index.js'

const START = Date.UTC(2026, 10, 20)

/** FleetService is reachable by any local process: every call must prove a tool identity derived from the fleet key. */
describe('FleetService authentication', () => {
  const authority = new FleetAuthority(randomBytes(32))
  const transport = new MemoryTransport()
  let sim: Simulator
  let control: FleetControl
  let service: FleetService
  let raw: Client
  const refusals: string[] = []

  beforeAll(async () => {
    sim = new Simulator({ fleet: buildFleet({ devices: 8, seed: 3 }), clock: new SimClock({ start: START, speed: 'max' }), transport, until: START + 1 })
    await sim.start()
    control = new FleetControl({ sim, bus: new DirectCommandBus((id, p) => transport.deliver(id, p)), now: () => START })
    service = new FleetService({ control, authority, port: 0, onRefused: (reason) => refusals.push(reason) })
    await service.listen()
    const Ctor = fleetServiceClient()
    raw = new Ctor(service.url, credentials.createInsecure())
  })

  afterAll(async () => {
    raw?.close()
    await service?.close()
    await control?.close()
    await sim?.close()
  })

  /** A bare grpc-js call, as any process could make it; resolves to the status code. */
  const bare = (method: string, req: unknown, md = new Metadata()): Promise<number> => {
    const m = (raw as unknown as Record<string, (r: unknown, md: Metadata, cb: (err: ServiceError | null) => void) => void>)[method]!
    return new Promise((resolve) => m.call(raw, req, md, (err) => resolve(err === null ? status.OK : err.code)))
  }
  const bearer = (value: string): Metadata => {
    const md = new Metadata()
    md.set('authorization', value)
    return md
  }

  it('refuses every unary method without credentials, with UNAUTHENTICATED, and changes nothing', async () => {
    const calls: [string, unknown][] = [
      ['Flash', { selector: 'all', firmware: '6.6.6' }],
      ['SetFailureProfile', { selector: 'all', profile: 'cooling-failure', params: {} }],
      ['ApplyManifest', { manifest_yaml: 'seed: 1\ngenerate: { taps: 2 }\n', source_name: 'x.yaml' }],
      ['ListDevices', { selector: '' }],
    ]
    for (const [method, req] of calls) expect(await bare(method, req), method).toBe(status.UNAUTHENTICATED)
    expect(sim.devices.every((d) => d.firmware !== '6.6.6' && d.faults.active.length === 0)).toBe(true)
  })

  it('refuses the event stream without credentials', async () => {
    const m = (raw as unknown as Record<string, (r: unknown, md: Metadata) => NodeJS.EventEmitter>).StreamEvents!
    const code = await new Promise<number>((resolve) => {
      const s = m.call(raw, {}, new Metadata())
      s.on('error', (err: ServiceError) => resolve(err.code))
      s.on('data', () => resolve(status.OK))
    })
    expect(code).toBe(status.UNAUTHENTICATED)
  })

  it('refuses device credentials, MQTT tool credentials, another fleet key and malformed headers', async () => {
    const dev = authority.device('ven-0001', 'tap-0001-01')
    const mqttTool = authority.tool('fleet')
    const other = new FleetAuthority(randomBytes(32)).control('ops')
    const good = authority.control('ops')
    const cases: Metadata[] = [
      callMetadata(dev),
      bearer(`Bearer ${dev.username}:${dev.password}`),
      callMetadata(mqttTool),
      callMetadata(other),
      bearer(`Bearer ${good.username}:${good.password.slice(1)}`),
      bearer(`Bearer ${good.username}`),
      bearer(`Basic ${Buffer.from(`${good.username}:${good.password}`).toString('base64')}`),
      bearer(`Bearer tool:other:${good.password}`),
    ]
    for (const [i, md] of cases.entries()) expect(await bare('ListDevices', { selector: '' }, md), `case ${i}`).toBe(status.UNAUTHENTICATED)
    expect(service.refusedCalls).toBeGreaterThanOrEqual(cases.length)
    expect(refusals).toContain('bad credentials')
    expect(refusals).toContain('no credentials')
  })

  it('the typed client without the right key fails with a clear FleetError', async () => {
    const c = new FleetClient({ url: service.url, credentials: new FleetAuthority(randomBytes(32)).control('ops') })
    try {
      const err = await c.listDevices().then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(FleetError)
      expect((err as FleetError).grpcCode).toBe(status.UNAUTHENTICATED)
      expect((err as Error).message).toMatch(/refused the credentials/)
    } finally {
      c.close()
    }
  })

  it('accepts a tool credential and records who flashed and who set a profile, in events and ground truth', async () => {
    const c = new FleetClient({ url: service.url, credentials: authority.control('cli.alice') })
    const events: FleetEventMessage[] = []
    const stream = c.streamEvents()
    stream.on('data', (e: FleetEventMessage) => events.push(e))
    stream.on('error', () => undefined)
    try {
      // StreamEvents is registered once its call reaches the server; a ListDevices round trip orders it before the flash.
      await c.listDevices()
      const flash = await c.flash({ selector: 'device=tap-0001-01', firmware: '1.5.0' })
      const prof = await c.setFailureProfile('device=tap-0001-02', 'cooling-failure', { progression: '1h' })
      expect(flash.device_ids).toEqual(['tap-0001-01'])
      expect(prof.device_ids).toEqual(['tap-0001-02'])
      await expect.poll(() => events.filter((e) => e.kind === 'command_acked').length).toBe(2)
      expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['stage', 'command_sent', 'firmware_changed', 'profile_applied', 'command_acked']))
      expect(events.every((e) => e.actor === 'tool:cli.alice')).toBe(true)
      const gt = transport.records.map((r) => GroundTruth.decode(r.payload))
      // 1.5.0 carries a firmware bug: that record, too, was caused by alice's flash.
      expect(gt.find((g) => g.source === 'firmware:1.5.0')).toMatchObject({ device_id: 'tap-0001-01', actor: 'tool:cli.alice' })
      expect(gt.find((g) => g.mode === 'cooling-failure')).toMatchObject({ device_id: 'tap-0001-02', source: 'command', actor: 'tool:cli.alice' })
    } finally {
      stream.cancel()
      c.close()
    }
  })
})
