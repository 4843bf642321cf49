import { randomBytes } from 'node:crypto'
import type { Database } from './database.js'

/** The login `tapflow business sql` uses against a running stack: SELECT only, read-only sessions, bounded statements. */
export const READER_ROLE = 'tapflow_reader'

/**
 * Create (or re-key) the read-only role and return its postgres:// URL on the same server. A fresh password every
 * start: the URL lives only in the running stack's `stack.json`.
 */
export async function ensureReader(db: Database, serverUrl: string, statementTimeoutMs = 10_000): Promise<string> {
  const password = randomBytes(18).toString('base64url')
  await db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(727002)')
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [READER_ROLE])
    // Role names and passwords cannot be bound parameters; the password is base64url, so it needs no quoting.
    if (exists.rowCount === 0) await c.query(`CREATE ROLE ${READER_ROLE} LOGIN PASSWORD '${password}'`)
    else await c.query(`ALTER ROLE ${READER_ROLE} LOGIN PASSWORD '${password}'`)
    await c.query(`GRANT USAGE ON SCHEMA public TO ${READER_ROLE}`)
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_ROLE}`)
    await c.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${READER_ROLE}`)
    await c.query(`ALTER ROLE ${READER_ROLE} SET default_transaction_read_only = on`)
    await c.query(`ALTER ROLE ${READER_ROLE} SET statement_timeout = ${Math.max(1, Math.round(statementTimeoutMs))}`)
  })
  const u = new URL(serverUrl)
  u.username = READER_ROLE
  u.password = password
  return u.toString()
}
