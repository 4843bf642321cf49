import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../../edge-gateway/index.js'
import { until, useChDB } from '../../../test/utils/index.js'
import { CaptureEndpoint, type ProductEvent } from '../index.js'

/** Debian's chromium, driven by playwright-core (never a downloaded browser), headless and off the network. */
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const present = existsSync(CHROMIUM)
const KEY = 'phc_browser_test'

/** The unmodified posthog-js 1.449 browser bundle (no external loads), served by the test server. */
const BUNDLE = readFileSync(createRequire(import.meta.url).resolve('posthog-js/dist/array.full.no-external.js'), 'utf8')
const PAGE = (body: string): string => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TapFlow</title>
<script src="/posthog.js"></script>
<script>
  posthog.init('${KEY}', { api_host: location.origin, autocapture: true, capture_pageview: true, capture_pageleave: true,
    opt_out_useragent_filter: true, disable_session_recording: true, request_queue_config: { flush_interval_ms: 250 } })
</script></head><body>${body}</body></html>`

describe.skipIf(!present && process.env.CI !== 'true')('the real posthog-js in Chromium against the capture endpoint', () => {
  const db = useChDB('posthog-js-')
  let server: Server
  let base: string
  let endpoint: CaptureEndpoint
  let browser: BrowserContext
  let profile: string
  const demands: ProductEvent[] = []
  /** Every request the page made, for the failure message. */
  const requests: string[] = []

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`)
    await migrate(db.ch.client)
    endpoint = new CaptureEndpoint({ client: db.ch.client, projectKey: KEY, batch: { maxDelayMs: 100 }, onDemandRequest: (e) => void demands.push(e) })
    server = createServer((req, res) => {
      res.on('finish', () => requests.push(`${req.method ?? ''} ${req.url ?? ''} ${res.statusCode}`))
      void endpoint.handle(req, res).then((served) => {
        if (served) return
        if (req.url === '/posthog.js') res.writeHead(200, { 'content-type': 'application/javascript' }).end(BUNDLE)
        else if (req.url === '/pricing') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE(`<main><h1>Pricing</h1>
          <button id="calc" onclick="posthog.capture('pricing_calculator_used', { tier: 'pro', taps: 12 })">Calculate</button>
          <a id="next" href="/demo">Request a demo</a></main>`))
        else if (req.url === '/demo') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE(`<main><h1>Demo</h1>
          <button id="send" onclick="posthog.capture('demo_requested', { email: 'ada@taproom.example', company: 'The Tap Room', venues: 3, name: 'Ada' })">Send</button></main>`))
        else res.writeHead(404).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    profile = mkdtempSync(join(tmpdir(), 'tapflow-chromium-'))
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await endpoint?.close()
    await new Promise((r) => server?.close(r))
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('lands pageviews, autocapture, custom events and the pageleave beacon in ClickHouse as real, one session', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${base}/pricing`)
    await page.click('#calc')
    await page.click('#next')
    await page.waitForURL(`${base}/demo`)
    await page.click('#send')
    await page.close({ runBeforeUnload: true })
    const rows = async (): Promise<{ event: string; distinct_id: string; session_id: string; path: string; source: string }[]> => {
      await endpoint.flush()
      const rs = await db.ch.client.query({
        query: `SELECT event, distinct_id, session_id, JSONExtractString(properties, '$pathname') AS path, source FROM tapflow.product_events ORDER BY timestamp`,
        format: 'JSONEachRow',
      })
      return rs.json()
    }
    const wanted = ['$pageview', 'pricing_calculator_used', '$autocapture', '$pageleave', 'demo_requested']
    await until(async () => {
      const have = new Set((await rows()).map((r) => r.event))
      return wanted.every((e) => have.has(e))
    }, `posthog-js events ${wanted.join(', ')}`, 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; stored: ${(await rows()).map((r) => r.event).join(', ')}; requests: ${requests.join(' | ')}; page errors: ${errors.join(' | ')}`)
    })
    const got = await rows()
    expect(new Set(got.map((r) => r.source))).toEqual(new Set(['real']))
    expect(new Set(got.map((r) => r.distinct_id)).size).toBe(1)
    expect(new Set(got.map((r) => r.session_id)).size).toBe(1)
    expect(got[0]!.session_id).not.toBe('')
    expect(got.filter((r) => r.event === '$pageview').map((r) => r.path)).toEqual(['/pricing', '/demo'])
    expect(demands.map((d) => d.properties.company)).toEqual(['The Tap Room'])
    expect(endpoint.stats.rejected).toEqual({})
    expect(errors).toEqual([])
  })
})
