import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { DataFormat } from '@clickhouse/client'
import { Presets, SingleBar } from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, errorMessage, formatDuration, type Logger } from '../../common/index.js'
import type { HistorySummary, ModeRule } from '../../cloud/index.js'
import type { ClickHouseHandle } from '../../edge-gateway/index.js'
import type { FleetManifest } from '../../firmware-sim/index.js'
import { checkDataDir } from '../data-dir.js'
import { beforeSubcommand, duration, instant, int } from '../options.js'
import { addModelTrainingCommands } from './models-train.js'
import { registerDrift } from './drift.js'
import { registerLiveReport } from './models-live.js'
import { registerCompare } from './models-compare.js'

const H = 3_600_000
const D = 24 * H
/** Raw telemetry is kept 90 days by wall clock (migration 7): a longer history would age out as it is written. */
const MAX_DAYS = 80
const OUT_FORMATS: Record<string, DataFormat> = { csv: 'CSVWithNames', tsv: 'TabSeparatedWithNames', parquet: 'Parquet', jsonl: 'JSONEachRow' }

function positive(v: string): number {
  const n = Number(v)
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError('expected a positive number')
  return n
}

function positiveDuration(v: string): number {
  const ms = duration(v)
  if (ms <= 0) throw new InvalidArgumentError('expected a positive duration such as 1h or 6h')
  return ms
}

/** cloud's failure modes, for modeList: loaded before `models dataset` parses (see registerModels). */
let modeRules: readonly ModeRule[] = []

function modeList(v: string): string[] {
  const modes = v.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const m of modes) {
    if (!modeRules.some((r) => r.mode === m)) throw new InvalidArgumentError(`unknown mode '${m}' (expected some of ${modeRules.map((r) => r.mode).join(', ')})`)
  }
  if (modes.length === 0) throw new InvalidArgumentError('expected a comma-separated list of failure modes')
  return modes
}

/** The manifest, with --taps and --seed put in before it is validated. */
async function loadTrainingManifest(file: string, taps?: number, seed?: number): Promise<FleetManifest> {
  const [{ parseDocument }, { parseManifest }] = await Promise.all([import('yaml'), import('../../firmware-sim/index.js')])
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read manifest ${file}: ${errorMessage(err)}`)
  }
  if (taps !== undefined || seed !== undefined) {
    const doc = parseDocument(text)
    if (taps !== undefined) {
      if (!doc.has('generate')) throw new ConfigError(`--taps: ${file} lists its venues (no 'generate' section), so its size is fixed`)
      doc.setIn(['generate', 'taps'], taps)
    }
    if (seed !== undefined) doc.set('seed', seed)
    text = doc.toString()
  }
  return parseManifest(text, file)
}

interface SimulateFlags {
  days: number
  taps?: number
  manifest: string
  seed?: number
  dataDir: string
  hazardScale: number
  repairAfter: number
  end?: number
}

interface DatasetFlags {
  out: string
  dataDir: string
  from?: number
  to?: number
  step: number
  horizon: number
  warmup: number
  modes?: string[]
}

async function printSummary(s: HistorySummary, frames: number, seconds: number): Promise<void> {
  const { countFailures } = await import('../../cloud/index.js')
  const w = process.stdout
  w.write(`history ${new Date(s.from).toISOString().slice(0, 10)} .. ${new Date(s.to).toISOString().slice(0, 10)}: ${s.days} days, ${s.devices} devices, ${frames.toLocaleString('en-US')} frames in ${seconds.toFixed(1)} s\n`)
  w.write(`rows: ${Object.entries(s.rows).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}\n`)
  w.write(`${'MODE'.padEnd(18)} ${'CLASS'.padEnd(12)} ${'INJECTED'.padStart(8)} ${'FAILED'.padStart(7)} ${'TARGET'.padStart(7)}\n`)
  for (const m of countFailures(s.records, s.to)) {
    w.write(`${m.mode.padEnd(18)} ${m.class.padEnd(12)} ${String(m.injected).padStart(8)} ${String(m.failed).padStart(7)} ${String(m.predictable).padStart(7)}\n`)
  }
}

export function registerModels(program: Command, deps: { logger: Logger }): Command {
  const models = program.command('models').description('predictive models: training history, labelled datasets, training, evaluation and the registry')
  // The failure modes are cloud's: loaded only for dataset.
  const modes = new Option('--modes <list>', 'failure modes to label (default: the targets)').argParser(modeList)
  beforeSubcommand(program, models, 'dataset', async () => {
    const cloud = await import('../../cloud/index.js')
    modeRules = cloud.MODE_RULES
    modes.description = `failure modes to label (default: the targets, ${cloud.TARGET_MODES.join(', ')})`
  })

  models.command('simulate')
    .description('simulate a labelled training history straight into ClickHouse (device models → gateway decode → rows, no MQTT), with failure profiles at elevated hazard rates')
    // 40 days × 500 taps is ~3 minutes on a quiet 2-core machine (~10M frames); 60 days is ~4.6 minutes.
    .addOption(new Option('--days <n>', 'simulated days, ending at the start of today (UTC)').default(40).argParser(int(1, MAX_DAYS)))
    .addOption(new Option('--manifest <file>', 'fleet manifest with the failure profiles').default('fleets/training.yaml'))
    .addOption(new Option('--taps <n>', "number of taps (replaces the manifest's generate.taps)").argParser(int(1, 100_000)))
    .addOption(new Option('--seed <n>', "seed (replaces the manifest's)").argParser(int(0, 2 ** 31)))
    .addOption(new Option('--hazard-scale <x>', "multiplies every profile's hazard_per_day").default(1).argParser(positive))
    .addOption(new Option('--repair-after <d>', 'a failed tap is repaired this long after its failure, and its hazards re-armed').default(6 * H, '6h').argParser(duration))
    .addOption(new Option('--end <time>', 'end of the history (ISO date-time; default: the start of today, UTC)').argParser(instant))
    .addOption(new Option('--data-dir <dir>', 'data directory (ClickHouse under <dir>/clickhouse)').default('./data'))
    .action(async (o: SimulateFlags) => {
      const [{ simulateHistory, summarizeHistory, writeHistoryInfo }, { openClickHouse }] = await Promise.all([import('../../cloud/index.js'), import('../../edge-gateway/index.js')])
      const manifest = await loadTrainingManifest(o.manifest, o.taps, o.seed)
      checkDataDir(o.dataDir)
      const to = o.end ?? Math.floor(Date.now() / D) * D
      const from = to - o.days * D
      if (Date.now() - from > 85 * D) throw new ConfigError(`--end/--days: the history would start ${new Date(from).toISOString()}, older than the 90 days raw telemetry is kept`)
      const ch = openClickHouse({ path: join(o.dataDir, 'clickhouse') })
      // The training fleet numbers its venues and taps as every fleet does (ven-0001, tap-0001-01): over another
      // fleet's telemetry its frames would be taken for that fleet's duplicates, and its faults mixed into the labels.
      if (await holdsTelemetry(ch.client)) {
        await ch.client.close()
        throw new ConfigError(`${o.dataDir} already holds telemetry (from tapflow up, or an earlier simulate): simulate into a data dir of its own, e.g. --data-dir data/training, and pass the same --data-dir to dataset and train`)
      }
      const bar = new SingleBar({ format: ' simulate |{bar}| {percentage}% · day {day}/{days} · {frames} frames · {rate} frames/s', hideCursor: true, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 10_000 }, Presets.shades_classic)
      const t0 = performance.now()
      try {
        bar.start(o.days * 24, 0, { day: 0, days: o.days, frames: 0, rate: 0 })
        const r = await simulateHistory({
          clickhouse: ch, manifest, from, to, hazardScale: o.hazardScale, repairAfterMs: o.repairAfter,
          // Seq gaps and late frames are what the injected faults are for: only errors are worth a line here.
          logger: deps.logger.child({ component: 'models' }, { level: 'error' }),
          onProgress: (t, frames) => bar.update(Math.floor((t - from) / H), {
            day: Math.min(o.days, Math.floor((t - from) / D) + 1), days: o.days, frames: frames.toLocaleString('en-US'),
            rate: Math.round(frames / ((performance.now() - t0) / 1000)).toLocaleString('en-US'),
          }),
        })
        bar.stop()
        const seconds = (performance.now() - t0) / 1000
        writeHistoryInfo(o.dataDir, {
          from, to, manifest: o.manifest, taps: r.devices, seed: manifest.seed, hazardScale: o.hazardScale, repairAfterMs: o.repairAfter, writtenAt: new Date().toISOString(),
        })
        await printSummary(await summarizeHistory(ch.client, from, to), r.frames, seconds)
        process.stdout.write(`${r.repairs} repairs; next: tapflow models dataset --out maintenance.csv\n`)
      } finally {
        bar.stop()
        await ch.client.close()
      }
    })

  models.command('dataset')
    .description('write the maintenance dataset: device × prediction time, point-in-time device features, label_<mode> columns (1/0, NaN = excluded) and the split (train/validation/test by day)')
    .requiredOption('--out <file>', 'output: .csv, .tsv, .parquet or .jsonl')
    .addOption(new Option('--from <time>', 'start of the history (default: the last `models simulate` window)').argParser(instant))
    .addOption(new Option('--to <time>', 'end of the history (default: the last `models simulate` window)').argParser(instant))
    .addOption(new Option('--step <d>', 'time between prediction times per device').default(H, '1h').argParser(positiveDuration))
    .addOption(new Option('--horizon <d>', 'label horizon: a failure in (t, t + horizon] is positive').default(D, '24h').argParser(positiveDuration))
    .addOption(new Option('--warmup <d>', 'history before the first prediction time, so feature windows are full').default(D, '24h').argParser(duration))
    .addOption(modes)
    .addOption(new Option('--data-dir <dir>', 'data directory (ClickHouse under <dir>/clickhouse)').default('./data'))
    .action(async (o: DatasetFlags) => {
      const ext = /\.([a-z]+)$/.exec(o.out)?.[1] ?? ''
      const format = OUT_FORMATS[ext]
      if (format === undefined) throw new ConfigError(`--out ${o.out}: the extension must be one of ${Object.keys(OUT_FORMATS).map((e) => `.${e}`).join(', ')}`)
      const [{ maintenanceRows, readHistoryInfo, writeMaintenanceDataset }, { openClickHouse }] = await Promise.all([import('../../cloud/index.js'), import('../../edge-gateway/index.js')])
      checkDataDir(o.dataDir, { write: false })
      if (!existsSync(join(o.dataDir, 'clickhouse'))) throw new ConfigError(`no TapFlow data in ${o.dataDir}: run 'tapflow models simulate' first (or pass --data-dir)`)
      const info = readHistoryInfo(o.dataDir)
      const from = o.from ?? info?.from
      const to = o.to ?? info?.to
      if (from === undefined || to === undefined) throw new ConfigError(`no simulated history in ${o.dataDir}: run 'tapflow models simulate', or pass --from and --to`)
      if (!(to > from)) throw new ConfigError(`--to must be after --from`)
      const ch = openClickHouse({ path: join(o.dataDir, 'clickhouse') })
      try {
        const started = Date.now()
        const rows = await maintenanceRows({ client: ch.client, from, to, step: o.step, horizon: o.horizon, warmup: o.warmup, modes: o.modes })
        if (rows.rows.length === 0) throw new ConfigError(`no devices reported between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} in ${o.dataDir}`)
        const out = createWriteStream(o.out)
        await writeMaintenanceDataset({ client: ch.client, rows, format, out })
        out.end()
        await finished(out)
        const per = (s: string): number => rows.rows.filter((r) => r.split === s).length
        const positives = Object.entries(rows.targets).map(([m, col]) => `${m} ${col.reduce((a, v) => a + (v === 1 ? 1 : 0), 0)}`).join(', ')
        process.stdout.write(`wrote ${o.out}: ${rows.rows.length.toLocaleString('en-US')} rows (train ${per('train')}, validation ${per('validation')}, test ${per('test')}) × ${rows.features.length} features, step ${formatDuration(o.step)}, horizon ${formatDuration(o.horizon)}, in ${Date.now() - started} ms\n`)
        process.stdout.write(`positives: ${positives}\n`)
      } finally {
        await ch.client.close()
      }
    })
  addModelTrainingCommands(models, deps)
  registerDrift(models)
  registerLiveReport(models)
  registerCompare(models, deps)
  return models
}

/** Whether the data dir's ClickHouse already has telemetry rows (a fresh one has no tables yet). */
async function holdsTelemetry(client: ClickHouseHandle['client']): Promise<boolean> {
  try {
    const rs = await client.query({ query: 'SELECT count() > 0 AS any FROM (SELECT 1 FROM tapflow.pours LIMIT 1 UNION ALL SELECT 1 FROM tapflow.health LIMIT 1)', format: 'JSONEachRow' })
    return Boolean((await rs.json<{ any: number | boolean }>())[0]?.any)
  } catch {
    return false // no tables yet: nothing to collide with
  }
}
