import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client'
import { OptionError, TapflowClickHouseError, errorMessage } from '../../../common/index.js'

export type { ClickHouseClient }

export interface ClickHouseOptions {
  /** Server URL (http://user:pass@host:8123). Default: none, which means embedded chDB at `path`. */
  url?: string
  /** chDB data directory when no URL is given. Default: ./data/clickhouse. */
  path?: string
}

export interface ClickHouseHandle {
  client: ClickHouseClient
  /** 'chdb' for the embedded engine, 'server' for a URL. */
  engine: 'chdb' | 'server'
  /** Where the data lives: the chDB path or the server URL without credentials. */
  location: string
}

/** One code path for both engines: @clickhouse/client over chDB, or over HTTP to a server. */
export function openClickHouse(opts: ClickHouseOptions = {}): ClickHouseHandle {
  if (opts.url !== undefined) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new OptionError('ClickHouseOptions.url', `is not a URL: '${opts.url}'`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new OptionError('ClickHouseOptions.url', `must be http:// or https://, got '${u.protocol}'`)
    }
    const client = createClient({ url: opts.url, request_timeout: 60_000 })
    u.username = ''
    u.password = ''
    return { client, engine: 'server', location: u.toString() }
  }
  const path = opts.path ?? './data/clickhouse'
  mkdirSync(path, { recursive: true })
  try {
    // chdb types the connection against its own copy of @clickhouse/client-common; the runtime shape matches.
    const connection = loadChdb().createChdbConnection({ path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection']
    const client = createClient({ connection })
    return { client, engine: 'chdb', location: path }
  } catch (err) {
    throw asClickHouseError(err, `cannot open the embedded ClickHouse at ${path} (is another tapflow process using it?)`)
  }
}

/**
 * Wraps anything a ClickHouse call threw, keeping the server's numeric code when the client parsed one
 * (@clickhouse/client's own `ClickHouseError`; chDB's connection throws the same class).
 */
export function asClickHouseError(err: unknown, context: string): TapflowClickHouseError {
  if (err instanceof TapflowClickHouseError) return err
  const code = err instanceof ClickHouseError && /^\d+$/.test(err.code) ? Number(err.code) : undefined
  return new TapflowClickHouseError(`${context}: ${errorMessage(err)}`, code, { cause: err })
}

// The engine is a ~500 MB native library that adds ~160 MB RSS when loaded, so only processes that open
// the embedded engine load it (the simulator, for one, never does).
let chdb: typeof import('chdb/connection') | undefined
function loadChdb(): typeof import('chdb/connection') {
  chdb ??= createRequire(import.meta.url)('chdb/connection') as typeof import('chdb/connection')
  return chdb
}
