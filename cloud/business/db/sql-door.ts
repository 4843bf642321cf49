import pg from 'pg'
import { ConfigError } from '../../../common/index.js'
import { toPostgresError } from './pg-error.js'

// Dates print as written ('YYYY-MM-DD'), not as midnight timestamps in the local zone.
const types = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 1082) return (v: string) => v
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export interface ReadOnlyQueryOptions {
  /** Rows returned at most; more are cut off and `truncated` is set. Default: 1000. */
  maxRows?: number
  /** Statement timeout, ms. Default: 10000. */
  timeoutMs?: number
}

export interface ReadOnlyResult {
  columns: string[]
  rows: unknown[][]
  truncated: boolean
}

/**
 * One query, read-only and bounded: a READ ONLY transaction (writes fail, even inside functions), a statement
 * timeout, and a cursor that fetches at most maxRows + 1 rows (so a huge result never lands in memory). Only
 * SELECT, VALUES and WITH … SELECT can back a cursor, and the extended protocol refuses a second statement.
 */
export async function readOnlyQuery(url: string, sql: string, opts: ReadOnlyQueryOptions = {}): Promise<ReadOnlyResult> {
  const maxRows = opts.maxRows ?? 1000
  const timeoutMs = opts.timeoutMs ?? 10_000
  if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > 1_000_000) throw new ConfigError(`max rows must be in 1..1000000, got ${maxRows}`)
  const text = sql.trim().replace(/;\s*$/, '')
  if (text === '') throw new ConfigError('empty query')
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, options: '-c TimeZone=UTC', types })
  try {
    await client.connect()
  } catch (err) {
    throw toPostgresError(err, 'cannot connect')
  }
  try {
    await client.query('BEGIN TRANSACTION READ ONLY')
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`)
    // A named statement goes through Parse, which refuses a second command ("cannot insert multiple commands").
    await client.query({ name: 'tapflow_sql', text: `DECLARE tapflow_sql NO SCROLL CURSOR FOR ${text}` })
    const r = await client.query({ text: `FETCH FORWARD ${maxRows + 1} FROM tapflow_sql`, rowMode: 'array' })
    const rows = r.rows as unknown[][]
    return { columns: r.fields.map((f) => f.name), rows: rows.slice(0, maxRows), truncated: rows.length > maxRows }
  } catch (err) {
    throw toPostgresError(err, 'query failed')
  } finally {
    await client.query('ROLLBACK').catch(() => undefined)
    await client.end().catch(() => undefined)
  }
}
