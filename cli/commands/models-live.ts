import { Command, Option } from 'commander'
import { ConfigError } from '../../common/index.js'
import type { LiveReport, ModeSummary } from '../../cloud/index.js'
import { duration, url } from '../options.js'
import { alignRows, isoMinute } from '../text-table.js'

interface LiveReportFlags {
  horizon: number
  json?: boolean
  dataDir: string
  clickhouseUrl?: string
}

/** `tapflow models live-report`: the alerts raised so far against tapflow.ground_truth. */
export function registerLiveReport(models: Command): void {
  models.command('live-report')
    .description('live alerts so far against ground truth: caught, prevented (repaired before the failure), missed, false alarms, lead time per mode')
    .addOption(new Option('--horizon <d>', 'an alert up to this long before a failure (or since its onset) catches it').default(24 * 3_600_000, '24h').argParser(duration))
    .option('--json', 'print the report as JSON (with every event)')
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack (read through the running stack when there is one)').default('./data'))
    .addOption(new Option('--clickhouse-url <url>', 'read a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
    .action(async (o: LiveReportFlags) => {
      if (!(o.horizon > 0)) throw new ConfigError('--horizon must be positive')
      const [{ readLiveReport }, { openTelemetryClient }] = await Promise.all([import('../../cloud/index.js'), import('../telemetry-client.js')])
      const { client, remote } = openTelemetryClient(o)
      try {
        const r = await readLiveReport(client, { horizonMs: o.horizon })
        if (r === undefined) throw new ConfigError(`nothing scored in ${remote ?? o.dataDir} yet: live scoring runs in 'tapflow up' once a maintenance champion exists`)
        process.stdout.write(o.json === true ? JSON.stringify(r, null, 2) + '\n' : formatLiveReport(r))
      } finally {
        await client.close()
      }
    })
}

const iso = isoMinute
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`)
const hours = (x: number): string => `${x.toFixed(1)} h`

export function formatLiveReport(r: LiveReport): string {
  const head = ['mode', 'caught', 'prevented', 'missed', 'pending', 'false alarms', 'late', 'precision', 'recall', 'lead median (min–max)']
  const row = (m: ModeSummary): string[] => [
    m.mode, String(m.caught), String(m.prevented), String(m.missed), String(m.pending), String(m.falseAlarms), String(m.late), pct(m.precision), pct(m.recall),
    m.leadHours === null ? '–' : `${hours(m.leadHours.median)} (${hours(m.leadHours.min)}–${hours(m.leadHours.max)})`,
  ]
  const table = alignRows([head, ...r.modes.map(row), row(r.total)])
  const caught = r.events.filter((e) => e.outcome === 'caught' || e.outcome === 'prevented')
  return [
    `live alerts vs ground truth, failures due ${iso(r.from)} → ${iso(r.asOf)} (simulated), horizon ${r.horizonMs / 3_600_000} h`,
    ...table,
    ...(caught.length === 0 ? [] : ['', 'caught:', ...caught.slice(-10).map((e) => `  ${e.deviceId} ${e.mode}: alert ${iso(e.alertAt ?? 0)}, ${e.outcome === 'prevented' ? 'repaired before the failure due' : 'failure'} ${iso(e.failureAt ?? 0)}, lead ${hours((e.leadMs ?? 0) / 3_600_000)}`)]),
    '',
  ].join('\n')
}
