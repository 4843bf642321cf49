import { randomUUID } from 'node:crypto'
import type { Writable } from 'node:stream'
import type { ClickHouseClient, DataFormat } from '@clickhouse/client'
import { OptionError, systemClock, type Clock } from '../../common/index.js'
import { readsBusiness } from './business-views.js'
import { FeatureInputError } from './errors.js'
import { latestSql, pointInTimeSql, type EntityRowsSql, type Sources } from './offline.js'
import type { OnlineRecord, OnlineStore } from './online-store.js'
import { Registry, type ResolvedFeature } from './registry.js'
import { quote } from './sql.js'
import type { FeatureValue, FeatureView } from './types.js'

export interface FeatureStoreOptions {
  /** ClickHouse (embedded chDB or a server / the stack's SQL port): the offline store and the sources. */
  clickhouse: ClickHouseClient
  /** Source database. Default: `tapflow`. */
  database?: string
  /**
   * Whether ClickHouse accepts writes. Default: true: entity rows go to a Memory table (a million rows is fine).
   * False (a read-only SQL port): they go inline in the query, for small requests.
   */
  writable?: boolean
  /** The online store; needed for `materialize` and `getOnlineFeatures`. */
  online?: OnlineStore
  clock?: Clock
  registry?: Registry
  /** How far ahead of the clock an entity timestamp may be. Default: 60 s (clock skew). */
  maxFutureMs?: number
  /**
   * The business (customer features): a `postgres://` URL that ClickHouse reads through its postgresql() table
   * function (a SELECT-only login is enough). Default: none, and customer features from the business are refused
   * (materialization skips them).
   */
  businessUrl?: string
  /** Instead of businessUrl: a ClickHouse database holding copies of the business tables (tests, warehouses). */
  businessDatabase?: string
}

export interface EntityRow {
  entityId: string
  /** ms since the epoch. */
  ts: number
}

export interface HistoricalRow extends EntityRow {
  values: Record<string, FeatureValue>
}

export type Freshness = 'fresh' | 'stale' | 'missing'

export interface OnlineValue {
  value: FeatureValue
  /** The source event behind the value (ms), null when none. */
  eventTs: number | null
  status: Freshness
}

export interface OnlineRow {
  entityId: string
  features: Record<string, OnlineValue>
}

export interface MaterializeResult {
  entity: string
  entities: number
  features: number
  /** The instant materialized (ms, the store's clock). */
  at: number
  /** Wall time it took (ms). */
  ms: number
  /** Per view of the entity: the newest source event written (ms), null when no entity had one. */
  newestEvent: Record<string, number | null>
}

const SCRATCH_DB = 'tapflow_features'

/** A resolved feature with the views whose event times make its freshness (a derived one has several). */
export interface ServedFeature extends ResolvedFeature {
  views: readonly string[]
}

/** Feast's role: definitions, point-in-time training sets from ClickHouse, materialization, online serving. */
export class FeatureStore {
  readonly registry: Registry
  private readonly ch: ClickHouseClient
  private readonly db: string
  private readonly writable: boolean
  private readonly clock: Clock
  private readonly maxFutureMs: number
  readonly online: OnlineStore | undefined
  private readonly sources: Sources
  private readonly resolved = new Map<string, readonly ServedFeature[]>()

  constructor(opts: FeatureStoreOptions) {
    this.ch = opts.clickhouse
    this.db = opts.database ?? 'tapflow'
    this.writable = opts.writable ?? true
    this.clock = opts.clock ?? systemClock
    this.registry = opts.registry ?? new Registry()
    this.online = opts.online
    this.maxFutureMs = opts.maxFutureMs ?? 60_000
    this.sources = { db: this.db, business: businessSource(opts) }
  }

  /** Whether this store can compute a view (business views need the business). */
  canRead(v: FeatureView): boolean {
    return this.sources.business !== undefined || !readsBusiness(v)
  }

  /** The features of an entity this store can compute: all of them, less the business's when it has none. */
  readable(entity: string): ResolvedFeature[] {
    return this.registry.list(entity).filter((x) => this.registry.viewsFor([x]).every((v) => this.canRead(v)))
  }

  /** Point-in-time features per entity row, in the rows' order. */
  async getHistoricalFeatures(req: { entity: string; rows: readonly EntityRow[]; features: readonly string[] }): Promise<HistoricalRow[]> {
    const feats = this.registry.resolve(req.features, req.entity)
    if (req.rows.length === 0) return []
    return this.withEntityRows(req.rows, async (rows) => {
      const rs = await this.ch.query({ query: pointInTimeSql(this.registry, feats, rows, this.sources), format: 'JSONEachRow', clickhouse_settings: this.settings() })
      const out = await rs.json<Record<string, FeatureValue>>()
      return out.map((r) => ({ entityId: String(r.entity_id), ts: Number(r.ts_ms), values: pick(r, feats) }))
    })
  }

  /**
   * A training set straight from ClickHouse to a stream (CSVWithNames, Parquet, …): one row per entity row with
   * the join key, `event_timestamp`, the entity rows' extra columns (labels) and the features.
   */
  async exportHistoricalFeatures(req: { entity: string; rows: EntityRowsSql; features: readonly string[]; format: DataFormat; out: Writable }): Promise<void> {
    const feats = this.registry.resolve(req.features, req.entity)
    const key = this.registry.entity(req.entity).joinKey
    const cols = [`entity_id AS ${key}`, "fromUnixTimestamp64Milli(ts_ms, 'UTC') AS event_timestamp", ...(req.rows.extra ?? []).map((c) => `\`${c}\``), ...feats.map((f) => f.name)]
    const query = `SELECT ${cols.join(', ')} FROM (${pointInTimeSql(this.registry, feats, req.rows, this.sources)}) FORMAT ${req.format}`
    const rs = await this.ch.exec({ query, clickhouse_settings: this.settings() })
    for await (const chunk of rs.stream) if (!req.out.write(chunk as Buffer)) await new Promise((r) => req.out.once('drain', r))
  }

  /**
   * Entity rows from a label query: its `key` column is the entity id, `ts` the timestamp (DateTime or ms), and
   * every other column is carried into the training set. The query runs inside the point-in-time query.
   */
  async labelRows(query: string, key: string): Promise<EntityRowsSql> {
    const rs = await this.ch.query({ query: `DESCRIBE (${query})`, format: 'JSONEachRow' })
    const desc = await rs.json<{ name: string; type: string }>()
    const names = desc.map((c) => c.name)
    for (const need of [key, 'ts']) if (!names.includes(need)) throw new FeatureInputError(`the label query has no '${need}' column (it has ${names.join(', ')})`)
    const extra = names.filter((n) => n !== key && n !== 'ts')
    const tsType = desc.find((c) => c.name === 'ts')?.type ?? ''
    const ts = /Int/.test(tsType) ? 'toInt64(ts)' : "toUnixTimestamp64Milli(toDateTime64(ts, 3, 'UTC'))"
    return {
      from: `(SELECT toUInt64(rowNumberInAllBlocks()) AS row_id, toString(\`${key}\`) AS entity_id, ${ts} AS ts_ms${extra.map((c) => `, \`${c}\``).join('')} FROM (${query}))`,
      extra,
    }
  }

  /** Runs `fn` with the rows as a table: a Memory table when writable, else inline JSON. */
  async withEntityRows<T>(rows: readonly EntityRow[], fn: (rows: EntityRowsSql) => Promise<T>, extra?: readonly Record<string, string>[]): Promise<T> {
    const now = this.clock.now()
    for (const r of rows) {
      if (!Number.isFinite(r.ts)) throw new FeatureInputError(`entity row for '${r.entityId}' has no valid timestamp`)
      if (r.ts > now + this.maxFutureMs) throw new FeatureInputError(`entity row for '${r.entityId}' is in the future: ${new Date(r.ts).toISOString()}`)
    }
    const extraCols = extra?.[0] === undefined ? [] : Object.keys(extra[0])
    const json = (r: EntityRow, i: number): Record<string, unknown> => ({ row_id: i, entity_id: r.entityId, ts_ms: Math.trunc(r.ts), ...(extra?.[i] ?? {}) })
    const schema = ['row_id UInt64', 'entity_id String', 'ts_ms Int64', ...extraCols.map((c) => `\`${c}\` String`)].join(', ')
    if (!this.writable) {
      // The read-only SQL surface allows the `values` table function (and no temporary tables).
      const tuples = rows.map((r, i) => `(${[i, quote(r.entityId), Math.trunc(r.ts), ...extraCols.map((c) => quote(extra?.[i]?.[c] ?? ''))].join(', ')})`)
      return fn({ from: `values(${quote(schema)}, ${tuples.join(', ')})`, extra: extraCols })
    }
    const table = `${SCRATCH_DB}.entity_rows_${randomUUID().replaceAll('-', '')}`
    await this.ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${SCRATCH_DB}` })
    await this.ch.command({ query: `CREATE TABLE ${table} (${schema}) ENGINE = Memory` })
    try {
      await this.ch.insert({ table, values: rows.map(json), format: 'JSONEachRow' })
      return await fn({ from: table, extra: extraCols })
    } finally {
      await this.ch.command({ query: `DROP TABLE IF EXISTS ${table}` })
    }
  }

  /** Every id of an entity the sources know (the devices/venues dimensions and what reported). */
  entityIdsSql(entity: string): string {
    this.registry.entity(entity)
    const sql = ENTITY_IDS[entity]
    if (sql === undefined) throw new FeatureInputError(`entity '${entity}' has no id source`)
    return sql.replaceAll('{db}', this.db)
  }

  /** Every id of an entity the sources know, sorted (the rows of `entityIdsSql`). */
  async entityIds(entity: string): Promise<string[]> {
    const rs = await this.ch.query({ query: `SELECT DISTINCT id FROM (${this.entityIdsSql(entity)}) ORDER BY id`, format: 'JSONEachRow', clickhouse_settings: this.settings() })
    return (await rs.json<{ id: string }>()).map((r) => String(r.id))
  }

  /** Writes the latest values of every feature of `entity` (or of every entity) at `at` (default now) to the online store. */
  async materialize(opts: { entity?: string; at?: number; onProgress?: (r: MaterializeResult) => void } = {}): Promise<MaterializeResult[]> {
    const online = this.requireOnline()
    const entities = opts.entity === undefined ? this.registry.entities.map((e) => e.name) : [this.registry.entity(opts.entity).name]
    const out: MaterializeResult[] = []
    for (const entity of entities) {
      const t0 = performance.now()
      const at = opts.at ?? this.clock.now()
      const feats = this.readable(entity)
      const views = this.registry.viewsFor(feats)
      const query = latestSql(this.registry, feats, this.entityIdsSql(entity), Math.trunc(at), this.sources)
      const rs = await this.ch.query({ query, format: 'JSONEachRow', clickhouse_settings: this.settings() })
      let batch: [string, OnlineRecord][] = []
      let n = 0
      const newestEvent: Record<string, number | null> = Object.fromEntries(views.map((v) => [v.name, null]))
      for await (const chunk of rs.stream<Record<string, FeatureValue>>()) {
        for (const row of chunk) {
          const r = row.json()
          const eventTs: Record<string, number | null> = {}
          for (const v of views) {
            const t = nullableNumber(r[`${v.name}__event_ts`])
            eventTs[v.name] = t
            if (t !== null && t > (newestEvent[v.name] ?? -Infinity)) newestEvent[v.name] = t
          }
          batch.push([String(r.entity_id), { eventTs, values: pick(r, feats), materializedAt: at }])
          n++
        }
        if (batch.length >= 5_000) {
          await online.write(entity, batch)
          batch = []
        }
      }
      await online.write(entity, batch)
      const res = { entity, entities: n, features: feats.length, at, ms: Math.round(performance.now() - t0), newestEvent }
      opts.onProgress?.(res)
      out.push(res)
    }
    return out
  }

  /** The store's clock: freshness is judged against it (simulated time under `tapflow up`). */
  now(): number {
    return this.clock.now()
  }

  /** Current values from the online store, each with its event timestamp and freshness. */
  async getOnlineFeatures(req: { entity: string; ids: readonly string[]; features: readonly string[] }): Promise<OnlineRow[]> {
    const online = this.requireOnline()
    const feats = this.resolveCached(req.features, req.entity)
    const records = await online.read(req.entity, req.ids)
    const now = this.clock.now()
    return req.ids.map((entityId, i) => ({ entityId, features: this.toOnline(feats, records[i], now) }))
  }

  /**
   * `registry.resolve` remembered per (entity, feature list), each feature with the views its freshness comes from:
   * a serving process asks for the same list call after call, and resolving 50 names is most of a lookup's work.
   */
  resolveCached(features: readonly string[], entity: string): readonly ServedFeature[] {
    const k = `${entity}\u0000${features.join('\u0000')}`
    let r = this.resolved.get(k)
    if (r === undefined) {
      r = this.registry.resolve(features, entity).map((f) => ({ ...f, views: f.view === 'derived' ? this.registry.viewsFor([f]).map((v) => v.name) : [f.view] }))
      if (this.resolved.size >= 256) this.resolved.clear()
      this.resolved.set(k, r)
    }
    return r
  }

  private toOnline(feats: readonly ServedFeature[], rec: OnlineRecord | undefined, now: number): Record<string, OnlineValue> {
    const out: Record<string, OnlineValue> = {}
    for (const f of feats) {
      const views = f.views
      let eventTs: number | null = null
      for (const v of views) {
        const t = rec?.eventTs[v] ?? null
        if (t === null) { eventTs = null; break }
        eventTs = eventTs === null ? t : Math.min(eventTs, t)
      }
      const status: Freshness = eventTs === null ? 'missing' : now - eventTs > f.ttlMs ? 'stale' : 'fresh'
      out[f.name] = { value: rec?.values[f.name] ?? null, eventTs, status }
    }
    return out
  }

  /** A read-only port refuses setting changes: there, 64-bit integers come quoted and `pick` converts them. */
  private settings(): typeof JSON_OUT | undefined {
    return this.writable ? JSON_OUT : undefined
  }

  private requireOnline(): OnlineStore {
    if (this.online === undefined) throw new FeatureInputError('no online store configured')
    return this.online
  }
}

const JSON_OUT = { output_format_json_quote_64bit_integers: 0, output_format_json_quote_denormals: 0 } as const

const ENTITY_IDS: Record<string, string> = {
  device: 'SELECT DISTINCT device_id AS id FROM {db}.device_state UNION DISTINCT SELECT device_id AS id FROM {db}.devices',
  venue: 'SELECT DISTINCT venue_id AS id FROM {db}.device_state UNION DISTINCT SELECT venue_id AS id FROM {db}.venues',
  customer: "SELECT DISTINCT account_id AS id FROM {db}.venues WHERE account_id != ''",
}

function businessSource(o: FeatureStoreOptions): Sources['business'] {
  if (o.businessDatabase !== undefined) {
    const db = o.businessDatabase
    return (table) => `${db}.${table}`
  }
  if (o.businessUrl === undefined) return undefined
  let u: URL
  try {
    u = new URL(o.businessUrl)
  } catch {
    throw new OptionError('FeatureStoreOptions.businessUrl', 'is not a postgres:// URL')
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new OptionError('FeatureStoreOptions.businessUrl', `must be postgres://, got '${u.protocol}'`)
  const args = [`${u.hostname}:${u.port || '5432'}`, u.pathname.slice(1), u.username, u.password].map((x) => quote(decodeURIComponent(x)))
  return (table) => `postgresql(${args[0]}, ${args[1]}, ${quote(table)}, ${args[2]}, ${args[3]})`
}

function nullableNumber(v: FeatureValue | undefined): number | null {
  return v === null || v === undefined ? null : Number(v)
}

function pick(r: Record<string, FeatureValue>, feats: readonly ResolvedFeature[]): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {}
  for (const f of feats) {
    const v = r[f.name] ?? null
    out[f.name] = v !== null && f.type !== 'string' ? Number(v) : v
  }
  return out
}
