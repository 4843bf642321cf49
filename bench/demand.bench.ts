/**
 * Demand model: history from the real device models through the gateway into chDB (dashboards' seedHistory), the
 * demand dataset per tap × UTC day from it, a GBDT regressor trained on the earliest days (early stopping on the
 * validation days), and its error on the test days against the naive baselines: the same weekday last week,
 * yesterday. MAPE is over test rows that poured at least a litre (a quiet day makes any percentage infinite);
 * WAPE (Σ|error| / Σ actual) is over all rows.
 *
 *   npx tsx bench/demand.bench.ts [--devices 60] [--days 35]
 *
 * Needs nothing else: chDB in a temp dir. Prints one JSON line for bench/run.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildDemandDataset, mae, naiveDemand, trainGbdt, type Dataset, type Matrix } from '../cloud/index.js'
import { seedHistory } from '../dashboards/index.js'
import { applyRetention, migrate, openClickHouse } from '../edge-gateway/index.js'
import { buildFleet } from '../firmware-sim/index.js'

const { values } = parseArgs({ options: { devices: { type: 'string', default: '60' }, days: { type: 'string', default: '35' } } })
const devices = Number(values.devices)
const days = Number(values.days)
const DAY = 86_400_000
// A fixed start keeps reruns on the same history (retention is off below, so it does not age out).
const FROM = Date.UTC(2026, 8, 1)

function slice(ds: Dataset, split: string): { x: Matrix; y: Float32Array } {
  const idx = ds.rows.flatMap((r, i) => (r.split === split ? [i] : []))
  const v = new Float32Array(idx.length * ds.x.cols)
  idx.forEach((r, k) => v.set(ds.x.values.subarray(r * ds.x.cols, (r + 1) * ds.x.cols), k * ds.x.cols))
  return { x: { rows: idx.length, cols: ds.x.cols, values: v }, y: Float32Array.from(idx.map((i) => ds.targets.litres_24h![i]!)) }
}
function errors(y: Float32Array, p: Float32Array): { mae: number; mape: number; wape: number } {
  let pct = 0
  let n = 0
  let abs = 0
  let total = 0
  y.forEach((a, i) => {
    const e = Math.abs(a - p[i]!)
    abs += e
    total += Math.abs(a)
    if (a >= 1) {
      pct += e / a
      n++
    }
  })
  return { mae: round(mae(y, p)), mape: round(pct / n), wape: round(abs / total) }
}
const round = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d

const dir = mkdtempSync(join(tmpdir(), 'tapflow-bench-demand-'))
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
try {
  await migrate(ch.client)
  await applyRetention(ch.client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
  let t0 = performance.now()
  const seeded = await seedHistory({
    clickhouse: ch, fleet: buildFleet({ devices, seed: 42 }), from: FROM, to: FROM + days * DAY,
    onProgress: (n, t) => process.stderr.write(`\rseeding: ${(n / 1e6).toFixed(2)}M frames, ${new Date(t).toISOString().slice(0, 10)}   `),
  })
  const seedSeconds = (performance.now() - t0) / 1000
  process.stderr.write('\n')
  t0 = performance.now()
  // Targets from the 8th day (a week of history first) to the last whole day.
  const ds = await buildDemandDataset({ client: ch.client, from: FROM + 7 * DAY, to: FROM + days * DAY })
  const buildSeconds = (performance.now() - t0) / 1000
  const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => slice(ds, s)) as [ReturnType<typeof slice>, ReturnType<typeof slice>, ReturnType<typeof slice>]
  t0 = performance.now()
  const model = trainGbdt(train.x, train.y, { objective: 'regression', learningRate: 0.05, maxLeaves: 15, minSamplesLeaf: 20, iterations: 500, validation, earlyStoppingRounds: 30 })
  const trainSeconds = (performance.now() - t0) / 1000
  const gbdt = errors(test.y, model.predictBatch(test.x))
  const lastWeek = errors(test.y, naiveDemand(test.x, 'last_week'))
  const yesterday = errors(test.y, naiveDemand(test.x, 'yesterday'))
  process.stdout.write(`${JSON.stringify({
    name: 'demand-model',
    command: `npx tsx bench/demand.bench.ts --devices ${devices} --days ${days}`,
    target: 'demand MAE below the naive baseline (same weekday last week), as measured',
    headline: ['gbdt_mae_l', 'naive_last_week_mae_l', 'gbdt_mape', 'naive_last_week_mape'],
    results: {
      gbdt_mae_l: gbdt.mae, naive_last_week_mae_l: lastWeek.mae, naive_yesterday_mae_l: yesterday.mae,
      gbdt_mape: gbdt.mape, naive_last_week_mape: lastWeek.mape, naive_yesterday_mape: yesterday.mape,
      gbdt_wape: gbdt.wape, naive_last_week_wape: lastWeek.wape,
      mean_litres_per_tap_day: round(test.y.reduce((a, c) => a + c, 0) / test.y.length, 2),
      test_rows: test.y.length, train_rows: train.y.length, validation_rows: validation.y.length, trees: model.toJSON().trees.length,
      frames_seeded: seeded.frames, seed_seconds: round(seedSeconds, 1), dataset_seconds: round(buildSeconds, 1), train_seconds: round(trainSeconds, 1),
      meets_target: gbdt.mae < lastWeek.mae,
    },
    notes: `${devices} taps × ${days} simulated days from ${new Date(FROM).toISOString().slice(0, 10)} (seed 42) through seedHistory (device models → gateway decode → chDB); one row per tap × UTC day with a week of history; target: litres poured that day; features from the days before only.`,
  })}\n`)
} finally {
  await ch.client.close()
  rmSync(dir, { recursive: true, force: true })
}
