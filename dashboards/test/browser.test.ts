import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chTime } from '../src/db.js'
import { ensureWebBuilt } from './build-web.js'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js'
import { startDashboardStack, type DashboardStack } from './stack-fixture.js'

const present = existsSync(CHROMIUM)
// Under CI the browser is a required peer (make test installs it); elsewhere a machine without it skips.
const requireBrowser = process.env.CI === 'true'

describe.skipIf(!present && !requireBrowser)('dashboard in headless Chromium', () => {
  let stack: DashboardStack
  let browser: BrowserContext
  let profile: string

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`)
    ensureWebBuilt()
    stack = await startDashboardStack({ devices: 80, historyDays: 1, liveSpeed: 30 })
    profile = mkdtempSync(join(tmpdir(), 'tapflow-chromium-'))
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } })
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('shows live pours arriving, opens a device, and saves a screenshot', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await stack.live
    await page.goto(`${stack.url}/#/live`)
    // Pours that arrive over SSE are flagged as new; wait for a few of them.
    await page.locator('#pours tbody tr.pour-new').nth(2).waitFor({ timeout: 60_000 })
    const seen = Number(await page.textContent('#rate-seen'))
    expect(seen).toBeGreaterThanOrEqual(3)
    const device = await page.getAttribute('#pours tbody tr.pour-new', 'data-device')
    expect(device).toMatch(/^tap-\d{4}-\d{2}$/)

    await page.click(`#pours tbody tr.pour-new a[href="#/device/${device}"]`)
    await page.waitForSelector('#device-tiles .tile')
    await page.waitForSelector('#device-pours table')
    expect(await page.textContent('#device-title')).toContain(device!)
    await page.waitForSelector('#temp-chart canvas')

    mkdirSync('reports', { recursive: true })
    const shot = join('reports', 'dashboard-e2e-device.png')
    await page.screenshot({ path: shot })
    expect(statSync(shot).size).toBeGreaterThan(10_000)

    await page.goto(`${stack.url}/#/fleet`)
    await page.waitForSelector('.vrow[data-device]')
    await page.fill('#fleet-q', device!)
    await page.locator(`.vrow[data-device="${device}"]`).waitFor()
    expect(await page.locator('.vrow[data-device]').count()).toBe(1)
    expect(errors).toEqual([])
  })

  it('Data platform lists the lake tables with freshness against their bound and the last run with its tests', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const table = (name: string, lagSeconds: number | null, maxAgeHours: number | null) => ({
      table: name, rows: 1234, dataFiles: 2, snapshots: 3, lastSnapshotId: '8675309', lastSnapshotAt: '2026-11-30 12:00:00.000', lagSeconds, maxAgeHours,
    })
    stack.server.setPlatformStatus(async () => ({
      state: 'following', dir: 'data/lake', error: null, cdc: { transactions: 3, changes: 40, commits: 2, lastAckLsn: '0/16B3748' }, readAt: '2026-11-30T12:00:05.000Z',
      tables: [table('raw.customers', 200_000, 48), table('raw.accounts', 90, 48), table('entity.entity_customers', 60, null)],
      lastRun: {
        day: '2026-11-29', finishedAt: '2026-11-30T12:00:04.000Z', ms: 2100, ok: false, error: '1 model test(s) failed', built: 18, skipped: 0,
        tests: [{ test: 'stg_customers.not_null(customer_id)', failing: 0 }, { test: 'stg_customers.unique(customer_id)', failing: 2 }],
      },
    }))
    await page.goto(`${stack.url}/#/platform`)
    await page.waitForSelector('#platform-lake table')
    const rows = await page.locator('#platform-lake .panel').first().locator('tbody tr').allTextContents()
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatch(/raw\.accounts.*90 s.*≤ 48 h/) // layer order, then by name
    expect(rows[1]).toMatch(/raw\.customers.*1,234.*8675309.*2\.3 d.*late, bound 48 h/)
    expect(rows[2]).toMatch(/entity\.entity_customers.*no bound/)
    const tests = await page.locator('#platform-lake .panel').nth(1).locator('tbody tr').allTextContents()
    expect(tests[0]).toMatch(/stg_customers\.unique\(customer_id\).*fail.*2/) // failing first
    expect(tests[1]).toMatch(/not_null.*pass.*0/)
    expect(await page.locator('section#platform-features').count()).toBe(1)
    expect(await page.getAttribute('nav a.active', 'data-view')).toBe('platform')
    expect(errors).toEqual([])
  })
  it('Growth starts empty, then shows the funnel by source and campaign, top pages and events as they land', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${stack.url}/#/growth`)
    await page.locator('#growth-empty').waitFor()
    expect(await page.textContent('#growth-empty')).toMatch(/No product events/)
    expect(await page.getAttribute('nav a.active', 'data-view')).toBe('growth')

    const t0 = stack.liveStart - 3_600_000
    let n = 0
    const ev = (source: string, id: string, event: string, at: number, props: Record<string, unknown> = {}): Record<string, unknown> => ({
      uuid: `${id}-${++n}`, event, distinct_id: id, session_id: `s-${id}`, properties: JSON.stringify(props), timestamp: chTime(t0 + at), source,
    })
    await stack.writer.client.insert({
      table: 'tapflow.product_events', format: 'JSONEachRow', values: [
        ev('real', 'browser-1', '$pageview', 0, { $pathname: '/', utm_campaign: 'launch', utm_medium: 'cpc' }),
        ev('real', 'browser-1', 'pricing_viewed', 1000, { $pathname: '/pricing' }),
        ev('real', 'browser-1', 'pricing_calculator_used', 2000, { $pathname: '/pricing' }),
        ev('real', 'browser-1', 'signup_started', 3000, { $pathname: '/signup' }),
        ev('simulated', 'visitor-1', 'home_viewed', 0, { $pathname: '/', campaign: 'CMP_0001', channel: 'google_ads' }),
        ev('simulated', 'visitor-2', 'features_viewed', 0, { $pathname: '/features', campaign: 'CMP_0001', channel: 'google_ads' }),
      ],
    })
    // The stream polls: the events show up without a reload, the aggregates on the next refresh.
    await page.locator('#growth-stream tbody tr').nth(5).waitFor({ timeout: 10_000 })
    await expect.poll(() => page.textContent('#growth-visitors'), { timeout: 20_000 }).toBe('3')
    expect(await page.isHidden('#growth-empty')).toBe(true)
    const bySource = await page.locator('#growth-split-table tbody tr').allTextContents()
    expect(bySource[0]).toMatch(/^all\s*3\s*1 \(33%\)\s*1 \(100%\)\s*0 \(0%\)/)
    expect(bySource[1]).toMatch(/^real\s*1\s*1 \(100%\)\s*1 \(100%\)/)
    expect(bySource[2]).toMatch(/^simulated\s*2\s*0 \(0%\)/)
    await page.selectOption('#growth-split', 'campaign')
    await expect.poll(() => page.locator('#growth-split-table tbody tr td:first-child').allTextContents()).toEqual(['all', 'CMP_0001', 'launch'])
    const pages = await page.locator('#growth-pages tbody tr').allTextContents()
    expect(pages[0]).toMatch(/^\/\s*2/)
    await page.waitForSelector('#funnel-chart canvas')
    await page.waitForSelector('#dau-chart canvas')
    mkdirSync('reports', { recursive: true })
    await page.screenshot({ path: join('reports', 'dashboard-e2e-growth.png'), fullPage: true })
    expect(errors).toEqual([])
  })

  it('fleet shows risk and filters the taps at risk; the device view charts risk with ground truth and the alert\'s features', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const device = stack.fleet.devices[0]!
    const t = stack.liveStart - 2 * 3_600_000
    const mode = 'cooling-failure'
    await stack.writer.client.insert({
      table: 'tapflow.predictions', format: 'JSONEachRow',
      values: [0, 1, 2, 3].map((i) => ({ ts: chTime(t + i * 1_800_000), device_id: device.deviceId, venue_id: device.venueId, model: 'm', version: 1, mode, score: 0.2 * (i + 1), features_hash: 1 })),
    })
    await stack.writer.client.insert({
      table: 'tapflow.alerts', format: 'JSONEachRow', values: [{
        alert_id: 'al-e2e', device_id: device.deviceId, venue_id: device.venueId, mode, model: 'm', version: 1, risk: 0.8, threshold: 0.5,
        opened_at: chTime(t + 5_400_000), top_features: JSON.stringify([{ feature: 'temp_max_c_6h', value: 9.1, contribution: 0.4 }, { feature: 'pours_24h', value: 12, contribution: -0.1 }]),
        status: 'open', updated_at: chTime(t + 5_400_000),
      }],
    })
    await stack.writer.client.insert({
      table: 'tapflow.ground_truth', format: 'JSONEachRow', values: [{
        record_id: 'gt-e2e', device_id: device.deviceId, recorded_at: chTime(t), venue_id: device.venueId, mode, onset_ts: chTime(t),
        failure_ts: chTime(t + 6 * 3_600_000), parameters: '{}', source: 'test', received_at: chTime(t),
      }],
    })
    await page.goto(`${stack.url}/#/fleet`)
    await page.waitForSelector('.vrow[data-device]')
    await page.selectOption('#fleet-status', 'risk')
    await page.locator(`.vrow[data-device="${device.deviceId}"]`).waitFor()
    expect(await page.locator('.vrow[data-device]').count()).toBe(1)
    expect(await page.textContent(`.vrow[data-device="${device.deviceId}"] .risk`)).toMatch(/80% cooling-failure/)
    expect(await page.textContent('#fleet-at-risk')).toBe('1')
    expect(await page.textContent(`.vrow[data-venue="${device.venueId}"]`)).toMatch(/1 at risk/)
    await page.screenshot({ path: join('reports', 'dashboard-e2e-fleet-risk.png') })

    await page.click(`.vrow[data-device="${device.deviceId}"]`)
    await page.waitForSelector('#risk-chart canvas')
    await page.waitForSelector('#contrib-chart canvas')
    expect(await page.textContent('#alert-title')).toBe(`Open alert: ${mode}`)
    expect(await page.isHidden('#risk-empty')).toBe(true)
    expect(await page.locator('#device-alerts tbody tr').count()).toBe(1)
    await page.locator('#risk-chart').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join('reports', 'dashboard-e2e-device-risk.png'), fullPage: true })
    expect(errors).toEqual([])
  })
})
