import type { FeatureValue } from './types.js'

/** What materialization writes per entity: every feature of the entity, and each view's event timestamp. */
export interface OnlineRecord {
  /** Latest source event per view (ms), null when the view had none within reach. */
  eventTs: Record<string, number | null>
  values: Record<string, FeatureValue>
  /** When materialization computed the record (ms). */
  materializedAt: number
}

/** The serving side's key-value store. One record per (entity, id), so a lookup is one read. */
export interface OnlineStore extends AsyncDisposable {
  /** `lmdb:<path>` or `redis://host:port`, without credentials. */
  readonly location: string
  write(entity: string, records: ReadonlyArray<readonly [id: string, record: OnlineRecord]>): Promise<void>
  read(entity: string, ids: readonly string[]): Promise<(OnlineRecord | undefined)[]>
  /** Latest materialization time per entity, or undefined. */
  lastMaterialized(entity: string): Promise<number | undefined>
  close(): Promise<void>
}

export const key = (entity: string, id: string): string => `${entity}:${id}`
export const markKey = (entity: string): string => `__materialized__:${entity}`
