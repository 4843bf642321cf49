/**
 * Inference: a maintenance champion trained with the default parameters on TRAIN seeded synthetic rows × every
 * maintenance feature (62), one GBDT per target mode (TARGET_MODES, 6), registered in an embedded PostgreSQL and served from
 * onnxruntime. Measures
 *   - Predict over gRPC on loopback, one entity with its features supplied by name, sequential calls (p50, p99);
 *   - in-process batch scoring (ChampionScorer.scoreRows, BATCH rows a call), rows/s over every mode;
 *   - a round over TAPS taps with features fetched from the LMDB online store (scoreEntities, CHUNK ids a call).
 * Run: npx tsx bench/inference.bench.ts   (TRAIN=20000 CALLS=5000 TAPS=10000 BATCH=10000 CHUNK=1000 ROUNDS=5 change the load)
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ChampionScorer, FeatureStore, InferenceClient, InferenceServer, LmdbOnlineStore, ModelRegistry, TARGET_MODES, maintenanceFeatures, openDatabase,
  startEmbeddedPostgres, trainModel, type Dataset, type DatasetRow,
} from '../cloud/index.js'
import { Rng, silentLogger } from '../common/index.js'
import { FleetAuthority } from '../edge-gateway/index.js'

const trainRows = Number(process.env.TRAIN ?? 20_000)
const calls = Number(process.env.CALLS ?? 5_000)
const taps = Number(process.env.TAPS ?? 10_000)
const batch = Number(process.env.BATCH ?? 10_000)
const chunk = Number(process.env.CHUNK ?? 1_000)
const rounds = Number(process.env.ROUNDS ?? 5)
const H = 3_600_000
const T = Date.UTC(2026, 5, 10)
const log = (s: string): void => void process.stderr.write(`${s}\n`)
const names = maintenanceFeatures().map((f) => f.name)
const cols = names.length

/** Rows of standard normals (5 % NaN) where each mode's risk rises with its own few columns. */
function rowsOf(n: number, rng: Rng): Float32Array {
  const x = new Float32Array(n * cols)
  for (let i = 0; i < x.length; i++) x[i] = rng.chance(0.05) ? Number.NaN : rng.normal()
  return x
}

function dataset(n: number): Dataset {
  const rng = new Rng(7)
  const values = rowsOf(n, rng)
  const targets = Object.fromEntries(TARGET_MODES.map((m, k) => {
    const y = new Float32Array(n)
    for (let r = 0; r < n; r++) {
      const v = (c: number): number => values[r * cols + ((c + 7 * k) % cols)] || 0
      y[r] = rng.next() < 1 / (1 + Math.exp(-(-4 + 1.5 * v(0) + v(1) * v(2) + (v(3) > 1 ? 1.5 : 0)))) ? 1 : 0
    }
    return [m, y]
  }))
  const rows: DatasetRow[] = Array.from({ length: n }, (_, r) => ({ entity: `tap-${r % 500}`, ts: T - (n - r) * H, split: r < n * 0.6 ? 'train' : r < n * 0.8 ? 'validation' : 'test' }))
  return { name: 'maintenance', featureNames: names, x: { rows: n, cols, values }, targets, rows, featureViews: [], window: { from: T - n * H, to: T, source: 'synthetic' } }
}

const pct = (xs: number[], q: number): number => Number((xs.sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN).toFixed(3))

const dir = mkdtempSync(join(tmpdir(), 'tapflow-inference-bench-'))
// Embedded PostgreSQL runs as the postgres user, which must enter the directory.
chmodSync(dir, 0o755)
const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), logger: silentLogger })
const db = await openDatabase({ databaseUrl: pg.url, logger: silentLogger })
const registry = await ModelRegistry.open({ db, artifactsDir: join(dir, 'models') })
let t = performance.now()
const trained = await trainModel({ kind: 'maintenance', dataset: dataset(trainRows), registry, codeVersion: 'bench' })
const trees = trained.report.training.perTarget
log(`trained ${Object.keys(trees).length} modes on ${trainRows} rows × ${cols} features in ${Math.round(performance.now() - t)} ms`)

// The online store: every tap with every feature, fresh.
const online = new LmdbOnlineStore({ path: join(dir, 'online') })
const rng = new Rng(11)
const ids = Array.from({ length: taps }, (_, i) => `tap-${String(i).padStart(5, '0')}`)
const tapValues = rowsOf(taps, rng)
const eventTs = { device_pours: T - 60_000, device_temperatures: T - 60_000, device_health: T - 60_000, device_gaps: T - 60_000 }
await online.write('device', ids.map((id, i) => [id, {
  eventTs, materializedAt: T,
  values: Object.fromEntries(names.map((n, c) => { const v = tapValues[i * cols + c]!; return [n, Number.isNaN(v) ? null : v] })),
}] as const))
const store = new FeatureStore({ clickhouse: undefined as never, online, clock: { now: () => T } })
const scorer = await ChampionScorer.open({ registry, online: store })

// 1. Predict over gRPC: one entity, 62 features by name.
const authority = new FleetAuthority(randomBytes(32))
const server = new InferenceServer({ open: () => Promise.resolve(scorer), auth: authority, port: 0, reloadEveryMs: 0 })
await server.listen()
const client = new InferenceClient({ address: server.address, credentials: authority.control('bench') })
const named = Array.from({ length: 100 }, (_, i) => Object.fromEntries(names.map((n, c) => [n, tapValues[i * cols + c]!])))
const positional = named.map((f) => names.map((n) => f[n]!))
/** Sequential Predict calls of one row, after 500 warm-up ones: latencies (ms) and CPU µs per call (client and server). */
async function predictLoop(row: (i: number) => { entityId: string; features?: Record<string, number>; values?: number[] }): Promise<{ lat: number[]; cpuUs: number }> {
  const lat: number[] = []
  let cpu0 = process.cpuUsage()
  for (let i = 0; i < calls + 500; i++) {
    if (i === 500) cpu0 = process.cpuUsage()
    const a = performance.now()
    const res = await client.predict({ rows: [row(i)], allowMissing: true })
    if (res.predictions[0]?.scores.length !== TARGET_MODES.length) throw new Error('a mode is missing from the answer')
    if (i >= 500) lat.push(performance.now() - a)
  }
  const c = process.cpuUsage(cpu0)
  return { lat, cpuUs: Math.round((c.user + c.system) / calls) }
}
const byName = await predictLoop((i) => ({ entityId: ids[i % 100]!, features: named[i % 100] }))
const byPosition = await predictLoop((i) => ({ entityId: ids[i % 100]!, values: positional[i % 100] }))
log(`gRPC Predict: p99 ${pct(byName.lat, 0.99)} ms by name, ${pct(byPosition.lat, 0.99)} ms by position`)

// 2. In-process batch scoring.
const big = rowsOf(batch, rng)
await scorer.scoreRows(big, batch)
let scored = 0
t = performance.now()
let cpu0 = process.cpuUsage()
while (performance.now() - t < 5_000) {
  await scorer.scoreRows(big, batch)
  scored += batch
}
const batchRowsPerS = scored / ((performance.now() - t) / 1000)
// onnxruntime runs on one thread here: rows per CPU second is what a core that is not shared would do.
const batchCpu = process.cpuUsage(cpu0)
const batchRowsPerCpuS = scored / ((batchCpu.user + batchCpu.system) / 1e6)
log(`batch: ${Math.round(batchRowsPerS)} rows/s`)

// 3. Every tap, features from the online store.
const roundS: number[] = []
cpu0 = process.cpuUsage()
for (let r = 0; r < rounds + 1; r++) {
  const a = performance.now()
  for (let i = 0; i < taps; i += chunk) await scorer.scoreEntities(ids.slice(i, i + chunk))
  if (r > 0) roundS.push((performance.now() - a) / 1000)
}
const roundCpu = process.cpuUsage(cpu0)
log(`online round: ${pct(roundS, 0.5)} s`)

client.close()
await server.close() // closes the scorer it was handed
await online.close()
await registry.close()
await db.close()
await pg.close()
rmSync(dir, { recursive: true, force: true })

console.log(JSON.stringify({
  name: 'inference',
  headline: ['predict_grpc_p99_ms', 'batch_rows_per_s', 'online_round_s'],
  command: 'npx tsx bench/inference.bench.ts',
  target: 'Predict over gRPC (one entity, features supplied) p99 ≤ 2 ms; in-process batch scoring ≥ 100,000 rows/s; 10,000 taps with online features ≤ 2 s per round',
  results: {
    modes: TARGET_MODES.length, features: cols, trees: Object.values(trees).reduce((n, p) => n + Number(p.trees), 0), calls,
    predict_grpc_p50_ms: pct(byName.lat, 0.5), predict_grpc_p99_ms: pct(byName.lat, 0.99), predict_cpu_us_per_call: byName.cpuUs,
    predict_values_p50_ms: pct(byPosition.lat, 0.5), predict_values_p99_ms: pct(byPosition.lat, 0.99), predict_values_cpu_us_per_call: byPosition.cpuUs,
    batch_rows: batch, batch_rows_per_s: Math.round(batchRowsPerS), batch_rows_per_cpu_s: Math.round(batchRowsPerCpuS),
    taps, chunk, online_round_s: pct(roundS, 0.5), online_round_max_s: Number(Math.max(...roundS).toFixed(3)),
    online_round_cpu_s: Number(((roundCpu.user + roundCpu.system) / 1e6 / (rounds + 1)).toFixed(3)),
  },
  notes: 'Predict sends 62 features by name (a protobuf map; predict_values_*: the same values by position). One process holds client and server, so CPU per call counts both. Every mode is scored per row (rows/s counts rows, not row × mode). ' +
    'onnxruntime runs one thread per session run; every mode is in one session (the graphs merged), so one run scores them all. The online round reads LMDB through the feature store (freshness per feature) and hashes each vector.',
}))
