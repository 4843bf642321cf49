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
})
