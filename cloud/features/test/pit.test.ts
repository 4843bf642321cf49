import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeatureInputError, FeatureStore, Registry, type FeatureView } from '../index.js'
import { health, insert, openTestChdb, pour, type Chdb } from './fixtures.js'

const H = 3_600_000
const D = 24 * H
const T = Date.UTC(2026, 5, 10, 12, 0, 0)
const clock = { now: () => T + D }

describe('point in time (Feast semantics, hand-built timeline)', () => {
  let ch: Chdb
  let store: FeatureStore
  beforeAll(async () => {
    ch = await openTestChdb()
    store = new FeatureStore({ clickhouse: ch.client, clock })
    // device_health: TTL 1 day. Values well outside, just before, at, and just after T.
    await insert(ch.client, 'health', [
      health('d1', 'v1', T - 2 * D, { rssi_dbm: -90 }),
      health('d1', 'v1', T - H, { rssi_dbm: -70 }),
      health('d1', 'v1', T, { rssi_dbm: -60 }),
      health('d1', 'v1', T + 1, { rssi_dbm: -50 }),
    ])
    // device_pours: windows (ts − w, ts].
    await insert(ch.client, 'pours', [T - 25 * H, T - 23 * H, T - H, T, T + 1].map((ts) => pour('d1', 'v1', ts)))
  })
  afterAll(async () => ch.close())

  it('takes the latest value at or before the row, within the TTL, else null', async () => {
    const rows = [
      { entityId: 'd1', ts: T }, // at: the value at T
      { entityId: 'd1', ts: T - 1 }, // just before T: the one an hour earlier
      { entityId: 'd1', ts: T - 2 * D + 23 * H }, // 23 h after the old value: inside the TTL
      { entityId: 'd1', ts: T - 2 * D + 25 * H }, // 25 h after it, before the next: outside the TTL → null
      { entityId: 'd1', ts: T - 3 * D }, // before anything → null
      { entityId: 'nobody', ts: T }, // unknown id → null
    ]
    const out = await store.getHistoricalFeatures({ entity: 'device', rows, features: ['rssi_dbm', 'device_health:health_frames_24h'] })
    expect(out.map((r) => r.values.rssi_dbm)).toEqual([-60, -70, -90, null, null, null])
    expect(out.map((r) => r.values.health_frames_24h)).toEqual([2, 1, 1, null, null, null])
    expect(out.map((r) => r.entityId)).toEqual(rows.map((r) => r.entityId))
  })

  it('sums over (ts − window, ts], never after ts', async () => {
    const out = await store.getHistoricalFeatures({
      entity: 'device', rows: [{ entityId: 'd1', ts: T }, { entityId: 'd1', ts: T - 1 }], // T − 1h is inside (T − 1 − 1h, T − 1]
      features: ['pour_count_1h', 'pour_count_24h', 'pour_count_7d', 'avg_pour_size', 'hours_since_last_pour'],
    })
    expect(out[0]?.values).toEqual({ pour_count_1h: 1, pour_count_24h: 3, pour_count_7d: 4, avg_pour_size: 500, hours_since_last_pour: 0 })
    expect(out[1]?.values).toEqual({ pour_count_1h: 1, pour_count_24h: 2, pour_count_7d: 3, avg_pour_size: 500, hours_since_last_pour: (H - 1) / H })
  })

  it('refuses bad input with a clear error', async () => {
    const rows = [{ entityId: 'd1', ts: T }]
    await expect(store.getHistoricalFeatures({ entity: 'device', rows, features: ['no_such_feature'] })).rejects.toThrow(/unknown feature 'no_such_feature'/)
    await expect(store.getHistoricalFeatures({ entity: 'truck', rows, features: ['rssi_dbm'] })).rejects.toThrow(/unknown entity 'truck'/)
    await expect(store.getHistoricalFeatures({ entity: 'venue', rows, features: ['rssi_dbm'] })).rejects.toThrow(/belongs to entity 'device'/)
    await expect(store.getHistoricalFeatures({ entity: 'device', rows: [{ entityId: 'd1', ts: T + 2 * D }], features: ['rssi_dbm'] }))
      .rejects.toThrow(FeatureInputError)
    const view = new Registry().view('device_health')
    const zero: FeatureView = { ...view, ttlMs: 0 }
    expect(() => new Registry({ views: [zero] })).toThrow(/TTL must be positive/)
  })
})
