import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, errorMessage, type Logger } from '../../common/index.js'
import type { EmbeddedPostgresHandle, LakeFollower, TableRef, Warehouse } from '../../cloud/index.js'
import { beforeSubcommand, int, url } from '../options.js'
import { readStackInfo } from '../stack-file.js'

interface LakeOpts {
  dataDir: string
  lakeUrl?: string
  s3Endpoint?: string
  s3AccessKey?: string
  s3SecretKey?: string
  keep: number
}

/** cloud's table-name grammar, for tableArg: set by engines(), which `lake snapshots` runs before it parses. */
let parseTableRef: ((s: string) => TableRef) | undefined

/** The lake's modules, loaded when a lake subcommand runs, so defining the commands stays light. */
async function engines() {
  const [cloud, gateway] = await Promise.all([import('../../cloud/index.js'), import('../../edge-gateway/index.js')])
  parseTableRef = cloud.parseTableRef
  return { ...cloud, migrate: gateway.migrate, openClickHouse: gateway.openClickHouse }
}

/** `tapflow lake …`: the Iceberg lake of a data directory (ls, query and snapshots also while `tapflow up` runs). */
export function registerLake(program: Command, deps: { logger: Logger }): void {
  const lake = program.command('lake').description('the Iceberg lake: CDC and telemetry into raw, SQL models up to entity, time travel')
  // `lake snapshots <table>` checks its argument with cloud's grammar while it parses: load it before.
  beforeSubcommand(program, lake, 'snapshots', engines)
  const common = (c: Command): Command =>
    c
      .addOption(new Option('--data-dir <dir>', 'data directory (lake in <dir>/lake, ClickHouse in <dir>/clickhouse)').default('./data'))
      .addOption(new Option('--lake-url <url>', 'keep the tables on S3 instead: s3://bucket/prefix').env('TAPFLOW_LAKE_URL').argParser(url(['s3:'])))
      .addOption(new Option('--s3-endpoint <url>', 'S3 endpoint for --lake-url (e.g. MinIO http://127.0.0.1:9000)').env('TAPFLOW_S3_ENDPOINT').argParser(url(['http:', 'https:'])))
      .addOption(new Option('--s3-access-key <key>').env('AWS_ACCESS_KEY_ID'))
      .addOption(new Option('--s3-secret-key <key>').env('AWS_SECRET_ACCESS_KEY'))
      .addOption(new Option('--keep <n>', 'snapshots kept per table by compact').default(100).argParser(int(1, 1_000_000)))

  common(lake.command('sync'))
    .description('copy PostgreSQL changes (CDC) and ClickHouse telemetry into raw.*; with --follow also compact and expire as tables grow')
    .option('--follow', 'keep streaming changes until interrupted')
    .addOption(new Option('--database-url <url>', 'business PostgreSQL (default: the embedded one in <data-dir>/postgres)').env('DATABASE_URL').argParser(url(['postgres:', 'postgresql:'])))
    .option('--no-cdc', 'skip PostgreSQL')
    .option('--no-telemetry', 'skip ClickHouse telemetry')
    .addOption(new Option('--interval <ms>', 'with --follow: telemetry export and upkeep interval').default(10_000).argParser(int(100, 86_400_000)))
    .action(async (o: LakeOpts & { follow?: boolean; databaseUrl?: string; cdc: boolean; telemetry: boolean; interval: number }) => {
      const { LakeFollower, migrate, startEmbeddedPostgres } = await engines()
      await withLake(o, deps.logger, async (wh) => {
        let pgHandle: EmbeddedPostgresHandle | undefined
        let follower: LakeFollower | undefined
        try {
          let dbUrl = o.databaseUrl
          if (o.cdc && dbUrl === undefined) {
            if (!existsSync(join(o.dataDir, 'postgres', 'PG_VERSION'))) throw new ConfigError(`no business database in ${o.dataDir}/postgres: run 'tapflow business run' first, pass --database-url, or --no-cdc`)
            pgHandle = await startEmbeddedPostgres({ dir: join(o.dataDir, 'postgres'), logger: deps.logger })
            dbUrl = pgHandle.url
          }
          // The telemetry schema (empty if the fleet never ran) gives every raw telemetry table, so models build.
          if (o.telemetry) await migrate(wh.client)
          follower = new LakeFollower({ warehouse: wh, databaseUrl: o.cdc ? dbUrl : undefined, telemetry: o.telemetry, intervalMs: o.interval, progress: say, logger: deps.logger })
          await follower.start(o.follow === true)
          if (!o.follow) return
          say('following; Ctrl-C to stop')
          await new Promise<void>((res) => {
            process.once('SIGINT', () => res())
            process.once('SIGTERM', () => res())
          })
        } finally {
          await follower?.close()
          await pgHandle?.close()
        }
      })
    })

  common(lake.command('build'))
    .description('build the SQL models (staging → intermediate → entity) and run their tests; fails on a failing test')
    .addOption(new Option('--select <models>', 'comma-separated model names (default: all)'))
    .addOption(new Option('--models <dir>', 'models directory (default: the shipped cloud/lake/models)'))
    .action(async (o: LakeOpts & { select?: string; models?: string }) => {
      const { buildModels } = await engines()
      await withLake(o, deps.logger, async (wh) => {
        const t0 = Date.now()
        // A failing test throws ModelTestError: main prints it (each test with the rows that broke it) and exits 1.
        const r = await buildModels({
          warehouse: wh,
          dir: o.models,
          select: o.select?.split(',').map((s) => s.trim()),
          progress: (m, status, detail) => say(`  ${status === 'built' ? '✓' : '-'} ${m.layer}.${m.name} ${detail}`),
        })
        for (const t of r.tests) say(`  ✓ ${t.test}`)
        say(`built ${r.built.length} models, ${r.skipped.length} skipped, ${r.tests.length} tests passed in ${Date.now() - t0} ms`)
      })
    })

  common(lake.command('ls'))
    .description('list the lake tables with rows, data files and snapshots')
    .action(async (o: LakeOpts) => {
      const { tableKey } = await engines()
      await withLake(o, deps.logger, async (wh) => {
        const rows = await wh.list()
        if (rows.length === 0) say(`no tables yet in ${wh.s3?.url ?? wh.root}: run 'tapflow lake sync' then 'tapflow lake build'`)
        console.table(rows.map((r) => ({ table: tableKey(r), rows: r.rows, files: r.dataFiles, snapshots: r.snapshots, last_snapshot: r.lastSnapshotAt ?? '' })))
      }, 'read')
    })

  common(lake.command('query'))
    .description('query the lake (databases raw, staging, intermediate, entity), optionally as of a past snapshot')
    .argument('<sql>', 'e.g. "SELECT count() FROM entity.entity_customers"')
    .addOption(new Option('--as-of <when>', 'a snapshot id, or a timestamp (ISO date-time or ms since the epoch)').argParser(asOf))
    .addOption(new Option('--format <fmt>', 'output: table or json').choices(['table', 'json']).default('table'))
    .action(async (sql: string, o: LakeOpts & { asOf?: { snapshotId?: string; timestampMs?: number }; format: string }) => {
      await withLake(o, deps.logger, async (wh) => {
        const settings: Record<string, string | number> = {}
        if (o.asOf?.snapshotId !== undefined) settings.iceberg_snapshot_id = o.asOf.snapshotId
        if (o.asOf?.timestampMs !== undefined) settings.iceberg_timestamp_ms = o.asOf.timestampMs
        const rows = await wh.rows<Record<string, unknown>>(sql.replace(/;\s*$/, ''), settings)
        if (o.format === 'json') for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`)
        else console.table(rows)
      }, 'read')
    })

  common(lake.command('snapshots'))
    .description('list a table\'s Iceberg snapshots (for --as-of)')
    .argument('<table>', 'namespace.table, e.g. entity.entity_customers', tableArg)
    .action(async (t: TableRef, o: LakeOpts) => {
      const { tableKey } = await engines()
      await withLake(o, deps.logger, async (wh) => {
        if (!(await wh.discover()).some((x) => tableKey(x) === tableKey(t))) throw new ConfigError(`no table ${tableKey(t)} in the lake (see 'tapflow lake ls')`)
        console.table(await wh.snapshots(t))
      }, 'read')
    })

  common(lake.command('compact'))
    .description('rewrite tables to one data file per partition and expire snapshots beyond --keep')
    .argument('[tables...]', 'namespace.table (default: every table with more than --max-files files in a partition)')
    .addOption(new Option('--max-files <n>', 'compact tables with more data files than this in some partition').default(4).argParser(int(1, 1_000_000)))
    .action(async (tables: string[], o: LakeOpts & { maxFiles: number }) => {
      const { tableKey } = await engines()
      await withLake(o, deps.logger, async (wh) => {
        const targets = tables.length > 0 ? tables.map(tableArg) : await wh.discover()
        for (const t of targets) {
          const files = await wh.filesPerPartition(t)
          if (tables.length === 0 && files <= o.maxFiles) {
            const expired = await wh.expire(t)
            if (expired > 0) say(`  ${tableKey(t)}: expired ${expired} snapshots`)
            continue
          }
          say(`  ${tableKey(t)}: rewriting (${files} files in its largest partition)…`)
          const r = await wh.compact(t)
          say(`  ${tableKey(t)}: ${r.before} → ${r.after} data files`)
        }
      })
    })
}

function say(line: string): void {
  process.stderr.write(`${line}\n`)
}

function tableArg(v: string): TableRef {
  try {
    return parseTableRef!(v)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

function asOf(v: string): { snapshotId?: string; timestampMs?: number } {
  if (/^\d{14,20}$/.test(v)) return { snapshotId: v }
  if (/^\d{10,13}$/.test(v)) return { timestampMs: Number(v) }
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected a snapshot id (see `tapflow lake snapshots`) or an ISO date-time')
  return { timestampMs: t }
}

/**
 * Open a chDB session and the lake over it. A stopped stack's data directory is opened as is. While `tapflow up` (or
 * the gateway) holds that directory, the reading commands (ls, query, snapshots) read the Iceberg files through a
 * scratch chDB session of their own, as any Iceberg reader may: each commit is atomic. The commands that write
 * (sync, build, compact) are refused then, since the running stack's lake writes itself.
 */
async function withLake(o: LakeOpts, logger: Logger, fn: (wh: Warehouse) => Promise<void>, mode: 'read' | 'write' = 'write'): Promise<void> {
  const { Warehouse, openClickHouse } = await engines()
  const running = readStackInfo(o.dataDir)
  if (running?.sqlUrl !== undefined && mode === 'write') {
    throw new ConfigError(`the stack running on ${o.dataDir} (pid ${running.pid}) holds its ClickHouse (and 'tapflow up' keeps the lake itself): stop it first to sync, build or compact by hand ('tapflow lake ls | query | snapshots' work while it runs)`)
  }
  if ((o.s3SecretKey !== undefined || o.s3Endpoint !== undefined) && o.lakeUrl === undefined) throw new ConfigError('--s3-endpoint and S3 keys need --lake-url s3://bucket/prefix')
  const scratch = running?.sqlUrl !== undefined ? await mkdtemp(join(tmpdir(), 'tapflow-lake-read-')) : undefined
  const { client } = openClickHouse({ path: scratch ?? join(o.dataDir, 'clickhouse') })
  const wh = new Warehouse({
    client,
    root: join(o.dataDir, 'lake'),
    s3: o.lakeUrl !== undefined ? { url: o.lakeUrl, endpoint: o.s3Endpoint, accessKeyId: o.s3AccessKey, secretAccessKey: o.s3SecretKey } : undefined,
    keepSnapshots: o.keep,
    logger,
  })
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await wh.open()
        await fn(wh)
        return
      } catch (err) {
        // The running stack's compaction rewrites a table in place (its old files go): a moment later it is whole.
        if (scratch === undefined || attempt === 3 || !/No such file or directory/.test(errorMessage(err))) throw err
        await new Promise((r) => setTimeout(r, 500 * attempt))
      }
    }
  } finally {
    await wh.close()
    await client.close()
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
  }
}
