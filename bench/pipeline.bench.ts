/**
 * The embedded path end to end: 2,000 taps (one MQTT session each, QoS 1) → aedes → gateway → chDB,
 * replaying simulated hours at --speed max, then checking that every acknowledged frame landed.
 * The clock includes connecting the 2,000 sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedBroker, Gateway, openClickHouse } from '../edge-gateway/index.js'
import { MqttTransport, SimClock, Simulator, buildFleet } from '../firmware-sim/index.js'

const devices = Number(process.env.DEVICES ?? 2000)
const hours = Number(process.env.HOURS ?? 6)
const dir = mkdtempSync(join(tmpdir(), 'tapflow-bench-'))
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
const broker = new EmbeddedBroker({ port: 0 })
await broker.listen()
const gateway = new Gateway({ source: broker, clickhouse: ch })
await gateway.start()
const start = Date.now() - (hours + 1) * 3_600_000
const transport = new MqttTransport({ url: broker.url })
const sim = new Simulator({ fleet: buildFleet({ devices, seed: 42 }), clock: new SimClock({ start, speed: 'max' }), transport, until: start + hours * 3_600_000 })
const t0 = performance.now()
await sim.start()
await sim.close()
await gateway.close()
const seconds = (performance.now() - t0) / 1000
const rs = await ch.client.query({
  query: 'SELECT (SELECT count() FROM tapflow.pours) + (SELECT count() FROM tapflow.temperatures) + (SELECT count() FROM tapflow.health) AS n',
  format: 'JSONEachRow',
})
const landed = Number((await rs.json<{ n: string }>())[0]!.n)
await ch.client.close()
rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify({
  name: 'pipeline-embedded',
  headline: ['frames_per_second', 'lost', 'seconds', 'peak_rss_mb'],
  command: `DEVICES=${devices} HOURS=${hours} make bench BENCH=pipeline`,
  results: {
    devices,
    frames_published: sim.framesSent,
    frames_landed: landed,
    lost: sim.framesSent - landed,
    seconds: Number(seconds.toFixed(2)),
    frames_per_second: Math.round(sim.framesSent / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  },
  notes: 'One process holds the simulator, aedes, the gateway and chDB; devices get PUBACK only after their frame is inserted.',
}))
