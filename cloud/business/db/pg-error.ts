import { errorMessage } from '../../../common/index.js'
import { PostgresError } from '../errors.js'

/** SQLSTATE codes we explain in plain words; the rest pass the server's message through. */
const HINTS: Record<string, string> = {
  '3D000': 'the database does not exist; create it or fix DATABASE_URL',
  '28P01': 'authentication failed; check the user and password in DATABASE_URL',
  '28000': 'the server rejected this user; check DATABASE_URL',
  '57P03': 'the server is starting up or shutting down; retry shortly',
}

/** Turn anything `pg` throws into a PostgresError carrying the SQLSTATE. */
export function toPostgresError(err: unknown, context: string): PostgresError {
  if (err instanceof PostgresError) return err
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  const hint = sqlState !== undefined ? HINTS[sqlState] : undefined
  let msg = errorMessage(err)
  if (code === 'ECONNREFUSED') msg = `connection refused (${msg}); is PostgreSQL running at that address?`
  if (code === 'ENOTFOUND') msg = `host not found (${msg})`
  return new PostgresError(`${context}: ${msg}${hint ? ` (${hint})` : ''}`, sqlState, { cause: err })
}
