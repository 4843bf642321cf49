/**
 * Takes the README screenshots of the website's Home and Pricing pages with Debian's chromium, against a site
 * server of its own (no stack needed): npx tsx website/test/screenshots.ts [outDir=docs/screenshots]
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchChromium } from '../../test/peers/index.js'
import { ensureSiteBuilt, WebsiteServer } from '../index.js'

const outDir = process.argv[2] ?? 'docs/screenshots'
mkdirSync(outDir, { recursive: true })
ensureSiteBuilt()
const site = new WebsiteServer({ port: 0 })
await site.listen()
const browser = await launchChromium({ width: 1280, height: 800 })
try {
  const page = await browser.context.newPage()
  await page.goto(`${site.url}/`)
  await page.waitForSelector('html[data-mounted="true"]')
  await page.screenshot({ path: join(outDir, 'site-home.png') })
  await page.goto(`${site.url}/pricing`)
  await page.getByLabel('Venues').fill('3')
  await page.getByLabel('Taps per venue').fill('8')
  await page.locator('#calc-quote').scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(outDir, 'site-pricing.png'), fullPage: true })
  process.stderr.write(`wrote ${join(outDir, 'site-home.png')} and ${join(outDir, 'site-pricing.png')}\n`)
} finally {
  await browser.close()
  await site.close()
}
