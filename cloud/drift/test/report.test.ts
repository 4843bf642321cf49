import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { detectDrift, driftSummary, writeDriftReport, type DriftReport } from '../index.js'
import { rng } from './scipy-oracle.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const present = existsSync(CHROMIUM)

const r = rng(3)
const normal = (n: number, mu = 0): Float64Array => Float64Array.from({ length: n }, () => mu + r.normal())
const cats = (n: number, k: number): string[] => Array.from({ length: n }, () => `<v${Math.floor(r.next() ** 2 * k)}>`)

describe('drift report', () => {
  let dir: string
  let written: { json: string; html: string; report: DriftReport }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-drift-report-'))
    const result = detectDrift({
      reference: { flow: normal(2000), temp: normal(2000), beverage: cats(2000, 30), score: normal(2000), empty: new Float64Array(2000).fill(NaN) },
      current: { flow: normal(1500, 1), temp: normal(1500), beverage: cats(1500, 30), score: normal(1500, 0.5), empty: normal(1500) },
      options: { prediction: 'score' },
    })
    written = writeDriftReport({ result, meta: { reference: 'week before', current: 'last day', note: 'test' }, dir, clock: { now: () => Date.UTC(2026, 10, 30, 12, 0, 0) } })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('writes drift-<ts>.json with every verdict, and a one-line-per-verdict summary', () => {
    expect(written.json).toBe(join(dir, 'drift-20261130T120000Z.json'))
    const json = JSON.parse(readFileSync(written.json, 'utf8')) as DriftReport
    expect(json.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([
      ['flow', 'wasserstein', true], ['temp', 'wasserstein', false], ['beverage', 'jensenshannon', false], ['score', 'wasserstein', true],
    ])
    expect(json).toMatchObject({ datasetDrift: true, drifted: 2, share: 0.5, generatedAt: '2026-11-30T12:00:00.000Z', skipped: [{ column: 'empty' }] })
    expect(json.prediction?.column).toBe('score')
    const summary = driftSummary(json)
    expect(summary).toMatch(/^dataset drift: YES \(2 of 4 columns drifted, 50 %; the rule is ≥ 50 %\)/)
    expect(summary).toMatch(/prediction drift \(score\): YES/)
    expect(summary).toMatch(/skipped: empty/)
  })

  it('the HTML is self-contained: no script, stylesheet or image from anywhere', () => {
    const html = readFileSync(written.html, 'utf8')
    expect(html).not.toMatch(/<script|<link|<img|https?:\/\/|src=/i)
    expect(html).toContain('&#60;v0&#62;') // category labels are escaped
  })

  describe.skipIf(!present && process.env.CI !== 'true')('in headless Chromium', () => {
    let browser: Browser
    beforeAll(async () => {
      if (!present) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`)
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    })
    afterAll(async () => browser?.close())

    it('renders the verdict, the table and one chart per column, fetching nothing', async () => {
      const page = await browser.newPage()
      const errors: string[] = []
      const requests: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      page.on('request', (q) => requests.push(q.url()))
      await page.goto(`file://${written.html}`)
      await expect(page.locator('#verdict').innerText()).resolves.toMatch(/Dataset drift detected: 2 of 4 columns drifted/)
      await expect(page.locator('tbody tr').count()).resolves.toBe(4)
      await expect(page.locator('tbody tr.drift').count()).resolves.toBe(2)
      await expect(page.locator('svg.chart').count()).resolves.toBe(4)
      // Every chart draws two bars per bin or category, and they have a size on screen.
      for (const [i, bars] of [[0, 60], [2, 2 * 21]] as const) {
        const chart = page.locator('svg.chart').nth(i)
        await expect(chart.locator('rect').count()).resolves.toBe(bars)
        const box = await chart.boundingBox()
        expect(box?.width).toBeGreaterThan(300)
        expect(box?.height).toBeGreaterThan(50)
      }
      await expect(page.locator('#col-beverage svg text', { hasText: '<v0>' }).count()).resolves.toBe(1)
      expect(errors).toEqual([])
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([])
      await page.close()
    })
  })
})
