/**
 * Runs every bench/*.bench.ts (or those named in BENCH=a,b) in its own process and rewrites BENCHMARKS.md.
 * Each bench prints one JSON line last: { name, command, target?, results: { metric: value }, notes? }.
 */
import { spawnSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'

interface BenchResult {
  name: string
  command: string
  target?: string
  results: Record<string, number | string | boolean>
  notes?: string
  /** Result keys for the README's one-line summary. Default: the first four. */
  headline?: string[]
  measuredAt?: string
}

/** Node flags a bench runs with because the product's process does (cli/bin/tapflow.js, Makefile, Dockerfile). */
const NODE_FLAGS: Record<string, string[]> = { 'features.bench.ts': ['--max-semi-space-size=64'] }

const only = process.env.BENCH?.split(',').map((s) => s.trim())
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only === undefined || only.includes(f.replace('.bench.ts', '')))
  .sort()

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`
const previous = existsSync('bench/results.json') ? (JSON.parse(readFileSync('bench/results.json', 'utf8')) as Record<string, BenchResult>) : {}
const results: Record<string, BenchResult> = { ...previous }
let failed = 0
for (const f of files) {
  process.stderr.write(`\n▶ bench/${f}\n`)
  const r = spawnSync(process.execPath, [...(NODE_FLAGS[f] ?? []), '--import', 'tsx', `bench/${f}`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: process.env })
  const last = r.stdout.trim().split('\n').at(-1) ?? ''
  try {
    const res = JSON.parse(last) as BenchResult
    res.measuredAt = new Date().toISOString()
    results[res.name] = res
    process.stderr.write(`${JSON.stringify(res.results)}\n`)
  } catch {
    failed++
    process.stderr.write(`bench/${f} failed (exit ${r.status}): ${last.slice(0, 500)}\n`)
  }
}
writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n')

const lines = [
  '# Benchmarks',
  '',
  'Written by `make bench` (bench/run.ts); run one with `make bench BENCH=<name>`. Figures are from the machine below;',
  'each row says when it was measured and the exact command. Targets are goals, not tests.',
  '',
  `Machine: ${machine}`,
  '',
]
for (const r of Object.values(results).sort((a, b) => a.name.localeCompare(b.name))) {
  lines.push(`## ${r.name}`, '', `Measured ${r.measuredAt ?? '?'} with \`${r.command}\`.`, '')
  if (r.target) lines.push(`Target: ${r.target}`, '')
  lines.push('| metric | value |', '|---|---|')
  for (const [k, v] of Object.entries(r.results)) lines.push(`| ${k} | ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v)} |`)
  if (r.notes) lines.push('', r.notes)
  lines.push('')
}
writeFileSync('BENCHMARKS.md', lines.join('\n'))

// The README's summary table is rewritten between its markers, so its numbers never drift from BENCHMARKS.md.
const summary = ['| benchmark | headline | measured |', '|---|---|---|']
for (const r of Object.values(results).sort((a, b) => a.name.localeCompare(b.name))) {
  const keys = r.headline ?? Object.keys(r.results).slice(0, 4)
  const headline = keys.filter((k) => k in r.results).map((k) => [k, r.results[k]!] as const).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v)}`).join(', ')
  summary.push(`| [${r.name}](BENCHMARKS.md#${r.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}) | ${headline} | ${r.measuredAt?.slice(0, 10) ?? '?'} |`)
}
const readme = readFileSync('README.md', 'utf8')
const marked = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/
if (marked.test(readme)) writeFileSync('README.md', readme.replace(marked, `<!-- bench:start -->\n${summary.join('\n')}\n<!-- bench:end -->`))
process.stderr.write(`\nwrote BENCHMARKS.md (${Object.keys(results).length} benchmarks)\n`)
process.exit(failed > 0 ? 1 : 0)
