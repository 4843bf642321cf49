import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Presets, SingleBar } from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, DEFAULT_HORIZON_MS, MODEL_KINDS, errorMessage, formatDuration, parseDatabaseUrl, type Logger, type ModelKind } from '../../common/index.js'
import type { Database, Dataset, ModelRegistry, ModelVersion, TrainModelOptions, TrainProgress } from '../../cloud/index.js'
import { checkDataDir } from '../data-dir.js'
import { duration, int } from '../options.js'

export interface StoreFlags {
  dataDir: string
  databaseUrl?: string
}

interface TrainFlags extends StoreFlags {
  model: ModelKind | 'all'
  horizon: number
  step: number
  iterations: number
  minPrecision: number
  progress: boolean
}

const H = 3_600_000

export function store(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory: ClickHouse, the embedded PostgreSQL holding the registry, artifacts under <dir>/models').default('./data'))
    .addOption(new Option('--database-url <url>', 'keep the registry in this PostgreSQL server instead (postgres://user:pass@host:5432/db)').env('DATABASE_URL')
      .argParser((v: string) => { parseDatabaseUrl(v); return v }))
}

function fraction(v: string): number {
  const n = Number(v)
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a number between 0 and 1, e.g. 0.9')
  return n
}

function positiveDuration(v: string): number {
  const ms = duration(v)
  if (ms <= 0) throw new InvalidArgumentError('expected a positive duration such as 24h')
  return ms
}

/** The registry's database: a server from --database-url, or the data dir's embedded PostgreSQL, which must exist unless `create`. */
async function openStore(o: StoreFlags, logger: Logger, create: boolean): Promise<{ db: Database; registry: ModelRegistry }> {
  if (o.databaseUrl === undefined) {
    checkDataDir(o.dataDir, { write: create })
    if (!create && !existsSync(join(o.dataDir, 'postgres', 'PG_VERSION'))) {
      throw new ConfigError(`no model registry in ${o.dataDir}: train a model first (tapflow models train), or pass --data-dir / --database-url`)
    }
  }
  const { ModelRegistry, openDatabase } = await import('../../cloud/index.js')
  const db = await openDatabase({ dataDir: o.dataDir, databaseUrl: o.databaseUrl, logger: logger.child({ component: 'models' }, { level: 'error' }) })
  try {
    return { db, registry: await ModelRegistry.open({ db, artifactsDir: join(o.dataDir, 'models') }) }
  } catch (err) {
    await db.close()
    throw err
  }
}

export async function withStore<T>(o: StoreFlags, logger: Logger, create: boolean, fn: (r: ModelRegistry, db: Database) => Promise<T>): Promise<T> {
  const { db, registry } = await openStore(o, logger, create)
  try {
    return await fn(registry, db)
  } finally {
    await registry.close()
    await db.close()
  }
}

const f3 = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—')

/** One line of key metrics per target, from the version's metrics. */
export function metricLines(metrics: Record<string, unknown>): string[] {
  return Object.entries(metrics).map(([target, m]) => {
    const x = (m ?? {}) as Record<string, unknown>
    if ('pr_auc' in x) {
      const lead = typeof x.lead_median_h === 'number' ? ` · lead p50 ${x.lead_median_h.toFixed(1)} h, missed ${String(x.missed)}` : ''
      return `${target}: PR-AUC ${f3(x.pr_auc)} (baseline ${f3(x.baseline_pr_auc)}) · P ${f3(x.precision)} R ${f3(x.recall)} F1 ${f3(x.f1)}${lead}`
    }
    return `${target}: MAE ${f3(x.mae)} (naive ${f3(x.baseline_mae)}) · MAPE ${f3(x.mape)} · WAPE ${f3(x.wape)}`
  })
}

type Failures = TrainModelOptions['failures']

/** Builds one model's dataset from the data dir (and the failures' true times); a reason when its source data is not there. */
async function dataset(kind: ModelKind, o: TrainFlags, db: Database): Promise<{ ds: Dataset; failures?: Failures } | string> {
  const [{ buildChurnDataset, buildDemandDataset, buildMaintenanceDataset, readGroundTruth, readHistoryInfo }, { openClickHouse }] = await Promise.all([
    import('../../cloud/index.js'), import('../../edge-gateway/index.js'),
  ])
  if (kind === 'churn') {
    const t = await db.query<{ ok: boolean }>("SELECT to_regclass('public.accounts') IS NOT NULL AS ok")
    if (t.rows[0]?.ok !== true) return `no business history in the database (run 'tapflow business run --days 120' or 'tapflow up')`
    return { ds: await buildChurnDataset({ db }) }
  }
  const info = readHistoryInfo(o.dataDir)
  if (info === undefined || !existsSync(join(o.dataDir, 'clickhouse'))) return `no simulated history in ${o.dataDir} (run 'tapflow models simulate')`
  const ch = openClickHouse({ path: join(o.dataDir, 'clickhouse') })
  try {
    if (kind === 'demand') return { ds: await buildDemandDataset({ client: ch.client, from: info.from, to: info.to }) }
    // Point-in-time features are the slow part of a large history: show rows done.
    const bar = new SingleBar({ format: ' features |{bar}| {value}/{total} rows', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
    const show = o.progress && process.stderr.isTTY === true
    let started = false
    const ds = await buildMaintenanceDataset({
      client: ch.client, from: info.from, to: info.to, horizon: o.horizon, step: o.step,
      onProgress: (done, total) => {
        if (!show) return
        if (!started) bar.start(total, 0)
        started = true
        bar.update(done)
      },
    }).finally(() => bar.stop())
    // A fault cleared before it failed (a repair, a flash) never failed.
    const failures = (await readGroundTruth(ch.client, 0, info.to))
      .filter((g) => g.clearedMs === null || g.clearedMs >= g.failureMs)
      .map((g) => ({ entity: g.deviceId, mode: g.mode, ts: g.failureMs }))
    return { ds, failures }
  } finally {
    await ch.client.close()
  }
}

function progressBar(enabled: boolean): { update: (p: TrainProgress) => void; stop: () => void } {
  const bar = new SingleBar({ format: ' {target} |{bar}| {value}/{total} trees (early stopping may end sooner)', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
  let current: string | undefined
  return {
    update(p) {
      if (!enabled) return
      if (p.stage === 'train') {
        if (current !== p.target) {
          bar.stop()
          current = p.target
          bar.start(p.total, 0, { target: (p.target ?? '').padEnd(18) })
        }
        bar.update(p.done)
      } else {
        bar.stop()
        current = undefined
      }
    },
    stop: () => bar.stop(),
  }
}

function printVersion(v: ModelVersion): void {
  const w = process.stdout
  w.write(`${v.name}@${v.version}${v.aliases.length > 0 ? `  (${v.aliases.map((a) => `@${a}`).join(', ')})` : ''}\n`)
  w.write(`created       ${v.createdAt.toISOString()}\n`)
  w.write(`code          ${v.codeVersion}\n`)
  w.write(`data          ${v.window.source}\n`)
  w.write(`window        ${new Date(v.window.from).toISOString()} .. ${new Date(v.window.to).toISOString()}\n`)
  w.write(`feature views ${v.featureViews.map((f) => `${f.name} v${f.version}`).join(', ') || '—'}\n`)
  w.write(`params        ${JSON.stringify(v.params)}\n`)
  w.write(`report        ${v.reportPath ?? '—'}\n`)
  w.write(`artifacts     ${v.artifactDir}\n`)
  for (const [f, sha] of Object.entries(v.artifacts)) w.write(`  ${f.padEnd(28)} sha256 ${sha}\n`)
  w.write('metrics (test slice)\n')
  for (const l of metricLines(v.metrics)) w.write(`  ${l}\n`)
}

/** Adds train, ls, show and promote to the `models` command group. */
export function addModelTrainingCommands(models: Command, deps: { logger: Logger }): void {
  store(models.command('train'))
    .description('train, evaluate and register models: one GBDT per failure mode (maintenance), churn and demand; each run is a new version, aliased challenger (and champion if there is none)')
    .addOption(new Option('--model <name>', 'which model').choices([...MODEL_KINDS, 'all']).default('all'))
    .addOption(new Option('--horizon <d>', 'maintenance label horizon: a failure within it is positive').default(DEFAULT_HORIZON_MS, formatDuration(DEFAULT_HORIZON_MS)).argParser(positiveDuration))
    .addOption(new Option('--step <d>', 'maintenance: time between prediction times per device').default(H, '1h').argParser(positiveDuration))
    .addOption(new Option('--iterations <n>', 'most boosting rounds per target (early stopping on validation picks fewer)').default(300).argParser(int(1, 100_000)))
    .addOption(new Option('--min-precision <p>', 'validation precision each alert threshold must reach').default(0.9).argParser(fraction))
    .addOption(new Option('--no-progress', 'no progress bars'))
    .addHelpText('after', `
Reads the history 'tapflow models simulate' wrote (maintenance, demand) and the business database (churn).
With --model all, a model whose data is missing is skipped with the reason. Each version's report:
  <data-dir>/models/<name>/<version>/report.html (and report.json)`)
    .action(async (o: TrainFlags) => {
      const [{ trainModel }, { writeDriftReference }] = await Promise.all([import('../../cloud/index.js'), import('../models-bootstrap-reference.js')])
      const kinds = o.model === 'all' ? MODEL_KINDS : [o.model]
      await withStore(o, deps.logger, true, async (registry, db) => {
        let trained = 0
        for (const kind of kinds) {
          process.stderr.write(`${kind}: building the dataset…\n`)
          const built = await dataset(kind, o, db)
          if (typeof built === 'string') {
            if (o.model !== 'all') throw new ConfigError(`cannot train ${kind}: ${built}`)
            process.stdout.write(`${kind}: skipped: ${built}\n`)
            continue
          }
          const ds = built.ds
          process.stderr.write(`${kind}: ${ds.rows.length.toLocaleString('en-US')} rows × ${ds.featureNames.length} features, targets ${Object.keys(ds.targets).join(', ')}\n`)
          const bar = progressBar(o.progress && process.stderr.isTTY === true)
          const sklearn = join(o.dataDir, 'models', kind, 'sklearn.json')
          try {
            const r = await trainModel({
              kind, dataset: ds, failures: built.failures, registry, params: { iterations: o.iterations }, minPrecision: o.minPrecision, sklearnFile: sklearn,
              horizonMs: kind === 'maintenance' ? o.horizon : undefined, onProgress: bar.update,
            })
            bar.stop()
            // Drift in `tapflow up` compares the champion's training sample with live features: a hand-trained
            // champion needs one as much as the bootstrapped one.
            if (kind === 'maintenance') await writeDriftReference(r.version.artifactDir, ds)
            trained++
            process.stdout.write(`${r.version.name}@${r.version.version} registered (${r.aliases.map((a) => `@${a}`).join(', ')}), trained in ${r.report.training.seconds.toFixed(1)} s\n`)
            for (const l of metricLines(r.version.metrics)) process.stdout.write(`  ${l}\n`)
            for (const s of r.skipped) process.stdout.write(`  ${s.target}: not trained: ${s.reason}\n`)
            process.stdout.write(`  report: ${r.version.reportPath ?? '—'}\n`)
          } catch (err) {
            bar.stop()
            if (!(err instanceof RangeError)) throw err
            // Too little data to split, threshold or stop early: a longer history is the fix.
            const why = `${errorMessage(err)} (a longer history helps: tapflow models simulate --days 30)`
            if (o.model !== 'all') throw new ConfigError(why)
            process.stdout.write(`${kind}: skipped: ${why}\n`)
          }
        }
        if (trained === 0) throw new ConfigError('nothing was trained: see the reasons above')
      })
    })

  store(models.command('ls'))
    .description('registered models, their versions with key test metrics, and aliases')
    .addOption(new Option('--versions <n>', 'newest versions shown per model').default(5).argParser(int(1, 10_000)))
    .option('--json', 'one JSON document')
    .action(async (o: StoreFlags & { versions: number; json?: boolean }) => {
      await withStore(o, deps.logger, false, async (registry) => {
        const models = await registry.listModels()
        const versions = await Promise.all(models.map(async (m) => (m.latestVersion > 0 ? (await registry.listVersions(m.name)).slice(0, o.versions) : [])))
        if (o.json === true) return void process.stdout.write(JSON.stringify(models.map((m, i) => ({ ...m, versions: versions[i] })), null, 2) + '\n')
        if (models.length === 0) return void process.stdout.write('no registered models: run tapflow models train\n')
        models.forEach((m, i) => {
          const aliases = Object.entries(m.aliases).map(([a, v]) => `@${a}=${v}`).join(' ')
          process.stdout.write(`${m.name}  (${m.latestVersion} version${m.latestVersion === 1 ? '' : 's'}${aliases ? `; ${aliases}` : ''})\n`)
          for (const v of versions[i] ?? []) {
            process.stdout.write(`  v${String(v.version).padEnd(4)} ${v.createdAt.toISOString().slice(0, 19)}Z  ${v.aliases.map((a) => `@${a}`).join(' ')}\n`)
            for (const l of metricLines(v.metrics)) process.stdout.write(`        ${l}\n`)
          }
        })
      })
    })

  store(models.command('show'))
    .description('one version: metrics, lineage (data window, feature views, code version), artifacts with sha256, report path')
    .argument('<model>', 'name (the latest version), name@<version> or name@<alias>, e.g. maintenance@champion')
    .option('--json', 'one JSON document')
    .action(async (ref: string, o: StoreFlags & { json?: boolean }) => {
      const { parseModelRef } = await import('../../cloud/index.js')
      const parsed = parseModelRef(ref)
      await withStore(o, deps.logger, false, async (registry) => {
        const v = await registry.getVersion(parsed)
        if (o.json === true) process.stdout.write(JSON.stringify(v, null, 2) + '\n')
        else printVersion(v)
      })
    })

  store(models.command('promote'))
    .description('point an alias (champion by default) at a version, e.g. promote maintenance@3, or promote maintenance@challenger')
    .argument('<model>', 'name@<version> or name@<alias>')
    .addOption(new Option('--alias <alias>', 'the alias to set').default('champion'))
    .action(async (ref: string, o: StoreFlags & { alias: string }) => {
      const { parseModelRef } = await import('../../cloud/index.js')
      const parsed = parseModelRef(ref)
      if (parsed.version === undefined && parsed.alias === undefined) throw new ConfigError(`promote needs a version: ${ref}@<version> (see tapflow models ls)`)
      await withStore(o, deps.logger, false, async (registry) => {
        const v = await registry.getVersion(parsed)
        const before = (await registry.listModels()).find((m) => m.name === v.name)?.aliases[o.alias]
        await registry.setAlias(v.name, o.alias, v.version)
        process.stdout.write(`${v.name}@${o.alias} → ${v.version}${before === undefined ? ' (new alias)' : before === v.version ? ' (unchanged)' : ` (was ${before})`}\n`)
      })
    })
}
