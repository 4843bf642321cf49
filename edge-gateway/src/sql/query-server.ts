import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { closeHttpServer, errorMessage, listen, silentLogger, type Logger } from '../../../common/index.js'
import { SQL_CODES } from './guard.js'
import type { ReadOnlySql } from './read-only-sql.js'

export interface QueryServerOptions {
  /** The read-only surface queries run on; the server does not close it. Required. */
  sql: ReadOnlySql
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
/** A client's query_id is echoed in a header, so only header-safe ones are. */
const QUERY_ID = /^[\w.:-]{1,128}$/
/** URL parameters that are not settings, or settings that change nothing here; any other one is a setting change. */
const IGNORED_PARAMS = new Set([
  'query', 'default_format', 'query_id', 'database', 'user', 'password', 'session_id', 'session_timeout', 'session_check',
  'wait_end_of_query', 'enable_http_compression', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'compress', 'decompress',
])

/**
 * A read-only subset of ClickHouse's HTTP interface in front of the embedded chDB engine.
 * chDB lets one process own a data directory, so `tapflow sql`, curl and @clickhouse/client
 * reach the running stack's data through here, exactly as they would reach a server.
 * What a query may do, and its limits, are ReadOnlySql's; this only speaks HTTP and cancels a query whose
 * client went away.
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
    this.log.info({ url: this.url, limits: this.opts.sql.limits }, 'read-only ClickHouse HTTP endpoint listening')
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
    if (query.trim() === '') return fail(res, 400, SQL_CODES.SYNTAX_ERROR, 'empty query')
    const format = url.searchParams.get('default_format') ?? 'TabSeparated'
    if (!FORMATS.test(format)) return fail(res, 400, 73, `bad format '${format}'`)
    const params: Record<string, string> = {}
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = unescapeParam(v)
      else if (k === 'readonly' ? v !== '1' : !IGNORED_PARAMS.has(k)) {
        return fail(res, 403, SQL_CODES.READONLY, `Cannot modify '${k}' setting in readonly mode`)
      }
    }
    // The client going away (the socket closes before the response ends) kills its query.
    const gone = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) gone.abort()
    })
    const asked = url.searchParams.get('query_id')
    const queryId = asked !== null && QUERY_ID.test(asked) ? asked : randomUUID()
    try {
      await this.opts.sql.run(query, {
        queryId,
        format,
        params: Object.keys(params).length > 0 ? params : undefined,
        signal: gone.signal,
        onChunk: async (chunk) => {
          if (!res.headersSent) res.writeHead(200, headers(format, queryId))
          if (!res.write(chunk)) await drained(res)
        },
      })
      if (!res.headersSent) res.writeHead(200, headers(format, queryId))
      res.end()
    } catch (err) {
      const code = (err as { clickhouseCode?: unknown }).clickhouseCode
      const n = typeof code === 'number' ? code : 0
      if (gone.signal.aborted) return
      if (!res.headersSent) fail(res, httpStatus(n), n, errorMessage(err))
      else {
        // Mid-stream, ClickHouse appends the exception to the body; the broken chunked encoding tells clients too.
        res.end(`\nCode: ${n}. DB::Exception: ${errorMessage(err)}\n`)
        res.destroy()
      }
    }
  }

  async close(): Promise<void> {
    const s = this.server
    this.server = undefined
    await closeHttpServer(s)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function headers(format: string, queryId: string): Record<string, string> {
  return { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Format': format, 'X-ClickHouse-Query-Id': queryId }
}

/** ClickHouse's own mapping of error codes to HTTP statuses, for the codes this surface produces. */
function httpStatus(code: number): number {
  if (code === SQL_CODES.READONLY || code === SQL_CODES.ACCESS_DENIED) return 403
  if (code === SQL_CODES.TOO_MANY_SIMULTANEOUS_QUERIES) return 429
  if (code === SQL_CODES.SYNTAX_ERROR || code === 36 || code === 47 || code === 115 || code === 456) return 400
  if (code === 60 || code === 81) return 404
  return 500
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v' }

/** ClickHouse reads HTTP `param_` values in its escaped text form (clients send `it\'s`); chDB binds raw values. */
function unescapeParam(v: string): string {
  return v.replace(/\\(.)/gs, (_m, c: string) => ESCAPES[c] ?? c)
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      if (res.destroyed && !res.writableFinished) reject(new Error('client went away'))
      else resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
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
