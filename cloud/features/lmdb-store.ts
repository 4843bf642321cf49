import { mkdirSync } from 'node:fs'
import { open, type RootDatabase } from 'lmdb'
import { key, markKey, type OnlineRecord, type OnlineStore } from './online-store.js'

export interface LmdbOnlineStoreOptions {
  /** Directory of the store, e.g. `<data-dir>/online`. Created if missing. */
  path: string
}

/** The embedded default: LMDB on disk (memory-mapped, ~µs reads, survives restarts; DESIGN.md has the numbers). */
export class LmdbOnlineStore implements OnlineStore {
  readonly location: string
  private readonly db: RootDatabase<OnlineRecord | number, string>

  constructor(opts: LmdbOnlineStoreOptions) {
    mkdirSync(opts.path, { recursive: true })
    this.location = `lmdb:${opts.path}`
    this.db = open<OnlineRecord | number, string>({ path: opts.path, compression: false })
  }

  async write(entity: string, records: ReadonlyArray<readonly [string, OnlineRecord]>): Promise<void> {
    let last = 0
    await this.db.transaction(() => {
      for (const [id, r] of records) {
        void this.db.put(key(entity, id), r)
        last = Math.max(last, r.materializedAt)
      }
      if (records.length > 0) void this.db.put(markKey(entity), last)
    })
  }

  // LMDB reads are synchronous memory-mapped lookups; the Promise keeps one interface with Redis.
  read(entity: string, ids: readonly string[]): Promise<(OnlineRecord | undefined)[]> {
    return Promise.resolve(ids.map((id) => this.db.get(key(entity, id)) as OnlineRecord | undefined))
  }

  /** The synchronous read, for in-process serving where a microtask matters. */
  readSync(entity: string, id: string): OnlineRecord | undefined {
    return this.db.get(key(entity, id)) as OnlineRecord | undefined
  }

  lastMaterialized(entity: string): Promise<number | undefined> {
    return Promise.resolve(this.db.get(markKey(entity)) as number | undefined)
  }

  async close(): Promise<void> {
    await this.db.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
