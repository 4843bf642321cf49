import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import type { Session } from 'chdb'
import { TapflowClickHouseError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { asClickHouseError } from '../sink/clickhouse.js'
import { checkStatement, SqlResultTooLargeError, SqlTooManyQueriesError } from './guard.js'
import { limitSettings, resolveSqlLimits, type SqlLimits } from './limits.js'

export interface ReadOnlySqlOptions {
  /** chDB data directory (the stack's <data-dir>/clickhouse). Required. */
  path: string
  /** Per-query bounds. Default: DEFAULT_SQL_LIMITS. */
  limits?: Partial<SqlLimits>
  logger?: Logger
}

export interface SqlRunOptions {
  /** Output format when the statement has no FORMAT clause. Default: TabSeparated. */
  format?: string
  /** Values for `{name:Type}` placeholders, bound by the engine (never spliced into the text). Default: none. */
  params?: Record<string, string>
  /** Echoed in the summary (chDB has no query ids of its own to honour). Default: a random UUID. */
  queryId?: string
  /** Aborting kills the query in the engine, not just the wait for it. */
  signal?: AbortSignal
  /** Receives the result as it streams; awaited, so a slow reader holds the engine back. */
  onChunk: (chunk: Buffer) => void | Promise<void>
}

export interface SqlRunSummary {
  queryId: string
  /** The statement as ClickHouse formatted it; this, not the client's text, is what ran. */
  statement: string
  resultBytes: number
}

/** One chDB session per query slot: its settings are its own and, once readonly=1 is set, nobody can change them. */
interface Slot {
  session: Session
  /** log_comment of the session, so its running query can be found in system.processes and killed. */
  tag: string
  busy: boolean
}

/**
 * The read-only SQL surface over an embedded chDB directory, shared by the SQL port and offline `tapflow sql`.
 *
 * Three layers, each ClickHouse's own:
 * 1. `formatQuery()` parses the client's text (bound as a parameter) and refuses anything but one statement;
 *    its output is what runs, so comments, case and quoting tricks cannot differ between check and run.
 * 2. `EXPLAIN AST` of that statement is walked by checkStatement: statement kind, table functions, functions,
 *    databases, SETTINGS and INTO OUTFILE.
 * 3. Every session runs with readonly=1, set last at open: writes, DDL, SET, SETTINGS in a query, temporary tables and
 *    file/network/database table functions are refused by the engine itself, and the limits set before it can
 *    no longer be changed. Layer 2 covers what readonly=1 lets through: KILL, USE, `file()` the scalar function,
 *    DESCRIBE of a table function (schema inference reads the file) and INTO OUTFILE.
 */
export class ReadOnlySql {
  private readonly slots: Slot[]
  private readonly control: Session
  private readonly log: Logger
  readonly limits: SqlLimits
  private closed = false

  private constructor(opts: ReadOnlySqlOptions, limits: SqlLimits, control: Session, slots: Slot[]) {
    this.limits = limits
    this.control = control
    this.slots = slots
    this.log = (opts.logger ?? silentLogger).child({ component: 'sql' })
  }

  static async open(opts: ReadOnlySqlOptions): Promise<ReadOnlySql> {
    const limits = resolveSqlLimits(opts.limits)
    const { Session: SessionCtor } = loadChdb()
    const sessions: Session[] = []
    try {
      const open = async (tag: string): Promise<Session> => {
        const s = new SessionCtor(opts.path)
        sessions.push(s)
        await s.queryAsync(`SET log_comment = '${tag}'`)
        await s.queryAsync(`SET ${limitSettings(limits)}`)
        // Unqualified names read tapflow; a fresh directory has no tapflow yet, and then they read nothing.
        await s.queryAsync('USE tapflow').catch(() => undefined)
        await s.queryAsync('SET readonly = 1')
        return s
      }
      // The control session only runs our own KILL and system.processes reads; readonly=1 still lets it kill.
      const control = await open(`tapflow-sql-control-${randomUUID()}`)
      const slots: Slot[] = []
      for (let i = 0; i < limits.maxConcurrent; i++) {
        const tag = `tapflow-sql-${i}-${randomUUID()}`
        slots.push({ session: await open(tag), tag, busy: false })
      }
      return new ReadOnlySql(opts, limits, control, slots)
    } catch (err) {
      for (const s of sessions) s.close()
      throw asClickHouseError(err, `cannot open the read-only SQL sessions on ${opts.path}`)
    }
  }

  /** Checks and runs one statement, streaming its result to `o.onChunk`. Throws a TapflowClickHouseError with the code. */
  async run(sql: string, o: SqlRunOptions): Promise<SqlRunSummary> {
    if (this.closed) throw new TapflowClickHouseError('the SQL surface is closed')
    const slot = this.slots.find((s) => !s.busy)
    if (slot === undefined) throw new SqlTooManyQueriesError(this.limits.maxConcurrent)
    slot.busy = true
    const queryId = o.queryId ?? randomUUID()
    try {
      const { statement, streamable } = await this.check(slot, sql, o.params)
      o.signal?.throwIfAborted()
      const resultBytes = streamable ? await this.stream(slot, statement, o) : await this.whole(slot, statement, o)
      return { queryId, statement, resultBytes }
    } catch (err) {
      throw engineError(err)
    } finally {
      slot.busy = false
    }
  }

  /** Layers 1 and 2: ClickHouse's parser, then the AST walk. Returns the statement to run. */
  private async check(slot: Slot, sql: string, params: Record<string, string> = {}): Promise<{ statement: string; streamable: boolean }> {
    const formatted = await slot.session.queryBindAsync('SELECT formatQuery({q:String})', { q: sql }, { format: 'TSVRaw' })
    const statement = formatted.text().replace(/\n$/, '')
    const ast = await slot.session.queryBindAsync(`EXPLAIN AST ${statement}`, params, { format: 'TSVRaw' })
    return { statement, ...checkStatement(ast.text()) }
  }

  /** A statement chDB cannot stream (SHOW, DESCRIBE, EXISTS, EXPLAIN): one small result. */
  private async whole(slot: Slot, statement: string, o: SqlRunOptions): Promise<number> {
    const onAbort = (): void => void this.kill(slot)
    o.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const r = await slot.session.queryBindAsync(statement, o.params ?? {}, { format: o.format ?? 'TabSeparated' })
      const buf = Buffer.from(r.bytes())
      if (buf.length > this.limits.maxResultBytes) throw new SqlResultTooLargeError(this.limits.maxResultBytes)
      if (buf.length > 0) await o.onChunk(buf)
      return buf.length
    } finally {
      o.signal?.removeEventListener('abort', onAbort)
    }
  }

  private async stream(slot: Slot, statement: string, o: SqlRunOptions): Promise<number> {
    const fmt = { format: o.format ?? 'TabSeparated' }
    const st = o.params === undefined ? slot.session.queryStream(statement, fmt) : slot.session.queryStreamBind(statement, o.params, fmt)
    // chDB's stream notices an abort only between chunks; a KILL stops a query that has not produced one yet.
    const onAbort = (): void => void this.kill(slot)
    o.signal?.addEventListener('abort', onAbort, { once: true })
    let bytes = 0
    try {
      // Leaving the loop early (limit, abort, a failed write) returns the iterator, which cancels the query.
      for await (const chunk of st) {
        o.signal?.throwIfAborted()
        const buf = Buffer.from(chunk.raw())
        bytes += buf.length
        if (bytes > this.limits.maxResultBytes) throw new SqlResultTooLargeError(this.limits.maxResultBytes)
        await o.onChunk(buf)
      }
      return bytes
    } finally {
      o.signal?.removeEventListener('abort', onAbort)
      if (!st.closed) st.cancel()
    }
  }

  /**
   * Kills the slot's running query. A pending read of its result then fails with code 394 at once, which is the
   * signal that the session is free again (the killed entry stays in system.processes until the session's next query).
   */
  private async kill(slot: Slot): Promise<void> {
    try {
      // SYNC deadlocks in chDB; ASYNC returns at once and the query stops at its next check.
      await this.control.queryAsync(`KILL QUERY WHERE Settings['log_comment'] = '${slot.tag}' ASYNC`, { format: 'TSV' })
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not kill a SQL query')
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.slots.filter((s) => s.busy).map((s) => this.kill(s)))
    // Whatever was running has been killed; closing a session waits for its query to let go.
    for (const s of this.slots) s.session.close()
    this.control.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** chDB's errors are `Code: N. DB::Exception: …` text; keep the text as ClickHouse wrote it, with its code. */
function engineError(err: unknown): TapflowClickHouseError {
  if (err instanceof TapflowClickHouseError) return err
  const message = errorMessage(err)
  const code = /^Code: (\d+)\./.exec(message)?.[1]
  return new TapflowClickHouseError(message, code === undefined ? undefined : Number(code), { cause: err })
}

// Loaded on first use, like the connection in sink/clickhouse.ts: the engine is a large native library.
let chdb: typeof import('chdb') | undefined
function loadChdb(): typeof import('chdb') {
  chdb ??= createRequire(import.meta.url)('chdb') as typeof import('chdb')
  return chdb
}
