/**
 * Gateway throughput through a real Mosquitto, unbatched (one frame per MQTT message): FRAMES frames from 200
 * devices are queued in the broker for the gateway's persistent session, then a fresh gateway (WAL fsync always,
 * chDB) drains them. Every PUBACK waits for the frame's WAL group commit (docs/GUARANTEES.md §7), so this also
 * shows how many frames one commit acknowledges. Needs Debian's mosquitto.
 * Run: npx tsx bench/external-broker.bench.ts   (FRAMES=100000 to change the load)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { ExternalSource, Gateway, WriteAheadLog, openClickHouse } from '../edge-gateway/index.js'
import { TemperatureReading, topicFor } from '../proto/index.js'
import { startMosquitto } from '../test/peers/index.js'

const frames = Number(process.env.FRAMES ?? 100_000)
const devices = 200
const dir = mkdtempSync(join(tmpdir(), 'tapflow-broker-bench-'))
const broker = await startMosquitto({ config: ['max_queued_messages 0'] })
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
const gateway = (): { wal: WriteAheadLog; gw: Gateway } => {
  const wal = WriteAheadLog.open({ dir: join(dir, 'wal'), fsync: 'always' })
  return { wal, gw: new Gateway({ source: new ExternalSource({ url: broker.url, clientId: 'tapflow-bench-gw', shared: false }), clickhouse: ch, wal }) }
}
try {
  // First life only creates the session and its subscription; the broker then queues every frame for it.
  const first = gateway()
  await first.gw.start()
  await first.gw.close()
  await first.wal.close()
  const pubs = await Promise.all(Array.from({ length: devices }, (_, i) => mqtt.connectAsync(broker.url, { clientId: `bench-pub-${i}` })))
  await Promise.all(pubs.map(async (c, i) => {
    const id = `tap-${String(i).padStart(4, '0')}-01`
    for (let seq = 1; seq <= frames / devices; seq++) {
      const payload = TemperatureReading.encode({ device_id: id, seq, ts_ms: Date.now(), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish()
      await c.publishAsync(topicFor(`ven-${String(i).padStart(4, '0')}`, id, 'temp'), Buffer.from(payload), { qos: 1 })
    }
  }))
  await Promise.all(pubs.map((c) => c.endAsync()))
  const { wal, gw } = gateway()
  const t0 = performance.now()
  await gw.start()
  while (gw.stats.framesLanded < frames) await new Promise((r) => setTimeout(r, 20))
  const seconds = (performance.now() - t0) / 1000
  await gw.close()
  await wal.close()
  console.log(JSON.stringify({
    name: 'external broker (Mosquitto), unbatched',
    command: 'npx tsx bench/external-broker.bench.ts',
    results: { frames, seconds: Number(seconds.toFixed(2)), frames_per_s: Math.round(frames / seconds), wal_group_commits: wal.stats.commits, frames_per_commit: Math.round(frames / wal.stats.commits) },
    notes: 'Gateway start (migrations) to the last row landed; every PUBACK waits for its WAL group commit (fsync always).',
  }))
} finally {
  await ch.client.close()
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
}
