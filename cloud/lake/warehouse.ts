import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { ConfigError, errorMessage, silentLogger, type Logger } from '../../common/index.js'
import { LakeError } from './errors.js'

/** The lake's layers, each a ClickHouse database of Iceberg tables. */
export const NAMESPACES = ['raw', 'staging', 'intermediate', 'entity'] as const
export type Namespace = (typeof NAMESPACES)[number]

/** Settings every Iceberg write needs in chDB 3.4 (writes, ALTERs and EXECUTE are experimental there). */
export const ICEBERG_WRITE = {
  allow_experimental_insert_into_iceberg: 1,
  allow_insert_into_iceberg: 1,
  // Dates and timestamps arrive as text from PostgreSQL and ClickHouse JSON.
  date_time_input_format: 'best_effort',
  // Measured here on 2M pours: zstd (the default) ~290K rows/s, snappy with two insert threads ~1.1M rows/s.
  output_format_parquet_compression_method: 'snappy',
  max_insert_threads: '2',
} as const

export interface S3Location {
  /** s3://bucket/prefix */
  url: string
  /** HTTP endpoint of the S3 service (e.g. http://127.0.0.1:9000 for MinIO). Default: none, meaning AWS. */
  endpoint?: string
  /** Default: none (anonymous / instance credentials). */
  accessKeyId?: string
  secretAccessKey?: string
}

export interface WarehouseOptions {
  /** The process's one ClickHouse session (chDB or server) that reads and writes the tables. Required. */
  client: ClickHouseClient
  /** Local lake root. Default: ./data/lake. chDB only opens files under the process's working directory. */
  root?: string
  /** Put the tables on S3 instead of `root`. Default: none (local disk). */
  s3?: S3Location
  /** Snapshots kept per table by `expire()`. Default: 100. */
  keepSnapshots?: number
  /** Default: silent. */
  logger?: Logger
}

export interface TableRef {
  namespace: Namespace
  name: string
}

export interface TableInfo extends TableRef {
  rows: number
  dataFiles: number
  snapshots: number
  lastSnapshotId: string | undefined
  lastSnapshotAt: string | undefined
}

export interface Snapshot {
  snapshotId: string
  parentId: string
  madeCurrentAt: string
  isCurrentAncestor: boolean
}

/** The parts of an Iceberg table-metadata file the rewrite needs. */
interface IcebergMetadata {
  'default-spec-id': number
  'current-schema-id': number
  'partition-specs': { 'spec-id': number; fields: { name: string; 'source-id': number; transform: string }[] }[]
  schemas: { 'schema-id': number; fields: { id: number; name: string }[] }[]
}

/** A column as [name, ClickHouse type]. Lake columns are Nullable so later rows may omit them. */
export type Column = readonly [name: string, type: string]

const IDENT = /^[a-z_][a-z0-9_]*$/

export function assertIdent(s: string, what: string): void {
  if (!IDENT.test(s)) throw new ConfigError(`${what} must match ${IDENT.source}, got '${s}'`)
}

export function parseNamespace(s: string): Namespace {
  if (!(NAMESPACES as readonly string[]).includes(s)) throw new ConfigError(`unknown lake namespace '${s}' (use one of ${NAMESPACES.join(', ')})`)
  return s as Namespace
}

/** "raw.customers" → { namespace, name } */
export function parseTableRef(s: string): TableRef {
  const [ns, name, extra] = s.split('.')
  if (ns === undefined || name === undefined || extra !== undefined) throw new ConfigError(`table must be <namespace>.<name>, got '${s}'`)
  assertIdent(name, 'table name')
  return { namespace: parseNamespace(ns), name }
}

/**
 * The lake's catalog: Iceberg v2 tables at `<root>/<namespace>/<table>`, written and read by ClickHouse's
 * IcebergLocal (or IcebergS3) engine. Every INSERT is one Iceberg commit (one snapshot).
 */
export class Warehouse implements AsyncDisposable {
  readonly client: ClickHouseClient
  readonly root: string
  readonly s3: S3Location | undefined
  readonly keepSnapshots: number
  private readonly log: Logger
  private readonly attached = new Set<string>()

  constructor(opts: WarehouseOptions) {
    this.client = opts.client
    if (opts.s3 !== undefined) s3Parts(opts.s3) // a bad --lake-url fails here, not at the first query
    this.s3 = opts.s3
    this.root = resolve(opts.root ?? join('data', 'lake'))
    this.keepSnapshots = opts.keepSnapshots ?? 100
    if (!Number.isInteger(this.keepSnapshots) || this.keepSnapshots < 1) throw new ConfigError(`keepSnapshots must be a positive integer, got ${this.keepSnapshots}`)
    this.log = (opts.logger ?? silentLogger).child({ component: 'lake' })
    if (this.s3 === undefined) {
      const rel = relative(process.cwd(), this.root)
      // chDB refuses Iceberg paths outside its user-files root, which is the working directory.
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new ConfigError(`the lake (${this.root}) must be under the working directory (${process.cwd()}): the embedded ClickHouse only opens files there`)
      }
    }
  }

  /** Create the namespaces and attach every table already in the lake. */
  async open(): Promise<this> {
    // chDB persists table definitions with the columns they had when created; another process may have evolved
    // or rewritten a table since. Start from the lake's own metadata: drop the definitions (never the data) and
    // attach what storage holds.
    for (const ns of NAMESPACES) {
      await this.client.command({ query: `DROP DATABASE IF EXISTS ${ns} SYNC`, clickhouse_settings: { iceberg_delete_data_on_drop: 0 } })
      await this.command(`CREATE DATABASE ${ns}`)
    }
    for (const t of await this.discover()) await this.attach(t)
    return this
  }

  /** Engine clause for a table's location. */
  engine(t: TableRef): string {
    if (this.s3 !== undefined) {
      const { bucket, prefix, endpoint } = s3Parts(this.s3)
      const url = `${[endpoint, bucket, prefix, t.namespace, t.name].filter(Boolean).join('/')}/`
      const creds = this.s3.accessKeyId !== undefined ? `, ${lit(this.s3.accessKeyId)}, ${lit(this.s3.secretAccessKey ?? '')}` : ''
      return `IcebergS3(${lit(url)}${creds})`
    }
    return `IcebergLocal(${lit(this.dir(t))})`
  }

  dir(t: TableRef): string {
    return join(this.root, t.namespace, t.name)
  }

  /** Tables present in the lake's storage (not just this session). */
  async discover(): Promise<TableRef[]> {
    if (this.s3 === undefined) {
      const out: TableRef[] = []
      for (const ns of NAMESPACES) {
        const d = join(this.root, ns)
        if (!existsSync(d)) continue
        for (const name of readdirSync(d).sort()) if (IDENT.test(name) && existsSync(join(d, name, 'metadata'))) out.push({ namespace: ns, name })
      }
      return out
    }
    const { bucket, prefix, endpoint } = s3Parts(this.s3)
    const glob = `${[endpoint, bucket, prefix].filter(Boolean).join('/')}/*/*/metadata/v1.metadata.json`
    const creds = this.s3.accessKeyId !== undefined ? `, ${lit(this.s3.accessKeyId)}, ${lit(this.s3.secretAccessKey ?? '')}` : ''
    const rows = await this.rows<{ p: string }>(`SELECT DISTINCT _path AS p FROM s3(${lit(glob)}${creds}, 'RawBLOB') SETTINGS s3_throw_on_zero_files_match = 0`)
    const out: TableRef[] = []
    for (const { p } of rows) {
      const parts = p.split('/')
      const ns = parts.at(-4)
      const name = parts.at(-3)
      if (ns !== undefined && name !== undefined && (NAMESPACES as readonly string[]).includes(ns) && IDENT.test(name)) out.push({ namespace: ns as Namespace, name })
    }
    return out.sort((a, b) => `${a.namespace}.${a.name}`.localeCompare(`${b.namespace}.${b.name}`))
  }

  exists(t: TableRef): boolean {
    return this.attached.has(key(t))
  }

  /** Attach an existing Iceberg table to the session (schema comes from its metadata). */
  async attach(t: TableRef): Promise<void> {
    await this.command(`CREATE TABLE IF NOT EXISTS ${q(t)} ENGINE = ${this.engine(t)}`)
    this.attached.add(key(t))
  }

  /**
   * Create the table if absent; if present, add any missing columns (Iceberg schema evolution: metadata only, no
   * data rewrite). Returns the names of columns added to an existing table.
   */
  async ensure(t: TableRef, columns: readonly Column[], partitionBy?: string): Promise<string[]> {
    assertIdent(t.name, 'table name')
    if (!this.exists(t) && this.s3 === undefined && existsSync(join(this.dir(t), 'metadata'))) await this.attach(t)
    if (!this.exists(t)) {
      if (this.s3 === undefined) await mkdir(join(this.root, t.namespace), { recursive: true })
      const cols = columns.map(([n, ty]) => `${qi(n)} ${icebergType(ty)}`).join(', ')
      await this.command(`CREATE TABLE ${q(t)} (${cols}) ENGINE = ${this.engine(t)}${partitionBy ? ` PARTITION BY ${partitionBy}` : ''}`)
      this.attached.add(key(t))
      this.log.debug({ table: key(t) }, 'created Iceberg table')
      return []
    }
    const have = new Set((await this.columns(t)).map(([n]) => n))
    const added: string[] = []
    for (const [n, ty] of columns) {
      if (have.has(n)) continue
      await this.addColumn(t, n, ty.startsWith('Nullable(') ? icebergType(ty) : `Nullable(${icebergType(ty)})`)
      added.push(n)
    }
    return added
  }

  async columns(t: TableRef): Promise<Column[]> {
    const rows = await this.rows<{ name: string; type: string }>(`DESCRIBE TABLE ${q(t)}`)
    return rows.map((r) => [r.name, r.type] as const)
  }

  /** Schema evolution: a new nullable column, metadata only. */
  async addColumn(t: TableRef, name: string, type: string): Promise<void> {
    assertIdent(name, 'column name')
    await this.command(`ALTER TABLE ${q(t)} ADD COLUMN ${qi(name)} ${type}`)
    // The session's table keeps the columns it was created with; re-attach so it reads the evolved schema.
    await this.command(`DROP TABLE ${q(t)} SYNC`)
    await this.attach(t)
    this.log.info({ table: key(t), column: name, type }, 'added column')
  }

  /** Append rows in one commit. */
  async insertRows(t: TableRef, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return
    try {
      await this.client.insert({ table: q(t), values: rows as Record<string, unknown>[], format: 'JSONEachRow', clickhouse_settings: ICEBERG_WRITE })
    } catch (err) {
      throw new LakeError(`commit to ${key(t)} failed: ${errorMessage(err)}`, { cause: err })
    }
  }

  /** Append the result of a SELECT in one commit. */
  async insertSelect(t: TableRef, select: string, columns?: readonly string[]): Promise<void> {
    await this.command(`INSERT INTO ${q(t)}${columns ? ` (${columns.map(qi).join(', ')})` : ''} ${select}`)
  }

  /**
   * Run a SELECT. `settings` go into the statement's own SETTINGS clause: chDB applies `clickhouse_settings` to the
   * whole session, where a time-travel `iceberg_snapshot_id` would then pin every later query.
   */
  async rows<T>(sql: string, settings: Record<string, string | number> = {}): Promise<T[]> {
    const clause = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : lit(v)}`).join(', ')
    try {
      const r = await this.client.query({ query: clause ? `${sql}\nSETTINGS ${clause}` : sql, format: 'JSONEachRow' })
      return await r.json<T>()
    } catch (err) {
      throw new LakeError(`${errorMessage(err)} (in: ${sql.slice(0, 200)})`, { cause: err })
    }
  }

  async command(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql, clickhouse_settings: ICEBERG_WRITE })
    } catch (err) {
      throw new LakeError(`${errorMessage(err)} (in: ${sql.slice(0, 200)})`, { cause: err })
    }
  }

  /** Snapshot history, oldest first. */
  async snapshots(t: TableRef): Promise<Snapshot[]> {
    return this.rows<Snapshot>(
      `SELECT toString(snapshot_id) AS snapshotId, toString(parent_id) AS parentId, toString(made_current_at) AS madeCurrentAt,
              is_current_ancestor AS isCurrentAncestor
       FROM system.iceberg_history WHERE database = ${lit(t.namespace)} AND table = ${lit(t.name)} ORDER BY made_current_at`,
    )
  }

  async list(): Promise<TableInfo[]> {
    const out: TableInfo[] = []
    for (const t of await this.discover()) {
      if (!this.exists(t)) await this.attach(t)
      const [c] = await this.rows<{ rows: string; files: string }>(`SELECT count() AS rows, uniqExact(_path) AS files FROM ${q(t)}`)
      const snaps = await this.snapshots(t)
      out.push({ ...t, rows: Number(c?.rows ?? 0), dataFiles: Number(c?.files ?? 0), snapshots: snaps.length, lastSnapshotId: snaps.at(-1)?.snapshotId, lastSnapshotAt: snaps.at(-1)?.madeCurrentAt })
    }
    return out
  }

  /** The most data files any partition of the current snapshot has. */
  async filesPerPartition(t: TableRef): Promise<number> {
    const expr = (await this.partitionExpr(t)) ?? '0'
    const [r] = await this.rows<{ m: string }>(`SELECT max(n) AS m FROM (SELECT ${expr} AS p, uniqExact(_path) AS n FROM ${q(t)} GROUP BY p)`)
    return Number(r?.m ?? 0)
  }

  /** Keep the newest `keep` snapshots (Iceberg expire_snapshots; unreferenced files are deleted). */
  async expire(t: TableRef, keep = this.keepSnapshots): Promise<number> {
    const snaps = await this.snapshots(t)
    if (snaps.length <= keep) return 0
    await this.client.command({
      query: `ALTER TABLE ${q(t)} EXECUTE expire_snapshots(${lit(new Date(Date.now() + 60_000).toISOString().replace('T', ' ').slice(0, 19))})`,
      clickhouse_settings: { ...ICEBERG_WRITE, allow_experimental_expire_snapshots: 1, iceberg_expire_default_min_snapshots_to_keep: keep, iceberg_expire_default_max_snapshot_age_ms: 0 },
    })
    return snaps.length - (await this.snapshots(t)).length
  }

  /**
   * Compaction by rewrite. chDB 3.4's OPTIMIZE on Iceberg is a no-op for append-only tables and fails once deletes
   * exist ("Unsupported snapshot's operation type OVERWRITE"), and TRUNCATE is refused, so the table is rewritten as
   * a new Iceberg table in the same place: its rows are first copied to a durable chDB MergeTree table (so a crash
   * mid-way resumes from it), the old table's files are removed, and one INSERT writes one file per partition.
   * History before the compaction is lost (documented; expiry would drop it in time anyway).
   */
  async compact(t: TableRef): Promise<{ before: number; after: number }> {
    const partitionBy = await this.partitionExpr(t)
    const hold = `lake_compact.${t.namespace}__${t.name}`
    await this.command('CREATE DATABASE IF NOT EXISTS lake_compact')
    const [pending] = await this.rows<{ n: string }>(`SELECT count() AS n FROM system.tables WHERE database = 'lake_compact' AND name = ${lit(`${t.namespace}__${t.name}`)}`)
    let before = 0
    if (Number(pending?.n ?? 0) === 0) {
      before = Number((await this.rows<{ n: string }>(`SELECT uniqExact(_path) AS n FROM ${q(t)}`))[0]?.n ?? 0)
      await this.command(`CREATE TABLE ${hold} ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM ${q(t)}`)
    }
    const cols = await this.rows<{ name: string; type: string }>(`DESCRIBE TABLE ${hold}`)
    await this.command(`DROP TABLE IF EXISTS ${q(t)} SYNC`)
    this.attached.delete(key(t))
    if (this.s3 === undefined) await rm(this.dir(t), { recursive: true, force: true })
    else throw new LakeError('compaction of S3 tables is not implemented (drop-and-rewrite needs object deletes)')
    await this.ensure(t, cols.map((c) => [c.name, c.type] as const), partitionBy)
    await this.insertSelect(t, `SELECT * FROM ${hold}`)
    await this.command(`DROP TABLE ${hold} SYNC`)
    const after = Number((await this.rows<{ n: string }>(`SELECT uniqExact(_path) AS n FROM ${q(t)}`))[0]?.n ?? 0)
    this.log.info({ table: key(t), before, after }, 'compacted')
    return { before, after }
  }

  /** The table's day partitioning as a ClickHouse expression, read from its current Iceberg partition spec. */
  async partitionExpr(t: TableRef): Promise<string | undefined> {
    if (this.s3 !== undefined) return undefined
    const dir = join(this.dir(t), 'metadata')
    const latest = readdirSync(dir).filter((f) => /^v\d+\.metadata\.json$/.test(f)).sort((a, b) => Number(a.slice(1).split('.')[0]) - Number(b.slice(1).split('.')[0])).at(-1)
    if (latest === undefined) return undefined
    const meta = JSON.parse(await readFile(join(dir, latest), 'utf8')) as IcebergMetadata
    const spec = meta['partition-specs'].find((s) => s['spec-id'] === meta['default-spec-id'])
    const schema = meta.schemas.find((s) => s['schema-id'] === meta['current-schema-id'])
    const exprs = (spec?.fields ?? []).map((f) => {
      const col = qi(schema?.fields.find((c) => c.id === f['source-id'])?.name ?? f.name)
      if (f.transform === 'identity') return col
      if (f.transform === 'day' || f.transform === 'days') return `toRelativeDayNum(${col})`
      throw new LakeError(`${key(t)}: partition transform '${f.transform}' is not supported by the rewrite`)
    })
    return exprs.length === 0 ? undefined : exprs.length === 1 ? exprs[0] : `(${exprs.join(', ')})`
  }

  async close(): Promise<void> {
    this.attached.clear()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * ClickHouse type → one chDB's Iceberg writer accepts: it has no mapping for Bool and the small integer types
 * ("Unsupported type for iceberg"), and LowCardinality is only an encoding.
 */
export function icebergType(t: string): string {
  return t
    .replace(/LowCardinality\(([^()]*(?:\([^()]*\))?)\)/g, '$1')
    .replace(/\b(Bool|U?Int8|U?Int16)\b/g, 'Int32')
    .replace(/\bUInt32\b/g, 'Int64')
}

export function key(t: TableRef): string {
  return `${t.namespace}.${t.name}`
}

/** Quoted `ns`.`name`. */
export function q(t: TableRef): string {
  return `${qi(t.namespace)}.${qi(t.name)}`
}

export function qi(s: string): string {
  return `\`${s.replace(/`/g, '``')}\``
}

export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

function s3Parts(s: S3Location): { bucket: string; prefix: string; endpoint: string } {
  let u: URL
  try {
    u = new URL(s.url)
  } catch {
    throw new ConfigError(`--lake-url is not a URL: '${s.url}'`)
  }
  if (u.protocol !== 's3:' || u.hostname === '') throw new ConfigError(`--lake-url must be s3://bucket/prefix, got '${s.url}'`)
  const endpoint = (s.endpoint ?? `https://${u.hostname}.s3.amazonaws.com`).replace(/\/+$/, '')
  if (s.endpoint === undefined) return { bucket: '', prefix: u.pathname.replace(/^\/+|\/+$/g, ''), endpoint }
  return { bucket: u.hostname, prefix: u.pathname.replace(/^\/+|\/+$/g, ''), endpoint }
}
