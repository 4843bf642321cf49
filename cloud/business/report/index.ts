import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ConfigError, type Clock } from '../../../common/index.js'
import type { Database } from '../db/database.js'
import { addMonths, monthEnd, monthOf, monthStart, parseMonth } from '../sim/dates.js'
import { computeInvestorMetrics, type InvestorMetrics } from '../pipelines/aggregated.js'
import { runChecks, storeResults } from '../quality/index.js'
import { loadState } from '../sim/state.js'
import { renderHtml, renderMarkdown } from './render.js'
import type { ReportModel } from './model.js'

export type { ReportModel } from './model.js'

export interface ReportOptions {
  /** 'YYYY-MM'. Default: the latest fully simulated month, else the month in progress. */
  month?: string
  /** Output folder. Default: `./reports/business-<month>/`. */
  outDir?: string
}

export interface ReportResult {
  month: string
  dir: string
  markdownPath: string
  htmlPath: string
  model: ReportModel
}

/** Build the monthly investor report and write report.md and report.html (charts inline as SVG). */
export async function writeReport(db: Database, clock: Clock, opts: ReportOptions = {}): Promise<ReportResult> {
  const st = await db.tx((c) => loadState(c))
  if (!st?.lastDay) throw new ConfigError('nothing simulated yet: run `tapflow business run --days 90` first')
  const first = monthOf(st.startDate)
  const lastMonth = monthOf(st.lastDay)
  const defaultMonth = st.lastDay === monthEnd(lastMonth) || lastMonth === first ? lastMonth : addMonths(lastMonth, -1)
  const month = opts.month === undefined ? defaultMonth : parseMonth(opts.month)
  if (month < first || month > lastMonth) {
    throw new ConfigError(`month ${month} has no simulated data (simulated ${st.startDate} … ${st.lastDay}); pick a month from ${first} to ${lastMonth}`)
  }
  const model = await db.tx(async (c) => {
    const history: InvestorMetrics[] = []
    for (let m = first; m <= month; m = addMonths(m, 1)) {
      history.push(await computeInvestorMetrics(c, m, st.lastDay ?? st.startDate, st.config.initialCashCents))
    }
    const metrics = history[history.length - 1]
    if (!metrics) throw new ConfigError(`month ${month} has no simulated data`)
    const asOf = metrics.dataThrough
    const from = monthStart(month) < st.startDate ? st.startDate : monthStart(month)
    const quality = await runChecks(c, { from, to: asOf, full: false }, st.startDate)
    await storeResults(c, asOf, quality, clock)
    const daily = (await c.query(`SELECT day, dau, wau FROM pipeline_engagement_daily WHERE day BETWEEN $1 AND $2 ORDER BY day`, [from, asOf]))
      .rows.map((r) => ({ day: r.day as string, dau: Number(r.dau), wau: Number(r.wau) }))
    const failing = await c.query(`SELECT check_name, count(*) FILTER (WHERE status = 'fail') AS n FROM dq_results
      WHERE sim_day BETWEEN $1 AND $2 GROUP BY 1`, [from, asOf])
    const fails = new Map(failing.rows.map((r) => [r.check_name as string, Number(r.n)]))
    const m: ReportModel = {
      company: 'TapFlow Analytics', month, metrics, history, daily, generatedFor: st.lastDay ?? asOf,
      quality: quality.map((q) => ({ ...q, failingDays: fails.get(q.check) ?? 0 })),
    }
    return m
  })
  const dir = resolve(opts.outDir ?? join('reports', `business-${month}`))
  await mkdir(dir, { recursive: true })
  const markdownPath = join(dir, 'report.md')
  const htmlPath = join(dir, 'report.html')
  await writeFile(markdownPath, renderMarkdown(model))
  await writeFile(htmlPath, renderHtml(model))
  return { month, dir, markdownPath, htmlPath, model }
}
