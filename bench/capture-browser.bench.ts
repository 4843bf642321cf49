/**
 * From `posthog.capture` in the browser to queryable in ClickHouse: the unmodified posthog-js (its no-external browser
 * bundle) in Debian's Chromium, configured as the website configures it (flush every 0.5 s), sends one event every
 * 100 ms to TapFlow's CaptureEndpoint with its default batching into chDB; this process polls tapflow.product_events
 * every 20 ms and notes when each event first answers a query. EVENTS=200 by default.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CaptureEndpoint } from '../cloud/index.js'
import { migrate, openClickHouse } from '../edge-gateway/index.js'
import { CHROMIUM, CHROMIUM_ARGS } from '../test/peers/index.js'

const events = Number(process.env.EVENTS ?? 200)
const KEY = 'phc_bench'
const BUNDLE = readFileSync(createRequire(import.meta.url).resolve('posthog-js/dist/array.full.no-external.js'), 'utf8')
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title><script src="/posthog.js"></script>
<script>posthog.init('${KEY}', { api_host: location.origin, autocapture: false, capture_pageview: false, opt_out_useragent_filter: true,
  disable_session_recording: true, request_queue_config: { flush_interval_ms: 500 } })</script></head><body></body></html>`

const dir = mkdtempSync(join(tmpdir(), 'tapflow-capture-browser-'))
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
await migrate(ch.client)
const endpoint = new CaptureEndpoint({ client: ch.client, projectKey: KEY })
const server = createServer((req, res) => {
  void endpoint.handle(req, res).then((served) => {
    if (served) return
    if (req.url === '/posthog.js') res.writeHead(200, { 'content-type': 'application/javascript' }).end(BUNDLE)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
const seen = new Map<number, number>()
try {
  const page = await browser.newPage()
  await page.goto(base)
  await page.waitForFunction('window.posthog && window.posthog.__loaded')
  // Sent times are the page's Date.now(): the same clock as this process's.
  await page.evaluate(`(() => { let i = 0; const t = setInterval(() => { posthog.capture('bench_ping', { i, sent_ms: Date.now() }); if (++i === ${events}) clearInterval(t) }, 100) })()`)
  const deadline = Date.now() + events * 100 + 30_000
  const sent = new Map<number, number>()
  while (seen.size < events && Date.now() < deadline) {
    const rs = await ch.client.query({
      query: "SELECT JSONExtractInt(properties, 'i') AS i, JSONExtractInt(properties, 'sent_ms') AS sent FROM tapflow.product_events WHERE event = 'bench_ping'",
      format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const now = Date.now()
    for (const r of await rs.json<{ i: number; sent: number }>()) {
      if (!seen.has(r.i)) {
        seen.set(r.i, now)
        sent.set(r.i, r.sent)
      }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const lat = [...seen].map(([i, at]) => at - sent.get(i)!).sort((a, b) => a - b)
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN
  const results = { events, queryable: seen.size, p50_ms: pct(0.5), p95_ms: pct(0.95), max_ms: lat.at(-1) ?? Number.NaN, p95_within_2_s: pct(0.95) <= 2000 && seen.size === events }
  process.stderr.write(`browser → queryable: p50 ${results.p50_ms} ms, p95 ${results.p95_ms} ms, max ${results.max_ms} ms (${seen.size}/${events})\n`)
  console.log(JSON.stringify({
    name: 'capture-browser', headline: ['p95_ms', 'p50_ms', 'queryable'], command: 'npx tsx bench/capture-browser.bench.ts',
    target: 'an event from posthog.capture in the browser to queryable in ClickHouse: p95 ≤ 2 s', results,
    notes: 'posthog-js flushes its queue every 0.5 s (the website sets it; its default is 3 s) and the endpoint batches inserts up to 250 ms; one event every 100 ms.',
  }))
} finally {
  await browser.close()
  await endpoint.close()
  await new Promise((r) => server.close(r))
  await ch.client.close()
  rmSync(dir, { recursive: true, force: true })
}
