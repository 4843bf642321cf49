import { ConfigError, DEFAULT_SQL_LIMITS, type SqlLimits } from '../../../common/index.js'

// The limits and their defaults live in common (light), so `tapflow sql --help` shows them without the gateway.
export { DEFAULT_SQL_LIMITS, type SqlLimits } from '../../../common/index.js'

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
