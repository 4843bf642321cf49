/**
 * Takes the README screenshot of the dashboard's Growth view with every part real: a business simulated for 45 days
 * (its visitors emitted into tapflow.product_events), then a visitor clicking through the website in Debian's chromium
 * (posthog-js → the capture endpoint), then the dashboard: npx tsx website/test/screenshot-growth.ts [outDir=docs/screenshots]
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../common/index.js'
import { CaptureEndpoint, LeadSink, openBusiness, startEmbeddedPostgres, WebsiteEvents } from '../../cloud/index.js'
import { DashboardServer } from '../../dashboards/index.js'
import { migrate, openClickHouse } from '../../edge-gateway/index.js'
import { launchChromium } from '../../test/peers/index.js'
import { ensureSiteBuilt, WebsiteServer } from '../index.js'
import { requestDemo } from './demo-form.js'

const DAYS = 45
const outDir = process.argv[2] ?? 'docs/screenshots'
mkdirSync(outDir, { recursive: true })
ensureSiteBuilt()
const dir = mkdtempSync(join(tmpdir(), 'tapflow-growth-'))
chmodSync(dir, 0o755) // embedded PostgreSQL runs as the postgres user
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
await migrate(ch.client)
const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), database: 'postgres', logger: silentLogger })
const website = new WebsiteEvents({ client: ch.client })
const start = new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10)
const biz = await openBusiness({ databaseUrl: pg.url, seed: 7, startDate: start, sim: { initialCustomers: 150, signupsPerDay: 3 }, engagementEvents: website })
const capture = new CaptureEndpoint({ client: ch.client, onDemandRequest: new LeadSink({ db: biz.db }).onDemandRequest })
const site = new WebsiteServer({ port: 0, capture, projectKey: 'phc_tapflow_local' })
const dashboard = new DashboardServer({ client: ch.client, port: 0 })
const browser = await launchChromium({ width: 1360, height: 900 })
try {
  await biz.run({ days: DAYS, progress: false })
  await site.listen()
  await dashboard.listen()
  // One real visitor from a paid campaign: home, pricing, a demo request.
  // Headless Chromium's user agent is filtered as a bot by posthog-js; a real visitor's browser is not.
  await browser.context.addInitScript({ content: 'window.__TAPFLOW_POSTHOG__ = { opt_out_useragent_filter: true }' })
  const visit = await browser.context.newPage()
  await visit.goto(`${site.url}/?utm_source=google&utm_medium=cpc&utm_campaign=spring-launch`)
  await visit.waitForSelector('html[data-mounted="true"]')
  await visit.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pricing' }).click()
  await visit.getByLabel('Venues').fill('2')
  await visit.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Request a demo' }).click()
  await requestDemo(visit)
  await visit.waitForTimeout(2000)
  await capture.flush()
  const page = await browser.context.newPage()
  await page.goto(`${dashboard.url}/#/growth`)
  await page.waitForSelector('#growth-stream tbody tr', { timeout: 60_000 })
  await page.selectOption('#growth-range', '30d')
  await page.waitForTimeout(2000)
  await page.screenshot({ path: join(outDir, 'growth.png'), fullPage: true })
  process.stderr.write(`wrote ${join(outDir, 'growth.png')}\n`)
} finally {
  await browser.close()
  await dashboard.close()
  await site.close()
  await capture.close()
  await website.close()
  await biz.close()
  await pg.close()
  await ch.client.close()
  rmSync(dir, { recursive: true, force: true })
}
