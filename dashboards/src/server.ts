import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Registry } from 'prom-client'
import { closeHttpServer, errorMessage, listen, silentLogger, systemClock, type Clock, type Logger } from '../../common/index.js'
import { device } from './device-panel.js'
import { currentFeatures, featureViews, type FeatureSource } from './features-panel.js'
import { venue } from './venue-panel.js'
import { growth, growthEnd, recentEvents, SOURCES } from './growth-panel.js'
import type { Health } from '../api.js'
import { dataNow, fleet, overview, venues } from './fleet-panels.js'
import { LiveFeed, type LiveEvent } from './live.js'
import { listLoadReports, readLoadReport } from './load-reports.js'
import { HttpError, Params } from './params.js'
import { platform, type PlatformStatus } from './platform-panel.js'
import { serveStatic } from './static.js'
import type { DemandForecast } from './demand.js'
import { DRIFT_REPORT_PATH, models, serveDriftReport, type ModelsSource } from './models-panel.js'

export interface DashboardServerOptions {
  /** A read-only ClickHouse session of its own (chDB keeps settings per session). */
  client: ClickHouseClient
  /** Prometheus registries merged on /metrics. Default: none (404 on /metrics). */
  registries?: Registry[]
  /** Body for /status and /healthz. Default: `{ ok: true }`. */
  status?: () => Record<string, unknown>
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default: 8080. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --web-port. */
  portFlag?: string
  /** The clock the gateway stamps arrivals with. Default: system clock. */
  clock?: Clock
  /** In-process frame counter for frames/s. Default: counted in ClickHouse. */
  framesIn?: () => number
  /** Where `tapflow load` writes reports. Default: ./reports. */
  reportsDir?: string
  /** Built UI assets. Default: dashboards/web/dist. */
  webDir?: string
  logger?: Logger
}

/** What the business beside the fleet is doing (`tapflow up`), for the dashboard's banner. */
export interface CompanyStatus {
  business: boolean
  /** Pipelines over the history simulated before the fleet started, computed in the background. */
  backfill?: { state: 'none' | 'running' | 'done'; daysDone: number; daysTotal: number }
}

const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/dist', import.meta.url))
const STATUSES = ['all', 'online', 'offline', 'alert', 'fault', 'warn', 'ok', 'waiting', 'risk'] as const

/**
 * The stack's web port: the dashboard UI, its JSON API and live SSE stream, plus /status and /metrics.
 * Read-only: it serves GET only, and every query runs with readonly=2 and bound parameters.
 */
export class DashboardServer {
  private server: Server | undefined
  private readonly log: Logger
  readonly live: LiveFeed
  private demand: DemandForecast | undefined
  port = 0
  private end = { at: 0, value: 0 }
  private company: (() => CompanyStatus) | undefined
  private platformStatus: (() => Promise<PlatformStatus>) | undefined
  private features: FeatureSource | undefined
  private models: { source?: ModelsSource; dirs: string[] } = { dirs: ['reports'] }

  constructor(private readonly opts: DashboardServerOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'dashboard' })
    this.live = new LiveFeed({ client: opts.client, clock: opts.clock ?? systemClock, framesIn: opts.framesIn, logger: opts.logger })
  }

  /** The business starts after the stack (it needs ClickHouse), so it reports in late. */
  setCompanyStatus(status: () => CompanyStatus): void {
    this.company = status
  }

  /** The lake starts after the fleet's first frame, so it reports in late too (absent: the view says "off"). */
  setPlatformStatus(status: () => Promise<PlatformStatus>): void {
    this.platformStatus = status
  }

  /** The feature store (`tapflow up`) reports in late too: current values and materialization lag. */
  setFeatureSource(source: FeatureSource): void {
    this.features = source
  }

  /** The Models view: live scoring (`tapflow up`) and the folders drift reports are looked for in. */
  setModelsSource(source: ModelsSource | undefined, reportDirs: string[]): void {
    this.models = { source, dirs: reportDirs }
  }

  get url(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  /** The demand model's forecasts for the venue view's kegs; without one, kegs use the naive pace (labelled so). */
  setDemandForecast(demand: DemandForecast | undefined): void {
    this.demand = demand
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.port = await listen(this.server, this.opts.port ?? 8080, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--web-port')
    this.log.info({ url: this.url }, 'dashboard, /status and /metrics listening')
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'the dashboard is read-only: GET only')
      if (path === '/metrics') return await this.metrics(res)
      if (path === '/status' || path === '/healthz') return json(res, this.opts.status?.() ?? { ok: true })
      if (path === '/api/live/stream') return this.stream(req, res)
      if (path === DRIFT_REPORT_PATH) return serveDriftReport(this.models.dirs, res)
      if (path.startsWith('/api/')) return json(res, await this.api(path, new Params(url.searchParams)))
      serveStatic(this.opts.webDir ?? DEFAULT_WEB_DIR, path, res)
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500
      if (status === 500) this.log.warn({ path, err: errorMessage(err) }, 'dashboard request failed')
      if (!res.headersSent) json(res, { error: errorMessage(err) }, status)
      else res.destroy()
    }
  }

  private async api(path: string, p: Params): Promise<unknown> {
    const c = this.opts.client
    const reports = this.opts.reportsDir ?? 'reports'
    switch (path) {
      case '/api/overview': {
        const top = p.only('top').int('top', 10, 1, 100)
        return overview(await fleet(c), top)
      }
      case '/api/fleet': {
        p.only('q', 'status', 'venue', 'account')
        const [q, status, venueId, account] = [p.text('q').toLowerCase(), p.oneOf('status', STATUSES, 'all'), p.text('venue', 64), p.text('account', 64)]
        const f = await fleet(c)
        const devices = f.devices.filter(
          (d) =>
            (venueId === '' || d.venueId === venueId) && (account === '' || d.accountId === account) &&
            (status === 'risk' ? (d.risk?.openAlerts.length ?? 0) > 0 : matchesStatus(d.online, d.health, status)) &&
            (q === '' || `${d.deviceId} ${d.venueId} ${d.venueName} ${d.city} ${d.beverage}`.toLowerCase().includes(q)),
        )
        return { now: f.now, total: f.devices.length, devices }
      }
      case '/api/venues':
        p.only()
        return venues(c)
      case '/api/venue': {
        p.only('id', 'range', 'to')
        const id = p.id('id')
        const range = p.range('range', '7d')
        const to = p.instant('to', await this.dataEnd())
        return venue(c, id, to - range, to, this.demand, (err) => this.log.warn({ err: errorMessage(err) }, 'demand forecast failed; kegs use the naive pace'))
      }
      case '/api/device': {
        p.only('id', 'range', 'to')
        const id = p.id('id')
        const range = p.range('range', '24h')
        const to = p.instant('to', await this.dataEnd())
        return device(c, id, to - range, to)
      }
      case '/api/growth': {
        p.only('range', 'to', 'source')
        const range = p.range('range', '7d')
        const to = p.instant('to', await growthEnd(c))
        return growth(c, to - range, to, p.oneOf('source', ['all', ...SOURCES], 'all'))
      }
      case '/api/growth/events':
        p.only('limit', 'source')
        return recentEvents(c, p.int('limit', 50, 1, 500), p.oneOf('source', ['all', ...SOURCES], 'all'))
      case '/api/company':
        p.only()
        return this.company?.() ?? { business: false }
      case '/api/platform':
        p.only()
        return platform(this.platformStatus)
      case '/api/features':
        return currentFeatures(this.features, p)
      case '/api/features/views':
        return featureViews(this.features, p)
      case '/api/models':
        return models(this.models.source, this.models.dirs, p)
      case '/api/live':
        return this.live.snapshot(p.only('limit').int('limit', 50, 1, 500))
      case '/api/load':
        p.only()
        return listLoadReports(reports)
      case '/api/load/report':
        p.only('name')
        return readLoadReport(reports, p.text('name', 120))
      default:
        throw new HttpError(404, `no endpoint ${path}; see /api/overview, /api/fleet, /api/venues, /api/venue, /api/device, /api/company, /api/platform, /api/features, /api/features/views, /api/models, /api/live, /api/live/stream, /api/load`)
    }
  }

  /** The end of a chart's range when none is given: the newest data, so seeded history reads like today. */
  private async dataEnd(): Promise<number> {
    // Cached for a second: every chart request needs it, and one round trip per request adds up.
    if (Date.now() - this.end.at > 1_000) {
      const now = await dataNow(this.opts.client)
      this.end = { at: Date.now(), value: now > 0 ? now + 1 : Date.now() }
    }
    return this.end.value
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    res.write('retry: 2000\n\n')
    const send = (e: LiveEvent): void => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'pours' ? e.pours : e.rates)}\n\n`)
    }
    const unsubscribe = this.live.subscribe(send)
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
    req.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
    })
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const regs = this.opts.registries ?? []
    if (regs.length === 0) throw new HttpError(404, 'no metrics registered')
    const texts = await Promise.all(regs.map((r) => r.metrics()))
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(texts.join('\n'))
  }

  async close(): Promise<void> {
    this.live.close()
    const s = this.server
    this.server = undefined
    await closeHttpServer(s)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function matchesStatus(online: boolean, health: Health, status: (typeof STATUSES)[number]): boolean {
  switch (status) {
    case 'all':
      return true
    case 'online':
      return online
    case 'offline':
      return health === 'offline'
    case 'alert':
      return health === 'warn' || health === 'fault' || health === 'offline'
    default:
      return health === status
  }
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}
