import { ConfigError } from './errors.js'

/*
 * Value grammars that CLI option parsers share with the engines that own them (the gateway's WAL and retention, the
 * topic contract, the business database). They live here, in a light module, so that defining a CLI command does not
 * load those engines; the owners re-export them.
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/

/** Venue and device ids are restricted to [A-Za-z0-9_-] so they can never smuggle '/', '+' or '#' into a topic. */
export function isValidId(id: string): boolean {
  return ID.test(id)
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 }

/** "512MiB", "2G", "1048576" → bytes (binary units), for `WalOptions.maxBytes`. */
export function parseByteSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim())
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()]
  if (m === null || unit === undefined) throw new ConfigError(`expected a size like 256MiB, 2GiB or a byte count, got '${v}'`)
  return Math.floor(Number(m[1]) * unit)
}

/**
 * Parses a retention period for the CLI: `90d`, `12w`, `2y` (365 days each) or `forever`; returns days (0 = forever).
 */
export function parseRetention(s: string): number {
  if (s === 'forever') return 0
  const m = /^(\d+)([dwy])$/.exec(s.trim())
  if (m === null || Number(m[1]) === 0) throw new ConfigError(`expected a period like 30d, 12w or 2y (or forever), got '${s}'`)
  return Number(m[1]) * { d: 1, w: 7, y: 365 }[m[2] as 'd' | 'w' | 'y']
}

export function parseMonth(s: string, what = 'month'): string {
  const m = /^(\d{4})-(\d{2})$/.exec(s)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new ConfigError(`invalid ${what} "${s}": expected YYYY-MM, e.g. 2025-01`)
  return s
}

/** Validate a connection string: must be a postgres:// or postgresql:// URL. */
export function parseDatabaseUrl(url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigError(`invalid DATABASE_URL "${maskDatabaseUrl(url)}": not a URL (expected postgres://user:pass@host:5432/db)`)
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ConfigError(`invalid DATABASE_URL "${maskDatabaseUrl(url)}": scheme must be postgres:// or postgresql://, got ${u.protocol}//`)
  }
  if (u.hostname === '') throw new ConfigError(`invalid DATABASE_URL "${maskDatabaseUrl(url)}": missing host`)
  if (u.pathname.length <= 1) throw new ConfigError(`invalid DATABASE_URL "${maskDatabaseUrl(url)}": missing database name`)
  return u
}

/** The URL with its password replaced by ***, for messages and logs. */
export function maskDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@')
}
