/**
 * The gateway's own CPU cost per frame, isolated from the simulator and the broker: pre-encoded TelemetryBatch
 * payloads (10 frames each, the load test's `--batch 10` mix of pours, temperatures and health) go straight into
 * `Gateway.handle`, through a real WAL and the embedded ClickHouse, until every frame is PUBACKed and inserted.
 * CPU time (user + system, every thread of this process, so chDB's parser counts) divided by frames stays
 * meaningful on a busy machine, where frames per second do not.
 * Run: npx tsx bench/gateway-cpu.bench.ts   (FRAMES=300000 DEVICES=2000 BURST=200 WAL_FSYNC=never to change it)
 * STUB_INSERT=1 replaces ClickHouse with an insert that only reads the bytes: the gateway's own JavaScript path,
 * without chDB's parsing and merges, whose CPU varies with the machine's load far more than the path's does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Gateway, WriteAheadLog, openClickHouse, parseFsyncPolicy, type ClickHouseHandle, type FrameSource } from '../edge-gateway/index.js'
import { BatchWriter, HealthFrame, PourEvent, TemperatureReading } from '../proto/index.js'

const frames = Number(process.env.FRAMES ?? 300_000)
const devices = Number(process.env.DEVICES ?? 2_000)
const burst = Number(process.env.BURST ?? 200)
const perBatch = 10
const fsync = parseFsyncPolicy(process.env.WAL_FSYNC ?? 'never')
const now = Date.UTC(2026, 10, 30, 12)

/** Every message up front, so encoding is not measured: device i's k-th batch carries seqs k*10+1 … k*10+10. */
function messages(): { topic: string; payload: Uint8Array }[] {
  const out: { topic: string; payload: Uint8Array }[] = []
  const w = new BatchWriter()
  for (let k = 0; out.length * perBatch < frames; k++) {
    for (let d = 0; d < devices && out.length * perBatch < frames; d++) {
      const device_id = `tap-${String(d).padStart(5, '0')}`
      const venue = `ven-${String(d % 200).padStart(4, '0')}`
      for (let j = 1; j <= perBatch; j++) {
        const seq = k * perBatch + j
        const ts_ms = now - 60_000 + seq * 10
        const head = { device_id, seq, ts_ms }
        if (j % 5 === 0) w.add('health', HealthFrame.encode({ ...head, firmware_version: '2.4.1', uptime_s: 3600 + seq, rssi_dbm: -61, supply_voltage_v: 12.03, valve_cycles: 1000 + seq, error_codes: [], reboot_count: 1 }).finish())
        else if (j % 2 === 0) w.add('pour', PourEvent.encode({ ...head, line_id: 2, beverage_id: 'bev-ipa', volume_ml: 473.2, duration_ms: 5210, flow_rate_ml_s: 90.8, foam_ratio: 0.07, waste_ml: 12.5, keg_id: `keg-${d}`, keg_remaining_ml: 41234.5, beverage_temp_c: 3.81 }).finish())
        else w.add('temp', TemperatureReading.encode({ ...head, line_id: 2, line_temp_c: 3.44, keg_temp_c: 2.91, ambient_temp_c: 21.7 }).finish())
      }
      out.push({ topic: `tapflow/v1/${venue}/${device_id}/batch`, payload: w.finish() })
    }
  }
  return out
}

const source: FrameSource = { description: 'bench', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }
const dir = mkdtempSync(join(tmpdir(), 'tapflow-gateway-cpu-'))
const stub = process.env.STUB_INSERT === '1'
const stubClient = { exec: async (p: { values: AsyncIterable<unknown> }) => { for await (const _ of p.values); return { stream: { destroy: () => undefined } } }, close: async () => undefined }
const ch = stub ? ({ client: stubClient, engine: 'chdb', location: 'stub' } as unknown as ClickHouseHandle) : openClickHouse({ path: join(dir, 'clickhouse') })
const wal = WriteAheadLog.open({ dir: join(dir, 'wal'), fsync })
let landed = 0
const gateway = new Gateway({ source, clickhouse: ch, wal, clock: { now: () => now }, onInserted: (_t, _rows, count) => (landed += count), keepInserted: () => false })
if (!stub) await gateway.start()
const msgs = messages()
const total = msgs.length * perBatch
global.gc?.()
const rss0 = process.memoryUsage().rss
let peakRss = rss0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await new Promise<void>((done) => {
  let sent = 0
  let acked = 0
  const turn = (): void => {
    for (let i = 0; i < burst && sent < msgs.length; i++, sent++) {
      const m = msgs[sent]!
      gateway.handle(m.topic, m.payload, () => {
        if (++acked === msgs.length) done()
      })
    }
    if (sent < msgs.length) setImmediate(turn)
  }
  turn()
})
await gateway.flush()
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
clearInterval(sampler)
if (landed !== total) throw new Error(`landed ${landed} of ${total} frames`)
await gateway.close()
await wal.close()
await ch.client.close()
rmSync(dir, { recursive: true, force: true })
const cpuUs = cpu.user + cpu.system
console.log(JSON.stringify({
  name: 'gateway-cpu',
  headline: ['cpu_us_per_frame', 'frames_per_cpu_s', 'peak_rss_mb'],
  command: 'npx tsx bench/gateway-cpu.bench.ts',
  target: '≤ 10 µs of CPU per frame (100K frames/s on one of the two cores)',
  results: {
    frames: total,
    cpu_us_per_frame: Number((cpuUs / total).toFixed(2)),
    user_us_per_frame: Number((cpu.user / total).toFixed(2)),
    frames_per_cpu_s: Math.round(total / (cpuUs / 1e6)),
    frames_per_s_wall: Math.round(total / seconds),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    rss_growth_mb: Math.round((peakRss - rss0) / 2 ** 20),
  },
  notes: `TelemetryBatch of ${perBatch} frames from ${devices} devices, handed to Gateway.handle ${burst} per event-loop turn; WAL fsync ${fsync}; ${stub ? 'stub insert (no ClickHouse)' : 'CPU is the whole process (chDB parses on libuv threads)'}.`,
}))
