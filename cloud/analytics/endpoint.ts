import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClickHouseClient } from '@clickhouse/client'
import { errorMessage, OptionError, silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import type { BatchOptions } from '../../edge-gateway/index.js'
import { decodeBody, parsePayload } from './decode.js'
import { CaptureError, type CaptureCode } from './errors.js'
import { ProductEventWriter } from './ingest.js'
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimit } from './rate-limit.js'
import type { ProductEvent, ProductEventRow } from './table.js'

/** The project key a local stack uses when none is configured; the website's posthog-js is initialised with it. */
export const DEFAULT_PROJECT_KEY = 'phc_tapflow_local'

/** The event a demo request form sends; `onDemandRequest` sees each one once it is accepted. */
export const DEMO_REQUESTED = 'demo_requested'

export interface CaptureEndpointOptions {
  /** ClickHouse holding `tapflow.product_events` (the gateway's client). Required unless `writer` is given. */
  client?: ClickHouseClient
  /** Share an ingest writer instead of opening one on `client` (it is then not closed here). Default: its own. */
  writer?: ProductEventWriter
  /** The project key (posthog-js `token`) every event must carry. Default: DEFAULT_PROJECT_KEY. */
  projectKey?: string
  /** Served under this path prefix ('/ingest' → '/ingest/e/'). Default: '' (PostHog's own paths at the root). */
  pathPrefix?: string
  /** Largest request body, bytes, as sent (gzip included). Default: 1 MiB. */
  maxBodyBytes?: number
  /** Largest body once gzip is inflated, bytes. Default: 16 × maxBodyBytes. */
  maxDecodedBytes?: number
  /** Most events one request may carry. Default: 2,000. */
  maxEventsPerRequest?: number
  /** Requests per client address; `false` turns limiting off (benchmarks). Default: DEFAULT_RATE_LIMIT. */
  rateLimit?: Partial<RateLimit> | false
  /** Insert batching (own writer only). Default: DEFAULT_EVENT_BATCH. */
  batch?: Partial<BatchOptions>
  /** Called once inserted events are queryable (own writer only). Default: none. */
  onVisible?: (rows: readonly ProductEventRow[], at: number) => void
  /**
   * Called for each accepted `demo_requested` event (the website's form), after it is buffered; a failure is logged
   * and does not fail the capture. Default: none.
   */
  onDemandRequest?: (event: ProductEvent) => Promise<void> | void
  /** Origins allowed to send; the request's Origin is echoed when allowed. Default: every origin. */
  allowedOrigins?: readonly string[]
  /** Default: silent; tagged `{component:'capture'}`. */
  logger?: Logger
  /** Stamps `received_at` and drives the rate limiter. Default: system clock. */
  clock?: Clock
}

export interface CaptureStats {
  requests: number
  events: number
  rejected: Partial<Record<CaptureCode, number>>
}

const CAPTURE_PATHS = new Set(['/e', '/i/v0/e', '/capture', '/batch', '/track', '/engage'])
const FLAGS_PATHS = new Set(['/flags', '/decide'])
const CONFIG_PATH = /^\/array\/([^/]+)\/config(\.js)?$/
const OK = JSON.stringify({ status: 1 })
const NO_FLAGS = JSON.stringify({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false })
const REMOTE_CONFIG = (token: string): object => ({
  token, supportedCompression: ['gzip-js', 'base64'], autocapture_opt_out: false, sessionRecording: false, heatmaps: false, surveys: false,
})
/** Rejected payloads that are dead-lettered; rate-limited and busy ones are not (they would flood the table). */
const DEAD_LETTERED = new Set<CaptureCode>(['CAPTURE_MALFORMED', 'CAPTURE_TOO_LARGE', 'CAPTURE_UNAUTHORIZED'])

/**
 * The part of PostHog's protocol posthog-js 1.449 uses (DESIGN.md, "PostHog"): remote config, flags (none), and event
 * capture in every encoding it sends, with CORS. Accepted events go to `tapflow.product_events` with source 'real';
 * malformed, oversized and wrong-key payloads get 400/413/401 with a JSON error and are dead-lettered; a client over
 * its rate gets 429 with Retry-After. Mount it in any Node HTTP server: `if (await capture.handle(req, res)) return`.
 */
export class CaptureEndpoint implements AsyncDisposable {
  readonly stats: CaptureStats = { requests: 0, events: 0, rejected: {} }
  readonly writer: ProductEventWriter
  private readonly ownsWriter: boolean
  private readonly projectKey: string
  private readonly prefix: string
  private readonly maxBody: number
  private readonly maxDecoded: number
  private readonly maxEvents: number
  private readonly limiter: RateLimiter | undefined
  private readonly origins: ReadonlySet<string> | undefined
  private readonly onDemand: CaptureEndpointOptions['onDemandRequest']
  private readonly demands = new Set<Promise<void>>()
  private readonly log: Logger
  private readonly clock: Clock

  constructor(o: CaptureEndpointOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'capture' })
    this.clock = o.clock ?? systemClock
    this.projectKey = o.projectKey ?? DEFAULT_PROJECT_KEY
    if (this.projectKey.length === 0) throw new OptionError('CaptureEndpointOptions.projectKey', 'must not be empty')
    this.prefix = (o.pathPrefix ?? '').replace(/\/+$/, '')
    if (this.prefix !== '' && !this.prefix.startsWith('/')) throw new OptionError('CaptureEndpointOptions.pathPrefix', `must start with '/', got '${this.prefix}'`)
    this.maxBody = positive('maxBodyBytes', o.maxBodyBytes ?? 1024 * 1024)
    this.maxDecoded = positive('maxDecodedBytes', o.maxDecodedBytes ?? 16 * this.maxBody)
    this.maxEvents = positive('maxEventsPerRequest', o.maxEventsPerRequest ?? 2_000)
    if (o.rateLimit !== false) {
      const limit = { ...DEFAULT_RATE_LIMIT, ...o.rateLimit }
      positive('rateLimit.requestsPerSecond', limit.requestsPerSecond)
      positive('rateLimit.burst', limit.burst)
      this.limiter = new RateLimiter(limit, this.clock)
    }
    this.origins = o.allowedOrigins === undefined ? undefined : new Set(o.allowedOrigins)
    this.onDemand = o.onDemandRequest
    if (o.writer !== undefined) {
      this.writer = o.writer
      this.ownsWriter = false
    } else {
      if (o.client === undefined) throw new OptionError('CaptureEndpointOptions.client', 'is required when no writer is given')
      this.writer = new ProductEventWriter({ client: o.client, batch: o.batch, onVisible: o.onVisible, logger: o.logger, clock: this.clock })
      this.ownsWriter = true
    }
  }

  /** Serves the request if it is one of PostHog's capture/config/flags paths and returns true; false otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://capture.invalid')
    let path = url.pathname
    if (this.prefix !== '') {
      if (path !== this.prefix && !path.startsWith(`${this.prefix}/`)) return false
      path = path.slice(this.prefix.length)
    }
    path = path.replace(/\/+$/, '') || '/'
    const config = CONFIG_PATH.exec(path)
    const kind = CAPTURE_PATHS.has(path) ? 'capture' : FLAGS_PATHS.has(path) ? 'flags' : config !== null ? 'config' : undefined
    if (kind === undefined) return false
    this.cors(req, res)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-max-age': '86400' }).end()
      return true
    }
    this.stats.requests++
    try {
      if (kind === 'config') this.config(req, res, decodeURIComponent(config![1]!), config![2] !== undefined)
      else if (req.method !== 'POST') send(res, 405, { status: 0, error: 'method_not_allowed', detail: `${req.method ?? ''} ${path}: use POST` }, { allow: 'POST, OPTIONS' })
      else {
        const retry = this.limiter?.take(req.socket.remoteAddress ?? '') ?? 0
        if (retry > 0) throw new CaptureError('CAPTURE_RATE_LIMITED', `more than the allowed requests per second from this address; retry in ${retry} s`, { retryAfterS: retry })
        if (kind === 'flags') await this.flags(req, res)
        else await this.capture(req, res, url.pathname)
      }
    } catch (err) {
      this.reject(res, err)
    }
    return true
  }

  private async capture(req: IncomingMessage, res: ServerResponse, where: string): Promise<void> {
    const receivedAt = this.clock.now()
    const body = await this.readBody(req, res, where)
    if (body === undefined) return
    let events: ProductEvent[]
    try {
      events = parsePayload(await decodeBody(body, this.maxDecoded), this.projectKey, receivedAt, this.maxEvents)
    } catch (err) {
      if (err instanceof CaptureError && DEAD_LETTERED.has(err.code as CaptureCode)) {
        this.writer.deadLetter(`http:${where}`, err.code.toLowerCase(), err.message, body, req.socket.remoteAddress)
      }
      throw err
    }
    this.writer.write(events, 'real', receivedAt)
    this.stats.events += events.length
    send(res, 200, OK)
    if (this.onDemand !== undefined) for (const e of events) if (e.event === DEMO_REQUESTED) this.demand(e)
  }

  private demand(e: ProductEvent): void {
    const p = Promise.resolve()
      .then(() => this.onDemand!(e))
      .catch((err: unknown) => this.log.error({ uuid: e.uuid, err: errorMessage(err) }, 'a demo request did not become a lead'))
      .finally(() => this.demands.delete(p))
    this.demands.add(p)
  }

  private async flags(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readBody(req, res, '/flags')
    if (body === undefined) return
    // A flags request names the project too; a wrong one is refused, a missing or unreadable one is not (no flags).
    const value = body.length === 0 ? undefined : await decodeBody(body, this.maxDecoded).catch(() => undefined)
    const token = typeof value === 'object' && value !== null ? (value as { token?: unknown; api_key?: unknown }).token ?? (value as { api_key?: unknown }).api_key : undefined
    if (token !== undefined && token !== this.projectKey) throw new CaptureError('CAPTURE_UNAUTHORIZED', 'unknown project key')
    send(res, 200, NO_FLAGS)
  }

  private config(req: IncomingMessage, res: ServerResponse, token: string, script: boolean): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { status: 0, error: 'method_not_allowed', detail: 'use GET' }, { allow: 'GET, OPTIONS' })
      return
    }
    if (token !== this.projectKey) throw new CaptureError('CAPTURE_UNAUTHORIZED', 'unknown project key')
    // The script form carries site apps and the like: none here. The JSON tells posthog-js it may gzip its batches,
    // and autocapture starts only once the server has said `autocapture_opt_out: false` (a missing key keeps it off).
    if (script) res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'max-age=300' }).end('')
    else send(res, 200, REMOTE_CONFIG(token), { 'cache-control': 'max-age=300' })
  }

  /** The body, or undefined when it was too large (answered 413 and dead-lettered here). */
  private async readBody(req: IncomingMessage, res: ServerResponse, where: string): Promise<Buffer | undefined> {
    const declared = Number(req.headers['content-length'] ?? NaN)
    const chunks: Buffer[] = []
    const over = Number.isFinite(declared) && declared > this.maxBody
      ? true
      : await new Promise<boolean>((resolve, reject) => {
        let size = 0
        const onData = (chunk: Buffer): void => {
          size += chunk.length
          chunks.push(chunk)
          if (size <= this.maxBody) return
          // Stop keeping it (its head is the dead letter) but drain the rest, so the answer reaches the client.
          req.off('data', onData)
          req.resume()
          resolve(true)
        }
        req.on('data', onData)
        req.once('end', () => resolve(false))
        req.once('error', reject)
      })
    if (!over) return Buffer.concat(chunks)
    req.resume()
    const err = new CaptureError('CAPTURE_TOO_LARGE', `body is larger than ${this.maxBody} bytes`)
    this.writer.deadLetter(`http:${where}`, err.code.toLowerCase(), `${err.message} (content-length ${Number.isFinite(declared) ? declared : 'none'})`, Buffer.concat(chunks), req.socket.remoteAddress)
    res.setHeader('connection', 'close')
    this.reject(res, err)
    return undefined
  }

  private cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin
    if (origin === undefined || (this.origins !== undefined && !this.origins.has(origin))) return
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('access-control-allow-credentials', 'true')
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS')
    res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'content-type')
    res.setHeader('vary', 'Origin')
  }

  private reject(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return
    if (!(err instanceof CaptureError)) {
      this.log.error({ err: errorMessage(err) }, 'capture request failed')
      send(res, 500, { status: 0, error: 'internal', detail: errorMessage(err) })
      return
    }
    const code = err.code as CaptureCode
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1
    const headers: Record<string, string> = err.retryAfterS === undefined ? {} : { 'retry-after': String(err.retryAfterS) }
    send(res, err.status, { status: 0, error: code.toLowerCase(), detail: err.message }, headers)
  }

  /** Resolves once every accepted event is in ClickHouse and every demo request handed on. */
  async flush(): Promise<void> {
    await Promise.all([...this.demands])
    await this.writer.flush()
  }

  async close(): Promise<void> {
    await Promise.all([...this.demands])
    if (this.ownsWriter) await this.writer.close()
    else await this.writer.flush()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function send(res: ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body))
}

function positive(option: string, n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(`CaptureEndpointOptions.${option}`, `must be a positive number, got ${n}`)
  return n
}
