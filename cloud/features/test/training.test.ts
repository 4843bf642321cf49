import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeatureStore, LmdbOnlineStore, generateSyntheticTelemetry, type EntityRow } from '../index.js'
import { openTestChdb, type Chdb } from './fixtures.js'

const D = 86_400_000
const TO = Date.UTC(2026, 5, 10)
const FROM = TO - 9 * D
const DEVICES = 24
const SOURCES = ['pours', 'temperatures', 'health', 'gaps', 'devices', 'venues', 'chiller']

describe('training sets and serving (generated telemetry)', () => {
  let ch: Chdb
  let online: LmdbOnlineStore
  let store: FeatureStore
  const clock = { now: () => TO + D }
  beforeAll(async () => {
    ch = await openTestChdb()
    await generateSyntheticTelemetry(ch.client, { devices: DEVICES, from: FROM, to: TO })
    online = new LmdbOnlineStore({ path: join(ch.dir, 'online') })
    store = new FeatureStore({ clickhouse: ch.client, online, clock })
  })
  afterAll(async () => {
    await online.close()
    await ch.close()
  })

  it('leaks nothing: recomputing with the data after each row deleted gives the same row', async () => {
    const features = store.registry.list('device').map((f) => f.name)
    const rows: EntityRow[] = Array.from({ length: 6 }, (_, i) => ({ entityId: `tap-0000${i}`, ts: FROM + (2 + i) * D + i * 3_777_777 }))
    const full = await store.getHistoricalFeatures({ entity: 'device', rows, features })
    expect(features.length).toBeGreaterThan(60)
    for (const [i, row] of rows.entries()) {
      // A copy of every source holding only what existed at the row's timestamp.
      await ch.client.command({ query: 'DROP DATABASE IF EXISTS cut' })
      await ch.client.command({ query: 'CREATE DATABASE cut' })
      for (const t of SOURCES) {
        const tsCol = t === 'gaps' ? 'detected_at' : t === 'devices' || t === 'venues' ? 'updated_at' : 'ts'
        await ch.client.command({ query: `CREATE TABLE cut.${t} AS tapflow.${t}` })
        await ch.client.command({ query: `INSERT INTO cut.${t} SELECT * FROM tapflow.${t} WHERE toUnixTimestamp64Milli(${tsCol}) <= ${row.ts}` })
      }
      const cut = new FeatureStore({ clickhouse: ch.client, database: 'cut', clock })
      const [again] = await cut.getHistoricalFeatures({ entity: 'device', rows: [row], features })
      expect(again?.values, `row ${i}`).toEqual(full[i]?.values)
      expect(Object.values(again?.values ?? {}).filter((v) => v !== null).length).toBeGreaterThan(50)
    }
  })

  it('has no skew: the online vector equals the offline point-in-time vector, feature by feature', async () => {
    const at = TO - 1_234_567
    const res = await store.materialize({ at })
    expect(res.find((r) => r.entity === 'device')?.entities).toBe(DEVICES)
    // Customer features from the business have their own skew test (business.test.ts); these are from telemetry.
    for (const entity of ['device', 'venue', 'customer'] as const) {
      const features = store.readable(entity).map((f) => f.name)
      const ids = entity === 'device' ? ['tap-00000', 'tap-00007', 'tap-00013', 'tap-00023'] : entity === 'venue' ? ['ven-0000', 'ven-0005'] : ['acc-00000']
      const offline = await store.getHistoricalFeatures({ entity, rows: ids.map((entityId) => ({ entityId, ts: at })), features })
      const served = await store.getOnlineFeatures({ entity, ids, features })
      for (const [i, o] of offline.entries()) {
        for (const f of features) expect(served[i]?.features[f]?.value, `${entity} ${ids[i]} ${f}`).toStrictEqual(o.values[f])
      }
    }
  })

  it('serves each value with its event timestamp and freshness', async () => {
    const at = TO
    await store.materialize({ entity: 'device', at })
    const [row] = await store.getOnlineFeatures({ entity: 'device', ids: ['tap-00001'], features: ['pour_count_24h', 'rssi_dbm', 'seq_gaps_24h', 'keg_size_ml'] })
    expect(row?.features.pour_count_24h?.status).toBe('fresh') // TTL 7 d, the clock is a day later
    expect(row?.features.pour_count_24h?.eventTs).toBeLessThanOrEqual(at)
    expect(row?.features.rssi_dbm?.status).toBe('stale') // TTL 1 d, last frame a day and a bit before the clock
    expect(row?.features.seq_gaps_24h).toEqual({ value: null, eventTs: null, status: 'missing' })
    expect(row?.features.keg_size_ml).toEqual({ value: 50000, eventTs: FROM, status: 'fresh' })
    const [unknown] = await store.getOnlineFeatures({ entity: 'device', ids: ['no-such-tap'], features: ['rssi_dbm'] })
    expect(unknown?.features.rssi_dbm?.status).toBe('missing')
    await expect(store.getOnlineFeatures({ entity: 'device', ids: ['tap-00001'], features: ['nope'] })).rejects.toThrow(/unknown feature/)
  })
})
