import { createServer, type Server } from 'node:http'
import type { Registry } from 'prom-client'
import { listen, silentLogger, type Logger } from '../../common/index.js'

export interface StatusServerOptions {
  /** Prometheus registries merged on /metrics. */
  registries: Registry[]
  /** Body for /healthz and /status (JSON). */
  status: () => Record<string, unknown>
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default: 8080. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --web-port. */
  portFlag?: string
  logger?: Logger
}

/** The stack's web port: Prometheus text on /metrics and a JSON status on /status. Read-only. */
export class StatusServer {
  private server: Server | undefined
  port = 0

  constructor(private readonly opts: StatusServerOptions) {}

  get url(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  async listen(): Promise<void> {
    const log = (this.opts.logger ?? silentLogger).child({ component: 'web' })
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      if (req.method !== 'GET') {
        res.writeHead(405, { Allow: 'GET' }).end('method not allowed\n')
      } else if (path === '/metrics') {
        void Promise.all(this.opts.registries.map((r) => r.metrics())).then(
          (texts) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(texts.join('\n')),
          (err: Error) => res.writeHead(500).end(err.message),
        )
      } else if (path === '/healthz' || path === '/status' || path === '/') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.opts.status(), null, 2) + '\n')
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics or /status\n')
      }
    })
    this.port = await listen(this.server, this.opts.port ?? 8080, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--web-port')
    log.info({ url: this.url }, 'status and /metrics listening')
  }

  async close(): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s !== undefined) {
      s.closeAllConnections()
      await new Promise<void>((r) => s.close(() => r()))
    }
  }
}
