import pg from 'pg'
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication'
import { ConfigError, errorMessage, silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import { LakeError } from './errors.js'
import { lit, q, type Column, type TableRef, type Warehouse } from './warehouse.js'

/**
 * CDC from PostgreSQL into `raw.<table>` (Airbyte's role), exactly once across crashes:
 * - raw is an append log: every change is a row with `_lsn` (its transaction's commit LSN), `_seq` (its order in the
 *   transaction), `_op` ('r' snapshot, 'c' insert, 'u' update, 'd' delete) and `_commit_ts`. Staging models keep the
 *   latest (`_lsn`, `_seq`) per key and drop deletes.
 * - the slot is acknowledged only after every lake commit holding a transaction; PostgreSQL then redelivers whatever
 *   was not acknowledged, and a transaction whose commit LSN is ≤ the largest `_lsn` already committed to a table is
 *   skipped for that table. Each INSERT is one atomic Iceberg commit, so the lake itself is the checkpoint.
 * - the initial snapshot is read after the slot exists, with `_lsn = 0`; every change after the slot's start is also
 *   streamed and sorts after it, so the latest row per key converges. A table's snapshot is recorded in
 *   `raw._cdc_snapshots` after it commits; an interrupted one is deleted and redone.
 */
export interface CdcOptions {
  warehouse: Warehouse
  /** postgres:// URL of the business database. Required. */
  databaseUrl: string
  /** Replication slot. Default: tapflow_lake. */
  slot?: string
  /** Publication (FOR ALL TABLES). Default: tapflow_lake. */
  publication?: string
  /** Only these tables (default: every table in schema public with a primary key). */
  tables?: readonly string[]
  /** Most time a change waits in memory before its lake commit. Default: 1000 ms. */
  flushMs?: number
  /** Flush early at this many buffered changes. Default: 50,000. */
  maxBufferedChanges?: number
  /** Test hook: called around each flush ('before-commit', 'after-commit' = committed, not yet acknowledged). */
  onPhase?: (phase: 'before-commit' | 'after-commit') => void
  clock?: Clock
  logger?: Logger
}

interface Change {
  table: string
  op: 'c' | 'u' | 'd'
  seq: number
  row: Record<string, unknown>
}

interface Tx {
  lsn: bigint
  endLsn: string
  commitMs: number
  changes: Change[]
}

export interface CdcStats {
  transactions: number
  changes: number
  commits: number
  lastAckLsn: string | undefined
}

export const CDC_COLUMNS: readonly Column[] = [
  ['_lsn', 'Int64'],
  ['_seq', 'Int64'],
  ['_op', 'String'],
  ['_commit_ts', "DateTime64(3, 'UTC')"],
]
const SNAPSHOTS: TableRef = { namespace: 'raw', name: '_cdc_snapshots' }

export class CdcSync implements AsyncDisposable {
  readonly stats: CdcStats = { transactions: 0, changes: 0, commits: 0, lastAckLsn: undefined }
  private readonly wh: Warehouse
  private readonly url: string
  private readonly slot: string
  private readonly publication: string
  private readonly flushMs: number
  private readonly maxBuffered: number
  private readonly log: Logger
  private readonly clock: Clock
  private readonly onPhase: CdcOptions['onPhase']
  private readonly only: readonly string[] | undefined
  private service: LogicalReplicationService | undefined
  private readonly maxLsn = new Map<string, bigint>()
  private readonly pgTypes = new Map<string, Map<string, string>>()
  private pending: Tx[] = []
  private current: Tx | undefined
  private buffered = 0
  private committing = 0
  private flushing: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private failure: Error | undefined

  constructor(opts: CdcOptions) {
    this.wh = opts.warehouse
    this.url = opts.databaseUrl
    this.slot = opts.slot ?? 'tapflow_lake'
    this.publication = opts.publication ?? 'tapflow_lake'
    if (!/^[a-z_][a-z0-9_]*$/.test(this.slot) || !/^[a-z_][a-z0-9_]*$/.test(this.publication)) throw new ConfigError('slot and publication names must be lower-case identifiers')
    this.flushMs = opts.flushMs ?? 1000
    this.maxBuffered = opts.maxBufferedChanges ?? 50_000
    this.onPhase = opts.onPhase
    this.only = opts.tables
    this.clock = opts.clock ?? systemClock
    this.log = (opts.logger ?? silentLogger).child({ component: 'lake-cdc' })
  }

  /** Publication, slot, initial snapshot of every table not yet snapshotted. Returns the tables replicated. */
  async prepare(progress?: (table: string, rows: number) => void): Promise<string[]> {
    const db = new pg.Client({ connectionString: this.url })
    await db.connect()
    try {
      const level = (await db.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level
      if (level !== 'logical') throw new LakeError(`PostgreSQL runs with wal_level=${level}; CDC needs wal_level=logical (restart it with -c wal_level=logical)`)
      const pub = await db.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [this.publication])
      if (pub.rowCount === 0) await db.query(`CREATE PUBLICATION ${this.publication} FOR ALL TABLES`)
      // The slot comes first: everything committed after this point is streamed, so a snapshot read later converges.
      const slot = await db.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [this.slot])
      if (slot.rowCount === 0) await db.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [this.slot])
      const tables = await this.tables(db)
      await this.wh.ensure(SNAPSHOTS, [['table_name', 'String'], ['rows', 'Int64'], ['snapshot_at', "DateTime64(3, 'UTC')"]])
      const done = new Set((await this.wh.rows<{ t: string }>(`SELECT table_name AS t FROM ${q(SNAPSHOTS)}`)).map((r) => r.t))
      for (const t of tables) {
        const ref: TableRef = { namespace: 'raw', name: t }
        await this.wh.ensure(ref, [...(await this.pgColumns(db, t)), ...CDC_COLUMNS], 'toRelativeDayNum(_commit_ts)')
        if (!done.has(t)) await this.snapshot(db, t, progress)
        const [m] = await this.wh.rows<{ m: string }>(`SELECT toString(max(_lsn)) AS m FROM ${q(ref)}`)
        this.maxLsn.set(t, BigInt(m?.m ?? '0'))
      }
      return tables
    } finally {
      await db.end()
    }
  }

  /** Stream changes until close(). Call prepare() first. */
  async start(): Promise<void> {
    this.timer = setInterval(() => this.schedule(), this.flushMs)
    this.timer.unref()
    // A previous consumer's walsender may still hold the slot for a moment after it disconnected.
    for (let attempt = 0; ; attempt++) {
      // timeoutSeconds 0: the library would otherwise acknowledge the last *received* LSN on a timer, before the
      // lake commit. Keepalives are answered below with what the lake holds.
      const service = new LogicalReplicationService({ connectionString: this.url }, { acknowledge: { auto: false, timeoutSeconds: 0 } })
      service.on('data', (_lsn: string, msg: Pgoutput.Message) => this.onMessage(msg))
      service.on('heartbeat', (lsn: string, _ts: number, reply: boolean) => {
        // A keepalive's LSN follows everything sent before it: if all of that is committed, it is safe to confirm
        // (this moves the slot past WAL with nothing for us). Otherwise answer only when asked, with what is committed.
        if (this.idle()) void service.acknowledge(lsn).catch(() => undefined)
        else if (reply) void service.acknowledge(this.stats.lastAckLsn ?? '0/0').catch(() => undefined)
      })
      service.on('error', () => undefined) // surfaced through subscribe()'s promise
      const started = new Promise<void>((res) => service.once('start', () => res()))
      const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.publication] })
      const running = service.subscribe(plugin, this.slot)
      try {
        await Promise.race([started, running.then(() => Promise.reject(new LakeError('replication stream ended before it started')))])
      } catch (err) {
        await service.stop().catch(() => undefined)
        if (/is active for PID/.test(errorMessage(err)) && attempt < 50) {
          await new Promise((res) => setTimeout(res, 200))
          continue
        }
        throw new LakeError(`cannot start CDC on slot ${this.slot}: ${errorMessage(err)}`, { cause: err })
      }
      this.service = service
      running.catch((err: unknown) => {
        if (this.service === service) this.failure ??= err instanceof Error ? err : new Error(errorMessage(err))
      })
      return
    }
  }

  /** Commit whatever complete transactions are buffered, then acknowledge. Rethrows a stream or commit failure. */
  async flush(): Promise<void> {
    do {
      this.schedule()
      await this.flushing
    } while (!this.failure && (this.pending.length > 0 || this.committing > 0))
    if (this.failure) throw this.failure
  }

  /** Run `fn` between lake commits (e.g. a compaction that rewrites a raw table), never during one. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.flushing.then(fn)
    this.flushing = run.then(() => undefined, () => undefined)
    return run
  }

  /** Wait until the slot has confirmed everything PostgreSQL has written so far (for tests and `sync` without --follow). */
  async catchUp(timeoutMs = 60_000): Promise<void> {
    const db = new pg.Client({ connectionString: this.url })
    await db.connect()
    try {
      const target = (await db.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]?.l ?? '0/0'
      const deadline = this.clock.now() + timeoutMs
      for (;;) {
        await this.flush()
        const r = await db.query<{ ok: boolean }>('SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $2', [target, this.slot])
        if (r.rows[0]?.ok === true) return
        // Nothing to replicate may still leave the slot behind (e.g. WAL from other databases): a keepalive moves it.
        // WAL with nothing for us (other databases, skipped tables) leaves the slot behind: ask the server for a
        // keepalive, which the handler above confirms once everything received is in the lake.
        if (this.idle() && this.service) await this.service.acknowledge(this.stats.lastAckLsn ?? '0/0', true)
        if (this.clock.now() > deadline) throw new LakeError(`CDC did not catch up to ${target} within ${timeoutMs} ms`)
        await new Promise((res) => setTimeout(res, 50))
      }
    } finally {
      await db.end()
    }
  }

  private onMessage(msg: Pgoutput.Message): void {
    switch (msg.tag) {
      case 'begin':
        this.current = { lsn: parseLsn(msg.commitLsn ?? '0/0'), endLsn: '0/0', commitMs: Number(msg.commitTime) / 1000, changes: [] }
        return
      case 'insert':
        this.add(msg.relation, 'c', msg.new)
        return
      case 'update':
        this.add(msg.relation, 'u', msg.new)
        return
      case 'delete':
        this.add(msg.relation, 'd', msg.key ?? msg.old ?? {})
        return
      case 'commit':
        if (this.current) {
          this.current.endLsn = msg.commitEndLsn ?? msg.commitLsn ?? '0/0'
          this.pending.push(this.current)
          this.current = undefined
          this.stats.transactions++
          if (this.buffered >= this.maxBuffered) this.schedule()
        }
        return
      case 'relation':
        // Keep dates and timestamps as PostgreSQL's text: the default parser makes a JS Date, which drops
        // microseconds and shifts dates by the process's time zone. The plugin reuses this object for later rows.
        for (const c of msg.columns) if (TEXT_OIDS.has(c.typeOid)) c.parser = (raw: unknown) => raw
        this.pgTypes.set(msg.name, new Map(msg.columns.map((c) => [c.name, OID_TYPES[c.typeOid] ?? c.typeName ?? 'text'])))
        return
      default:
        return
    }
  }

  private add(rel: Pgoutput.MessageRelation, op: Change['op'], values: Record<string, unknown>): void {
    if (rel.schema !== 'public' || !this.current || (this.only && !this.only.includes(rel.name))) return
    const types = this.pgTypes.get(rel.name)
    const row: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(values)) row[k] = toLake(v, types?.get(k))
    this.current.changes.push({ table: rel.name, op, seq: this.current.changes.length, row })
    this.buffered++
  }

  /** Nothing received is waiting for, or in the middle of, a lake commit, and no commit failed. */
  private idle(): boolean {
    return this.pending.length === 0 && this.current === undefined && this.committing === 0 && this.failure === undefined
  }

  /**
   * Commit what is buffered. One batch at a time: while a batch commits, changes accumulate and go in the next one,
   * so a backlog makes batches bigger instead of queueing many small commits (each table commit costs the same).
   */
  private schedule(): void {
    if (this.pending.length === 0 || this.committing > 0 || this.failure) return
    const batch = this.pending
    this.pending = []
    this.buffered = 0
    this.committing++
    this.flushing = this.flushing
      .then(() => this.commit(batch))
      .catch((err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(errorMessage(err))
      })
      .finally(() => {
        this.committing--
        this.schedule()
      })
  }

  private async commit(batch: Tx[]): Promise<void> {
    if (this.failure) return
    const byTable = new Map<string, Record<string, unknown>[]>()
    for (const tx of batch) {
      for (const c of tx.changes) {
        if (tx.lsn <= (this.maxLsn.get(c.table) ?? -1n)) continue // already in the lake: a redelivery after a crash
        let rows = byTable.get(c.table)
        if (!rows) byTable.set(c.table, (rows = []))
        rows.push({ ...c.row, _lsn: tx.lsn.toString(), _seq: c.seq, _op: c.op, _commit_ts: new Date(tx.commitMs).toISOString() })
      }
    }
    this.onPhase?.('before-commit')
    for (const [table, rows] of byTable) {
      const ref: TableRef = { namespace: 'raw', name: table }
      const cols = new Map<string, string>()
      for (const r of rows) for (const k of Object.keys(r)) if (!k.startsWith('_')) cols.set(k, pgToClickHouse(this.pgTypes.get(table)?.get(k) ?? 'text'))
      // A column added by a PostgreSQL migration becomes a nullable lake column (metadata only, no rewrite).
      const added = await this.wh.ensure(ref, [...[...cols].map(([n, t]) => [n, `Nullable(${t})`] as const), ...CDC_COLUMNS], 'toRelativeDayNum(_commit_ts)')
      if (added.length > 0) this.log.info({ table, added }, 'schema evolved')
      if (!this.maxLsn.has(table)) await this.wh.insertRows(SNAPSHOTS, [{ table_name: table, rows: 0, snapshot_at: new Date(this.clock.now()).toISOString() }])
      await this.wh.insertRows(ref, rows)
      this.maxLsn.set(table, rows.reduce((m, r) => (BigInt(r._lsn as string) > m ? BigInt(r._lsn as string) : m), this.maxLsn.get(table) ?? 0n))
      this.stats.commits++
      this.stats.changes += rows.length
    }
    this.onPhase?.('after-commit')
    const last = batch.at(-1)
    if (last && this.service) {
      await this.service.acknowledge(last.endLsn)
      this.stats.lastAckLsn = last.endLsn
    }
  }

  private async tables(db: pg.Client): Promise<string[]> {
    const r = await db.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
       ORDER BY 1`,
    )
    const all = r.rows.map((x) => x.t)
    return this.only ? all.filter((t) => this.only?.includes(t)) : all
  }

  private async pgColumns(db: pg.Client, table: string): Promise<Column[]> {
    const r = await db.query<{ name: string; type: string }>(
      `SELECT column_name AS name, udt_name AS type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
    this.pgTypes.set(table, new Map(r.rows.map((c) => [c.name, c.type])))
    return r.rows.map((c) => [c.name, `Nullable(${pgToClickHouse(c.type)})`] as const)
  }

  /** Copy a table through chDB's postgresql() function in one lake commit, then record it. */
  private async snapshot(db: pg.Client, table: string, progress?: (table: string, rows: number) => void): Promise<void> {
    const ref: TableRef = { namespace: 'raw', name: table }
    const [prior] = await this.wh.rows<{ n: string }>(`SELECT count() AS n FROM ${q(ref)} WHERE _op = 'r'`)
    if (Number(prior?.n ?? 0) > 0) await this.wh.command(`ALTER TABLE ${q(ref)} DELETE WHERE _op = 'r'`)
    const u = new URL(this.url)
    const cols = [...(this.pgTypes.get(table)?.keys() ?? [])]
    const at = new Date(this.clock.now()).toISOString()
    const src = `postgresql(${lit(`${u.hostname}:${u.port || '5432'}`)}, ${lit(decodeURIComponent(u.pathname.slice(1)))}, ${lit(table)}, ${lit(decodeURIComponent(u.username))}, ${lit(decodeURIComponent(u.password))})`
    await this.wh.insertSelect(
      ref,
      `SELECT ${cols.map((c) => `\`${c}\``).join(', ')}, 0, 0, 'r', parseDateTime64BestEffort(${lit(at)}, 3, 'UTC') FROM ${src}`,
      [...cols, '_lsn', '_seq', '_op', '_commit_ts'],
    )
    const n = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${db.escapeIdentifier(table)}`)).rows[0]?.n ?? 0)
    await this.wh.insertRows(SNAPSHOTS, [{ table_name: table, rows: n, snapshot_at: at }])
    progress?.(table, n)
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    const s = this.service
    this.service = undefined
    if (s) await s.stop().catch(() => undefined)
    await this.flushing.catch(() => undefined)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** "16/B374D848" → 0x16B374D848 */
export function parseLsn(s: string): bigint {
  const [hi, lo] = s.split('/')
  if (hi === undefined || lo === undefined) throw new LakeError(`bad LSN '${s}'`)
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`)
}

/** date, timestamp, timestamptz */
const TEXT_OIDS = new Set([1082, 1114, 1184])

/** Built-in type OIDs that pgoutput's relation message names only by number. */
const OID_TYPES: Record<number, string> = { 16: 'bool', 20: 'int8', 21: 'int2', 23: 'int4', 700: 'float4', 701: 'float8', 1700: 'numeric', 1082: 'date', 1114: 'timestamp', 1184: 'timestamptz', 114: 'json', 3802: 'jsonb' }

/** PostgreSQL udt_name → ClickHouse type that Iceberg can store. */
export function pgToClickHouse(udt: string): string {
  switch (udt) {
    case 'int2':
    case 'int4':
      return 'Int32'
    case 'int8':
      return 'Int64'
    case 'float4':
    case 'float8':
    case 'numeric':
      return 'Float64'
    case 'bool':
      return 'Int32' // see icebergType()
    case 'date':
      return 'Date32'
    case 'timestamp':
    case 'timestamptz':
      return "DateTime64(6, 'UTC')"
    default:
      return 'String'
  }
}

/** A decoded pgoutput value as JSON ClickHouse parses into the column's type. */
function toLake(v: unknown, pgType: string | undefined): unknown {
  if (v === null || v === undefined) return null
  if (v instanceof Date) {
    if (pgType === 'date') return `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`
    return v.toISOString()
  }
  if (typeof v === 'object') return JSON.stringify(v)
  if (typeof v === 'bigint') return v.toString()
  return v
}
