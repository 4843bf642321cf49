/**
 * Drift: a whole drift report (Evidently's DataDriftPreset rules, then the JSON and the self-contained HTML) on
 * ROWS reference rows against ROWS current rows × FEATURES features: 80 % numeric (normed Wasserstein), 10 %
 * categorical strings and 10 % low-cardinality numbers (Jensen–Shannon); every fifth column shifted.
 * Run: npx tsx bench/drift.bench.ts   (ROWS=100000 FEATURES=50 RUNS=3 to change the load)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { detectDrift, writeDriftReport, type DriftColumnValues } from '../cloud/index.js'

const rows = Number(process.env.ROWS ?? 100_000)
const features = Number(process.env.FEATURES ?? 50)
const runs = Number(process.env.RUNS ?? 3)
const log = (s: string): void => void process.stderr.write(`${s}\n`)

let seed = 42
const next = (): number => {
  seed = (seed * 48271) % 2147483647
  return seed / 2147483647
}
const gauss = (): number => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())

function table(shift: number): Record<string, DriftColumnValues> {
  const t: Record<string, DriftColumnValues> = {}
  for (let f = 0; f < features; f++) {
    const moved = f % 5 === 0 ? shift : 0
    if (f % 10 === 8) t[`f${f}`] = Array.from({ length: rows }, () => `cat-${Math.floor((next() + moved) ** 2 * 12)}`)
    else if (f % 10 === 9) t[`f${f}`] = Float64Array.from({ length: rows }, () => Math.floor(next() * 4 + moved))
    else t[`f${f}`] = Float64Array.from({ length: rows }, () => 10 * f + (1 + f / 10) * (gauss() + moved) + (next() < 0.01 ? NaN : 0))
  }
  return t
}

const reference = table(0)
const current = table(0.5)
const dir = mkdtempSync(join(tmpdir(), 'tapflow-drift-bench-'))
const times: number[] = []
const cpu: number[] = []
let detectMs = 0
let html = 0
let drifted = 0
for (let i = 0; i < runs; i++) {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const result = detectDrift({ reference, current })
  const t1 = performance.now()
  const out = writeDriftReport({ result, meta: { reference: 'synthetic', current: 'synthetic, every fifth column shifted' }, dir })
  const t2 = performance.now()
  times.push(t2 - t0)
  const c = process.cpuUsage(c0)
  cpu.push((c.user + c.system) / 1000)
  detectMs = t1 - t0
  html = statSync(out.html).size
  drifted = result.drifted
  log(`run ${i + 1}: detect ${Math.round(t1 - t0)} ms, report ${Math.round(t2 - t1)} ms, ${result.drifted} of ${result.columns.length} columns drifted`)
}
rmSync(dir, { recursive: true, force: true })
times.sort((a, b) => a - b)
cpu.sort((a, b) => a - b)
console.log(JSON.stringify({
  name: 'drift',
  headline: ['report_s', 'rows', 'features'],
  command: 'npx tsx bench/drift.bench.ts',
  target: 'a drift report on 100,000 rows × 50 features ≤ 5 s',
  results: {
    rows, features, runs,
    report_s: Number(((times[Math.floor(times.length / 2)] ?? 0) / 1000).toFixed(2)),
    report_cpu_s: Number(((cpu[Math.floor(cpu.length / 2)] ?? 0) / 1000).toFixed(2)),
    detect_s_last: Number((detectMs / 1000).toFixed(2)),
    drifted_columns: drifted,
    html_kib: Math.round(html / 1024),
  },
  notes: 'Median of RUNS full reports (detectDrift, then writeDriftReport: JSON and HTML) on ROWS reference against ROWS current rows; the tables are built once, outside the timing. report_cpu_s is the process CPU time of the median run (one thread), which a busy machine inflates less than the wall time.',
}))
