import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LmdbOnlineStore, RedisOnlineStore, type OnlineRecord, type OnlineStore } from '../index.js'
import { startRedis, type RedisPeer } from './redis-peer.js'

const rec = (n: number, at = 1000): OnlineRecord => ({
  eventTs: { device_pours: 900 + n, device_health: null }, values: { pour_count_24h: n, firmware_version: '1.0.0', avg_pour_size: null, x: 0.1 + n }, materializedAt: at,
})

interface Impl {
  name: string
  setup(): Promise<void>
  open(): OnlineStore
  teardown(): Promise<void>
}

let dir = ''
let redis: RedisPeer | undefined
const impls: Impl[] = [
  {
    name: 'lmdb',
    setup: () => { dir = mkdtempSync(join(tmpdir(), 'tapflow-online-')); return Promise.resolve() },
    open: () => new LmdbOnlineStore({ path: join(dir, 'online') }),
    teardown: () => { rmSync(dir, { recursive: true, force: true }); return Promise.resolve() },
  },
  {
    name: 'redis (Debian redis-server)',
    setup: async () => { redis = await startRedis() },
    open: () => new RedisOnlineStore({ url: redis?.url ?? '' }),
    teardown: async () => redis?.close(),
  },
]

// One suite, both implementations behind the OnlineStore interface.
describe.each(impls)('online store: $name', (impl) => {
  beforeAll(() => impl.setup())
  afterAll(() => impl.teardown())

  it('writes and reads records, undefined for unknown ids, keys per entity', async () => {
    await using s = impl.open()
    await s.write('device', [['tap-1', rec(1)], ['tap-2', rec(2)]])
    await s.write('venue', [['tap-1', rec(9)]])
    expect(await s.read('device', ['tap-2', 'nope', 'tap-1'])).toEqual([rec(2), undefined, rec(1)])
    expect(await s.read('venue', ['tap-1'])).toEqual([rec(9)])
    expect(await s.read('device', [])).toEqual([])
  })

  it('overwrites with the newest materialization and survives a restart', async () => {
    {
      await using s = impl.open()
      await s.write('device', [['tap-1', rec(5, 2000)]])
    }
    await using again = impl.open()
    expect(await again.read('device', ['tap-1'])).toEqual([rec(5, 2000)])
    expect(await again.lastMaterialized('device')).toBe(2000)
    expect(await again.lastMaterialized('customer')).toBeUndefined()
  })
})
