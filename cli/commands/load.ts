import { join } from 'node:path'
import { SingleBar, Presets } from 'cli-progress'
import { Command, Option } from 'commander'
import { FSYNC_POLICIES, type FsyncPolicy, type Logger } from '../../common/index.js'
import type { CpuPerFrame, CpuShares } from '../../loadtest/index.js'
import { int, speed, url } from '../options.js'

export function registerLoad(program: Command, deps: { logger: Logger }): void {
  program
    .command('load')
    .description('load-test the whole path (devices → MQTT → gateway → ClickHouse) and account for every frame')
    .addOption(new Option('--devices <n>', 'taps, each with its own MQTT session').default(2000).argParser(int(1, 100_000)))
    .addOption(new Option('--events <n>', 'frames to publish in total').default(1_000_000).argParser(int(1, 1_000_000_000)))
    .addOption(new Option('--speed <x>', "simulated speed, or 'max' to replay as fast as the path allows").default('max').argParser(speed))
    .addOption(new Option('--qos <n>', 'MQTT QoS').default(1).argParser(int(0, 1)))
    .addOption(new Option('--batch <n>', 'frames per MQTT message (TelemetryBatch)').default(1).argParser(int(1, 1000)))
    .addOption(new Option('--procs <n>', 'simulator processes (fleet shards)').default(1).argParser(int(1, 64)))
    .addOption(new Option('--sim-heap-mb <n>', 'V8 heap cap for each simulator process (trades throughput for memory)').argParser(int(64, 65_536)))
    .addOption(new Option('--max-in-flight <n>', 'fleet-wide unacknowledged frames before devices are held back').default(20_000).argParser(int(1, 10_000_000)))
    .addOption(new Option('--broker <url>', 'external broker instead of the embedded one').argParser(url(['mqtt:', 'mqtts:'])))
    .addOption(new Option('--clickhouse-url <url>', 'ClickHouse server instead of a fresh embedded chDB').argParser(url(['http:', 'https:'])))
    .addOption(new Option('--no-baseline', 'skip the bare-broker baseline'))
    .addOption(new Option('--wal-fsync <policy>', 'gateway write-ahead log fsync policy, or off (PUBACK after the insert, no WAL)').default('always').choices([...FSYNC_POLICIES, 'off']))
    .addOption(new Option('--seed <n>', 'fleet seed').default(42).argParser(int(0, 2 ** 31)))
    .addOption(new Option('--out <dir>', 'report directory (default ./reports/load-<timestamp>)'))
    .action(async (o: LoadCliOptions) => {
      const { runLoad, writeReport } = await import('../../loadtest/index.js')
      const bar = new SingleBar({ format: ' {phase} |{bar}| {percentage}% · {value}/{total} frames · {rate}/s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
      let phase = ''
      let t0 = 0
      const report = await runLoad({
        devices: o.devices, events: o.events, speed: o.speed, qos: o.qos as 0 | 1, batch: o.batch, processes: o.procs, simHeapMb: o.simHeapMb,
        maxInFlight: o.maxInFlight, walFsync: o.walFsync, broker: o.broker, clickhouseUrl: o.clickhouseUrl, baseline: o.baseline, seed: o.seed,
        logger: deps.logger,
        onProgress: (p) => {
          if (p.phase !== phase) {
            if (phase !== '') bar.stop()
            phase = p.phase
            t0 = performance.now()
            bar.start(p.total, 0, { phase: phase.padEnd(8), rate: 0 })
          }
          bar.update(Math.min(p.landed, p.total), { phase: phase.padEnd(8), rate: Math.round(p.landed / ((performance.now() - t0) / 1000)) })
        },
      })
      bar.stop()
      const dir = o.out ?? join('reports', `load-${report.startedAt.replace(/[:.]/g, '-')}`)
      const files = writeReport(report, dir)
      const a = report.accounting
      const line = (k: string, v: string): void => void process.stdout.write(`  ${k.padEnd(26)} ${v}\n`)
      process.stdout.write(`\nTapFlow load: ${report.options.devices} devices, ${report.options.events} frames, QoS ${report.options.qos}, batch ${report.options.batch}\n`)
      line('published', String(a.published))
      line('landed', String(a.landed))
      line('lost (seq gaps)', String(a.lost))
      line('dead-lettered', String(a.deadLettered))
      line('duplicates', String(a.duplicates))
      line('identity', a.identityHolds ? 'published = landed + lost + dead-lettered ✓' : 'BROKEN ✗')
      line('throughput', `${report.throughput.overall_fps} frames/s (sustained median ${report.throughput.sustained_median_fps}, min ${report.throughput.sustained_min_fps})`)
      if (report.baseline) line('bare-broker baseline', `${report.baseline.fps} frames/s → ratio ${report.baseline.ratio}`)
      line('freshness p50/p95/p99/max', `${report.freshness.p50_ms} / ${report.freshness.p95_ms} / ${report.freshness.p99_ms} / ${report.freshness.max_ms} ms`)
      for (const p of report.processes) line(p.name, `${p.cpuSeconds} CPU s, ${p.peakRssMb} MB peak RSS`)
      line('CPU per frame', cpuLine(report.cpuPerFrameUs, report.options.clickhouse === 'embedded chDB' ? 'chDB' : 'other threads'))
      process.stdout.write(`\n  report: ${files.html}\n          ${files.json}\n`)
      if (!a.identityHolds) process.exitCode = 1
    })
}

/** `sim 9.8 + JS 9.1 + Node threads 5.2 + chDB 11.0 = 35.1 µs (baseline: sim 10.2 + JS 2.0 + Node threads 0.4 = 12.6 µs)` */
function cpuLine(c: CpuPerFrame, engine: string): string {
  const shares = (s: CpuShares, engineToo: boolean): string => {
    const parts = s.javascript === undefined
      ? [`sim ${s.simulator}`, `broker process ${s.process}`]
      : [`sim ${s.simulator}`, `JS ${s.javascript}`, `Node threads ${s.nodeHelpers}`, ...(engineToo ? [`${engine} ${s.engine}`] : [])]
    return `${parts.join(' + ')} = ${s.total} µs`
  }
  return shares(c.run, true) + (c.baseline === undefined ? '' : ` (baseline: ${shares(c.baseline, false)})`)
}

interface LoadCliOptions {
  devices: number
  events: number
  speed: number | 'max'
  qos: number
  batch: number
  procs: number
  simHeapMb?: number
  maxInFlight: number
  broker?: string
  clickhouseUrl?: string
  baseline: boolean
  walFsync: FsyncPolicy | 'off'
  seed: number
  out?: string
}
