import { Redis } from 'ioredis'
import { OptionError } from '../../common/index.js'
import { key, markKey, type OnlineRecord, type OnlineStore } from './online-store.js'

export interface RedisOnlineStoreOptions {
  /** `redis://[user:pass@]host:port[/db]`. */
  url: string
  /** Key prefix. Default: `tapflow:features:`. */
  prefix?: string
}

/** The online store when LMDB is outgrown: one JSON value per entity, MGET for a batch. */
export class RedisOnlineStore implements OnlineStore {
  readonly location: string
  private readonly redis: Redis
  private readonly prefix: string

  constructor(opts: RedisOnlineStoreOptions) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new OptionError('RedisOnlineStoreOptions.url', `is not a URL: '${opts.url}'`)
    }
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new OptionError('RedisOnlineStoreOptions.url', `must be redis:// or rediss://, got '${u.protocol}'`)
    this.redis = new Redis(opts.url, { lazyConnect: false, maxRetriesPerRequest: 2 })
    this.prefix = opts.prefix ?? 'tapflow:features:'
    u.username = ''
    u.password = ''
    this.location = u.toString()
  }

  async write(entity: string, records: ReadonlyArray<readonly [string, OnlineRecord]>): Promise<void> {
    if (records.length === 0) return
    const args: string[] = []
    let last = 0
    for (const [id, r] of records) {
      args.push(this.prefix + key(entity, id), JSON.stringify(r))
      last = Math.max(last, r.materializedAt)
    }
    await this.redis.multi().mset(...args).set(this.prefix + markKey(entity), String(last)).exec()
  }

  async read(entity: string, ids: readonly string[]): Promise<(OnlineRecord | undefined)[]> {
    if (ids.length === 0) return []
    const raw = await this.redis.mget(...ids.map((id) => this.prefix + key(entity, id)))
    return raw.map((s) => (s === null ? undefined : JSON.parse(s) as OnlineRecord))
  }

  async lastMaterialized(entity: string): Promise<number | undefined> {
    const s = await this.redis.get(this.prefix + markKey(entity))
    return s === null ? undefined : Number(s)
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis.disconnect())
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** `redis://…` → Redis, anything else is a directory for LMDB. */
export async function openOnlineStore(target: string): Promise<OnlineStore> {
  if (/^rediss?:\/\//.test(target)) return new RedisOnlineStore({ url: target })
  const { LmdbOnlineStore } = await import('./lmdb-store.js')
  return new LmdbOnlineStore({ path: target })
}
