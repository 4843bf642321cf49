/**
 * Takes the README screenshots of each main view with Debian's chromium against an in-process stack
 * (history seeded, then taps live over MQTT): npx tsx dashboards/screenshots.ts [outDir=docs/screenshots]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { ensureWebBuilt } from './test/build-web.js'
import { CHROMIUM, CHROMIUM_ARGS } from './test/chromium.js'
import { startDashboardStack } from './test/stack-fixture.js'

const outDir = process.argv[2] ?? 'docs/screenshots'
mkdirSync(outDir, { recursive: true })
ensureWebBuilt()
const stack = await startDashboardStack({ devices: Number(process.env.DEVICES ?? 400), historyDays: Number(process.env.DAYS ?? 7), liveSpeed: 10 })
await stack.live
const profile = mkdtempSync(join(tmpdir(), 'tapflow-chromium-'))
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 820 } })
try {
  const page = await browser.newPage()
  const venue = stack.fleet.venues[2]!.venueId
  const device = stack.fleet.devices.find((d) => d.venueId === venue)!.deviceId
  const views: [string, string, string][] = [
    ['fleet', '#/fleet', '.vrow[data-device]'],
    ['live', '#/live', '#pours tbody tr.pour-new'],
    ['venue', `#/venue/${venue}`, '#venue-kegs table'],
    ['device', `#/device/${device}`, '#device-pours table'],
  ]
  for (const [name, hash, ready] of views) {
    await page.goto(`${stack.url}/${hash}`)
    await page.waitForSelector(ready, { timeout: 60_000 })
    await page.waitForTimeout(name === 'live' ? 6000 : 1500)
    await page.screenshot({ path: join(outDir, `${name}.png`) })
    process.stderr.write(`wrote ${join(outDir, `${name}.png`)}\n`)
  }
} finally {
  await browser.close()
  rmSync(profile, { recursive: true, force: true })
  await stack.close()
}
