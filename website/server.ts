import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { closeHttpServer, errorMessage, fileUnder, listen, sendFile, silentLogger, TapflowError, type Logger } from '../common/index.js'
import { ACCOUNT_ID, type DocPage, type LoginResult, type Pricing, type SiteConfig } from './api.js'
import { SITE_DIR } from './build.js'
import { renderDocs } from './src/docs.js'
import { businessPricing } from './src/pricing.js'

/** What serves PostHog's capture protocol (`cloud/analytics`' CaptureEndpoint has this method): true when it answered. */
export interface CaptureHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
}

/** Who may sign in. Without one, any well-formed account id does (a local stack). */
export interface AccountDirectory {
  /** Whether the business has this account. */
  exists(accountId: string): Promise<boolean>
  /** The account's sign-in code; undefined: the account id alone signs in. */
  codeFor?: (accountId: string) => string
}

export interface WebsiteServerOptions {
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default: 3000. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --site-port. */
  portFlag?: string
  /** The built site (npm run build:site). Default: website/dist. */
  siteDir?: string
  /** Where README.md and docs/*.md are read from. Default: the repository root. */
  docsRoot?: string
  /** Serves PostHog's protocol on this origin (posthog-js' api_host is the site itself). Default: none, no analytics. */
  capture?: CaptureHandler
  /** PostHog project key handed to posthog-js; only used with `capture`. Default: phc_tapflow_local. */
  projectKey?: string
  /** Tier prices for the calculator. Default: the business's own (cloud's TIER_PRICE_CENTS and tierFor). */
  pricing?: Pricing
  /** Who may sign in. Default: any well-formed account id. */
  accounts?: AccountDirectory
  /** The dashboard a signed-in customer is sent to. Default: http://127.0.0.1:8080. */
  dashboardUrl?: string
  logger?: Logger
}

/** A request the site refuses, with its HTTP status. */
export class SiteRequestError extends TapflowError {
  constructor(readonly status: number, message: string) {
    super(message, `HTTP_${status}`)
  }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MAX_LOGIN_BODY = 4096

/**
 * The product website's port: the React bundle, the JSON it reads (/api/site-config, /api/pricing, /api/docs,
 * /api/login) and, when one is injected, PostHog's capture protocol on the same origin.
 */
export class WebsiteServer {
  private server: Server | undefined
  private readonly log: Logger
  private docs: DocPage[] | undefined
  readonly pricing: Pricing
  port = 0

  constructor(private readonly opts: WebsiteServerOptions = {}) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'website' })
    this.pricing = opts.pricing ?? businessPricing()
  }

  get url(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.port = await listen(this.server, this.opts.port ?? 3000, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--site-port')
    this.log.info({ url: this.url }, 'website listening')
  }

  async close(): Promise<void> {
    await closeHttpServer(this.server)
    this.server = undefined
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    try {
      if (this.opts.capture !== undefined && (await this.opts.capture.handle(req, res))) return
      if (path === '/api/login' && req.method === 'POST') return json(res, await this.login(req))
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new SiteRequestError(405, `${req.method ?? '?'} ${path}: the site serves GET (and POST /api/login)`)
      if (path.startsWith('/api/')) return json(res, this.api(path))
      if (path.startsWith('/files/docs/')) return this.file(join(this.opts.docsRoot ?? ROOT, 'docs'), path.slice('/files/docs'.length), res, req.method === 'HEAD')
      this.page(path, res, req.method === 'HEAD')
    } catch (err) {
      const status = err instanceof SiteRequestError ? err.status : 500
      if (status === 500) this.log.warn({ path, err: errorMessage(err) }, 'website request failed')
      if (!res.headersSent) json(res, { error: errorMessage(err) }, status)
      else res.destroy()
    }
  }

  private api(path: string): unknown {
    switch (path) {
      case '/api/site-config':
        return {
          projectKey: this.opts.capture === undefined ? null : (this.opts.projectKey ?? 'phc_tapflow_local'),
          loginMode: this.opts.accounts?.codeFor === undefined ? 'account-id' : 'account-code',
        } satisfies SiteConfig
      case '/api/pricing':
        return this.pricing
      case '/api/docs':
        // Rendered once: the docs ship with the code and do not change while it runs.
        return (this.docs ??= renderDocs(this.opts.docsRoot ?? ROOT))
      default:
        throw new SiteRequestError(404, `no such endpoint: ${path}`)
    }
  }

  private async login(req: IncomingMessage): Promise<LoginResult> {
    const body = await readBody(req, MAX_LOGIN_BODY)
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      throw new SiteRequestError(400, 'expected a JSON body {"accountId":"ACC_000042","code":"…"}')
    }
    const { accountId, code } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { accountId?: unknown; code?: unknown }
    if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) throw new SiteRequestError(400, 'an account id looks like ACC_000042')
    const dir = this.opts.accounts
    if (dir !== undefined && !(await dir.exists(accountId))) throw new SiteRequestError(401, `no account ${accountId}`)
    const expected = dir?.codeFor?.(accountId)
    if (expected !== undefined && !sameCode(expected, typeof code === 'string' ? code.trim() : '')) throw new SiteRequestError(401, `wrong code for ${accountId}`)
    const dashboard = (this.opts.dashboardUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
    return { accountId, dashboardUrl: `${dashboard}/#/fleet/${encodeURIComponent(accountId)}` }
  }

  private file(dir: string, path: string, res: ServerResponse, head: boolean): void {
    const file = fileUnder(dir, path)
    if (file === undefined || !/\.(png|svg)$/.test(file)) throw new SiteRequestError(404, `no such file: ${path}`)
    sendFile(file, res, head)
  }

  /** Assets by name; any other path is a client route (history routing), so it gets index.html. */
  private page(path: string, res: ServerResponse, head: boolean): void {
    const dir = this.opts.siteDir ?? SITE_DIR
    const index = join(dir, 'index.html')
    const file = fileUnder(dir, path) ?? fileUnder(dir, '/index.html')
    if (file === undefined) throw new SiteRequestError(503, `the site is not built: run 'npm run build:site' (or 'make install'); missing ${index}`)
    sendFile(file, res, head)
  }
}

function sameCode(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        reject(new SiteRequestError(413, `body over ${max} bytes`))
        req.removeAllListeners('data').resume() // drain it, so the 413 still reaches the client
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
  res.end(text)
}
