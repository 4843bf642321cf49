import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gateway, applyRetention, migrate, openClickHouse, type ClickHouseHandle, type FrameSource } from '../../../edge-gateway/index.js'
import { SimClock, Simulator, buildFleet, type DeviceTransport, type Frame, type TransportStats } from '../../../firmware-sim/index.js'
import { DeviceCommand } from '../../../proto/index.js'
import { FeatureStore, detectDrift, readFeatureWindow, type DriftReport, type DriftResult } from '../../index.js'

const H = 3_600_000
const D = 24 * H
const START = Date.UTC(2026, 10, 2) // a Monday
const END = START + 8 * D
const FLASH = END - 2 * D // the whole fleet moves to 1.5.0, whose flow meter reads up to 12 % high after 2 days
const DEVICES = 30
const BIN = join(import.meta.dirname, '../../../cli/bin/tapflow.js')

/** Frames straight from the simulator into the gateway's decode → batch → insert path, as dashboards' seedHistory does. */
class Direct implements DeviceTransport {
  readonly stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
  private waiting: Promise<void> | undefined
  constructor(private readonly gateway: Gateway) {}
  async connect(): Promise<void> {}
  publish(frame: Frame): void {
    this.stats.sent++
    this.gateway.handle(frame.topic, frame.payload, () => this.stats.acked++)
  }
  backpressure(): Promise<void> | undefined {
    if (this.stats.sent - this.stats.acked < 100_000) return undefined
    return (this.waiting ??= this.gateway.flush().finally(() => (this.waiting = undefined)))
  }
  async flush(): Promise<void> {
    await this.gateway.flush()
  }
  async close(): Promise<void> {}
}

const NO_SOURCE: FrameSource = { description: 'test (direct)', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

async function simulateRollout(ch: ClickHouseHandle): Promise<void> {
  const clock = new SimClock({ start: START, speed: 'max' })
  const gateway = new Gateway({ source: NO_SOURCE, clickhouse: ch, clock, batch: { maxRows: 100_000, maxDelayMs: 200 } })
  await gateway.start()
  const fleet = buildFleet({ devices: DEVICES, seed: 7 })
  let flashed = false
  const sim: Simulator = new Simulator({
    fleet, clock, transport: new Direct(gateway), until: END,
    onFrame: (f) => {
      if (flashed || f.tsMs < FLASH) return
      flashed = true
      for (const d of fleet.devices) sim.command(d.deviceId, DeviceCommand.encode({ command_id: `rollout-${d.deviceId}`, flash: { firmware: '1.5.0' } }).finish())
    },
  })
  try {
    await sim.start()
    await sim.close()
    await gateway.flush()
  } finally {
    await gateway.close()
  }
}

/**
 * The windows `tapflow models drift` takes by default: the data's last day (1.5.0, drifting from 6 to 12 %) against the
 * 7 days before it (1.4.2 but for the rollout's first day).
 */
describe('a 1.5.0 firmware rollout shows up as drift on the flow-meter features', () => {
  let dir: string
  let result: DriftResult
  let current: { from: number; to: number }
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-drift-firmware-'))
    const ch = openClickHouse({ path: join(dir, 'clickhouse') })
    try {
      await migrate(ch.client)
      await applyRetention(ch.client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
      await simulateRollout(ch)
      const store = new FeatureStore({ clickhouse: ch.client, clock: { now: () => END } })
      const rs = await ch.client.query({ query: 'SELECT DISTINCT device_id FROM tapflow.health ORDER BY device_id', format: 'JSONEachRow' })
      const ids = (await rs.json<{ device_id: string }>()).map((r) => r.device_id)
      const lastRs = await ch.client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(max(ts))) AS last FROM tapflow.health', format: 'JSONEachRow' })
      const last = Number((await lastRs.json<{ last: string }>())[0]?.last)
      expect(last).toBeGreaterThan(END - H)
      current = { from: last - D, to: last }
      const window = async (w: { from: number; to: number }) => (await readFeatureWindow({ store, ids, ...w })).table
      result = detectDrift({ reference: await window({ from: current.from - 7 * D, to: current.from }), current: await window(current) })
    } finally {
      await ch.client.close()
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const col = (name: string) => result.columns.find((c) => c.column === name)

  it('flags the measured pour volume (KS on 30 taps × 28 and × 4 samples), and the firmware itself', () => {
    expect(result.referenceRows).toBe(DEVICES * 28)
    expect(result.currentRows).toBe(DEVICES * 4)
    for (const name of ['avg_pour_size', 'last_pour_volume_ml', 'waste_ratio_24h']) expect(col(name), name).toMatchObject({ test: 'ks', drifted: true })
    // The 24 h mean pour averages away each pour's size, so the meter's gain stands out most there.
    expect(col('avg_pour_size')?.pValue).toBeLessThan(1e-6)
    // Reads high: the current mean pour is ~9 % larger than the reference's (6 → 12 % over the day), give or take.
    const ratio = (col('avg_pour_size')?.current.mean as number) / (col('avg_pour_size')?.reference.mean as number)
    expect(ratio).toBeGreaterThan(1.05)
    expect(ratio).toBeLessThan(1.14)
    expect(col('firmware_version')).toMatchObject({ kind: 'binary', test: 'z', drifted: true })
  })

  it('leaves the flow rate alone: the meter misreads volume, not the flow', () => {
    // (Other features may move between a Tuesday and a Saturday: line temperature does, with the bar's trade.)
    expect(col('flow_rate_avg_24h')).toMatchObject({ test: 'ks', drifted: false })
    expect(col('flow_rate_avg_24h')?.pValue).toBeGreaterThan(0.05)
  })

  it('tapflow models drift, with its default windows, writes the same verdicts', async () => {
    const out = join(dir, 'reports')
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN, 'models', 'drift', '--data-dir', dir, '--out-dir', out, '--json', '--features', 'avg_pour_size,flow_rate_avg_24h,firmware_version',
    ])
    const report = JSON.parse(stdout) as DriftReport
    const iso = (t: number): string => new Date(t).toISOString().replace(':00.000Z', 'Z')
    expect(report.meta.current).toBe(`${iso(current.from)} → ${iso(current.to)}`)
    expect(report.meta.reference).toBe(`${iso(current.from - 7 * D)} → ${iso(current.from)}`)
    expect(report.columns.map((c) => [c.column, c.drifted, c.pValue])).toEqual(
      ['avg_pour_size', 'flow_rate_avg_24h', 'firmware_version'].map((n) => [n, col(n)?.drifted, col(n)?.pValue]))
    expect(readFileSync(join(out, report.generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace(/^/, 'drift-') + '.html'), 'utf8')).toContain('avg_pour_size')
  })
})
