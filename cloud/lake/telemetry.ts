import { silentLogger, type Logger } from '../../common/index.js'
import { lit, q, qi, type Column, type TableRef, type Warehouse } from './warehouse.js'

/**
 * Tables copied from ClickHouse `tapflow.*` into `raw.*`: the column that partitions each by day and the arrival
 * column its watermark follows. The fleet's dimensions (rewritten with a new updated_at when the stack starts) come too.
 */
export const TELEMETRY_TABLES: Readonly<Record<string, { lake: string; partition: string; watermark: string }>> = {
  pours: { lake: 'pours', partition: 'ts', watermark: 'received_at' },
  temperatures: { lake: 'temperatures', partition: 'ts', watermark: 'received_at' },
  health: { lake: 'health', partition: 'ts', watermark: 'received_at' },
  ground_truth: { lake: 'ground_truth', partition: 'recorded_at', watermark: 'received_at' },
  dead_letters: { lake: 'dead_letters', partition: 'received_at', watermark: 'received_at' },
  // The website's PostHog events, real and simulated (cloud/analytics).
  product_events: { lake: 'product_events', partition: 'timestamp', watermark: 'received_at' },
  // fleet_*: the business database has its own venues, replicated to raw.venues by CDC.
  venues: { lake: 'fleet_venues', partition: 'updated_at', watermark: 'updated_at' },
  devices: { lake: 'fleet_devices', partition: 'updated_at', watermark: 'updated_at' },
  beverages: { lake: 'fleet_beverages', partition: 'updated_at', watermark: 'updated_at' },
}

export interface TelemetryExportOptions {
  warehouse: Warehouse
  /** Source database. Default: tapflow. */
  database?: string
  /** Rows received within this long of now are left for the next run: the gateway may still be inserting rows
   *  stamped earlier than its latest batch. Default: 10,000 ms. */
  settleMs?: number
  /** Tables to export. Default: all of TELEMETRY_TABLES present in the source. */
  tables?: readonly string[]
  logger?: Logger
}

export interface ExportResult {
  table: string
  rows: number
  watermark: string
}

/**
 * Incremental, exactly-once copy by watermark. Each run of a table is ONE `INSERT … SELECT` (one Iceberg commit) of
 * the rows with `received_at` in (previous watermark, new watermark], each stamped `_watermark` = new watermark. The
 * previous watermark is `max(_watermark)` read from the lake table itself, so a crash before the commit repeats the
 * run and a crash after it finds the run done: no checkpoint outside the lake can disagree with it.
 */
export class TelemetryExport {
  private readonly wh: Warehouse
  private readonly db: string
  private readonly settleMs: number
  private readonly only: readonly string[] | undefined
  private readonly log: Logger

  constructor(opts: TelemetryExportOptions) {
    this.wh = opts.warehouse
    this.db = opts.database ?? 'tapflow'
    this.settleMs = opts.settleMs ?? 10_000
    this.only = opts.tables
    this.log = (opts.logger ?? silentLogger).child({ component: 'lake-telemetry' })
  }

  async run(progress?: (r: ExportResult) => void): Promise<ExportResult[]> {
    const present = new Set((await this.wh.rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = ${lit(this.db)}`)).map((r) => r.name))
    const out: ExportResult[] = []
    for (const [table, cols] of Object.entries(TELEMETRY_TABLES)) {
      if (!present.has(table) || (this.only && !this.only.includes(table))) continue
      const r = await this.exportTable(table, cols.lake, cols.partition, cols.watermark)
      out.push(r)
      progress?.(r)
    }
    return out
  }

  private async exportTable(table: string, lakeName: string, partCol: string, wmCol: string): Promise<ExportResult> {
    const wm = qi(wmCol)
    const src = `${qi(this.db)}.${qi(table)}`
    const ref: TableRef = { namespace: 'raw', name: lakeName }
    // An EPHEMERAL column is an insert's input only (received_at_in, migration 10): it has nothing to read.
    const desc = (await this.wh.rows<{ name: string; type: string; default_type: string }>(`DESCRIBE TABLE ${src}`)).filter((c) => c.default_type !== 'EPHEMERAL')
    const cols: Column[] = desc.map((c) => [c.name, c.type] as const)
    await this.wh.ensure(ref, [...cols, ['_watermark', "DateTime64(3, 'UTC')"]], `toRelativeDayNum(${qi(partCol)})`)
    const [prev] = await this.wh.rows<{ w: string }>(`SELECT toString(max(_watermark)) AS w FROM ${q(ref)}`)
    const from = prev?.w && !prev.w.startsWith('1970') ? prev.w : '1970-01-01 00:00:00.000'
    const [next] = await this.wh.rows<{ w: string; n: string }>(
      `SELECT toString(max(${wm})) AS w, count() AS n FROM ${src}
       WHERE ${wm} > toDateTime64(${lit(from)}, 3, 'UTC') AND ${wm} <= now64(3) - toIntervalMillisecond(${this.settleMs})`,
    )
    const n = Number(next?.n ?? 0)
    if (n === 0 || !next?.w) return { table: lakeName, rows: 0, watermark: from }
    const names = desc.map((c) => qi(c.name))
    await this.wh.insertSelect(
      ref,
      `SELECT ${names.join(', ')}, toDateTime64(${lit(next.w)}, 3, 'UTC') FROM ${src}
       WHERE ${wm} > toDateTime64(${lit(from)}, 3, 'UTC') AND ${wm} <= toDateTime64(${lit(next.w)}, 3, 'UTC')`,
      [...desc.map((c) => c.name), '_watermark'],
    )
    this.log.debug({ table: lakeName, rows: n, watermark: next.w }, 'exported telemetry')
    return { table: lakeName, rows: n, watermark: next.w }
  }
}
