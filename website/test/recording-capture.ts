import type { IncomingMessage, ServerResponse } from 'node:http'
import { gunzipSync } from 'node:zlib'
import type { CaptureHandler } from '../index.js'

/** One event as posthog-js sent it (distinct_id travels inside properties). */
export interface RecordedEvent {
  event: string
  properties: Record<string, unknown>
  /** How the request carried it: gzip, base64 (sendBeacon's form body) or plain JSON. */
  encoding: 'gzip' | 'base64' | 'json'
}

/**
 * The part of PostHog's capture protocol posthog-js calls (DESIGN.md, PostHog), recording what arrives: a stand-in
 * for TapFlow's CaptureEndpoint in the site's browser test, which the real endpoint replaces in the stack's test.
 */
export class RecordingCapture implements CaptureHandler {
  readonly events: RecordedEvent[] = []
  readonly paths: string[] = []

  constructor(private readonly projectKey: string) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const cors = { 'Access-Control-Allow-Origin': req.headers.origin ?? '*', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
    const isCapture = /^\/(e|i\/v0\/e|batch|capture)\/?$/.test(path)
    const isFlags = /^\/(flags|decide)\/?$/.test(path)
    if (!isCapture && !isFlags && !path.startsWith('/array/')) return false
    this.paths.push(`${req.method ?? '?'} ${path}`)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'content-type' })
      res.end()
      return true
    }
    if (path.endsWith('/config.js')) return send(res, 200, '', 'text/javascript', cors)
    // posthog-js 1.449 turns autocapture on only once the remote config says `autocapture_opt_out: false`.
    if (path.startsWith('/array/')) return send(res, 200, JSON.stringify({ supportedCompression: ['gzip-js', 'base64'], autocapture_opt_out: false }), 'application/json', cors)
    const body = await readAll(req)
    if (isFlags) return send(res, 200, JSON.stringify({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false }), 'application/json', cors)
    const { encoding, payload } = decode(body)
    // posthog-js 1.449 batches as {api_key, batch: [...]}; a single event or a bare array are accepted too.
    const sent = payload as { api_key?: string; batch?: unknown } | unknown[]
    const batch = (Array.isArray(sent) ? sent : Array.isArray(sent.batch) ? sent.batch : [sent]) as Sent[]
    const batchKey = Array.isArray(sent) ? undefined : sent.api_key
    for (const e of batch) {
      const key = batchKey ?? e.api_key ?? e.properties?.token
      if (key !== this.projectKey) return send(res, 401, JSON.stringify({ error: 'wrong project key' }), 'application/json', cors)
      this.events.push({ event: e.event ?? '', properties: e.properties ?? {}, encoding })
    }
    return send(res, 200, JSON.stringify({ status: 1 }), 'application/json', cors)
  }

  named(event: string): RecordedEvent[] {
    return this.events.filter((e) => e.event === event)
  }
}

interface Sent {
  event?: string
  properties?: Record<string, unknown>
  api_key?: string
}

/** gzip by its magic bytes (posthog-js sends no ?compression= hint), `data=<base64>` form bodies, else JSON. */
export function decode(body: Buffer): { encoding: RecordedEvent['encoding']; payload: unknown } {
  if (body[0] === 0x1f && body[1] === 0x8b) return { encoding: 'gzip', payload: JSON.parse(gunzipSync(body).toString('utf8')) }
  const text = body.toString('utf8')
  if (text.startsWith('data=')) {
    const b64 = decodeURIComponent(text.slice(5).split('&')[0]!.replace(/\+/g, ' '))
    return { encoding: 'base64', payload: JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) }
  }
  return { encoding: 'json', payload: JSON.parse(text) }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string>): true {
  res.writeHead(status, { ...headers, 'Content-Type': type })
  res.end(body)
  return true
}
