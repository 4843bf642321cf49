import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, ResourceStack, silentLogger, type Logger } from '../../common/index.js'
import { EmbeddedBroker, ExternalSource, Gateway, TELEMETRY, WriteAheadLog, openClickHouse, type FrameSource, type FsyncPolicy } from '../../edge-gateway/index.js'
import type { SimResult } from '../../firmware-sim/index.js'
import { account, type Accounting } from './accounting.js'
import { runSimProcesses } from './sim-processes.js'
import { latencySummary, median, windowRates, type LatencySummary } from './stats.js'
import { cpuSince, readCpuSplit, type CpuSplit } from './threads.js'

/**
 * Frames land in the telemetry tables; dead letters, gaps and the rest are not frames. Each table's device_id and
 * seq cells are read by position: `onInserted` runs in the measured process for every row, and a record object per
 * row there (a million of them) would be the harness's load, not the gateway's.
 */
const TELEMETRY_BY_NAME = new Map(Object.values(TELEMETRY).map((t) => [t.name, { device: t.columnNames.indexOf('device_id'), seq: t.columnNames.indexOf('seq') }]))

export interface LoadOptions {
  /** Taps, each with its own MQTT session. Default: 2000. */
  devices?: number
  /** Frames to publish in total. Default: 1,000,000 (about one simulated day for 2,000 taps). */
  events?: number
  /** Simulated speed. Default: 'max'. */
  speed?: number | 'max'
  /** Default: 1. */
  qos?: 0 | 1
  /** Frames per MQTT message. Default: 1. */
  batch?: number
  /** Simulator processes (shards). Default: 1. */
  processes?: number
  /**
   * V8 heap cap per simulator process, MB. At full speed V8 lets the heap grow well past the live set
   * (~20 KB of heap per device session); a cap trades some throughput for memory. Default: none.
   */
  simHeapMb?: number
  /** Fleet-wide unacknowledged frames before the simulator is held back. Default: 20,000. */
  maxInFlight?: number
  /** External broker URL; default: the embedded aedes broker. */
  broker?: string
  /** ClickHouse server URL; default: embedded chDB in a fresh temporary directory. */
  clickhouseUrl?: string
  /** Measure a bare-broker baseline first (same broker, same messages, a subscriber that only counts). Default: true. */
  baseline?: boolean
  seed?: number
  /** Gateway batch age limit, ms. Default: 500. */
  batchDelayMs?: number
  /** The gateway's write-ahead log, as in `tapflow up`: a frame's PUBACK is sent once it is durable there. 'off': PUBACK after the insert. Default: always. */
  walFsync?: FsyncPolicy | 'off'
  logger?: Logger
  /** Called about once a second while the main run goes. */
  onProgress?: (p: { phase: 'baseline' | 'load'; landed: number; total: number }) => void
}

export interface ProcessUsage {
  name: string
  cpuSeconds: number
  peakRssMb: number
}

export interface LoadReport {
  startedAt: string
  options: Required<Omit<LoadOptions, 'logger' | 'onProgress' | 'broker' | 'clickhouseUrl' | 'simHeapMb'>> & { broker: string; clickhouse: string; simHeapMb?: number }
  accounting: Accounting
  throughput: {
    /** Frames landed per second over the whole run (first frame in → last row visible). */
    overall_fps: number
    /** Median and minimum of 5-second windows. */
    sustained_median_fps: number
    sustained_min_fps: number
    seconds: number
    /** Landed frames per second, second by second. */
    perSecond: number[]
  }
  /**
   * The same simulator run against a broker whose subscriber only counts; `simCpuSeconds` shows it did the same
   * work, `brokerCpuSeconds` is what the broker's process spent meanwhile.
   */
  baseline?: { fps: number; seconds: number; frames: number; ratio: number; simCpuSeconds: number; brokerCpuSeconds: number }
  freshness: LatencySummary
  processes: ProcessUsage[]
  /** Where the CPU went, µs per frame published (Linux; elsewhere only the process totals are known). */
  cpuPerFrameUs: CpuPerFrame
}

/**
 * CPU per frame, µs, by who spent it. The simulator shares the machine with the path, so on a saturated machine
 * frames/s is (cores × 10⁶) / the sum: what the gateway adds to the baseline's sum sets the ratio to the baseline.
 */
export interface CpuPerFrame {
  baseline?: CpuShares
  run: CpuShares
}

export interface CpuShares {
  /** The simulators, from each one's first frame (start-up, before it, is set-up, not a frame's cost). */
  simulator: number
  /** The measured process's main thread: the broker, and in the full path the gateway's decode, rows and WAL. */
  javascript?: number
  /** V8's collector and compiler, libuv's pool: WAL writes and fsyncs, and the calls into chDB (see CpuSplit). */
  nodeHelpers?: number
  /** chDB's own threads: parsing, materialized views, compression, merges (none in the baseline or with a server). */
  engine?: number
  /** The measured process, all threads (what the three above add up to, where they are known). */
  process: number
  /** Simulator and process. */
  total: number
}

/** Seconds spent on `frames` as µs per frame, by who spent them. */
function sharesOf(simSeconds: number, processSeconds: number, split: CpuSplit | undefined, frames: number): CpuShares {
  const us = (seconds: number): number => Number(((seconds * 1e6) / Math.max(frames, 1)).toFixed(1))
  return {
    simulator: us(simSeconds),
    ...(split ? { javascript: us(split.javascript), nodeHelpers: us(split.nodeHelpers), engine: us(split.engine) } : {}),
    process: us(processSeconds),
    total: us(simSeconds + processSeconds),
  }
}

/** One full load run: optional bare-broker baseline, then the real path, then exact accounting. */
export async function runLoad(opts: LoadOptions = {}): Promise<LoadReport> {
  const o = {
    devices: opts.devices ?? 2000,
    events: opts.events ?? 1_000_000,
    speed: opts.speed ?? ('max' as const),
    qos: opts.qos ?? 1,
    batch: opts.batch ?? 1,
    processes: opts.processes ?? 1,
    maxInFlight: opts.maxInFlight ?? 20_000,
    baseline: opts.baseline ?? true,
    seed: opts.seed ?? 42,
    batchDelayMs: opts.batchDelayMs ?? 500,
    walFsync: opts.walFsync ?? ('always' as const),
  }
  if (!(o.events >= 1)) throw new ConfigError(`--events must be at least 1, got ${o.events}`)
  // Freshness is sampled on seq % sampleEvery === 0: every frame on small runs, every 100th on big ones.
  const sampleEvery = o.events <= 100_000 ? 1 : 100
  const log = (opts.logger ?? silentLogger).child({ component: 'load' })
  const work = mkdtempSync(join(tmpdir(), 'tapflow-load-'))
  // The simulated day ends now, so frames are neither in the future nor late.
  const frameDays = o.events / (o.devices * 520)
  const simStart = Date.now() - Math.ceil(frameDays + 0.1) * 86_400_000
  const sims = { brokerUrl: '', devices: o.devices, seed: o.seed, start: simStart, speed: o.speed, qos: o.qos as 0 | 1, batch: o.batch, frames: o.events, processes: o.processes, maxInFlight: o.maxInFlight, sampleEvery, heapMb: opts.simHeapMb, dir: work }
  const makeSource = async (): Promise<{ source: FrameSource; url: string }> => {
    if (opts.broker !== undefined) return { source: new ExternalSource({ url: opts.broker, clientId: `tapflow-load-${process.pid}-${Date.now()}` }), url: opts.broker }
    const b = new EmbeddedBroker({ port: 0 })
    await b.listen()
    return { source: b, url: b.url }
  }
  try {
    let baseline: LoadReport['baseline']
    let baselineCpu: CpuShares | undefined
    if (o.baseline) {
      const cpuBefore = process.cpuUsage()
      const splitBefore = readCpuSplit()
      const { source, url } = await makeSource()
      let frames = 0
      let first = 0
      let last = 0
      await source.start((_t, payload, puback) => {
        const now = performance.now()
        if (first === 0) first = now
        last = now
        // A batch carries `batch` frames; count frames, not messages.
        frames += o.batch > 1 ? countBatchFrames(payload) : 1
        puback()
      })
      log.info('baseline: bare broker, counting subscriber')
      const tick = setInterval(() => opts.onProgress?.({ phase: 'baseline', landed: frames, total: o.events }), 1000)
      let simCpuSeconds = 0
      let simRunCpuSeconds = 0
      try {
        const results = await runSimProcesses({ ...sims, brokerUrl: url, tag: 'baseline' })
        simCpuSeconds = Number(results.reduce((s, r) => s + r.cpuSeconds, 0).toFixed(2))
        simRunCpuSeconds = steadyCpu(results)
        await settle(() => frames >= o.events, () => frames)
      } finally {
        clearInterval(tick)
        await source.close()
      }
      const seconds = (last - first) / 1000
      const broker = process.cpuUsage(cpuBefore)
      const brokerCpuSeconds = round2((broker.user + broker.system) / 1e6)
      baseline = { fps: Math.round(frames / seconds), seconds, frames, ratio: 0, simCpuSeconds, brokerCpuSeconds }
      baselineCpu = sharesOf(simRunCpuSeconds, brokerCpuSeconds, cpuSince(splitBefore, readCpuSplit()), frames)
    }

    // Everything the measured run opens is closed, in reverse, however the run ends.
    const resources = new ResourceStack({ logger: log })
    try {
      const ch = openClickHouse({ url: opts.clickhouseUrl, path: join(work, 'clickhouse') })
      resources.defer('clickhouse', () => ch.client.close())
      const { source, url } = await makeSource()
      resources.use('source', source)
      const inserted = new Map<string, number>()
      let landed = 0
      let first = 0
      let last = 0
      const wal = o.walFsync === 'off' ? undefined : resources.use('wal', WriteAheadLog.open({ dir: join(work, 'wal'), fsync: o.walFsync }))
      const gateway = resources.use('gateway', new Gateway({
        source,
        clickhouse: ch,
        wal,
        batch: { maxDelayMs: o.batchDelayMs },
        // Only the sampled rows are held for the freshness figure: holding every row costs the gateway ~1.5 µs a frame.
        keepInserted: (table, row) => {
          const cells = TELEMETRY_BY_NAME.get(table)
          return cells !== undefined && Number(row[cells.seq]) % sampleEvery === 0
        },
        onInserted: (table, rows, count) => {
          const now = performance.timeOrigin + performance.now()
          last = performance.now()
          const cells = TELEMETRY_BY_NAME.get(table)
          if (cells === undefined) return
          landed += count
          for (const r of rows) {
            const seq = Number(r[cells.seq])
            if (seq % sampleEvery === 0) inserted.set(`${String(r[cells.device])}:${seq}`, now)
          }
        },
      }))
      // Measured from here: the migrations `start` runs are set-up, not a frame's cost.
      await gateway.start()
      const cpu0 = process.cpuUsage()
      const split0 = readCpuSplit()
      const perSecond: number[] = []
      let prev = 0
      // The clock starts at the first frame in, as the baseline's does: noticed by the 1 s tick it started up to a
      // second late, which overstated a 10 s run's rate (and its ratio to the baseline) by up to 10 %.
      const firstIn = setInterval(() => {
        if (gateway.stats.framesIn === 0) return
        first = performance.now()
        clearInterval(firstIn)
      }, 5)
      resources.defer('first-frame poll', () => clearInterval(firstIn))
      const tick = setInterval(() => {
        if (first !== 0) {
          perSecond.push(landed - prev)
          prev = landed
        }
        opts.onProgress?.({ phase: 'load', landed, total: o.events })
      }, 1000)
      resources.defer('progress timer', () => clearInterval(tick))
      const results = await runSimProcesses({ ...sims, brokerUrl: url, tag: 'load' })
      const published = results.reduce((s, r) => s + r.stats.sent, 0)
      // An external broker acks on receipt, so frames may still be on their way; a broker that dropped
      // some never delivers them, so stop once nothing has arrived for 3 s.
      await settle(() => gateway.stats.framesIn >= published, () => gateway.stats.framesIn)
      await gateway.flush()
      clearInterval(tick)
      // Closed here (and harmlessly again by the stack) so every row is in before the accounting.
      await gateway.close()
      await wal?.close()
      if (landed > prev) perSecond.push(landed - prev)
      const cpu = process.cpuUsage(cpu0)
      const split = cpuSince(split0, readCpuSplit())
      const lastSeq = Object.assign({}, ...results.map((r) => r.lastSeq)) as Record<string, number>
      const accounting = await account(ch.client, lastSeq, published, gateway.stats.duplicates)
      const seconds = (last - first) / 1000
      const latencies: number[] = []
      for (const r of results) for (const [d, seq, at] of r.samples) {
        const t = inserted.get(`${d}:${seq}`)
        if (t !== undefined) latencies.push(t - at)
      }
      const windows = windowRates(perSecond.slice(1, -1))
      const overall = Math.round(accounting.landed / Math.max(seconds, 0.001))
      if (baseline) baseline.ratio = Number((overall / baseline.fps).toFixed(3))
      const processCpu = round2((cpu.user + cpu.system) / 1e6)
      const cpuPerFrameUs: CpuPerFrame = { ...(baselineCpu ? { baseline: baselineCpu } : {}), run: sharesOf(steadyCpu(results), processCpu, split, published) }
      return {
        startedAt: new Date().toISOString(),
        options: { ...o, broker: opts.broker ?? 'embedded aedes', clickhouse: opts.clickhouseUrl ?? 'embedded chDB', simHeapMb: opts.simHeapMb },
        accounting,
        throughput: {
          overall_fps: overall,
          sustained_median_fps: Math.round(median(windows)),
          sustained_min_fps: Math.round(windows.length ? Math.min(...windows) : overall),
          seconds: Number(seconds.toFixed(2)),
          perSecond,
        },
        baseline,
        freshness: latencySummary(latencies),
        processes: [
          { name: 'broker + gateway + ClickHouse', cpuSeconds: processCpu, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
          ...results.map((r, i) => ({ name: `simulator ${i}/${o.processes}`, cpuSeconds: Number(r.cpuSeconds.toFixed(2)), peakRssMb: r.peakRssMb })),
        ],
        cpuPerFrameUs,
      }
    } finally {
      await resources.close()
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Waits until `done()`, or until `progress()` has not moved for `quietMs`. */
async function settle(done: () => boolean, progress: () => number, quietMs = 3_000): Promise<void> {
  let last = progress()
  let since = Date.now()
  while (!done()) {
    await sleep(50)
    const now = progress()
    if (now !== last) {
      last = now
      since = Date.now()
    } else if (Date.now() - since > quietMs) return
  }
}

const round2 = (x: number): number => Number(x.toFixed(2))

/** The simulators' CPU from their first frame on: what publishing cost, without starting up. */
const steadyCpu = (results: readonly SimResult[]): number => results.reduce((s, r) => s + r.cpuSeconds - r.startupCpuSeconds, 0)

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Frames in a TelemetryBatch without decoding them: count the top-level field-1 entries. */
function countBatchFrames(payload: Uint8Array): number {
  let n = 0
  let i = 0
  while (i < payload.length) {
    if (payload[i] !== 10) break
    i++
    let len = 0
    let shift = 0
    for (;;) {
      const b = payload[i++]!
      len |= (b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7
    }
    i += len
    n++
  }
  return n
}

