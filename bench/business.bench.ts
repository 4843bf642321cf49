/**
 * Business simulation benchmark: a simulated year for 1,000 customers, every daily DAG step included
 * (simulate, profit, growth, engagement, aggregated, quality). Target: ≤ 60 s.
 *
 *   npx tsx bench/business.bench.ts [--days 365] [--customers 1000] [--database-url postgres://…]
 *
 * Needs nothing else: without --database-url it starts embedded PostgreSQL in a temp dir on a free port.
 * Prints one JSON line for bench/run.ts: { name, command, target, results }.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openBusiness } from '../cloud/index.js'

const { values } = parseArgs({ options: {
  days: { type: 'string', default: '365' },
  customers: { type: 'string', default: '1000' },
  'database-url': { type: 'string' },
} })
const days = Number(values.days)
const customers = Number(values.customers)
const dir = await mkdtemp(join(tmpdir(), 'tapflow-bench-'))
await chmod(dir, 0o755) // the embedded server runs as the postgres user
try {
  const b = await openBusiness({ dataDir: dir, databaseUrl: values['database-url'], seed: 1, sim: { initialCustomers: customers } })
  try {
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    const s = await b.run({ days, progress: false })
    const seconds = (performance.now() - t0) / 1000
    // Node's share of the work (PostgreSQL's is the rest): on a shared machine wall time is noisy, CPU time less so.
    const cpu = process.cpuUsage(cpu0)
    const counts = (await b.db.query(`SELECT (SELECT count(*) FROM accounts WHERE status <> 'churned') AS live_accounts,
      (SELECT count(*) FROM events) AS events`)).rows[0]
    process.stdout.write(`${JSON.stringify({
      name: 'business-year',
      command: `npx tsx bench/business.bench.ts --days ${days} --customers ${customers}`,
      target: 'a simulated year for 1,000 customers in ≤ 60 s',
      headline: ['seconds', 'days', 'customers', 'rows_written', 'meets_target'],
      results: {
        seconds: Math.round(seconds * 100) / 100, days: s.days, customers, rows_written: s.rowsWritten,
        rows_per_second: Math.round(s.rowsWritten / seconds), ms_per_day: Math.round((seconds * 1000) / Math.max(1, s.days)),
        node_cpu_seconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        live_accounts_at_end: Number(counts?.live_accounts), events: Number(counts?.events), failed_days: s.failedDays.length,
        meets_target: seconds <= 60,
      },
    })}\n`)
  } finally {
    await b.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
