/**
 * The maintenance models beside scikit-learn's HistGradientBoostingClassifier on the same dataset and split: for
 * each failure mode, both train on the train slice with the same parameters (early stopping off) and are scored by
 * PR-AUC on the test slice. Writes <data-dir>/models/maintenance/sklearn.json, which the next
 * `tapflow models train` puts in its evaluation report, and prints one JSON line.
 * Needs a simulated history (`tapflow models simulate`) and Debian's /usr/bin/python3 with python3-sklearn.
 * Run: npx tsx bench/models-sklearn.ts [data-dir]   (ITER=100 to change the rounds)
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildMaintenanceDataset, prAuc, readHistoryInfo, sliceDataset, trainGbdt } from '../cloud/index.js'
import { openClickHouse } from '../edge-gateway/index.js'

const dataDir = process.argv[2] ?? './data'
const iterations = Number(process.env.ITER ?? 100)
const params = { learningRate: 0.1, maxLeaves: 31, minSamplesLeaf: 20, maxBins: 255 }
const log = (s: string): void => void process.stderr.write(`${s}\n`)

const info = readHistoryInfo(dataDir)
if (info === undefined) throw new Error(`no simulated history in ${dataDir}: run 'tapflow models simulate' first`)
const ch = openClickHouse({ path: join(dataDir, 'clickhouse') })
const ds = await buildMaintenanceDataset({ client: ch.client, from: info.from, to: info.to })
await ch.client.close()
log(`dataset: ${ds.rows.length} rows × ${ds.featureNames.length} features`)

const results: { target: string; prAuc: number; trainSeconds: number; oursPrAuc: number; oursTrainSeconds: number; trainRows: number; testPositives: number }[] = []
for (const target of Object.keys(ds.targets)) {
  const train = sliceDataset(ds, 'train', target)
  const test = sliceDataset(ds, 'test', target)
  const positives = (y: Float32Array): number => y.reduce((s, v) => s + (v === 1 ? 1 : 0), 0)
  if (positives(train.y) === 0 || positives(test.y) === 0) {
    log(`${target}: skipped (no positives in train or test)`)
    continue
  }
  const t = performance.now()
  const model = trainGbdt(train.x, train.y, { objective: 'binary', iterations, ...params })
  const oursS = (performance.now() - t) / 1000
  const pred = model.predictBatch(test.x)
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-models-sklearn-'))
  const write = (name: string, a: Float32Array): void => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  write('x_train.f32', train.x.values)
  write('y_train.f32', train.y)
  write('x_test.f32', test.x.values)
  write('y_test.f32', test.y)
  write('ours.f32', pred)
  const py = spawnSync('/usr/bin/python3', ['bench/sklearn-baseline.py', dir, String(train.x.rows), String(test.x.rows), String(ds.featureNames.length), String(iterations),
    String(params.learningRate), String(params.maxLeaves), String(params.minSamplesLeaf), String(params.maxBins)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  rmSync(dir, { recursive: true, force: true })
  if (py.status !== 0) throw new Error(`sklearn-baseline.py failed (exit ${py.status})`)
  const sk = JSON.parse(py.stdout.trim().split('\n').at(-1) ?? '{}') as { seconds: number; pr_auc: number }
  const r = { target, prAuc: sk.pr_auc, trainSeconds: sk.seconds, oursPrAuc: prAuc(test.y, pred), oursTrainSeconds: oursS, trainRows: train.x.rows, testPositives: positives(test.y) }
  log(`${target}: sklearn PR-AUC ${r.prAuc.toFixed(4)} in ${r.trainSeconds.toFixed(2)} s; ours ${r.oursPrAuc.toFixed(4)} in ${r.oursTrainSeconds.toFixed(2)} s`)
  results.push(r)
}

const out = join(dataDir, 'models', 'maintenance', 'sklearn.json')
mkdirSync(join(dataDir, 'models', 'maintenance'), { recursive: true })
writeFileSync(out, JSON.stringify({ iterations, params, window: ds.window, results }, null, 2) + '\n')
log(`wrote ${out}`)
console.log(JSON.stringify({ name: 'models-sklearn', command: `npx tsx bench/models-sklearn.ts ${dataDir}`, results }))
