/**
 * Lake benchmark: `tapflow lake build` over a year of business data for 1,000 customers (target ≤ 60 s), CDC
 * freshness while the business simulation writes (p99 ≤ 10 s), telemetry export into the lake (≥ 500K rows/s), and
 * data files per partition after compaction.
 *
 *   npx tsx bench/lake.bench.ts [--days 365] [--customers 1000] [--pours 2000000]
 *
 * Needs nothing else: embedded PostgreSQL and chDB in a temp dir (the process moves into it: chDB opens Iceberg
 * files only under the working directory). Prints one JSON line for bench/run.ts.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { silentLogger } from '../common/index.js'
import { CdcSync, TelemetryExport, Warehouse, buildModels, openBusiness, startEmbeddedPostgres } from '../cloud/index.js'
import { migrate, openClickHouse } from '../edge-gateway/index.js'

const { values } = parseArgs({ options: {
  days: { type: 'string', default: '365' },
  customers: { type: 'string', default: '1000' },
  pours: { type: 'string', default: '2000000' },
} })
const days = Number(values.days)
const customers = Number(values.customers)
const pours = Number(values.pours)
const dir = await mkdtemp(join(tmpdir(), 'tapflow-lake-bench-'))
await chmod(dir, 0o755) // the embedded server runs as the postgres user
const home = process.cwd()
process.chdir(dir)
const log = (m: string): boolean => process.stderr.write(`${m}\n`)
const secs = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100
try {
  const pgServer = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), logger: silentLogger })
  const biz = await openBusiness({ databaseUrl: pgServer.url, seed: 1, sim: { initialCustomers: customers } })
  const { client } = openClickHouse({ path: join(dir, 'clickhouse') })
  const wh = await new Warehouse({ client, root: 'lake' }).open()
  let cdc: CdcSync | undefined
  const probe = new pg.Client({ connectionString: pgServer.url })
  try {
    log(`simulating ${days} days for ${customers} customers…`)
    await biz.run({ days, progress: false })
    await probe.connect()
    await probe.query('CREATE TABLE IF NOT EXISTS lake_probe (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())')

    let t0 = performance.now()
    cdc = new CdcSync({ warehouse: wh, databaseUrl: pgServer.url, flushMs: 1000 })
    await cdc.prepare()
    const snapshotSeconds = secs(t0)
    const [rawRows] = await wh.rows<{ n: number }>("SELECT sum(rows) AS n FROM raw._cdc_snapshots")
    await migrate(client)
    await new TelemetryExport({ warehouse: wh }).run() // the (empty) raw telemetry tables the entity models read
    log(`snapshot: ${rawRows?.n} rows in ${snapshotSeconds} s; building models…`)
    t0 = performance.now()
    const built = await buildModels({ warehouse: wh })
    const buildSeconds = secs(t0)
    log(`build: ${built.built.length} models, ${built.tests.length} tests in ${buildSeconds} s`)

    // CDC freshness: PostgreSQL commit → row queryable in raw, while the business simulation writes.
    await cdc.start()
    const lags: number[] = []
    let busy = true
    const writer = biz.run({ days: 30, progress: false }).finally(() => (busy = false))
    for (let id = 1; busy || id <= 20; id++) {
      await probe.query('INSERT INTO lake_probe (id) VALUES ($1)', [id])
      const t = performance.now()
      for (;;) {
        const [r] = await wh.rows<{ n: number }>(`SELECT count() AS n FROM raw.lake_probe WHERE id = ${id}`)
        if (Number(r?.n) > 0) break
        await new Promise((res) => setTimeout(res, 25))
      }
      lags.push(performance.now() - t)
    }
    await writer
    await cdc.catchUp(600_000)
    lags.sort((a, b) => a - b)
    const pct = (p: number): number => Math.round(lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? 0)
    log(`freshness over ${lags.length} probes: p50 ${pct(50)} ms, p99 ${pct(99)} ms (${cdc.stats.commits} CDC commits)`)

    const probeTable = { namespace: 'raw', name: 'lake_probe' } as const
    const filesBefore = await wh.filesPerPartition(probeTable)
    await wh.compact(probeTable)
    const filesAfter = await wh.filesPerPartition(probeTable)
    await cdc.close()
    cdc = undefined

    // Telemetry: synthetic pours landed in ClickHouse a minute ago, then one export.
    // Columns named: the arrival time and sensor values go in through EPHEMERAL inputs (edge-gateway migrations 10, 11).
    await client.command({ query: `INSERT INTO tapflow.pours (device_id, venue_id, seq, ts, line_id, beverage_id, volume_ml_in, duration_ms,
      flow_rate_ml_s_in, foam_ratio_in, waste_ml_in, keg_id, keg_remaining_ml_in, beverage_temp_c_in, late, received_at_in) SELECT concat('dev-', toString(number % 5000)), concat('ven-', toString(number % 500)), number,
      now64(3) - toIntervalSecond(number % 86400 * 7), number % 4, 'ipa', 500, 4000, 125, 0.1, 10, 'k', 1000, 4, false, now64(3) - toIntervalMinute(1)
      FROM numbers(${pours})` })
    t0 = performance.now()
    const exported = await new TelemetryExport({ warehouse: wh, settleMs: 0, tables: ['pours'] }).run()
    const exportSeconds = (performance.now() - t0) / 1000
    const exportedRows = exported.reduce((s, r) => s + r.rows, 0)
    log(`telemetry: ${exportedRows} rows in ${exportSeconds.toFixed(2)} s`)

    process.stdout.write(`${JSON.stringify({
      name: 'lake',
      command: `npx tsx bench/lake.bench.ts --days ${days} --customers ${customers} --pours ${pours}`,
      target: 'lake build over a year for 1,000 customers ≤ 60 s; CDC freshness p99 ≤ 10 s; telemetry export ≥ 500K rows/s; files per partition bounded',
      headline: ['build_seconds', 'cdc_freshness_p99_ms', 'telemetry_rows_per_second', 'files_per_partition_after_compaction'],
      results: {
        build_seconds: buildSeconds, models: built.built.length, model_tests: built.tests.length,
        snapshot_rows: Number(rawRows?.n ?? 0), snapshot_seconds: snapshotSeconds,
        cdc_freshness_p50_ms: pct(50), cdc_freshness_p99_ms: pct(99), cdc_probes: lags.length,
        telemetry_rows: exportedRows, telemetry_rows_per_second: Math.round(exportedRows / exportSeconds),
        files_per_partition_before_compaction: filesBefore, files_per_partition_after_compaction: filesAfter,
        meets_target: buildSeconds <= 60 && pct(99) <= 10_000 && exportedRows / exportSeconds >= 500_000,
      },
    })}\n`)
  } finally {
    await cdc?.close()
    await probe.end().catch(() => undefined)
    await wh.close()
    await client.close()
    await biz.close()
    await pgServer.close()
  }
} finally {
  process.chdir(home)
  await rm(dir, { recursive: true, force: true })
}
