import { existsSync, readFileSync } from 'node:fs'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, errorMessage } from '../../common/index.js'
import type { DriftColumnValues } from '../../cloud/index.js'
import { duration, url } from '../options.js'

const D = 86_400_000
/** Id and time columns a training-set CSV carries, never compared. */
const NOT_FEATURES = ['device_id', 'venue_id', 'customer', 'entity_id', 'event_timestamp', 'ts']

interface Window {
  from: number
  to: number
}

interface DriftFlags {
  reference?: Window
  current?: Window
  referenceFile?: string
  currentFile?: string
  features?: string[]
  every: number
  prediction?: string
  outDir: string
  failOnDrift?: boolean
  json?: boolean
  dataDir: string
  clickhouseUrl?: string
}

/** "<from>/<to>", each an ISO date-time. */
function window(v: string): Window {
  const [a, b, extra] = v.split('/')
  const from = Date.parse(a ?? '')
  const to = Date.parse(b ?? '')
  if (extra !== undefined || Number.isNaN(from) || Number.isNaN(to)) throw new InvalidArgumentError(`expected <from>/<to> as ISO times, e.g. 2026-11-20T00:00Z/2026-11-27T00:00Z`)
  if (to <= from) throw new InvalidArgumentError(`the window ends before it starts`)
  return { from, to }
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '')
const iso = (t: number): string => new Date(t).toISOString().replace(':00.000Z', 'Z')
const span = (w: Window): string => `${iso(w.from)} → ${iso(w.to)}`

export function registerDrift(program: Command): void {
  program.command('drift')
    .description('data drift between a reference and a current window of device features (Evidently\'s DataDriftPreset rules); writes reports/drift-<ts>.{json,html}')
    .addOption(new Option('--reference <from/to>', 'reference window, ISO times (default: the 7 days before the current window)').argParser(window))
    .addOption(new Option('--current <from/to>', 'current window, ISO times (default: the last day of data, in the data\'s own time)').argParser(window))
    .option('--reference-file <csv>', 'compare two CSV files instead (a header row; id and time columns are left out)')
    .option('--current-file <csv>', 'the current CSV, with --reference-file')
    .addOption(new Option('--features <list>', 'comma-separated feature (or CSV column) names (default: every device feature / every CSV column)').argParser(list))
    .addOption(new Option('--every <duration>', 'sample each device every this long in each window').default(6 * 3_600_000, '6h').argParser(duration))
    .option('--prediction <column>', 'the model score column: reported as prediction drift')
    .option('--out-dir <dir>', 'where the reports go', 'reports')
    .option('--fail-on-drift', 'exit 1 when the dataset drifts (drift is not an error otherwise: exit 0)')
    .option('--json', 'print the JSON report instead of the summary')
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack').default('./data'))
    .addOption(new Option('--clickhouse-url <url>', 'read a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
    .action(async (o: DriftFlags) => {
      const files = o.referenceFile !== undefined || o.currentFile !== undefined
      if (files && (o.referenceFile === undefined || o.currentFile === undefined)) throw new ConfigError('--reference-file and --current-file go together')
      if (files && (o.reference !== undefined || o.current !== undefined)) throw new ConfigError('compare either two CSV files or two windows, not both')
      if (!(o.every > 0)) throw new ConfigError('--every must be positive')
      const { detectDrift, driftSummary, writeDriftReport } = await import('../../cloud/index.js')
      const input = files ? await readFiles(o.referenceFile as string, o.currentFile as string) : await readWindows(o)
      const result = detectDrift({ reference: input.reference, current: input.current, columns: files ? o.features : undefined, options: { prediction: o.prediction } })
      if (result.columns.length === 0) throw new ConfigError(`nothing to compare: ${result.skipped.map((x) => `${x.column} has ${x.reason}`).slice(0, 3).join('; ')}${result.skipped.length > 3 ? '; …' : ''}`)
      const out = writeDriftReport({ result, meta: input.meta, dir: o.outDir })
      if (o.json === true) process.stdout.write(JSON.stringify(out.report, null, 2) + '\n')
      else process.stdout.write(`reference: ${input.meta.reference} (${result.referenceRows} rows)\ncurrent:   ${input.meta.current} (${result.currentRows} rows)\n${driftSummary(result)}\nwrote ${out.html} and ${out.json}\n`)
      if (o.failOnDrift === true && result.datasetDrift) process.exitCode = 1
    })
}

interface Input {
  reference: Record<string, DriftColumnValues>
  current: Record<string, DriftColumnValues>
  meta: { reference: string; current: string; note?: string }
}

async function readFiles(refPath: string, curPath: string): Promise<Input> {
  const { tableFromCsv } = await import('../../cloud/index.js')
  const read = (p: string): Record<string, DriftColumnValues> => {
    if (!existsSync(p)) throw new ConfigError(`${p}: no such file`)
    try {
      return tableFromCsv(readFileSync(p, 'utf8'), NOT_FEATURES).table
    } catch (err) {
      throw new ConfigError(`${p}: ${errorMessage(err)}`)
    }
  }
  return { reference: read(refPath), current: read(curPath), meta: { reference: refPath, current: curPath, note: 'CSV files' } }
}

/** The feature store's offline values over two windows, defaulting to the data's own last day and the week before. */
async function readWindows(o: DriftFlags): Promise<Input> {
  const [{ FeatureStore, readFeatureWindow }, { openTelemetryClient }] = await Promise.all([import('../../cloud/index.js'), import('../telemetry-client.js')])
  const { client, remote } = openTelemetryClient(o)
  try {
    const rs = await client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(max(ts))) AS last, toString(count()) AS n FROM tapflow.health', format: 'JSONEachRow' })
    const [stat] = await rs.json<{ last: string; n: string }>()
    if (stat === undefined || Number(stat.n) === 0) throw new ConfigError(`no device telemetry in ${remote ?? o.dataDir} yet: let the stack run first`)
    const last = Number(stat.last)
    const current = o.current ?? { from: last - D, to: last }
    const reference = o.reference ?? { from: current.from - 7 * D, to: current.from }
    // Simulated time may run ahead of the wall clock: the store judges "the future" by the data's time.
    const store = new FeatureStore({ clickhouse: client, writable: remote === undefined, clock: { now: () => Math.max(last, reference.to, current.to) } })
    const ids = await store.entityIds('device')
    const read = async (name: string, w: Window): Promise<Record<string, DriftColumnValues>> => {
      const started = Date.now()
      const res = await readFeatureWindow({
        store, ids, from: w.from, to: w.to, everyMs: o.every, features: o.features, batch: remote === undefined ? 50_000 : 2_000,
        onProgress: (done, total) => process.stderr.write(`\r${name}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows`),
      })
      process.stderr.write(`\r${name}: ${res.rows.toLocaleString('en-US')} rows (${res.entities} devices) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
      return res.table
    }
    return {
      reference: await read('reference', reference),
      current: await read('current', current),
      meta: { reference: span(reference), current: span(current), note: `device features from the feature store, sampled every ${o.every / 3_600_000} h` },
    }
  } finally {
    await client.close()
  }
}
