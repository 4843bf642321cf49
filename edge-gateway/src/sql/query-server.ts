import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { ClickHouseClient, DataFormat } from '@clickhouse/client'
import { closeHttpServer, errorMessage, listen, silentLogger, type Logger } from '../../../common/index.js'

export interface QueryServerOptions {
  client: ClickHouseClient
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default: 8123, ClickHouse's own HTTP port. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --sql-port. */
  portFlag?: string
  logger?: Logger
}

const MAX_QUERY_BYTES = 256 * 1024
const FORMATS = /^[A-Za-z0-9]+$/

/**
 * A read-only subset of ClickHouse's HTTP interface in front of the embedded chDB engine.
 * chDB lets one process own a data directory, so `tapflow sql`, curl and @clickhouse/client
 * reach the running stack's data through here, exactly as they would reach a server.
 * Every query runs with readonly=2 (reads only, no writes or DDL), so give it a client of its own:
 * chDB keeps settings per session.
 */
export class QueryServer {
  private server: Server | undefined
  private readonly log: Logger
  port = 0

  constructor(private readonly opts: QueryServerOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'sql' })
  }

  get url(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.port = await listen(this.server, this.opts.port ?? 8123, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--sql-port')
    this.log.info({ url: this.url }, 'read-only ClickHouse HTTP endpoint listening')
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/ping') {
      res.end('Ok.\n')
      return
    }
    if (url.pathname !== '/') return fail(res, 404, 0, 'only / and /ping are served')
    let body: string
    try {
      body = req.method === 'POST' ? await readBody(req) : ''
    } catch (err) {
      return fail(res, 413, 0, errorMessage(err))
    }
    const query = [url.searchParams.get('query') ?? '', body].filter((s) => s.trim() !== '').join('\n')
    if (query.trim() === '') return fail(res, 400, 62, 'empty query')
    const format = url.searchParams.get('default_format') ?? 'TabSeparated'
    if (!FORMATS.test(format)) return fail(res, 400, 73, `bad format '${format}'`)
    try {
      const result = await this.opts.client.exec({
        query,
        query_id: url.searchParams.get('query_id') ?? undefined,
        clickhouse_settings: { readonly: '2', default_format: format as DataFormat },
      })
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Query-Id': result.query_id,
        'X-ClickHouse-Summary': JSON.stringify(result.summary ?? {}),
      })
      await pipeline(result.stream, res)
    } catch (err) {
      const code = Number((err as { code?: unknown }).code)
      if (!res.headersSent) fail(res, 500, Number.isFinite(code) ? code : 0, errorMessage(err))
      else res.destroy()
    }
  }

  async close(): Promise<void> {
    const s = this.server
    this.server = undefined
    await closeHttpServer(s)
  }
}

function fail(res: ServerResponse, status: number, code: number, message: string): void {
  // The body follows ClickHouse's error shape so its clients parse the code.
  const text = message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) })
  res.end(text.endsWith('\n') ? text : text + '\n')
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_QUERY_BYTES) throw new Error(`query larger than ${MAX_QUERY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
