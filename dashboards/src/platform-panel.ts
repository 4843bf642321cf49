/**
 * The "Data platform" panel: the lake's tables, their freshness and the last model run, as `tapflow up` reports them.
 * No imports: the web bundle reads the same shapes. The lake lives in cloud/, which dashboards/ must not import, so
 * the stack hands the server a function (`setPlatformStatus`) that returns this.
 */

export interface PlatformTable {
  /** namespace.name, e.g. raw.customers */
  table: string
  rows: number
  dataFiles: number
  snapshots: number
  lastSnapshotId: string | null
  /** ISO time the last snapshot became current. */
  lastSnapshotAt: string | null
  /**
   * Age of the newest load: the bounded column for sources with a freshness bound (sources.yml), else the last
   * snapshot's time. Null when the table holds nothing to date.
   */
  lagSeconds: number | null
  /** The source's freshness bound, when it has one. */
  maxAgeHours: number | null
}

export interface PlatformTest {
  test: string
  /** Rows that broke it (0: passed). */
  failing: number
}

export interface PlatformRun {
  /** The simulated day whose close triggered the build. */
  day: string
  finishedAt: string
  ms: number
  ok: boolean
  /** Why the build failed, when it did. */
  error: string | null
  built: number
  skipped: number
  tests: PlatformTest[]
}

export interface PlatformStatus {
  /**
   * off: no lake in this stack; waiting: for the fleet's first frame; starting: initial snapshot and catch-up;
   * following: CDC streaming; failed: see `error`.
   */
  state: 'off' | 'waiting' | 'starting' | 'following' | 'failed'
  /** Where the lake is, e.g. data/lake. */
  dir: string | null
  error: string | null
  cdc: { transactions: number; changes: number; commits: number; lastAckLsn: string | null } | null
  /** When `tables` was read (the lake is read every few seconds at most). */
  readAt: string | null
  tables: PlatformTable[]
  lastRun: PlatformRun | null
}

export const PLATFORM_OFF: PlatformStatus = { state: 'off', dir: null, error: null, cdc: null, readAt: null, tables: [], lastRun: null }

/** A table is late when its lag passes its bound. */
export function isLate(t: PlatformTable): boolean {
  return t.maxAgeHours !== null && t.lagSeconds !== null && t.lagSeconds > t.maxAgeHours * 3600
}

/** What /api/platform answers: the stack's report, layers in lake order, or "off" when this stack has no lake. */
export async function platform(report: (() => Promise<PlatformStatus>) | undefined): Promise<PlatformStatus> {
  if (report === undefined) return PLATFORM_OFF
  const s = await report()
  const layer = (t: string): number => ['raw', 'staging', 'intermediate', 'entity'].indexOf(t.split('.')[0] ?? '')
  return { ...s, tables: [...s.tables].sort((a, b) => layer(a.table) - layer(b.table) || a.table.localeCompare(b.table)) }
}
