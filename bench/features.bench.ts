/**
 * Feature store: materialization of DEVICES devices × every device feature into LMDB, online lookup latency for
 * 50 features of one entity (in-process and over gRPC), and a point-in-time training set of ROWS entity rows × 50 features
 * written as CSV. Telemetry is generated inside an embedded ClickHouse (DAYS days, 5-min frames, a pour per 20 min).
 * Run: node --max-semi-space-size=64 --import tsx bench/features.bench.ts (the flag tapflow itself runs with; bench/run.ts passes it)
 *   DEVICES=10000 DAYS=2 ROWS=1000000 LOOKUPS=20000 change the load
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import { credentials, Metadata } from '@grpc/grpc-js'
import { FeatureServer, FeatureStore, LmdbOnlineStore, featureServiceClient, generateSyntheticTelemetry, type EntityRow } from '../cloud/index.js'
import { FleetAuthority, applyRetention, migrate, openClickHouse } from '../edge-gateway/index.js'

const devices = Number(process.env.DEVICES ?? 10_000)
const days = Number(process.env.DAYS ?? 2)
const rowsWanted = Number(process.env.ROWS ?? 1_000_000)
const lookups = Number(process.env.LOOKUPS ?? 20_000)
const D = 86_400_000
const log = (s: string): void => void process.stderr.write(`${s}\n`)

const dir = mkdtempSync(join(tmpdir(), 'tapflow-features-bench-'))
const { client } = openClickHouse({ path: join(dir, 'clickhouse') })
await migrate(client)
// The history is at fixed dates, which the default TTL (by wall clock) would age out.
await applyRetention(client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
const to = Date.UTC(2026, 5, 10)
let t = performance.now()
await generateSyntheticTelemetry(client, { devices, from: to - days * D, to })
log(`generated ${devices} devices × ${days} days in ${Math.round(performance.now() - t)} ms`)

const online = new LmdbOnlineStore({ path: join(dir, 'online') })
const store = new FeatureStore({ clickhouse: client, online, clock: { now: () => to + D } })
const deviceFeatures = store.registry.list('device').map((f) => f.name)
const fifty = deviceFeatures.slice(0, 50)

t = performance.now()
const [mat] = await store.materialize({ entity: 'device', at: to })
const materializeMs = performance.now() - t
log(`materialized ${mat?.entities} devices × ${mat?.features} features in ${Math.round(materializeMs)} ms`)

// Online: one entity, 50 features, sequential lookups of random devices (after a warm-up).
const ids = Array.from({ length: devices }, (_, i) => `tap-${String(i).padStart(5, '0')}`)
const lat: number[] = []
for (let i = 0; i < lookups + 1000; i++) {
  const id = ids[(i * 7919) % devices] as string
  const a = performance.now()
  const [row] = await store.getOnlineFeatures({ entity: 'device', ids: [id], features: fifty })
  const ms = performance.now() - a
  if (row?.features.pour_count_24h?.value === undefined) throw new Error(`no value for ${id}`)
  if (i >= 1000) lat.push(ms)
}
const pct = (xs: number[], q: number): number => Number((xs.sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN).toFixed(4))

// The same lookups over gRPC (FeatureService on loopback, fleet-control credentials).
const authority = new FleetAuthority(randomBytes(32))
const server = new FeatureServer({ store, auth: authority, port: 0 })
await server.listen()
const Ctor = featureServiceClient()
const grpcClient = new Ctor(server.address, credentials.createInsecure())
const c = authority.control('bench.features')
const md = new Metadata()
md.set('authorization', `Bearer ${c.username}:${c.password}`)
const getOnline = (grpcClient as unknown as Record<string, (req: unknown, md: Metadata, cb: (err: Error | null) => void) => void>).GetOnlineFeatures!.bind(grpcClient)
const grpcLat: number[] = []
let cpu = process.cpuUsage()
for (let i = 0; i < lookups + 1000; i++) {
  if (i === 1000) cpu = process.cpuUsage()
  const a = performance.now()
  await new Promise<void>((resolve, reject) => getOnline({ entity: 'device', entity_ids: [ids[(i * 7919) % devices]], features: fifty }, md, (err) => (err ? reject(err) : resolve())))
  if (i >= 1000) grpcLat.push(performance.now() - a)
}
// CPU per lookup (client and server together) moves far less than latency when the machine is shared.
const grpcCpu = process.cpuUsage(cpu)
grpcClient.close()
await server.close()

// Offline: ROWS random (device, time in the last day) rows × 50 features → CSV.
const rows: EntityRow[] = Array.from({ length: rowsWanted }, (_, i) => ({ entityId: ids[(i * 104729) % devices] as string, ts: to - ((i * 2654435761) % D) }))
const out = join(dir, 'train.csv')
t = performance.now()
const file = createWriteStream(out)
await store.withEntityRows(rows, (r) => store.exportHistoricalFeatures({ entity: 'device', rows: r, features: fifty, format: 'CSVWithNames', out: file }))
file.end()
await finished(file)
const pitMs = performance.now() - t
log(`training set ${rowsWanted} rows × 50 features in ${Math.round(pitMs)} ms (${Math.round(statSync(out).size / 2 ** 20)} MiB CSV)`)

await online.close()
await client.close()
rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify({
  name: 'features',
  headline: ['online_p99_ms', 'grpc_p99_ms', 'materialize_s', 'training_set_s'],
  command: 'node --max-semi-space-size=64 --import tsx bench/features.bench.ts',
  target: 'online p99 ≤ 1 ms for 50 features in-process, ≤ 2 ms over gRPC; materialize 10,000 devices × all device features ≤ 5 s; 1,000,000 rows × 50 features ≤ 60 s',
  results: {
    devices, days, device_features: deviceFeatures.length, lookups,
    online_p50_ms: pct(lat, 0.5), online_p99_ms: pct(lat, 0.99), grpc_p50_ms: pct(grpcLat, 0.5), grpc_p99_ms: pct(grpcLat, 0.99),
    grpc_cpu_us_per_lookup: Math.round((grpcCpu.user + grpcCpu.system) / lookups),
    materialize_s: Number((materializeMs / 1000).toFixed(2)),
    training_rows: rowsWanted, training_set_s: Number((pitMs / 1000).toFixed(2)),
  },
  notes: 'LMDB online store; lookups sequential after 1,000 warm-up ones. The training set includes loading the entity rows into a Memory table and writing the CSV.',
}))
