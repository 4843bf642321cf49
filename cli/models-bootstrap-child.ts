/**
 * The child process behind models-bootstrap.ts, started at low CPU priority so `tapflow up`'s event loop and the
 * live fleet keep the CPU they need. Training is synchronous CPU work for a minute or more: in the stack's own
 * process it would stall every timer. Two jobs:
 * - `bootstrap`: simulate a short labelled history into `<data-dir>/training` (its own chDB, which a child process
 *   may open beside the stack's), build the maintenance dataset, train, register (champion when there is none);
 * - `challenger`: train on a dataset the stack built from its recent live data (a file), register as challenger.
 * The job arrives as JSON in argv; the database URL, which holds a password, in the environment. Progress and the
 * result go back over the IPC channel.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseDocument } from 'yaml'
import { errorMessage, silentLogger } from '../common/index.js'
import {
  DEFAULT_HORIZON_MS, ModelRegistry, buildMaintenanceDataset, openDatabase, readGroundTruth, simulateHistory, trainModel,
  type Dataset, type TrainModelOptions,
} from '../cloud/index.js'
import { openClickHouse } from '../edge-gateway/index.js'
import { parseManifest } from '../firmware-sim/index.js'
import { writeDriftReference } from './models-bootstrap-reference.js'

const D = 86_400_000
export const DATABASE_URL_ENV = 'TAPFLOW_BOOTSTRAP_DATABASE_URL'

/** How big a history the bootstrap simulates, and how long it trains. */
export interface BootstrapSize {
  /** Taps in the training fleet (fleets/training.yaml's profiles). */
  taps: number
  /** Simulated days; the first is warm-up, then a 60/20/20 split by day, purged at the boundaries: 9 or more. */
  days: number
  /** Multiplies the manifest's hazards, so a few days hold failures of every target mode in every slice. */
  hazardScale: number
  /** Most boosting rounds per mode (early stopping picks fewer). */
  iterations: number
}

export type ChildJob =
  | { kind: 'bootstrap'; dataDir: string; size: BootstrapSize; seed: number }
  | { kind: 'challenger'; dataDir: string; datasetFile: string; iterations: number }

export type ChildMessage =
  | { stage: 'simulate' | 'features' | 'train'; done: number; total: number }
  | { ready: { version: number; aliases: string[]; seconds: number; rows: number; skipped: string[]; phases: Record<string, number> } }
  | { error: string }

const MANIFEST = fileURLToPath(new URL('../fleets/training.yaml', import.meta.url))

/** A dataset as one JSON file: its float arrays base64-encoded. */
export async function writeDatasetFile(path: string, ds: Dataset): Promise<void> {
  const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
  const targets = Object.fromEntries(Object.entries(ds.targets).map(([k, v]) => [k, b64(v)]))
  await writeFile(path, JSON.stringify({ ...ds, x: { rows: ds.x.rows, cols: ds.x.cols, values: b64(ds.x.values) }, targets }))
}

async function readDatasetFile(path: string): Promise<Dataset> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Omit<Dataset, 'x' | 'targets'> & { x: { rows: number; cols: number; values: string }; targets: Record<string, string> }
  const f32 = (s: string): Float32Array => {
    const b = Buffer.from(s, 'base64')
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  }
  return { ...raw, x: { ...raw.x, values: f32(raw.x.values) }, targets: Object.fromEntries(Object.entries(raw.targets).map(([k, v]) => [k, f32(v)])) }
}

const seconds = (t0: number): number => Math.round((performance.now() - t0) / 100) / 10
const send = (m: ChildMessage): void => void process.send?.(m)
/** The last message: the process exits once it is handed over. */
const sendLast = (m: ChildMessage): Promise<void> => new Promise((resolve) => (process.send === undefined ? resolve() : process.send(m, () => resolve())))

/** The training history: fleets/training.yaml at `size`, simulated into `<dataDir>/training` (replaced if there). */
async function simulate(job: Extract<ChildJob, { kind: 'bootstrap' }>, phases: Record<string, number>): Promise<{ ds: Dataset; failures: TrainModelOptions['failures'] }> {
  const dir = join(job.dataDir, 'training')
  await rm(dir, { recursive: true, force: true }) // a run stopped half-way left a partial history: start over
  const doc = parseDocument(await readFile(MANIFEST, 'utf8'))
  doc.setIn(['generate', 'taps'], job.size.taps)
  doc.set('seed', job.seed)
  const manifest = parseManifest(doc.toString(), MANIFEST)
  // The days before today (UTC), as `tapflow models simulate` does: inside raw telemetry's 90-day retention.
  const to = Math.floor(Date.now() / D) * D
  const from = to - job.size.days * D
  const ch = openClickHouse({ path: join(dir, 'clickhouse') })
  const t0 = performance.now()
  try {
    await simulateHistory({
      clickhouse: ch, manifest, from, to, hazardScale: job.size.hazardScale, logger: silentLogger,
      onProgress: (t) => send({ stage: 'simulate', done: Math.round((t - from) / 3_600_000), total: job.size.days * 24 }),
    })
    phases.simulate = seconds(t0)
    const ds = await buildMaintenanceDataset({ client: ch.client, from, to, onProgress: (done, total) => send({ stage: 'features', done, total }) })
    // A fault cleared before it failed (a repair) never failed: as `tapflow models train` counts them.
    const failures = (await readGroundTruth(ch.client, 0, to))
      .filter((g) => g.clearedMs === null || g.clearedMs >= g.failureMs)
      .map((g) => ({ entity: g.deviceId, mode: g.mode, ts: g.failureMs }))
    phases.features = seconds(t0) - phases.simulate
    return { ds, failures }
  } finally {
    await ch.client.close()
  }
}

async function run(job: ChildJob, databaseUrl: string): Promise<void> {
  const t0 = performance.now()
  const phases: Record<string, number> = {}
  const { ds, failures } = job.kind === 'bootstrap' ? await simulate(job, phases) : { ds: await readDatasetFile(job.datasetFile), failures: undefined }
  const db = await openDatabase({ databaseUrl, maxConnections: 1, logger: silentLogger })
  try {
    const registry = await ModelRegistry.open({ db, artifactsDir: join(job.dataDir, 'models') })
    const r = await trainModel({
      kind: 'maintenance', dataset: ds, failures, registry, horizonMs: DEFAULT_HORIZON_MS,
      // One thread: this trains in the background of a running stack, whose gateway and simulator need the other core.
      params: { iterations: job.kind === 'bootstrap' ? job.size.iterations : job.iterations, threads: 1 },
      onProgress: (p) => p.stage === 'train' && send({ stage: 'train', done: p.done, total: p.total }),
    })
    phases.train = seconds(t0) - (phases.simulate ?? 0) - (phases.features ?? 0)
    await writeDriftReference(r.version.artifactDir, ds)
    await registry.close()
    await sendLast({ ready: { version: r.version.version, aliases: r.aliases, seconds: (performance.now() - t0) / 1000, rows: ds.rows.length, skipped: r.skipped.map((s) => s.target), phases } })
  } finally {
    await db.close()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const url = process.env[DATABASE_URL_ENV]
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob
  run(job, url ?? '').then(
    () => process.exit(0),
    (err: unknown) => void sendLast({ error: errorMessage(err) }).then(() => process.exit(1)),
  )
}
