import { Command, Option } from 'commander'
import { ConfigError, type Logger } from '../../common/index.js'
import type { ModeComparison, ModelComparison, WindowScore } from '../../dashboards/index.js'
import { duration, instant, int, url } from '../options.js'
import { alignRows, isoMinute } from '../text-table.js'
import { readStackInfo } from '../stack-file.js'
import { store, withStore, type StoreFlags } from './models-train.js'

const H = 3_600_000
const D = 24 * H

interface CompareFlags extends StoreFlags {
  windowDays: number
  every: number
  to?: number
  json?: boolean
  clickhouseUrl?: string
}

/** `tapflow models compare`: champion and challenger on the latest window of live features, against ground truth. */
export function registerCompare(models: Command, deps: { logger: Logger }): void {
  store(models.command('compare'))
    .description('maintenance@champion against maintenance@challenger on the latest window of device features, labelled from ground truth: PR-AUC, precision and recall at each model\'s own threshold, per mode')
    .addOption(new Option('--window-days <n>', 'the window: this many days up to --to').default(1).argParser(int(1, 90)))
    .addOption(new Option('--every <duration>', 'sample each tap every this long in the window (as the drift check)').default(6 * H, '6h').argParser(duration))
    .addOption(new Option('--to <time>', 'end of the window (default: the newest telemetry, in the data\'s own time)').argParser(instant))
    .option('--json', 'print the comparison as JSON')
    .addOption(new Option('--clickhouse-url <url>', 'read a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
    .addHelpText('after', `
Labels follow the training's rule (a failure within the champion's horizon is positive). A mode with no positive
in the window has no metrics (n/a), not 0. While 'tapflow up' runs on --data-dir, its registry is its own: this
prints the comparison it made after its latest drift check (or pass --database-url to compute one).`)
    .action(async (o: CompareFlags) => {
      if (!(o.every > 0)) throw new ConfigError('--every must be positive')
      const c = o.databaseUrl === undefined && readStackInfo(o.dataDir) !== undefined ? await fromRunningStack(o.dataDir) : await compute(o, deps.logger)
      process.stdout.write(o.json === true ? JSON.stringify(c, null, 2) + '\n' : formatComparison(c))
    })
}

async function fromRunningStack(dataDir: string): Promise<ModelComparison> {
  const [{ latestComparison }, { driftReportDir }] = await Promise.all([import('../../dashboards/index.js'), import('../drift-up.js')])
  const c = latestComparison([driftReportDir(dataDir)])
  if (c === null) throw new ConfigError(`tapflow up is running on ${dataDir} and has made no comparison yet (it makes one after each simulated day's drift check): try again later, or pass --database-url`)
  process.stderr.write(`tapflow up is running on ${dataDir}: its comparison after the latest drift check\n`)
  return c
}

async function compute(o: CompareFlags, logger: Logger): Promise<ModelComparison> {
  const [{ FeatureStore, compareOnWindow }, { openTelemetryClient }] = await Promise.all([import('../../cloud/index.js'), import('../telemetry-client.js')])
  return withStore(o, logger, false, async (registry) => {
    const { client, remote } = openTelemetryClient(o)
    try {
      const rs = await client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(max(ts))) AS last, toString(count()) AS n FROM tapflow.health', format: 'JSONEachRow' })
      const [stat] = await rs.json<{ last: string; n: string }>()
      if (stat === undefined || Number(stat.n) === 0) throw new ConfigError(`no device telemetry in ${remote ?? o.dataDir} yet: let the stack run first`)
      const to = o.to ?? Number(stat.last)
      const from = to - o.windowDays * D
      const store = new FeatureStore({ clickhouse: client, writable: remote === undefined, clock: { now: () => Math.max(Number(stat.last), to) } })
      process.stderr.write(`scoring both models on ${iso(from)} → ${iso(to)}…\n`)
      const c = await compareOnWindow({ client, registry, from, to, everyMs: o.every, store, batch: remote === undefined ? 50_000 : 2_000 })
      if (c === undefined) throw new ConfigError(`no maintenance@champion in the registry: train one (tapflow models train) or let tapflow up train it`)
      return c
    } finally {
      await client.close()
    }
  })
}

const iso = isoMinute
const f3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3))

/** The comparison as a terminal table: per mode and pooled, each metric for both models, `*` on the better. */
export function formatComparison(c: ModelComparison): string {
  const both = c.challenger !== null
  const metric = (m: ModeComparison, k: 'prAuc' | 'precision' | 'recall'): string[] => {
    const cell = (s: WindowScore | null, other: WindowScore | null): string => {
      if (s === null) return '–'
      const x = s[k]
      const y = other?.[k] ?? null
      return `${f3(x)}${both && x !== null && y !== null && x - y > 1e-9 ? '*' : ''}`
    }
    return both ? [cell(m.champion, m.challenger), cell(m.challenger, m.champion)] : [cell(m.champion, null)]
  }
  const pair = (h: string): string[] => (both ? [`${h} champ`, `${h} chall`] : [h])
  const head = ['mode', 'rows', 'positives', ...pair('PR-AUC'), ...pair('precision'), ...pair('recall')]
  const row = (m: ModeComparison): string[] => [m.mode, String(m.rows), String(m.positives), ...metric(m, 'prAuc'), ...metric(m, 'precision'), ...metric(m, 'recall')]
  const table = alignRows([head, ...c.modes.map(row), row(c.overall)])
  const none = c.modes.filter((m) => m.positives === 0).map((m) => m.mode)
  return [
    `window ${iso(c.window.from)} → ${iso(c.window.to)} (${c.entities} taps every ${c.window.everyMs / H} h, ${c.rows} rows), labelled from ground truth, horizon ${c.horizonHours} h`,
    `champion ${c.champion.ref}${c.challenger === null ? '; no challenger yet' : `, challenger ${c.challenger.ref} (* the better; nothing is promoted: tapflow models promote maintenance@challenger)`}`,
    ...table,
    ...(none.length === 0 ? [] : [`no positives in the window (no metrics): ${none.join(', ')}`]),
    `precision and recall at each model's own threshold; 'all' pools the modes both score`,
    '',
  ].join('\n')
}
