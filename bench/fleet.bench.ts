/**
 * Fleet control and failure-profile cost.
 * 1. Simulator throughput for 2,000 taps over 6 simulated hours, plain vs with fleets/default.yaml's profiles.
 * 2. Flash round trip: FleetControl → MQTT …/cmd → 2,000 device sessions → reboot → acknowledging health frame.
 * Run: npx tsx bench/fleet.bench.ts
 */
import { EmbeddedBroker } from '../edge-gateway/index.js'
import {
  DirectCommandBus, FleetControl, MemoryTransport, MqttCommandBus, MqttTransport, SimClock, Simulator, buildFleet, initialFleet, loadManifest,
  manifestAssignments, type FleetSpec, type ProfileAssignment,
} from '../firmware-sim/index.js'

const H = 3_600_000
const START = Date.UTC(2026, 10, 20, 12)

async function throughput(fleet: FleetSpec, profiles: ProfileAssignment[]): Promise<{ framesPerS: number; frames: number }> {
  const t = new MemoryTransport()
  const sim = new Simulator({ fleet, clock: new SimClock({ start: START, speed: 'max' }), transport: t, until: START + 6 * H, profiles })
  const t0 = performance.now()
  await sim.start()
  const s = (performance.now() - t0) / 1000
  return { framesPerS: Math.round(sim.framesSent / s), frames: sim.framesSent }
}

const m = loadManifest('fleets/default.yaml')
const plainFleet = buildFleet({ devices: 2000, seed: 42 })
await throughput(plainFleet, []) // warm-up
const plain = await throughput(plainFleet, [])
process.stderr.write(`plain ${JSON.stringify(plain)}\n`)
const withProfiles = await throughput(initialFleet(m), manifestAssignments(m))

// In-process flash of the whole fleet (no MQTT): the control and device cost alone.
const mem = new MemoryTransport()
const memSim = new Simulator({ fleet: plainFleet, clock: new SimClock({ start: START, speed: 'max' }), transport: mem, until: START + H })
await memSim.start()
const memControl = new FleetControl({ sim: memSim, bus: new DirectCommandBus((id, p) => mem.deliver(id, p)), now: () => START })
let t0 = performance.now()
await memControl.flash({ selector: 'all', firmware: '1.5.1' })
const directFlashMs = performance.now() - t0
process.stderr.write(`in-process flash ${directFlashMs} ms\n`)

// Over MQTT: 2,000 device sessions on the embedded broker, each subscribed to its own …/cmd.
const broker = new EmbeddedBroker({ port: 0 })
await broker.listen()
// No gateway: acknowledge every frame at once, so only the command path is measured.
await broker.start((_topic, _payload, ack) => ack())
const transport = new MqttTransport({ url: broker.url })
const clock = new SimClock({ start: START, speed: 1 })
const sim = new Simulator({ fleet: plainFleet, clock, transport })
const running = sim.start()
while (sim.devices.some((d) => d.lastSeq === 0) && transport.stats.sent === 0) await new Promise((r) => setTimeout(r, 100))
await new Promise((r) => setTimeout(r, 2_000)) // let every session subscribe
process.stderr.write(`sessions up: ${transport.stats.sent} frames sent\n`)
const bus = await MqttCommandBus.connect(broker.url)
const control = new FleetControl({ sim, bus, now: () => clock.now() })
t0 = performance.now()
await control.flash({ selector: 'all', firmware: '1.5.1' })
const deadline = Date.now() + 60_000
while (control.list('').devices.some((d) => d.pending_command_id !== '') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
const mqttFlashMs = performance.now() - t0
const acked = control.list('').devices.filter((d) => d.firmware === '1.5.1').length
await control.close()
await bus.close()
await sim.close()
await running
await broker.close()

console.log(JSON.stringify({
  name: 'fleet',
  headline: ['sim_frames_per_s_plain', 'profile_overhead_pct', 'flash_2000_over_mqtt_acked_ms'],
  command: 'npx tsx bench/fleet.bench.ts',
  target: 'profiles cost < 15% simulator throughput; a 2,000-tap flash acknowledged over MQTT in < 5 s',
  results: {
    sim_frames_per_s_plain: plain.framesPerS,
    sim_frames_per_s_default_profiles: withProfiles.framesPerS,
    profile_overhead_pct: Math.round((1 - withProfiles.framesPerS / plain.framesPerS) * 1000) / 10,
    flash_2000_in_process_ms: Math.round(directFlashMs),
    flash_2000_over_mqtt_acked_ms: Math.round(mqttFlashMs),
    flash_2000_devices_on_new_firmware: acked,
  },
  notes: '2,000 taps, 6 simulated hours at max speed into MemoryTransport; the flash round trip is command publish → device session → reboot → health frame seen by FleetControl, on the embedded aedes broker with no gateway attached.',
}))
process.exit(0)
