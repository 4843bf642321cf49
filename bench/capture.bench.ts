/**
 * The website's capture endpoint: posthog-js-shaped gzip batches (`{ api_key, batch, sent_at }`, text/plain) POSTed
 * over keep-alive HTTP by CONCURRENCY clients for DURATION_S, into real chDB. Reports events/s sustained into ClickHouse
 * (rows queryable at the end ÷ time until the last insert), and the p95/p99 capture-to-queryable latency on the server
 * side: from the request's arrival to the insert that made its event queryable. Client and server share the process.
 * Run: npx tsx bench/capture.bench.ts   (DURATION_S=20 CONCURRENCY=8 BATCH=50 MAX_EVENTS_PER_S=15000 to change the load)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { CaptureEndpoint } from '../cloud/index.js'
import { migrate, openClickHouse } from '../edge-gateway/index.js'

const seconds = Number(process.env.DURATION_S ?? 20)
const concurrency = Number(process.env.CONCURRENCY ?? 8)
const batch = Number(process.env.BATCH ?? 50)
/** Events prepared: the most the run can send (a run that sends them all ends early and says so). */
const maxEventsPerS = Number(process.env.MAX_EVENTS_PER_S ?? 15_000)
const KEY = 'phc_bench'
const EVENTS = ['$pageview', 'home_viewed', 'pricing_viewed', 'pricing_calculator_used', 'features_viewed', 'demo_viewed', '$autocapture', '$pageleave']

const dir = mkdtempSync(join(tmpdir(), 'tapflow-capture-bench-'))
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
await migrate(ch.client)
const latencies: number[] = []
const endpoint = new CaptureEndpoint({
  client: ch.client, projectKey: KEY, rateLimit: false,
  onVisible: (rows, at) => {
    for (const r of rows) latencies.push(at - r.received_at)
  },
})
const server = createServer((req, res) => {
  void endpoint.handle(req, res).then((served) => {
    if (!served) res.writeHead(404).end()
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/e/?ip=0&ver=1.449.0`

/** One posthog-js request: a batch of autocapture-sized events (~1 KB of properties each) from one visitor. */
let n = 0
function body(): Buffer {
  const visitor = `visitor-${n % 5000}`
  const now = new Date().toISOString()
  const events = Array.from({ length: batch }, () => {
    const i = n++
    return {
      uuid: `bench-${i}`, event: EVENTS[i % EVENTS.length], timestamp: now,
      properties: {
        token: KEY, distinct_id: visitor, $session_id: `s-${visitor}`, $window_id: `w-${visitor}`, $current_url: `http://127.0.0.1:3000/pricing?x=${i % 97}`,
        $pathname: '/pricing', $host: '127.0.0.1:3000', $browser: 'Chrome', $browser_version: 131, $os: 'Linux', $device_type: 'Desktop',
        $screen_height: 1080, $screen_width: 1920, $viewport_height: 960, $viewport_width: 1880, $lib: 'web', $lib_version: '1.449.0',
        $insert_id: `ins-${i}`, $time: Date.now() / 1000, $referrer: '$direct', $referring_domain: '$direct', campaign: 'CMP_0001', channel: 'google_ads',
        utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'CMP_0001', $elements_chain: 'button.cta:text="Request a demo"nth-child="2"nth-of-type="1";form.demo;main;body',
      },
    }
  })
  return gzipSync(JSON.stringify({ api_key: KEY, batch: events, sent_at: now }))
}

// Bodies are built before the clock starts: browsers gzip on their own CPUs, not the server's.
const bodies = Array.from({ length: Math.ceil((maxEventsPerS * seconds) / batch) }, body)
let accepted = 0
let failed = 0
const t0 = performance.now()
const end = t0 + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (let next = bodies.pop(); next !== undefined && performance.now() < end; next = bodies.pop()) {
    const res = await fetch(url, { method: 'POST', body: next, headers: { 'content-type': 'text/plain', origin: 'http://127.0.0.1:3000' } })
    await res.arrayBuffer()
    if (res.ok) accepted += batch
    else failed++
  }
}))
const sendS = (performance.now() - t0) / 1000
await endpoint.flush()
const totalS = (performance.now() - t0) / 1000
const [row] = await (await ch.client.query({ query: 'SELECT count() AS n FROM tapflow.product_events', format: 'JSONEachRow' })).json<{ n: string }>()
const queryable = Number(row?.n ?? 0)
await endpoint.close()
await new Promise((r) => server.close(r))
await ch.client.close()
rmSync(dir, { recursive: true, force: true })

latencies.sort((a, b) => a - b)
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN
console.log(JSON.stringify({
  name: 'capture',
  headline: ['events_per_s_into_clickhouse', 'capture_to_queryable_p95_ms', 'requests_per_s'],
  command: 'npx tsx bench/capture.bench.ts',
  target: '≥ 5,000 events/s sustained into ClickHouse; capture to queryable p95 ≤ 2 s',
  results: {
    seconds, concurrency, events_per_request: batch,
    events_per_s_into_clickhouse: Math.round(queryable / totalS),
    requests_per_s: Math.round(accepted / batch / sendS),
    capture_to_queryable_p95_ms: Math.round(pct(0.95)),
    capture_to_queryable_p99_ms: Math.round(pct(0.99)),
    events_queryable: queryable,
    events_accepted: accepted,
    requests_failed: failed,
    ran_out_of_bodies: bodies.length === 0,
  },
  notes: 'posthog-js-shaped gzip batches (~1 KB of properties per event) over keep-alive HTTP into CaptureEndpoint → ProductEventWriter → chDB, client and server in one process (bodies gzipped before the clock starts). Latency is server-side: request arrival to the insert that made the event queryable (batches flush every 250 ms or 20,000 rows).',
}))
