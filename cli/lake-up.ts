import { isAbsolute, relative, resolve } from 'node:path'
import { ConfigError, errorMessage, type Logger } from '../common/index.js'
import { LakeFollower, ModelTestError, Warehouse, loadModels, tableKey } from '../cloud/index.js'
import type { PlatformRun, PlatformStatus, PlatformTable, PlatformTest } from '../dashboards/index.js'
import { openClickHouse, type ClickHouseHandle } from '../edge-gateway/index.js'

const WATCH_MS = 250
/** The dashboard polls; the lake (some 200 small queries) is read at most this often, as often as telemetry lands. */
const READ_EVERY_MS = 10_000
/** A dashboard request waits at most this long for a fresh read (a model build may hold the lake longer). */
const READ_WAIT_MS = 2_000

export interface LakeUpOptions {
  dataDir: string
  /** The stack's ClickHouse (the lake opens a session of its own on it) and its gateway (for the first frame). */
  stack: { clickhouse: ClickHouseHandle; gateway: { stats: { framesIn: number } } }
  /** The business: its PostgreSQL is followed by CDC and the models rebuild after each day its DAG closes. */
  business: { databaseUrl: string; onDayClosed(listener: (day: string) => Promise<void> | void): void }
  /** Telemetry export and upkeep interval. Default: 10,000 ms. */
  intervalMs?: number
  logger: Logger
}

/**
 * Where `tapflow up` keeps the lake. chDB opens Iceberg files only under the working directory: `tapflow up` checks
 * `lakeUnreachable` first and runs without a lake (saying why in its banner) rather than failing.
 */
export function lakeDir(dataDir: string): string {
  const why = lakeUnreachable(dataDir)
  if (why !== undefined) throw new ConfigError(`the lake (${resolve(dataDir, 'lake')}) cannot be kept: ${why}. Run tapflow from a directory that contains --data-dir, or pass --no-lake`)
  return resolve(dataDir, 'lake')
}

/** Why `tapflow up` cannot keep a lake in this data dir, or undefined when it can. */
export function lakeUnreachable(dataDir: string): string | undefined {
  const dir = resolve(dataDir, 'lake')
  const rel = relative(process.cwd(), dir)
  return rel.startsWith('..') || isAbsolute(rel) ? `the data dir is outside the working directory (${process.cwd()}), and the embedded ClickHouse opens lake files only under it` : undefined
}

/**
 * The lake in `tapflow up`: waits for the fleet's first frame (thousands of device sessions connecting need the CPU
 * more), then snapshots the business and follows it by CDC, exports telemetry every interval, and rebuilds the models
 * after each simulated day's DAG. Rebuilds never hold up the DAG: a day closed during a build is folded into the next.
 */
export class LakeUp implements AsyncDisposable {
  readonly dir: string
  private readonly o: LakeUpOptions
  private readonly log: Logger
  private state: PlatformStatus['state'] = 'waiting'
  private error: string | null = null
  private session: ClickHouseHandle | undefined
  private follower: LakeFollower | undefined
  private readonly started: Promise<void>
  private closing = false
  private dueDay: string | undefined
  private building: Promise<void> | undefined
  private lastRun: PlatformRun | null = null
  private tables: { at: number; rows: PlatformTable[] } = { at: 0, rows: [] }
  private reading: Promise<void> | undefined
  private readonly stopBuild = new AbortController()

  constructor(o: LakeUpOptions) {
    this.dir = lakeDir(o.dataDir)
    if (o.stack.clickhouse.engine !== 'chdb') throw new ConfigError('the lake in tapflow up needs the embedded ClickHouse (no --clickhouse-url), or pass --no-lake')
    this.o = o
    this.log = o.logger.child({ component: 'lake' })
    o.business.onDayClosed((day) => this.dayClosed(day))
    this.started = this.start().catch((err: unknown) => {
      this.state = 'failed'
      this.error = errorMessage(err)
      this.log.error({ err: this.error }, 'the lake stopped following; tapflow lake sync can resume it after the stack stops')
    })
  }

  /** Resolves once the lake follows (or has failed, or was closed first). */
  ready(): Promise<void> {
    return this.started
  }

  private async start(): Promise<void> {
    while (this.o.stack.gateway.stats.framesIn === 0 && !this.closing) await new Promise((r) => setTimeout(r, WATCH_MS))
    if (this.closing) return
    this.state = 'starting'
    // A session of its own: time-travel settings and the lake's databases stay out of the gateway's session.
    this.session = openClickHouse({ path: this.o.stack.clickhouse.location })
    const warehouse = await new Warehouse({ client: this.session.client, root: this.dir, logger: this.o.logger }).open()
    this.follower = new LakeFollower({
      warehouse, databaseUrl: this.o.business.databaseUrl, intervalMs: this.o.intervalMs, logger: this.o.logger,
      progress: (line) => this.log.debug(line.trim()),
    })
    await this.follower.start(true)
    this.state = 'following'
    this.log.info({ dir: this.dir, changes: this.follower.cdc?.stats.changes }, 'the lake follows the business (CDC) and the fleet (telemetry)')
    // The first build need not wait for midnight: entity tables are there to query from the start.
    this.dayClosed('start')
  }

  /** The company's day-closed hook: start a build, or mark one due after the running build. */
  private dayClosed(day: string): void {
    if (this.closing) return
    this.dueDay = day
    this.building ??= this.buildDue().finally(() => (this.building = undefined))
  }

  private async buildDue(): Promise<void> {
    await this.started
    while (this.dueDay !== undefined && this.follower !== undefined && this.state === 'following' && !this.closing) {
      const day = this.dueDay
      this.dueDay = undefined
      const t0 = Date.now()
      const run = (ok: boolean, error: string | null, built: number, skipped: number, tests: readonly PlatformTest[]): PlatformRun => ({
        day, finishedAt: new Date().toISOString(), ms: Date.now() - t0, ok, error, built, skipped, tests: [...tests],
      })
      try {
        const r = await this.follower.rebuild(this.stopBuild.signal)
        this.lastRun = run(true, null, r.built.length, r.skipped.length, r.tests)
        this.log.info({ day, ms: this.lastRun.ms, built: r.built.length, tests: r.tests.length }, 'lake models rebuilt')
      } catch (err) {
        if (this.closing) return // stopped on purpose: the last complete run stays the one reported
        const tests = err instanceof ModelTestError ? err.tests : []
        this.lastRun = run(false, errorMessage(err), 0, 0, tests)
        this.log.error({ day, err: errorMessage(err) }, 'lake model build failed')
      }
      this.tables.at = 0 // the next status read shows the new snapshots
    }
  }

  /** For the dashboard's Data platform view: tables read at most every few seconds, the last build, CDC counters. */
  async status(): Promise<PlatformStatus> {
    if (this.state === 'following' && Date.now() - this.tables.at > READ_EVERY_MS) {
      this.reading ??= this.readTables().finally(() => (this.reading = undefined))
      await Promise.race([this.reading, new Promise((r) => setTimeout(r, READ_WAIT_MS).unref())])
    }
    const s = this.follower?.cdc?.stats
    return {
      state: this.state, dir: relative(process.cwd(), this.dir) || '.', error: this.error,
      cdc: s ? { transactions: s.transactions, changes: s.changes, commits: s.commits, lastAckLsn: s.lastAckLsn ?? null } : null,
      readAt: this.tables.at > 0 ? new Date(this.tables.at).toISOString() : null, tables: this.tables.rows, lastRun: this.lastRun,
    }
  }

  private async readTables(): Promise<void> {
    const follower = this.follower
    if (follower === undefined) return
    const bounds = new Map(loadModels().freshness.map((f) => [tableKey(f.table), f]))
    try {
      const rows = await follower.read(async (wh) => {
        const out: PlatformTable[] = []
        const now = Date.now()
        for (const t of await wh.list()) {
          const bound = bounds.get(tableKey(t))
          let newest = t.lastSnapshotAt === undefined ? null : Date.parse(`${t.lastSnapshotAt.replace(' ', 'T')}Z`)
          if (bound !== undefined) {
            const [r] = await wh.rows<{ ms: string | null }>(`SELECT toUnixTimestamp64Milli(max(\`${bound.loadedAt}\`)) AS ms FROM ${t.namespace}.${t.name}`)
            newest = r?.ms === null || r?.ms === undefined || Number(r.ms) === 0 ? null : Number(r.ms)
          }
          out.push({
            table: tableKey(t), rows: t.rows, dataFiles: t.dataFiles, snapshots: t.snapshots, lastSnapshotId: t.lastSnapshotId ?? null,
            lastSnapshotAt: t.lastSnapshotAt ?? null, lagSeconds: newest === null ? null : Math.max(0, Math.round((now - newest) / 1000)),
            maxAgeHours: bound?.maxAgeHours ?? null,
          })
        }
        return out
      })
      this.tables = { at: Date.now(), rows }
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'reading the lake for the dashboard failed')
    }
  }

  /** Stops following: a build stops after its current model, CDC commits what it holds, the lake's session closes. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.stopBuild.abort()
    await this.started
    await this.building
    await this.reading
    await this.follower?.close()
    await this.session?.client.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** The start banner's lake line. */
export function lakeBanner(lake: LakeUp | undefined, reason: string): string {
  return lake ? `  lake     ${relative(process.cwd(), lake.dir) || '.'}  (tapflow lake ls | query | snapshots)\n` : `  lake     off (${reason})\n`
}
