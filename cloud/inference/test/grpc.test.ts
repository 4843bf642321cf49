import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../../edge-gateway/index.js'
import { FeatureStore, LmdbOnlineStore } from '../../features/index.js'
import { ChampionScorer, InferenceClient, InferenceServer } from '../index.js'
import { FEATURES, dataset, registryFixture, type RegistryFixture } from './fixtures.js'

const T = Date.UTC(2026, 5, 10)
const dir = mkdtempSync(join(tmpdir(), 'tapflow-inference-grpc-'))
const authority = new FleetAuthority(randomBytes(32))
let fx: RegistryFixture | undefined
let online: LmdbOnlineStore
let server: InferenceServer
const clients: InferenceClient[] = []

const client = (credentials = authority.control('test.inference')): InferenceClient => {
  const c = new InferenceClient({ address: server.address, credentials })
  clients.push(c)
  return c
}

beforeAll(async () => {
  fx = await registryFixture('inference_grpc')
  if (fx === undefined) return
  await fx.train(1)
  online = new LmdbOnlineStore({ path: join(dir, 'online') })
  const eventTs = { device_temperatures: T - 60_000, device_pours: T - 60_000, device_health: T - 60_000 }
  await online.write('device', Array.from({ length: 20 }, (_, i) => [`tap-${i}`, {
    eventTs, values: { line_temp_slope_24h: i / 5, flow_rate_drift_24h: (i % 4) / 2, pour_count_1h: i, rssi_dbm: -50 - i }, materializedAt: T,
  }] as const))
  // Only the online side is used: no ClickHouse behind it.
  const store = new FeatureStore({ clickhouse: undefined as never, online, clock: { now: () => T } })
  const registry = fx.registry
  // churn is served but has no champion: NOT_FOUND until one is trained.
  server = new InferenceServer({ models: ['maintenance', 'churn'], open: (model) => ChampionScorer.open({ registry, online: store, model }), auth: authority, port: 0, reloadEveryMs: 0 })
  await server.listen()
}, 120_000)

afterAll(async () => {
  for (const c of clients) c.close()
  await server?.close()
  await online?.close()
  await fx?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('InferenceService over gRPC (embedded PostgreSQL, onnxruntime, LMDB)', () => {
  it('scores supplied features as the in-process GBDT does, by name or by position', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    const c = client()
    const info = await c.modelInfo()
    expect(info).toMatchObject({ model: 'maintenance', version: 1, modes: ['cooling', 'seal_leak'], features: FEATURES, models: ['maintenance', 'churn'] })
    const ds = dataset(5)
    const rows = Array.from({ length: 40 }, (_, r) => Object.fromEntries(FEATURES.map((f, k) => [f, ds.x.values[r * 4 + k]!])))
    const byName = await c.predict({ rows: rows.map((features, i) => ({ entityId: `row-${i}`, features })) })
    const byValues = await c.predict({ rows: rows.map((f) => ({ values: FEATURES.map((n) => f[n]!) })) })
    expect(byName.version).toBe(1)
    expect(byName.predictions).toHaveLength(40)
    expect(byName.predictions[3]!.entityId).toBe('row-3')
    for (const mode of info.modes) {
      const k = info.modes.indexOf(mode)
      const ours = (await fx.gbdt(1, mode)).predictBatch({ rows: 40, cols: 4, values: ds.x.values.subarray(0, 160) })
      byName.predictions.forEach((p, r) => {
        expect(Math.abs(p.scores[k]!.score - ours[r]!)).toBeLessThan(1e-6)
        expect(p.scores[k]).toMatchObject({ mode, threshold: expect.closeTo(info.thresholds[mode]!, 6), alert: p.scores[k]!.score >= p.scores[k]!.threshold })
      })
    }
    expect(byValues.predictions.map((p) => p.scores)).toEqual(byName.predictions.map((p) => p.scores))
    expect(byValues.predictions.map((p) => p.featuresHash)).toEqual(byName.predictions.map((p) => p.featuresHash))
    expect(byName.predictions[0]!.featuresHash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('scores entities from the online store, equal to supplying their features', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    const c = client()
    const byId = await c.predict({ entityIds: ['tap-3', 'tap-7'] })
    const supplied = await c.predict({ rows: [3, 7].map((i) => ({ features: { line_temp_slope_24h: i / 5, flow_rate_drift_24h: (i % 4) / 2, pour_count_1h: i, rssi_dbm: -50 - i } })) })
    expect(byId.predictions.map((p) => p.entityId)).toEqual(['tap-3', 'tap-7'])
    expect(byId.predictions.map((p) => [p.scores, p.featuresHash])).toEqual(supplied.predictions.map((p) => [p.scores, p.featuresHash]))
  })

  it('answers bad requests with the right status codes', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    const c = client()
    const full = { line_temp_slope_24h: 1, flow_rate_drift_24h: 0, pour_count_1h: 3, rssi_dbm: -50 }
    const code = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'OK', (e: { grpcCode: number; message: string }) => e.grpcCode)
    expect(await code(c.predict({ model: 'nope', rows: [{ features: full }] }))).toBe(status.NOT_FOUND)
    expect(await code(c.modelInfo('nope'))).toBe(status.NOT_FOUND)
    await expect(c.modelInfo('churn')).rejects.toThrow(/no champion for model 'churn'/)
    expect(await code(c.predict({ entityIds: ['tap-1', 'ghost'] }))).toBe(status.NOT_FOUND)
    await expect(c.predict({ entityIds: ['ghost'] })).rejects.toThrow(/no online features for ghost/)
    expect(await code(c.predict({ rows: [{ features: { line_temp_slope_24h: 1 } }] }))).toBe(status.INVALID_ARGUMENT)
    expect(await code(c.predict({ rows: [{ features: { ...full, nope: 2 } }] }))).toBe(status.INVALID_ARGUMENT)
    expect(await code(c.predict({ rows: [{ features: { ...full, rssi_dbm: Number.NaN } }] }))).toBe(status.INVALID_ARGUMENT)
    expect(await code(c.predict({ rows: [{ values: [1, 2, 3] }] }))).toBe(status.INVALID_ARGUMENT)
    expect(await code(c.predict({ rows: [{ features: full }], entityIds: ['tap-1'] }))).toBe(status.INVALID_ARGUMENT)
    expect(await code(c.predict({}))).toBe(status.INVALID_ARGUMENT)
    // NaN is a missing value when the caller says so, as the model learnt it.
    expect(await code(c.predict({ rows: [{ features: { line_temp_slope_24h: 1, rssi_dbm: Number.NaN } }], allowMissing: true }))).toBe('OK')
    expect(await code(client({ username: 'tool:test.inference', password: 'wrong' }).predict({ rows: [{ features: full }] }))).toBe(status.UNAUTHENTICATED)
    expect(await code(client(authority.tool('test.inference')).modelInfo())).toBe(status.UNAUTHENTICATED)
    expect(await code(client({ username: '', password: '' }).modelInfo())).toBe(status.UNAUTHENTICATED)
  })

  it('hot-swaps a promoted champion under load: zero failed calls, later calls report the new version', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    const v2 = await fx.train(9)
    const c = client()
    const versions: number[] = []
    const failures: unknown[] = []
    let stop = false
    const workers = Array.from({ length: 16 }, async (_, w) => {
      let i = 0
      while (!stop) {
        try {
          const req = i++ % 2 === 0 ? { entityIds: [`tap-${w}`, `tap-${(w + 1) % 20}`] } : { rows: [{ values: [w / 5, 0.5, w, -60] }] }
          versions.push((await c.predict(req)).version)
        } catch (err) {
          failures.push(err)
        }
      }
    })
    await expect.poll(() => versions.length).toBeGreaterThan(50)
    await fx.registry.setAlias('maintenance', 'champion', v2)
    expect(await server.reload()).toEqual(['maintenance'])
    const swappedAt = versions.length
    await expect.poll(() => versions.length).toBeGreaterThan(swappedAt + 100)
    stop = true
    await Promise.all(workers)
    expect(failures).toEqual([])
    expect(versions.slice(0, 50).every((v) => v === 1)).toBe(true)
    // Calls started before the swap may still finish on version 1; at most one per worker; every call after those is version 2.
    expect(versions.slice(swappedAt + 16)).not.toContain(1)
    expect(versions.at(-1)).toBe(v2)
    expect((await c.modelInfo()).version).toBe(v2)
  })
})
