/**
 * Choices and defaults that `tapflow <cmd> --help` shows, owned by heavy folders (edge-gateway's WAL, firmware-sim's
 * result sampling) that re-export them. They live here, in a light module, so that defining a CLI command does not
 * load the engine behind it (the CLI loads engines only when a command's action runs).
 */

/**
 * When a WAL group commit counts as durable (when its records' `onDurable` runs):
 * - `always`: after fdatasync of every group commit (survives power loss).
 * - `interval`: after write(2); fdatasync every `fsyncIntervalMs` (survives a process crash).
 * - `never`: after write(2), leaving flushing to the OS (survives a process crash).
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'
export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'interval', 'never']

/** Default freshness sampling: every 100th seq of each device. */
export const SAMPLE_EVERY = 100

/** Bound on the gateway's write-ahead log, bytes (`--wal-max-bytes`). */
export const DEFAULT_WAL_MAX_BYTES = 256 * 1024 * 1024

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

/** The models `tapflow models train` trains (one GBDT per failure mode for maintenance). */
export type ModelKind = 'maintenance' | 'churn' | 'demand'
export const MODEL_KINDS: readonly ModelKind[] = ['maintenance', 'churn', 'demand']

/** Maintenance label look-ahead, ms: a failure within it of a prediction time is positive. */
export const DEFAULT_HORIZON_MS = 24 * 3_600_000
