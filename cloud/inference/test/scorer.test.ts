import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeatureStore, LmdbOnlineStore } from '../../features/index.js'
import { BadFeaturesError, ChampionScorer, UnknownEntityError, UnknownModelError } from '../index.js'
import { FEATURES, dataset, registryFixture, type RegistryFixture } from './fixtures.js'

const T = Date.UTC(2026, 5, 10)
let fx: RegistryFixture | undefined
let online: LmdbOnlineStore
let store: FeatureStore
const dir = mkdtempSync(join(tmpdir(), 'tapflow-scorer-'))

beforeAll(async () => {
  fx = await registryFixture('scorer')
  if (fx === undefined) return
  await fx.train(1)
  online = new LmdbOnlineStore({ path: join(dir, 'online') })
  const eventTs = { device_temperatures: T - 60_000, device_pours: T - 60_000, device_health: T - 60_000 }
  await online.write('device', [
    ['tap-a', { eventTs, values: { line_temp_slope_24h: 2.5, flow_rate_drift_24h: 1.5, pour_count_1h: 4, rssi_dbm: -60 }, materializedAt: T }],
    // Health is a week old: past its 24 h TTL, so rssi_dbm is stale and scored as missing.
    ['tap-b', { eventTs: { ...eventTs, device_health: T - 7 * 86_400_000 }, values: { line_temp_slope_24h: 0.1, flow_rate_drift_24h: 0, pour_count_1h: 7, rssi_dbm: -70 }, materializedAt: T }],
  ])
  // Only the online side is used: no ClickHouse behind it.
  store = new FeatureStore({ clickhouse: undefined as never, online, clock: { now: () => T } })
}, 120_000)

afterAll(async () => {
  await online?.close()
  await fx?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('ChampionScorer (embedded PostgreSQL, onnxruntime)', () => {
  it('scores rows as the in-process GBDT does, to float32 tolerance', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    await using scorer = await ChampionScorer.open({ registry: fx.registry, online: store })
    const info = scorer.info()
    expect(info).toMatchObject({ model: 'maintenance', version: 1, modes: ['cooling', 'seal_leak'], features: FEATURES })
    for (const m of info.modes) expect(info.thresholds[m]).toBeGreaterThan(0)
    const ds = dataset(2)
    const out = await scorer.scoreRows(ds.x.values, ds.x.rows)
    for (const mode of info.modes) {
      const ours = (await fx.gbdt(1, mode)).predictBatch(ds.x)
      const got = out[mode]!
      expect(got).toHaveLength(ds.x.rows)
      let worst = 0
      for (let r = 0; r < ds.x.rows; r++) worst = Math.max(worst, Math.abs(got[r]! - ours[r]!))
      expect(worst).toBeLessThan(1e-6)
    }
    await expect(scorer.scoreRows(new Float32Array(5), 1)).rejects.toBeInstanceOf(BadFeaturesError)
  })

  it('fetches online features, scores stale as missing, hashes the vector, and refuses unknown entities', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    await using scorer = await ChampionScorer.open({ registry: fx.registry, online: store })
    const [a, b] = await scorer.scoreEntities(['tap-a', 'tap-b'])
    expect(a).toMatchObject({ entityId: 'tap-a', model: 'maintenance', version: 1, features: { line_temp_slope_24h: 2.5, rssi_dbm: -60 } })
    expect(b!.features.rssi_dbm).toBeNaN()
    const x = Float32Array.from([2.5, 1.5, 4, -60, 0.1, 0, 7, Number.NaN])
    const direct = await scorer.scoreRows(x, 2)
    expect(a!.scores.map((s) => s.score)).toEqual([direct.cooling![0], direct.seal_leak![0]])
    expect(b!.scores.map((s) => s.score)).toEqual([direct.cooling![1], direct.seal_leak![1]])
    expect(a!.scores[0]!.threshold).toBe(scorer.info().thresholds.cooling)
    expect(typeof a!.featuresHash).toBe('bigint')
    expect(a!.featuresHash).not.toBe(b!.featuresHash)
    expect((await scorer.scoreEntities(['tap-a']))[0]!.featuresHash).toBe(a!.featuresHash)
    await expect(scorer.scoreEntities(['tap-a', 'ghost'])).rejects.toMatchObject({ name: 'UnknownEntityError', ids: ['ghost'] })
    await expect(scorer.scoreEntities(['ghost'])).rejects.toBeInstanceOf(UnknownEntityError)
  })

  it('names bad feature rows, and an unknown model', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    await using scorer = await ChampionScorer.open({ registry: fx.registry })
    const full = { line_temp_slope_24h: 1, flow_rate_drift_24h: 0, pour_count_1h: 3, rssi_dbm: -50 }
    expect(Array.from(scorer.vectorize([full]))).toEqual([1, 0, 3, -50])
    expect(() => scorer.vectorize([{ ...full, nope: 1 }])).toThrow(/does not read 'nope'/)
    expect(() => scorer.vectorize([{ line_temp_slope_24h: 1 }])).toThrow(/3 feature\(s\) missing/)
    expect(() => scorer.vectorize([{ ...full, rssi_dbm: Number.NaN }])).toThrow(BadFeaturesError)
    expect(() => scorer.vectorize([{ ...full, rssi_dbm: Number.POSITIVE_INFINITY }], true)).toThrow(BadFeaturesError)
    expect(scorer.vectorize([{ line_temp_slope_24h: 1 }], true)[3]).toBeNaN()
    await expect(scorer.scoreEntities(['tap-a'])).rejects.toBeInstanceOf(BadFeaturesError)
    await expect(ChampionScorer.open({ registry: fx.registry, model: 'nope' })).rejects.toBeInstanceOf(UnknownModelError)
  })

  it('hot-swaps a promoted champion with no failed call; calls in flight finish on the old version', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    await using scorer = await ChampionScorer.open({ registry: fx.registry, online: store })
    const v2 = await fx.train(3)
    expect(await scorer.reload()).toBe(false)
    const before = scorer.info().version
    let stop = false
    const seen = new Set<number>()
    const load = Array.from({ length: 8 }, async () => {
      let n = 0
      while (!stop) {
        const [s] = await scorer.scoreEntities(['tap-a'])
        seen.add(s!.version)
        n++
      }
      return n
    })
    await fx.registry.setAlias('maintenance', 'champion', v2)
    expect(await scorer.reload()).toBe(true)
    const after = await scorer.scoreEntities(['tap-a'])
    stop = true
    const calls = await Promise.all(load)
    expect(calls.every((n) => n > 0)).toBe(true)
    expect(after[0]!.version).toBe(v2)
    expect(seen.has(v2)).toBe(true)
    expect(before).toBe(1)
    await fx.registry.setAlias('maintenance', 'champion', 1)
  })
})
