/**
 * The product website's first load on loopback, in Debian's Chromium: a fresh browser context each run (cold cache,
 * no cookies), from navigation to React mounted (the site's `tapflow-site-mounted` mark, set in the first effect, when
 * the page takes input), with domInteractive and first contentful paint beside it; and the bundle's size.
 * posthog-js starts as in production, against a stub that answers its config, flags and capture calls.
 * RUNS=20 by default.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS } from '../test/peers/index.js'
import { ensureSiteBuilt, SITE_DIR, WebsiteServer, type CaptureHandler } from '../website/index.js'

const runs = Number(process.env.RUNS ?? 20)

/** Answers posthog-js' calls (remote config, flags, capture) so its start costs what it costs against the real endpoint. */
const stub: CaptureHandler = {
  handle: async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const answer = path.endsWith('/config.js') ? '' : path.startsWith('/array/') ? '{"supportedCompression":["gzip-js","base64"],"autocapture_opt_out":false}'
      : path.startsWith('/flags') ? '{"flags":{},"featureFlags":{},"featureFlagPayloads":{},"errorsWhileComputingFlags":false}' : path.startsWith('/e/') ? '{"status":1}' : undefined
    if (answer === undefined) return false
    req.resume()
    res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'application/json' }).end(answer)
    return true
  },
}

ensureSiteBuilt()
const kb = (file: string): number => Math.round(statSync(join(SITE_DIR, file)).size / 102.4) / 10
const gzipKb = Math.round(gzipSync(readFileSync(join(SITE_DIR, 'app.js'))).length / 102.4) / 10
const site = new WebsiteServer({ port: 0, capture: stub, projectKey: 'phc_bench' })
await site.listen()
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })

interface Load { mounted: number; domInteractive: number; fcp: number }
const measure = async (path: string): Promise<Load> => {
  const context = await browser.newContext()
  await context.addInitScript({ content: 'window.__TAPFLOW_POSTHOG__ = { opt_out_useragent_filter: true }' })
  const page = await context.newPage()
  await page.goto(site.url + path)
  await page.waitForSelector('html[data-mounted="true"]')
  const load = (await page.evaluate(`({
    mounted: performance.getEntriesByName('tapflow-site-mounted')[0].startTime,
    domInteractive: performance.getEntriesByType('navigation')[0].domInteractive,
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
  })`)) as Load
  await context.close()
  return load
}

const pct = (xs: number[], p: number): number => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!)
const results: Record<string, number | string | boolean> = { 'app.js KB': kb('app.js'), 'app.js gzip KB': gzipKb, 'style.css KB': kb('style.css') }
let worst = 0
try {
  await measure('/') // the browser's own first start is not the site's
  for (const [name, path] of [['home', '/'], ['pricing', '/pricing']] as const) {
    const loads: Load[] = []
    for (let i = 0; i < runs; i++) loads.push(await measure(path))
    const mounted = loads.map((l) => l.mounted)
    results[`${name} interactive p50 ms`] = pct(mounted, 0.5)
    results[`${name} interactive p95 ms`] = pct(mounted, 0.95)
    results[`${name} domInteractive p50 ms`] = pct(loads.map((l) => l.domInteractive), 0.5)
    results[`${name} first paint p50 ms`] = pct(loads.map((l) => l.fcp), 0.5)
    worst = Math.max(worst, pct(mounted, 0.95))
    process.stderr.write(`${name}: ${JSON.stringify(loads.map((l) => Math.round(l.mounted)))}\n`)
  }
} finally {
  await browser.close()
  await site.close()
}
results.runs = runs
results['interactive p95 ≤ 1 s'] = worst <= 1000
console.log(JSON.stringify({
  name: 'site first load',
  command: 'make bench BENCH=site',
  target: 'first load on loopback to interactive (React mounted) ≤ 1 s; bundle size reported',
  results,
  headline: ['home interactive p95 ms', 'pricing interactive p95 ms', 'app.js KB', 'app.js gzip KB'],
  notes: 'Each run is a fresh browser context (cold cache) in Debian Chromium, headless. "Interactive" is the site\'s `tapflow-site-mounted` performance mark, set in React\'s first effect; the server sends the bundle uncompressed.',
}))
