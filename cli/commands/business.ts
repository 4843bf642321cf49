import { Command, Option } from 'commander'
import { ConfigError, parseDatabaseUrl, parseMonth, type Logger } from '../../common/index.js'
import type { Business, BusinessOptions, CheckResult, SimConfig } from '../../cloud/index.js'
import { onShutdown } from '../shutdown.js'

interface CommonOpts {
  dataDir: string
  databaseUrl?: string
  seed?: number
  start?: string
}

const intArg = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in ${min}..${max}, got '${v}'`)
  return n
}
const numArg = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number in ${min}..${max}, got '${v}'`)
  return n
}
const urlArg = (v: string): string => {
  parseDatabaseUrl(v)
  return v
}
const monthArg = (v: string): string => parseMonth(v, '--month')

function common(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory; the embedded PostgreSQL cluster lives in <dir>/postgres').default('./data'))
    .addOption(new Option('--database-url <url>', 'use this PostgreSQL server instead of the embedded one (postgres://user:pass@host:5432/db)')
      .env('DATABASE_URL').argParser(urlArg))
    .addOption(new Option('--seed <n>', 'simulation seed, fixed when the database is first created (default 42)').argParser(intArg('--seed', 0, 2 ** 31 - 1)))
    .addOption(new Option('--start <date>', 'first simulated day, YYYY-MM-DD, fixed when the database is first created (default 2025-01-01)'))
}

async function withBusiness<T>(o: CommonOpts, logger: Logger, sim: Partial<SimConfig>, fn: (b: Business) => Promise<T>): Promise<T> {
  const opts: BusinessOptions = { dataDir: o.dataDir, databaseUrl: o.databaseUrl, seed: o.seed, startDate: o.start, sim, logger }
  const { openBusiness } = await import('../../cloud/index.js')
  const b = await openBusiness(opts)
  onShutdown(() => b.close(), logger)
  try {
    return await fn(b)
  } finally {
    await b.close()
  }
}

function printChecks(results: readonly CheckResult[]): void {
  for (const r of results) process.stdout.write(`${r.status.toUpperCase().padEnd(4)}  ${r.check.padEnd(26)} ${r.pipeline.padEnd(10)} ${r.message}\n`)
}

export function registerBusiness(program: Command, deps: { logger: Logger }): void {
  const business = program
    .command('business')
    .description('TapFlow the company, simulated in PostgreSQL: customers, billing, sales, usage, support, and their pipelines')
    .addHelpText('after', `
The daily job is a DAG: simulate → profit, growth, engagement → aggregated → quality checks.
State lives in PostgreSQL, so each run carries on from the last simulated day.

Examples:
  tapflow business run --days 90            simulate 90 more days (embedded PostgreSQL under ./data/postgres)
  tapflow business report --month 2025-03   investor report → ./reports/business-2025-03/report.{md,html}
  tapflow business check                    all data-quality checks over the whole history
  tapflow business sql "SELECT * FROM support_tickets WHERE status = 'open' LIMIT 5"
  DATABASE_URL=postgres://u:p@db:5432/tapflow tapflow business run --days 30`)

  common(business.command('run'))
    .description('simulate N more days (catching up any unfinished day first), or backfill the pipelines')
    .addOption(new Option('--days <n>', 'days to simulate').default(1).argParser(intArg('--days', 0, 100_000)))
    .addOption(new Option('--backfill <n>', 'instead of simulating, recompute pipelines and checks for the last N simulated days').argParser(intArg('--backfill', 1, 100_000)))
    .addOption(new Option('--customers <n>', 'customers on the books on the first day (only used when the database is created; default 400)').argParser(intArg('--customers', 0, 1_000_000)))
    .addOption(new Option('--signups-per-day <n>', 'mean new signups per day before campaign boosts (default 1.5; the seed\'s full scale is 150)').argParser(numArg('--signups-per-day', 0, 100_000)))
    .addOption(new Option('--late-event-rate <r>', 'share of product events arriving 48–96 h late (default 0.01)').argParser(numArg('--late-event-rate', 0, 1)))
    .addOption(new Option('--missing-status-rate <r>', 'share of account status changes lost (default 0.005)').argParser(numArg('--missing-status-rate', 0, 1)))
    .addOption(new Option('--ledger-drop-rate <r>', 'share of charges the ledger never books (default 0.002)').argParser(numArg('--ledger-drop-rate', 0, 1)))
    .addOption(new Option('--progress', 'show a progress bar on stderr even when it is not a terminal'))
    .addOption(new Option('--no-progress', 'never show the progress bar'))
    .action(async (o: CommonOpts & { days: number; backfill?: number; customers?: number; signupsPerDay?: number; lateEventRate?: number;
      missingStatusRate?: number; ledgerDropRate?: number; progress?: boolean }) => {
      const sim: Partial<SimConfig> = {
        initialCustomers: o.customers, signupsPerDay: o.signupsPerDay, lateEventRate: o.lateEventRate,
        missingStatusRate: o.missingStatusRate, ledgerDropRate: o.ledgerDropRate,
      }
      const progress = o.progress === undefined ? 'auto' : o.progress
      await withBusiness(o, deps.logger, sim, async (b) => {
        const s = o.backfill !== undefined ? await b.backfill({ days: o.backfill, progress }) : await b.run({ days: o.days, progress })
        const what = o.backfill !== undefined ? 'backfilled' : 'simulated'
        process.stdout.write(`${what} ${s.days} days${s.firstDay ? ` (${s.firstDay} … ${s.lastDay})` : ''}, ${s.rowsWritten} rows written` +
          `${s.failedDays.length ? `; ${s.failedDays.length} days with failed steps: ${s.failedDays.slice(0, 5).join(', ')}` : ''}\n`)
      })
    })

  common(business.command('report'))
    .description('write the monthly investor report (MRR, ARR, NRR, GRR, churn, CAC, LTV, burn) as Markdown and HTML with charts')
    .addOption(new Option('--month <YYYY-MM>', 'month to report (default: the latest fully simulated month)').argParser(monthArg))
    .addOption(new Option('--out <dir>', 'output folder (default: ./reports/business-<month>/)'))
    .action(async (o: CommonOpts & { month?: string; out?: string }) => {
      await withBusiness(o, deps.logger, {}, async (b) => {
        const r = await b.report({ month: o.month, outDir: o.out })
        const m = r.model.metrics
        process.stdout.write(`${r.month}${m.complete ? '' : ` (through ${m.dataThrough})`}: MRR $${Math.round(m.mrr).toLocaleString('en-US')}, ` +
          `${m.customers} customers, NRR ${m.nrr === null ? 'n/a' : `${(m.nrr * 100).toFixed(1)}%`}\n${r.markdownPath}\n${r.htmlPath}\n`)
      })
    })

  common(business.command('check'))
    .description('run every data-quality check (late data, missing status transitions, revenue vs ledger ±1%, completeness, freshness SLAs) over all history')
    .addOption(new Option('--json', 'print results as JSON lines'))
    .action(async (o: CommonOpts & { json?: boolean }) => {
      await withBusiness(o, deps.logger, {}, async (b) => {
        const results = await b.check()
        if (o.json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`)
        else printChecks(results)
        // Checks ran and were stored; failing data is reported, not an error of the command.
      })
    })

  business
    .command('sql')
    .description('run one read-only, bounded query on the business database (through the running stack, or the data directory)')
    .argument('<query>', `a SELECT, e.g. "SELECT ticket_id, venue_id, device_id, fault_kind FROM support_tickets WHERE status = 'open'"`)
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack').default('./data'))
    .addOption(new Option('--database-url <url>', 'query this PostgreSQL server instead').env('DATABASE_URL').argParser(urlArg))
    .addOption(new Option('--max-rows <n>', 'rows shown at most; more are cut off with a note').default(1000).argParser(intArg('--max-rows', 1, 1_000_000)))
    .addOption(new Option('--timeout <s>', 'statement timeout in seconds').default(10).argParser(numArg('--timeout', 0.001, 3600)))
    .addOption(new Option('--format <fmt>', 'table, tsv or json (one object per line)').choices(['table', 'tsv', 'json']).default(process.stdout.isTTY ? 'table' : 'tsv'))
    .action(async (query: string, o: { dataDir: string; databaseUrl?: string; maxRows: number; timeout: number; format: 'table' | 'tsv' | 'json' }) => {
      const { businessSql } = await import('../business-sql.js')
      await businessSql(query, { ...o, logger: deps.logger })
    })
}
