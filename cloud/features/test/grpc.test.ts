import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { credentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../../edge-gateway/index.js'
import { FeatureServer, FeatureStore, LmdbOnlineStore, featureServiceClient } from '../index.js'

type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void
const T = Date.UTC(2026, 5, 10)

describe('FeatureService over gRPC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-features-grpc-'))
  const authority = new FleetAuthority(randomBytes(32))
  let online: LmdbOnlineStore
  let server: FeatureServer
  let client: Client
  const call = (method: string, req: unknown, md = new Metadata()): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    (client as unknown as Record<string, Unary>)[method]!.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res as Record<string, unknown>)))
  })
  const authed = (): Metadata => {
    const c = authority.control('test.features')
    const md = new Metadata()
    md.set('authorization', `Bearer ${c.username}:${c.password}`)
    return md
  }

  beforeAll(async () => {
    online = new LmdbOnlineStore({ path: join(dir, 'online') })
    await online.write('device', [['tap-0001-01', { eventTs: { device_pours: T - 1000, device_health: T - 5000 }, values: { pour_count_24h: 42, avg_pour_size: 500, firmware_version: '1.2.0' }, materializedAt: T }]])
    // Only the online side is used: no ClickHouse behind it.
    const store = new FeatureStore({ clickhouse: undefined as never, online, clock: { now: () => T } })
    server = new FeatureServer({ store, auth: authority, port: 0 })
    await server.listen()
    const Ctor = featureServiceClient()
    client = new Ctor(server.address, credentials.createInsecure())
  })
  afterAll(async () => {
    client.close()
    await server.close()
    await online.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves typed values with event time and freshness', async () => {
    const res = await call('GetOnlineFeatures', { entity: 'device', entity_ids: ['tap-0001-01', 'nope'], features: ['pour_count_24h', 'avg_pour_size', 'firmware_version'] }, authed())
    const [tap, nope] = res.results as { entity_id: string; features: Record<string, Record<string, unknown>> }[]
    expect(tap?.features.pour_count_24h).toMatchObject({ int64_value: 42, event_ts_ms: T - 1000, freshness: 'FRESH', value: 'int64_value' })
    expect(tap?.features.avg_pour_size).toMatchObject({ double_value: 500, value: 'double_value' })
    expect(tap?.features.firmware_version).toMatchObject({ string_value: '1.2.0', event_ts_ms: T - 5000 })
    expect(nope?.features.pour_count_24h).toMatchObject({ freshness: 'MISSING', event_ts_ms: 0 })
  })

  it('refuses calls without fleet-control credentials, and bad input with INVALID_ARGUMENT', async () => {
    await expect(call('ListFeatures', { entity: '' })).rejects.toMatchObject({ code: status.UNAUTHENTICATED })
    await expect(call('GetOnlineFeatures', { entity: 'device', entity_ids: ['x'], features: ['nope'] }, authed())).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/unknown feature 'nope'/) })
    await expect(call('GetOnlineFeatures', { entity: 'truck', entity_ids: ['x'], features: ['pour_count_24h'] }, authed())).rejects.toMatchObject({ code: status.INVALID_ARGUMENT })
    const list = await call('ListFeatures', { entity: 'venue' }, authed())
    expect((list.features as unknown[]).length).toBeGreaterThan(10)
  })
})
