import { errorMessage, silentLogger, type Logger } from '../../common/index.js'
import { CdcSync } from './cdc.js'
import { buildModels, type BuildResult } from './models.js'
import { TelemetryExport } from './telemetry.js'
import type { Warehouse } from './warehouse.js'

export interface LakeFollowerOptions {
  warehouse: Warehouse
  /** Business PostgreSQL (wal_level=logical). Default: none, meaning no CDC. */
  databaseUrl?: string
  /** Export ClickHouse telemetry. Default: true. */
  telemetry?: boolean
  /** Telemetry export and upkeep interval. Default: 10,000 ms. */
  intervalMs?: number
  /** Rewrite a table once a partition has more data files than this. Default: 32. */
  maxFilesPerPartition?: number
  /** One line per notable step (snapshots, exports, compactions). Default: none. */
  progress?: (line: string) => void
  logger?: Logger
}

/**
 * The lake kept current: CDC streaming, telemetry exported every interval, tables compacted and snapshots expired
 * when they grow, and `rebuild()` for the models (e.g. after each simulated day's business DAG). Exports,
 * compactions and rebuilds run between CDC commits, never during one.
 */
export class LakeFollower implements AsyncDisposable {
  readonly cdc: CdcSync | undefined
  private readonly wh: Warehouse
  private readonly telemetry: TelemetryExport | undefined
  private readonly intervalMs: number
  private readonly maxFiles: number
  private readonly say: (line: string) => void
  private readonly log: Logger
  private timer: NodeJS.Timeout | undefined
  private ticking = false
  private chain: Promise<unknown> = Promise.resolve()

  constructor(opts: LakeFollowerOptions) {
    this.wh = opts.warehouse
    this.log = (opts.logger ?? silentLogger).child({ component: 'lake' })
    this.cdc = opts.databaseUrl !== undefined ? new CdcSync({ warehouse: opts.warehouse, databaseUrl: opts.databaseUrl, logger: opts.logger }) : undefined
    this.telemetry = opts.telemetry === false ? undefined : new TelemetryExport({ warehouse: opts.warehouse, logger: opts.logger })
    this.intervalMs = opts.intervalMs ?? 10_000
    this.maxFiles = opts.maxFilesPerPartition ?? 32
    this.say = opts.progress ?? (() => undefined)
  }

  /** Snapshot what is new, catch up with PostgreSQL, export telemetry once; with `follow`, keep going until close(). */
  async start(follow: boolean): Promise<void> {
    if (this.cdc) {
      const tables = await this.cdc.prepare((t, n) => this.say(`  snapshot raw.${t}: ${n} rows`))
      await this.cdc.start()
      await this.cdc.catchUp(600_000)
      this.say(`CDC: ${tables.length} tables, caught up (${this.cdc.stats.changes} changes in ${this.cdc.stats.commits} commits)`)
    }
    await this.tick()
    if (!follow) return
    this.timer = setInterval(() => {
      // A step slower than the interval (a busy machine, a model build ahead of it) must not queue up more steps.
      if (this.ticking) return
      this.ticking = true
      this.tick()
        .catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'lake sync step failed'))
        .finally(() => (this.ticking = false))
    }, this.intervalMs)
  }

  /** Export telemetry, then compact and expire what grew. */
  tick(): Promise<void> {
    return this.serial(async () => {
      if (this.telemetry) {
        const t0 = Date.now()
        const rs = await this.telemetry.run((r) => r.rows > 0 && this.say(`  raw.${r.table}: +${r.rows} rows (watermark ${r.watermark})`))
        const n = rs.reduce((s, r) => s + r.rows, 0)
        if (n > 0) this.say(`telemetry: ${n} rows in ${Date.now() - t0} ms`)
      }
      // A rewrite must not race a CDC commit into the same table.
      const upkeep = async (): Promise<void> => {
        for (const t of await this.wh.discover()) {
          if (!this.wh.exists(t)) await this.wh.attach(t)
          if ((await this.wh.filesPerPartition(t)) > this.maxFiles) {
            const r = await this.wh.compact(t)
            this.say(`  compacted ${t.namespace}.${t.name}: ${r.before} → ${r.after} files`)
          } else await this.wh.expire(t)
        }
      }
      await (this.cdc ? this.cdc.exclusive(upkeep) : upkeep())
    })
  }

  /**
   * Bring raw up to date, then build the models and run their tests (throws ModelTestError on a failing test).
   * `signal` stops it between two models (e.g. on Ctrl-C).
   */
  async rebuild(signal?: AbortSignal): Promise<BuildResult> {
    await this.cdc?.catchUp(600_000)
    return this.serial(async () => {
      if (this.telemetry) await this.telemetry.run()
      return buildModels({ warehouse: this.wh, signal })
    })
  }

  /** Read the lake between steps, never while a compaction has a table dropped and half rewritten. */
  read<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T> {
    return this.serial(() => fn(this.wh))
  }

  /** One step at a time (readers in other sessions need no lock: each Iceberg commit is atomic; see read()). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.chain
    await this.cdc?.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
