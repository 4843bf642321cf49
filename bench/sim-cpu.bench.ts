/**
 * The simulator's CPU cost per frame, the number that caps `tapflow load` on two cores (its one simulator process
 * drives both the bare-broker baseline and the gateway run). Two figures, both CPU time, so they stay meaningful on a
 * busy machine where frames per second do not:
 * - device_us_per_frame: 2,000 taps in this process on a transport that drops frames: physics, RNG, encoding,
 *   scheduling;
 * - process_us_per_frame: `tapflow sim` as `tapflow load` starts it (`--batch 10`, QoS 1) against the embedded broker,
 *   start-up (loading the CLI, connecting 2,000 sessions, measured with a one-frame run) taken out.
 * Run: npx tsx bench/sim-cpu.bench.ts   (FRAMES=1000000 DEVICES=2000 BATCH=10 to change it)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedBroker } from '../edge-gateway/index.js'
import { SimClock, Simulator, buildFleet, type DeviceTransport } from '../firmware-sim/index.js'
import { runSimProcesses } from '../loadtest/index.js'

const frames = Number(process.env.FRAMES ?? 1_000_000)
const devices = Number(process.env.DEVICES ?? 2_000)
const batch = Number(process.env.BATCH ?? 10)
const start = Date.UTC(2026, 10, 20)

const drop: DeviceTransport = {
  stats: { sent: 0, acked: 0, failed: 0 },
  async connect() {},
  publish() {
    drop.stats.sent++
  },
  backpressure: () => undefined,
  async flush() {},
  async close() {},
}
const sim = new Simulator({ fleet: buildFleet({ devices, seed: 42 }), clock: new SimClock({ start, speed: 'max' }), transport: drop, maxFrames: frames })
const cpu0 = process.cpuUsage()
await sim.start()
const cpu = process.cpuUsage(cpu0)
const deviceUs = (cpu.user + cpu.system) / sim.framesSent

const broker = new EmbeddedBroker({ port: 0 })
await broker.listen()
await broker.start((_topic, _payload, puback) => puback())
const dir = mkdtempSync(join(tmpdir(), 'tapflow-sim-cpu-'))
const run = async (n: number, tag: string): Promise<number> => {
  const [r] = await runSimProcesses({
    brokerUrl: broker.url, devices, seed: 42, start: Date.now() - 3 * 86_400_000, speed: 'max', qos: 1, batch, frames: n,
    processes: 1, maxInFlight: 20_000, sampleEvery: 100, dir, tag,
  })
  if (r === undefined || r.stats.acked !== n) throw new Error(`${tag}: ${JSON.stringify(r?.stats)} of ${n} frames acknowledged`)
  return r.cpuSeconds
}
try {
  const startup = await run(1, 'startup')
  const full = await run(frames, 'full')
  console.log(JSON.stringify({
    name: 'sim-cpu',
    command: 'npx tsx bench/sim-cpu.bench.ts',
    target: 'the simulator leaves room on two cores for the gateway at 100K frames/s: ≤ 8 µs of CPU per frame at --batch 10',
    headline: ['process_us_per_frame', 'device_us_per_frame', 'startup_cpu_s'],
    results: {
      frames,
      devices,
      batch,
      device_us_per_frame: Number(deviceUs.toFixed(2)),
      process_us_per_frame: Number((((full - startup) * 1e6) / frames).toFixed(2)),
      process_cpu_s: Number(full.toFixed(2)),
      startup_cpu_s: Number(startup.toFixed(2)),
    },
  }))
} finally {
  rmSync(dir, { recursive: true, force: true })
  await broker.close()
}
