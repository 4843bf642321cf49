/** The feature store's vocabulary, after Feast: entities, feature views with a source and a TTL, typed features. */

export type FeatureType = 'int64' | 'float64' | 'string'
export type FeatureValue = number | string | null

export interface Entity {
  /** `device`, `venue`, `customer`. */
  name: string
  /** The join key in entity rows and sources (`device_id`, …). */
  joinKey: string
  description: string
}

export interface Feature {
  name: string
  type: FeatureType
  description: string
  /**
   * SQL over the view's probed columns: `<sum>__<window>` (sum over the window ending at the row's timestamp),
   * `<value>` (latest value at or before it), `<value>__at_<window>` (latest value at or before `ts - window`),
   * `__row_ts` and `__event_ts` (ms since the epoch).
   */
  sql: string
}

/**
 * A feature view. Its source query yields raw rows with `entity_id`, `ts_ms` and `__order` (seq: which of two
 * rows at one ts is later). `values` are expressions whose latest value counts; `sums` are integer expressions,
 * so a window sum is the exact difference of two running totals whatever the range a query starts from (online
 * and offline agree to the bit). `{db}`, `{entities}`, `{from}` and `{to}` are filled in: the source database,
 * a subquery of the requested entity ids, and the ms range to read.
 */
export interface FeatureView {
  name: string
  entity: string
  description: string
  owner: string
  version: number
  /** A value older than this at the row's timestamp is not used (null offline, `stale` online). */
  ttlMs: number
  /** Human name of the source, for the catalogue. */
  source: string
  sourceSql: string
  values: Readonly<Record<string, string>>
  sums: Readonly<Record<string, string>>
  windows: Readonly<Record<string, number>>
  /** Values also read at `ts - window` (`<value>__at_<window>`), e.g. a lifetime counter a day ago. */
  lagged?: readonly { value: string; window: string }[]
  features: readonly Feature[]
}

/** A feature computed from features of other views of the same entity, after the point-in-time join. */
export interface DerivedFeature extends Feature {
  entity: string
  owner: string
  version: number
  /** Feature names its SQL reads (as columns). */
  inputs: readonly string[]
}
