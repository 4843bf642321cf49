import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { useTempDir } from './temp-dir.js'

export interface ChDB {
  /** The file's temporary directory; chDB's data is in its `clickhouse/`. */
  readonly dir: string
  readonly ch: ClickHouseHandle
}

/**
 * chDB in a temporary directory, opened once for this file's tests and closed after them. chDB binds one
 * data directory per process, and vitest runs each file in its own process, so files never share it.
 */
export function useChDB(name: string): ChDB {
  const tmp = useTempDir(name)
  let ch: ClickHouseHandle | undefined
  beforeAll(() => {
    ch = openClickHouse({ path: join(tmp.path, 'clickhouse') })
  })
  // Registered after useTempDir's, so it runs before the directory is removed (afterAll hooks run in reverse).
  afterAll(async () => {
    await ch?.client.close()
  })
  return {
    get dir(): string {
      return tmp.path
    },
    get ch(): ClickHouseHandle {
      if (ch === undefined) throw new Error(`useChDB('${name}'): read .ch inside a test or hook`)
      return ch
    },
  }
}
