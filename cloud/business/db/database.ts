import pg from 'pg'
import { maskDatabaseUrl as mask, parseDatabaseUrl, type Logger } from '../../../common/index.js'
import { toPostgresError } from './pg-error.js'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded.js'

export type Queryable = Pick<pg.PoolClient, 'query'>

export interface DatabaseOptions {
  /** postgres:// URL of a server. Default: undefined, meaning start the embedded server under `<dataDir>/postgres`. */
  databaseUrl?: string
  /** Data directory for the embedded server. Default: `./data`. */
  dataDir?: string
  /** Pool size. Default: 4. */
  maxConnections?: number
  /** Logger. Default: required. */
  logger: Logger
}

export interface Database extends AsyncDisposable {
  /** The URL in use, password masked. */
  readonly displayUrl: string
  /** The URL in use, with its password: for in-process consumers such as the lake's CDC. Never print it. */
  readonly url: string
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>
  /** Run `fn` in one transaction on one connection; rolls back on throw. */
  tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>
  close(): Promise<void>
}

// Dates stay 'YYYY-MM-DD' strings (no timezone drift); bigint and numeric come back as numbers (our values fit).
const types = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 1082) return (v: string) => v
    if (oid === 20 || oid === 1700) return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

// Validation lives in common (light), so the CLI's --database-url parser does not load pg.
export { parseDatabaseUrl }

/** Open the business database: a server from a URL, or the embedded server. Verifies the connection. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let embedded: EmbeddedPostgresHandle | undefined
  let url: string
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    parseDatabaseUrl(opts.databaseUrl)
    url = opts.databaseUrl
  } else {
    embedded = await startEmbeddedPostgres({ dir: `${opts.dataDir ?? './data'}/postgres`, logger: opts.logger })
    url = embedded.url
  }
  // UTC sessions: simulated days are UTC dates, and date↔timestamptz casts must agree with them.
  // synchronous_commit=off for every statement, not only in tx(): a simulated day also writes ~8 run-history rows
  // outside transactions, and each of those waited for a WAL fsync, 8–19 ms on a loaded VM disk against under 2 ms
  // without (a year: ~3,000 of them). Commits stay atomic and in order; a crash of the machine may lose the last
  // fraction of a second of them, and the scheduler re-runs those days, which are deterministic. Any server accepts
  // it per session, so it applies to DATABASE_URL servers too.
  const pool = new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 4, types, connectionTimeoutMillis: 10_000, options: '-c TimeZone=UTC -c synchronous_commit=off' })
  // An idle client error (server restart) must not crash the process; the next query reports it.
  pool.on('error', (err) => opts.logger.warn({ err }, 'idle PostgreSQL connection error'))
  const displayUrl = mask(url)
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    await embedded?.close()
    throw toPostgresError(err, `cannot connect to ${displayUrl}`)
  }
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await pool.end()
    await embedded?.close()
  }
  return {
    displayUrl,
    url,
    async query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
      try {
        return await pool.query<R>(sql, params)
      } catch (err) {
        throw toPostgresError(err, 'query failed')
      }
    },
    async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
      const c = await pool.connect().catch((err: unknown) => { throw toPostgresError(err, 'connect failed') })
      // A checked-out client has no pool listener: a server stopping under it (Ctrl-C) would crash the process.
      const lost = (err: Error): void => opts.logger.warn({ err: err.message }, 'PostgreSQL connection lost in a transaction')
      c.on('error', lost)
      let broken = false
      try {
        // Bulk simulation writes need no per-commit flush (the session says so, see the pool's options); a crash
        // loses at most the last day, which is re-run.
        await c.query('BEGIN')
        const out = await fn(c)
        await c.query('COMMIT')
        return out
      } catch (err) {
        await c.query('ROLLBACK').catch(() => (broken = true))
        throw err instanceof Error && 'sqlState' in err ? err : toPostgresError(err, 'transaction failed')
      } finally {
        c.off('error', lost)
        c.release(broken) // a connection that cannot roll back is dropped, not reused
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
