import { ConfigError } from '../../../common/index.js'

/** Bounds on every query of the read-only SQL surface (the SQL port and `tapflow sql`). */
export interface SqlLimits {
  /** max_execution_time, seconds; the query is cut with code 159 (TIMEOUT_EXCEEDED). Default: 30. */
  maxSeconds: number
  /** max_memory_usage, bytes, per query; code 241. Default: 1 GiB. */
  maxMemoryBytes: number
  /** max_result_rows with result_overflow_mode=throw; code 396. Default: 10,000,000. */
  maxResultRows: number
  /** max_result_bytes, and the bytes actually sent (ClickHouse counts in-memory bytes); code 396. Default: 256 MiB. */
  maxResultBytes: number
  /** Queries running at once; one more gets code 202 (HTTP 429). Default: 4. */
  maxConcurrent: number
}

export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = Object.freeze({
  maxSeconds: 30,
  maxMemoryBytes: 1024 ** 3,
  maxResultRows: 10_000_000,
  maxResultBytes: 256 * 1024 ** 2,
  maxConcurrent: 4,
})

/** Defaults → validation → the internal form. */
export function resolveSqlLimits(l: Partial<SqlLimits> = {}): SqlLimits {
  const r = { ...DEFAULT_SQL_LIMITS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) } as SqlLimits
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`SQL limit ${k} must be a positive integer, got ${String(v)}`)
  }
  return r
}

/** The session settings that enforce the limits inside ClickHouse (set before readonly=1, which then freezes them). */
export function limitSettings(l: SqlLimits): string {
  return [
    `max_execution_time = ${l.maxSeconds}`,
    `timeout_overflow_mode = 'throw'`,
    `max_memory_usage = ${l.maxMemoryBytes}`,
    `max_result_rows = ${l.maxResultRows}`,
    `max_result_bytes = ${l.maxResultBytes}`,
    `result_overflow_mode = 'throw'`,
    // chDB hands a streamed result over one block at a time: 8K-row blocks keep a wide result's chunks to a few MB
    // (64K rows of 1 kB made 64 MB chunks and +600 MB RSS for a 1 GB result; 8K rows, +180 MB).
    `max_block_size = 8192`,
  ].join(', ')
}
