/**
 * Churn model: a simulated business year (1,000 customers), the churn dataset from it (weekly snapshots, 30-day
 * horizon, purged time split), a GBDT trained on the train days with early stopping on validation, and PR-AUC on
 * the test days against two references: the prevalence (what a constant score reaches) and the simulator's own
 * daily churn hazard (account_health.churn_odds, which the model never sees: the best a voluntary-churn score can
 * know, though it leaves out involuntary churn after failed payments).
 *
 *   npx tsx bench/churn.bench.ts [--days 365] [--customers 1000]
 *
 * Needs nothing else: embedded PostgreSQL in a temp dir. Prints one JSON line for bench/run.ts.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildChurnDataset, openBusiness, prAuc, trainGbdt, type Dataset, type Matrix } from '../cloud/index.js'

const { values } = parseArgs({ options: { days: { type: 'string', default: '365' }, customers: { type: 'string', default: '1000' } } })
const days = Number(values.days)
const customers = Number(values.customers)
const HORIZON = 30
const DAY = 86_400_000

function slice(ds: Dataset, split: string): { x: Matrix; y: Float32Array; idx: number[] } {
  const idx = ds.rows.flatMap((r, i) => (r.split === split ? [i] : []))
  const v = new Float32Array(idx.length * ds.x.cols)
  idx.forEach((r, k) => v.set(ds.x.values.subarray(r * ds.x.cols, (r + 1) * ds.x.cols), k * ds.x.cols))
  return { x: { rows: idx.length, cols: ds.x.cols, values: v }, y: Float32Array.from(idx.map((i) => ds.targets.churn![i]!)), idx }
}
const round = (n: number, d = 4): number => Math.round(n * 10 ** d) / 10 ** d

const dir = await mkdtemp(join(tmpdir(), 'tapflow-bench-churn-'))
await chmod(dir, 0o755)
try {
  const b = await openBusiness({ dataDir: dir, seed: 1, sim: { initialCustomers: customers } })
  try {
    process.stderr.write(`simulating ${days} days for ${customers} customers…\n`)
    await b.run({ days, progress: false })
    let t0 = performance.now()
    const ds = await buildChurnDataset({ db: b.db, horizonDays: HORIZON, step: 7 })
    const buildSeconds = (performance.now() - t0) / 1000
    const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => slice(ds, s)) as [ReturnType<typeof slice>, ReturnType<typeof slice>, ReturnType<typeof slice>]
    t0 = performance.now()
    const model = trainGbdt(train.x, train.y, { objective: 'binary', learningRate: 0.05, maxLeaves: 7, minSamplesLeaf: 100, l2: 1, iterations: 300, validation, earlyStoppingRounds: 30 })
    const trainSeconds = (performance.now() - t0) / 1000
    // The simulator's hazard at the latest weekly health snapshot on or before each test row's day, over 30 days.
    const hazard = (await b.db.query(`SELECT account_id, day::text AS day, churn_odds FROM account_health ORDER BY day`)).rows as { account_id: string; day: string; churn_odds: number }[]
    const byAccount = new Map<string, [number, number][]>()
    for (const h of hazard) byAccount.set(h.account_id, [...(byAccount.get(h.account_id) ?? []), [Date.parse(`${h.day}T00:00:00Z`), h.churn_odds]])
    const oracle = Float32Array.from(test.idx.map((i) => {
      const r = ds.rows[i]!
      const odds = (byAccount.get(r.entity) ?? []).filter(([d]) => d < r.ts).at(-1)?.[1] ?? 0
      return 1 - (1 - odds) ** HORIZON
    }))
    const positives = test.y.reduce((a, c) => a + c, 0)
    process.stdout.write(`${JSON.stringify({
      name: 'churn-model',
      command: `npx tsx bench/churn.bench.ts --days ${days} --customers ${customers}`,
      target: 'churn PR-AUC on the held-out weeks above the prevalence baseline, as measured',
      headline: ['test_pr_auc', 'prevalence_baseline', 'simulator_hazard_pr_auc', 'test_rows'],
      results: {
        test_pr_auc: round(prAuc(test.y, model.predictBatch(test.x))),
        prevalence_baseline: round(positives / test.y.length),
        simulator_hazard_pr_auc: round(prAuc(test.y, oracle)),
        validation_pr_auc: round(prAuc(validation.y, model.predictBatch(validation.x))),
        test_rows: test.y.length, test_positives: positives, train_rows: train.y.length, validation_rows: validation.y.length,
        trees: model.toJSON().trees.length, dataset_seconds: round(buildSeconds, 1), train_seconds: round(trainSeconds, 1),
        horizon_days: HORIZON, prediction_days: new Set(ds.rows.map((r) => r.ts / DAY)).size,
      },
      notes: 'One row per paying account × weekly prediction day; features as of that day from PostgreSQL (billing, tickets, venue days, product events, health snapshots); label: churn within 30 days. Train rows whose label window reaches the validation days are dropped (and validation into test).',
    })}\n`)
  } finally {
    await b.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
