import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { CaptureEndpoint, LeadSink, openBusiness, startEmbeddedPostgres, type Business, type EmbeddedPostgresHandle } from '../../cloud/index.js'
import { migrate } from '../../edge-gateway/index.js'
import { chromiumPresent, launchChromium, requirePeers, type ChromiumPeer } from '../../test/peers/index.js'
import { until, useChDB } from '../../test/utils/index.js'
import { ensureSiteBuilt, WebsiteServer } from '../index.js'
import { requestDemo } from './demo-form.js'

const KEY = 'phc_site_e2e'

interface StoredEvent { event: string; distinct_id: string; source: string; properties: string }

/**
 * The end-to-end path, every part real: the React site with the unmodified posthog-js in Debian's Chromium →
 * TapFlow's CaptureEndpoint on the site's origin → tapflow.product_events in chDB; the demo request → a lead in the
 * business's PostgreSQL (embedded).
 */
describe.skipIf(!chromiumPresent() && !requirePeers)('website → capture endpoint → ClickHouse and the business', () => {
  const db = useChDB('site-e2e-')
  let pgDir = ''
  let pgHandle: EmbeddedPostgresHandle | undefined
  let biz: Business | undefined
  let endpoint: CaptureEndpoint
  let site: WebsiteServer
  let browser: ChromiumPeer

  beforeAll(async () => {
    ensureSiteBuilt()
    await migrate(db.ch.client)
    pgDir = await mkdtemp(join(tmpdir(), 'tapflow-site-pg-'))
    await chmod(pgDir, 0o755) // the server runs as the postgres user
    pgHandle = await startEmbeddedPostgres({ dir: join(pgDir, 'pg'), database: 'postgres', logger: silentLogger })
    biz = await openBusiness({ databaseUrl: pgHandle.url, seed: 5, startDate: '2026-06-01', sim: { initialCustomers: 10 } })
    await biz.run({ days: 2, progress: false })
    const leads = new LeadSink({ db: biz.db })
    endpoint = new CaptureEndpoint({ client: db.ch.client, projectKey: KEY, batch: { maxDelayMs: 100 }, onDemandRequest: leads.onDemandRequest })
    site = new WebsiteServer({ port: 0, capture: endpoint, projectKey: KEY, dashboardUrl: 'http://dashboard.invalid' })
    await site.listen()
    browser = await launchChromium()
    // Headless Chromium's user agent is filtered as a bot by posthog-js; a real visitor's browser is not.
    await browser.context.addInitScript({ content: 'window.__TAPFLOW_POSTHOG__ = { opt_out_useragent_filter: true }' })
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await site?.close()
    await endpoint?.close()
    await biz?.close()
    await pgHandle?.close()
    if (pgDir !== '') await rm(pgDir, { recursive: true, force: true })
  })

  const stored = async (): Promise<StoredEvent[]> => {
    const rs = await db.ch.client.query({
      query: 'SELECT event, distinct_id, source, properties FROM tapflow.product_events FINAL ORDER BY timestamp',
      format: 'JSONEachRow',
    })
    return rs.json()
  }
  const props = (e: StoredEvent | undefined): Record<string, unknown> => JSON.parse(e?.properties ?? '{}') as Record<string, unknown>

  it('lands each taxonomy event with its properties as a real visitor, and the demo request becomes a lead', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${site.url}/?utm_source=google&utm_medium=cpc&utm_campaign=CMP_spring`)
    await page.waitForSelector('html[data-mounted="true"]')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pricing' }).click()
    await page.getByLabel('Venues').fill('3')
    await page.getByLabel('Taps per venue').fill('8')
    await expect.poll(() => page.textContent('#calc-quote')).toContain('$1,896.00')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Request a demo' }).click()
    await requestDemo(page)

    const wanted = ['home_viewed', '$pageview', 'pricing_viewed', 'pricing_calculator_used', 'demo_viewed', 'demo_requested', '$autocapture']
    await until(async () => {
      await endpoint.flush()
      const have = new Set((await stored()).map((e) => e.event))
      return wanted.every((e) => have.has(e))
    }, `events ${wanted.join(', ')} in tapflow.product_events`, 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; stored: ${(await stored()).map((e) => e.event).join(', ')}; endpoint: ${JSON.stringify(endpoint.stats)}; page errors: ${errors.join(' | ')}`)
    })
    const events = await stored()
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['real']))
    expect(new Set(events.map((e) => e.distinct_id)).size).toBe(1)
    const first = (name: string): StoredEvent | undefined => events.find((e) => e.event === name)
    // First-touch attribution rides on every event, as the simulated visitors carry it.
    expect(props(first('pricing_viewed'))).toMatchObject({ campaign: 'CMP_spring', channel: 'google_ads' })
    expect(props(first('home_viewed'))).toMatchObject({ utm_source: 'google', utm_campaign: 'CMP_spring' })
    expect(props(events.find((e) => e.event === 'pricing_calculator_used' && props(e).venues === 3 && props(e).taps === 24)))
      .toMatchObject({ tier: 'enterprise', taps: 24, venues: 3, monthly_price: 1896 })
    expect(props(first('demo_requested'))).toMatchObject({ name: 'Ada Brewer', email: 'ada@brewhouse.example', company: 'Brewhouse Ltd', venues: 4 })

    // The demo request is now a lead in the business, from the website.
    const lead = async (): Promise<unknown> =>
      (await biz!.db.query("SELECT source, stage, expected_taps FROM leads WHERE company_name = 'Brewhouse Ltd'")).rows
    await expect.poll(lead, { timeout: 10_000 }).toEqual([{ source: 'website', stage: 'new', expected_taps: 32 }])
    expect(endpoint.stats.rejected).toEqual({})
    expect(errors).toEqual([])
    await page.close()
  })
})
