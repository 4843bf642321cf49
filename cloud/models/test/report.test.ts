import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReport, evaluateClassifier, renderReportHtml, sliceDataset, type EvaluationReport } from '../index.js'
import { fitLogistic, syntheticMaintenance } from './eval-fixtures.js'

// As in dashboards/test/chromium.ts (not imported: that folder's internals are its own): Debian's chromium, never a downloaded one.
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

let dir: string
let report: EvaluationReport

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapflow-report-'))
  const ds = syntheticMaintenance({ devices: 12, days: 15 })
  const evaluations = Object.keys(ds.targets).map((target) => {
    const train = sliceDataset(ds, 'train', target)
    return evaluateClassifier({
      target, predictor: fitLogistic(train.x, train.y), featureNames: ds.featureNames, leadTime: true,
      validation: sliceDataset(ds, 'validation', target), test: sliceDataset(ds, 'test', target),
    })
  })
  const sklearnFile = join(dir, 'sklearn.json')
  writeFileSync(sklearnFile, JSON.stringify({ results: [{ target: 'cooling', pr_auc: 0.91, train_seconds: 1.5, ours_pr_auc: 0.9 }, { bad: true }] }))
  report = buildReport({
    model: 'maintenance', version: 3, dataset: ds, evaluations, codeVersion: 'git:test', horizonHours: 24, sklearnFile,
    training: { seconds: 1.25, params: { learningRate: 0.1 }, perTarget: {} }, createdAt: new Date(Date.UTC(2026, 10, 30)),
  })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('evaluation report', () => {
  it('has the split, per-target metrics, lead times, importance and the sklearn comparison', () => {
    expect(report.dataset.split.map((s) => s.split)).toEqual(['train', 'validation', 'test'])
    const [train, validation, test] = report.dataset.split
    // Time split: each slice starts after the previous one ends.
    expect(Date.parse(validation!.from!)).toBeGreaterThan(Date.parse(train!.to!))
    expect(Date.parse(test!.from!)).toBeGreaterThan(Date.parse(validation!.to!))
    expect(report.evaluations.map((e) => e.target)).toEqual(['cooling', 'seal_leak'])
    for (const e of report.evaluations) {
      if (e.kind !== 'classifier') throw new Error('expected classifiers')
      expect(e.prCurve.length).toBeGreaterThan(2)
      expect(e.leadTime?.failures).toBeGreaterThan(0)
      expect(e.importance.values).toHaveLength(4)
    }
    expect(report.sklearn?.results).toEqual([{ target: 'cooling', prAuc: 0.91, trainSeconds: 1.5, oursPrAuc: 0.9, oursTrainSeconds: null }])
    // JSON round-trips (no NaN or Infinity that JSON would turn into null silently).
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  it('renders self-contained HTML: nothing fetched, one chart per plot', () => {
    const html = renderReportHtml(report)
    expect(html).not.toMatch(/<script|<link|src=|url\(/i)
    expect(html.match(/https?:\/\/[^"]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true)
    const charts = (kind: string): number => html.split(`data-chart="${kind}"`).length - 1
    expect([charts('pr-curve'), charts('confusion'), charts('lead-time'), charts('importance'), charts('split'), charts('sklearn')]).toEqual([2, 2, 2, 2, 1, 1])
  })
})

describe('evaluation report in Chromium', () => {
  let browser: Browser | undefined
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`)
      return
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })
  afterAll(async () => browser?.close())

  it('opens from disk and draws every chart without console errors', async (ctx) => {
    if (browser === undefined) return ctx.skip()
    const file = join(dir, 'report.html')
    writeFileSync(file, renderReportHtml(report))
    const page = await browser.newPage()
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(pathToFileURL(file).href)
    const charts = await page.$$eval('svg.chart', (els) => els.map((el) => {
      const box = el.getBoundingClientRect()
      return { kind: el.getAttribute('data-chart'), w: box.width, h: box.height, marks: el.querySelectorAll('path, rect, circle').length }
    }))
    expect(charts.length).toBe(10)
    for (const c of charts) {
      expect(c.w, `${c.kind} width`).toBeGreaterThan(100)
      expect(c.h, `${c.kind} height`).toBeGreaterThan(30)
      expect(c.marks, `${c.kind} has drawn marks`).toBeGreaterThan(0)
    }
    expect(await page.title()).toBe('maintenance v3: evaluation report')
    expect(errors).toEqual([])
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([])
    await page.close()
  })
})
