import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
