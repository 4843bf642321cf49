import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../../edge-gateway/index.js'
import { useChDB } from '../../../test/utils/index.js'
import { CaptureEndpoint, type CaptureEndpointOptions, type ProductEvent } from '../index.js'

const KEY = 'phc_test_key'
const ORIGIN = 'http://127.0.0.1:3000'

interface Stored {
  uuid: string
  event: string
  distinct_id: string
  session_id: string
  properties: string
  timestamp: string
  source: string
}

/** An event as posthog-js 1.449 builds it: the token and distinct id inside properties. */
function phEvent(event: string, props: Record<string, unknown> = {}, at = new Date()): Record<string, unknown> {
  const uuid = `${event}-${Math.random().toString(36).slice(2)}`
  return { uuid, event, properties: { token: KEY, distinct_id: 'visitor-1', $session_id: 'sess-1', $current_url: `${ORIGIN}/`, ...props }, timestamp: at.toISOString() }
}

/** posthog-js's capture body: `{ api_key, batch, sent_at }`. */
function phBatch(events: Record<string, unknown>[], sentAt = new Date()): Record<string, unknown> {
  return { api_key: KEY, batch: events, sent_at: sentAt.toISOString() }
}

describe('capture endpoint: the PostHog protocol posthog-js speaks, into real chDB', () => {
  const db = useChDB('capture-')
  let server: Server
  let base: string
  let endpoint: CaptureEndpoint
  let options: Partial<CaptureEndpointOptions> = {}
  const demands: ProductEvent[] = []

  beforeAll(async () => {
    await migrate(db.ch.client)
    server = createServer((req, res) => {
      void endpoint.handle(req, res).then((served) => {
        if (!served) res.writeHead(404).end('site page')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((r) => server.close(r))
  })

  const open = (o: Partial<CaptureEndpointOptions> = {}): CaptureEndpoint => {
    options = o
    endpoint = new CaptureEndpoint({ client: db.ch.client, projectKey: KEY, batch: { maxDelayMs: 50 }, onDemandRequest: (e) => void demands.push(e), ...options })
    return endpoint
  }
  afterEach(async () => {
    await endpoint.close()
  })

  const post = (path: string, body: string | Buffer, contentType = 'text/plain'): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': contentType, origin: ORIGIN } })
  const stored = async (uuids: string[]): Promise<Stored[]> => {
    await endpoint.flush()
    const rs = await db.ch.client.query({
      query: 'SELECT uuid, event, distinct_id, session_id, properties, toString(timestamp) AS timestamp, source FROM tapflow.product_events FINAL WHERE uuid IN {u:Array(String)} ORDER BY timestamp, uuid',
      query_params: { u: uuids }, format: 'JSONEachRow',
    })
    return rs.json<Stored>()
  }
  const deadLetters = async (reason: string): Promise<{ topic: string; detail: string; payload_base64: string }[]> => {
    await endpoint.flush()
    const rs = await db.ch.client.query({ query: 'SELECT topic, detail, payload_base64 FROM tapflow.dead_letters WHERE reason = {r:String}', query_params: { r: reason }, format: 'JSONEachRow' })
    return rs.json()
  }

  it('answers remote config, its script and flags as posthog-js expects, echoing the Origin', async () => {
    open()
    const config = await fetch(`${base}/array/${KEY}/config`, { headers: { origin: ORIGIN } })
    expect(config.status).toBe(200)
    expect(config.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(await config.json()).toMatchObject({ supportedCompression: ['gzip-js', 'base64'], autocapture_opt_out: false })
    const script = await fetch(`${base}/array/${KEY}/config.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toContain('javascript')
    const flags = await post('/flags/?v=2&config=true', JSON.stringify({ token: KEY, distinct_id: 'visitor-1' }), 'application/json')
    expect(flags.status).toBe(200)
    expect(await flags.json()).toEqual({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false })
    expect((await fetch(`${base}/array/wrong/config`)).status).toBe(401)
    expect((await fetch(`${base}/pricing`)).status).toBe(404) // not ours: handle() returned false
  })

  it('answers a CORS preflight with the Origin and the requested headers', async () => {
    open()
    const res = await fetch(`${base}/e/`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type')
  })

  it('takes a gzip batch (text/plain, no compression parameter), corrects clock skew with sent_at, and stores it as real', async () => {
    open()
    const clientNow = new Date(Date.now() - 3_600_000) // the browser's clock is an hour slow
    const events = [phEvent('$pageview', {}, new Date(clientNow.getTime() - 2_000)), phEvent('home_viewed', { campaign: 'CMP_0001' }, new Date(clientNow.getTime() - 1_000))]
    const res = await post('/e/?ip=0&_=1&ver=1.449.0', gzipSync(JSON.stringify(phBatch(events, clientNow))))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 1 })
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const rows = await stored(events.map((e) => e.uuid as string))
    expect(rows.map((r) => [r.event, r.distinct_id, r.session_id, r.source])).toEqual([['$pageview', 'visitor-1', 'sess-1', 'real'], ['home_viewed', 'visitor-1', 'sess-1', 'real']])
    const props = JSON.parse(rows[1]!.properties) as Record<string, unknown>
    expect(props).toMatchObject({ campaign: 'CMP_0001', distinct_id: 'visitor-1', $session_id: 'sess-1' })
    expect(props.token).toBeUndefined()
    // Skew-corrected: about a second ago by the server's clock, not an hour ago.
    const age = Date.now() - Date.parse(`${rows[1]!.timestamp.replace(' ', 'T')}Z`)
    expect(age).toBeGreaterThan(0)
    expect(age).toBeLessThan(60_000)
  })

  it('takes a sendBeacon form body (data=<base64>), a data=<json> form, plain JSON arrays and a single event', async () => {
    open()
    const a = phEvent('$pageleave', { $current_url: `${ORIGIN}/pricing`, note: 'ünïcode ✓' })
    const b64 = Buffer.from(JSON.stringify(phBatch([a])), 'utf8').toString('base64')
    expect((await post('/e/?compression=base64', `data=${encodeURIComponent(b64)}`, 'application/x-www-form-urlencoded')).status).toBe(200)
    const b = phEvent('features_viewed')
    expect((await post('/e/', `data=${encodeURIComponent(JSON.stringify([b]))}`, 'application/x-www-form-urlencoded')).status).toBe(200)
    const c = phEvent('pricing_viewed')
    const d = phEvent('pricing_calculator_used', { tier: 'pro', taps: 12 })
    expect((await post('/batch/', JSON.stringify([c, d]), 'application/json')).status).toBe(200)
    const e = phEvent('documentation_searched', { query: 'mqtt' })
    expect((await post('/i/v0/e/', JSON.stringify(e), 'application/json')).status).toBe(200)
    const rows = await stored([a, b, c, d, e].map((x) => x.uuid as string))
    expect(rows.map((r) => r.event).sort()).toEqual(['$pageleave', 'documentation_searched', 'features_viewed', 'pricing_calculator_used', 'pricing_viewed'])
    expect(JSON.parse(rows.find((r) => r.event === '$pageleave')!.properties)).toMatchObject({ note: 'ünïcode ✓' })
    expect(JSON.parse(rows.find((r) => r.event === 'pricing_calculator_used')!.properties)).toMatchObject({ tier: 'pro', taps: 12 })
  })

  it('refuses a wrong or missing project key with 401 and dead-letters the payload', async () => {
    open()
    const bad: Record<string, unknown> = { ...phEvent('home_viewed'), properties: { token: 'phc_someone_else', distinct_id: 'x' } }
    const res = await post('/e/', gzipSync(JSON.stringify([bad])))
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ status: 0, error: 'capture_unauthorized', detail: expect.stringContaining('project key') })
    const missing = await post('/e/', JSON.stringify({ event: 'home_viewed', properties: { distinct_id: 'x' } }), 'application/json')
    expect(missing.status).toBe(401)
    const dl = await deadLetters('capture_unauthorized')
    expect(dl).toHaveLength(2)
    expect(dl[0]!.topic).toBe('http:/e/')
    expect(Buffer.from(dl.find((d) => d.detail.includes('unknown'))!.payload_base64, 'base64').subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
    expect(await stored([bad.uuid as string])).toEqual([])
  })

  it('refuses an oversized body (declared or streamed) and a gzip bomb with 413, and dead-letters them', async () => {
    open({ maxBodyBytes: 4096, maxDecodedBytes: 64 * 1024 })
    const big = JSON.stringify(phBatch([phEvent('home_viewed', { pad: 'x'.repeat(10_000) })]))
    const res = await post('/e/', big, 'application/json')
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'capture_too_large' })
    // A small gzip that inflates past the decoded limit.
    const bomb = gzipSync(JSON.stringify(phBatch([phEvent('home_viewed', { pad: 'y'.repeat(200_000) })])))
    expect(bomb.length).toBeLessThan(4096)
    expect((await post('/e/', bomb)).status).toBe(413)
    // Chunked, with no Content-Length: cut off once past the limit, still answered.
    const chunks = [Buffer.alloc(3000, 'a'), Buffer.alloc(3000, 'b'), Buffer.alloc(3000, 'c')]
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift()
        if (next === undefined) c.close()
        else c.enqueue(next)
      },
    })
    const chunked = await fetch(`${base}/e/`, { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'text/plain' } } as RequestInit)
    expect(chunked.status).toBe(413)
    const dl = await deadLetters('capture_too_large')
    expect(dl).toHaveLength(3)
    expect(dl.find((d) => d.detail.includes('content-length none'))?.payload_base64.length).toBeGreaterThan(4096)
  })

  it('refuses garbage with 400 and a clear reason, and dead-letters it', async () => {
    open()
    const cases: [string | Buffer, string][] = [
      ['not json at all {', 'neither JSON'],
      [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]), 'gzip'],
      ['{"event": "x"', 'not valid JSON'],
      [JSON.stringify({ hello: 'world' }), 'payload is not'],
      [JSON.stringify([{ event: '', properties: { token: KEY, distinct_id: 'a' } }]), "'event'"],
      [JSON.stringify([{ event: 'home_viewed', properties: { token: KEY } }]), 'distinct_id'],
      [JSON.stringify([{ event: 'home_viewed', properties: { token: KEY, distinct_id: 'a' }, timestamp: 'yesterday' }]), 'timestamp'],
      ['', 'empty body'],
    ]
    for (const [body, why] of cases) {
      const res = await post('/e/', body)
      expect(res.status, why).toBe(400)
      expect(((await res.json()) as { detail: string }).detail).toContain(why)
    }
    expect(await deadLetters('capture_malformed')).toHaveLength(cases.length)
    expect(endpoint.stats.rejected.CAPTURE_MALFORMED).toBe(cases.length)
  })

  it('rate-limits a client with 429 and Retry-After, and lets it back in once its bucket refills', async () => {
    let now = 1_000_000
    open({ rateLimit: { requestsPerSecond: 2, burst: 3 }, clock: { now: () => now } })
    const body = (): string => JSON.stringify([phEvent('home_viewed')])
    for (let i = 0; i < 3; i++) expect((await post('/e/', body(), 'application/json')).status).toBe(200)
    const limited = await post('/e/', body(), 'application/json')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await limited.json()).toMatchObject({ error: 'capture_rate_limited' })
    now += 1_000
    expect((await post('/e/', body(), 'application/json')).status).toBe(200)
  })

  it('hands each accepted demo_requested to onDemandRequest', async () => {
    demands.length = 0
    open()
    const e = phEvent('demo_requested', { email: 'ada@bar.example', company: 'The Tap Room', venues: 3, name: 'Ada' })
    expect((await post('/e/', gzipSync(JSON.stringify(phBatch([phEvent('demo_viewed'), e]))))).status).toBe(200)
    await endpoint.flush()
    expect(demands.map((d) => [d.uuid, d.properties.email, d.properties.company, d.properties.venues])).toEqual([[e.uuid, 'ada@bar.example', 'The Tap Room', 3]])
  })

  it('can be mounted under a path prefix', async () => {
    open({ pathPrefix: '/ingest' })
    const e = phEvent('home_viewed')
    expect((await post('/ingest/e/', JSON.stringify([e]), 'application/json')).status).toBe(200)
    expect((await post('/e/', JSON.stringify([e]), 'application/json')).status).toBe(404)
    expect(await stored([e.uuid as string])).toHaveLength(1)
  })
})
